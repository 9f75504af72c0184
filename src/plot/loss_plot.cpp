#include "plot/loss_plot.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "core/fileio.hpp"
#include "losses/loss.hpp"
#include "plot/chart.hpp"

namespace dn {

namespace {

struct CurveSpec {
  const char* name;
  const char* label;
  const char* loss;
  LossParams p;
  double dash;
};

LossParams with(float gamma, float beta = 0, float eps = 1, float floor_pos = 1) {
  LossParams p;
  p.gamma = gamma;
  p.alpha = 1;  // alpha_t = 1 on positives: compare shapes, not class weights
  p.beta = beta;
  p.poly_eps = eps;
  p.floor_pos = floor_pos;
  return p;
}

std::vector<CurveSpec> curve_specs() {
  return {
      {"ce", "CE", "bce", with(0), 0},
      {"focal_g0.5", "focal g=.5", "focal", with(0.5f), 0},
      {"focal_g1", "focal g=1", "focal", with(1), 0},
      {"focal_g2", "focal g=2", "focal", with(2), 0},
      {"focal_g5", "focal g=5", "focal", with(5), 0},
      {"focal_star_g2_b1", "FL* g=2 b=1", "focal_star", with(2, 1), 0},
      {"poly1_g2_e1", "poly1 g=2 eps=1", "poly1", with(2, 0, 1), 0},
      // The default floor l+ = 1 makes positives plain CE: dashed so that CE shows beneath it.
      {"mfocal", "mfocal (default l+=1)", "mfocal", with(2), 8},
      {"mfocal_lpos0.25", "mfocal l+=.25", "mfocal", with(2, 0, 1, 0.25f), 0},
  };
}

const char* kUsage = "usage: darknet loss_plot [-out loss_shape.png] [-csv losses.csv]";

}  // namespace

std::vector<double> loss_shape_grid() {
  std::vector<double> p;
  for (int i = 1; i < 400; ++i) p.push_back(i / 400.0);
  return p;
}

std::vector<LossShapeCurve> loss_shape_curves(const std::vector<double>& p_t) {
  std::vector<float> x(p_t.size()), t(p_t.size(), 1.0f), g(p_t.size());
  for (size_t i = 0; i < p_t.size(); ++i) x[i] = static_cast<float>(std::log(p_t[i] / (1 - p_t[i])));
  std::vector<LossShapeCurve> curves;
  int k = 0;
  for (const auto& spec : curve_specs()) {
    auto loss = make_loss(spec.loss, spec.p);
    LossShapeCurve c{spec.name, spec.label, {}, {}, plot::palette(k++), spec.dash};
    for (size_t i = 0; i < p_t.size(); ++i) {
      c.loss.push_back(loss->compute(&x[i], &t[i], nullptr, 1, &g[i]));
      c.grad.push_back(std::fabs(g[i]));
    }
    curves.push_back(std::move(c));
  }
  return curves;
}

int run_loss_plot(int argc, char** argv) {
  std::string out = "loss_shape.png", csv;
  int i = 1;
  if (i < argc && std::strcmp(argv[i], "loss_plot") == 0) ++i;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    std::string* dest = a == "-out" ? &out : a == "-csv" ? &csv : nullptr;
    if (!dest) {
      std::fprintf(stderr, "loss_plot: unknown option '%s' (%s)\n", a.c_str(), kUsage);
      return 2;
    }
    if (i + 1 >= argc || argv[i + 1][0] == '\0') {
      std::fprintf(stderr, "loss_plot: %s needs a file name (%s)\n", a.c_str(), kUsage);
      return 2;
    }
    *dest = argv[++i];
  }

  try {
    std::vector<double> p_t = loss_shape_grid();
    std::vector<LossShapeCurve> curves = loss_shape_curves(p_t);

    plot::Figure fig;
    fig.title = "Loss shape for a positive example (y = 1, alpha_t = 1)";
    fig.width = kLossPlotWidth;
    fig.height = kLossPlotHeight;
    plot::Panel lp, gp;
    lp.title = "loss";
    lp.x = {"p_t (probability of the true class)", false, 0, 1};
    lp.y = {"loss", false, 0, 3};
    gp.title = "gradient magnitude abs(dL/dx), log scale";
    gp.x = lp.x;
    gp.y = {"abs(dL/dx)", true, 1e-7, 2};
    gp.legend = plot::LegendPlace::none;  // one legend for both panels
    for (const auto& c : curves) {
      lp.series.push_back({c.label, p_t, c.loss, c.colour, 2.5, c.dash});
      gp.series.push_back({c.label, p_t, c.grad, c.colour, 2.5, c.dash});
    }
    fig.panels = {lp, gp};
    plot::save_png(fig, out);

    if (!csv.empty()) {
      std::string text = "p_t";
      for (const auto& c : curves) text += "," + c.name + "_loss," + c.name + "_grad";
      text += "\n";
      char buf[32];
      for (size_t k = 0; k < p_t.size(); ++k) {
        std::snprintf(buf, sizeof buf, "%.6g", p_t[k]);
        text += buf;
        for (const auto& c : curves) {
          std::snprintf(buf, sizeof buf, ",%.9g", c.loss[k]);
          text += buf;
          std::snprintf(buf, sizeof buf, ",%.9g", c.grad[k]);
          text += buf;
        }
        text += "\n";
      }
      write_text_file_atomic(csv, text);
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "loss_plot: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace dn
