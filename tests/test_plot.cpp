// The plotting module (canvas, ticks, PNG output) and `darknet loss_plot`.
#include <gtest/gtest.h>
#include <stb/stb_image.h>  // declarations only: the implementation is compiled in libstb
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "losses/loss.hpp"
#include "plot/canvas.hpp"
#include "plot/chart.hpp"
#include "plot/loss_plot.hpp"

namespace fs = std::filesystem;
using dn::plot::rgb;

namespace {

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("dn_test_plot_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::vector<std::string> entries() const {
    std::vector<std::string> v;
    for (const auto& e : fs::directory_iterator(path_)) v.push_back(e.path().filename().string());
    std::sort(v.begin(), v.end());
    return v;
  }

 private:
  fs::path path_;
};

struct Image {
  int w = 0, h = 0;
  std::vector<unsigned char> rgb;  // 3 bytes per pixel
};
Image load_png(const std::string& path) {
  Image im;
  int comp = 0;
  unsigned char* data = stbi_load(path.c_str(), &im.w, &im.h, &comp, 3);
  if (!data) return im;
  im.rgb.assign(data, data + static_cast<size_t>(im.w) * im.h * 3);
  stbi_image_free(data);
  return im;
}

int run(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return dn::run_loss_plot(static_cast<int>(argv.size()), argv.data());
}

// CSV as header names and rows of numbers.
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
  int column(const std::string& name) const {
    auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  }
};
Csv read_csv(const std::string& path) {
  Csv csv;
  std::ifstream in(path);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell;
    std::vector<double> row;
    while (std::getline(ss, cell, ',')) {
      if (first)
        csv.header.push_back(cell);
      else
        row.push_back(std::stod(cell));
    }
    if (!first) csv.rows.push_back(row);
    first = false;
  }
  return csv;
}

// ---- canvas ---------------------------------------------------------------------------------

TEST(Canvas, PixelsRectanglesAndClipping) {
  dn::plot::Canvas c(20, 10, {1, 2, 3});
  EXPECT_EQ(c.pixels().size(), 20u * 10 * 3);
  EXPECT_EQ(c.at(19, 9), (rgb{1, 2, 3}));
  c.fill_rect({-5, -5, 3, 2}, {200, 0, 0});  // clipped to the canvas
  EXPECT_EQ(c.at(0, 0), (rgb{200, 0, 0}));
  EXPECT_EQ(c.at(2, 1), (rgb{200, 0, 0}));
  EXPECT_EQ(c.at(3, 1), (rgb{1, 2, 3}));
  c.set(100, 100, {9, 9, 9});  // ignored
  c.blend(10, 5, {255, 255, 255}, 0.5);
  EXPECT_EQ(c.at(10, 5), (rgb{128, 129, 129}));
  EXPECT_THROW(dn::plot::Canvas(0, 5), dn::Error);
}

TEST(Canvas, PolylineIsDrawnAlongItsPathAndClipped) {
  dn::plot::Canvas c(100, 60);
  const rgb red{255, 0, 0};
  c.draw_polyline({{10, 30}, {90, 30}}, red, 3, {0, 0, 50, 60});
  EXPECT_EQ(c.at(20, 30), red);
  EXPECT_EQ(c.at(20, 20), (rgb{255, 255, 255}));
  EXPECT_EQ(c.at(70, 30), (rgb{255, 255, 255}));  // outside the clip rectangle
  // A non-finite point breaks the line instead of drawing to infinity.
  dn::plot::Canvas d(100, 60);
  d.draw_polyline({{10, 10}, {NAN, NAN}, {90, 50}, {90, 10}}, red, 2, d.bounds());
  EXPECT_EQ(d.at(50, 30), (rgb{255, 255, 255}));
  EXPECT_EQ(d.at(90, 30), red);
}

TEST(Canvas, TextLeavesInkOfItsMeasuredWidth) {
  dn::plot::Canvas c(200, 40);
  c.draw_text(10, 10, "p_t 0.5", {0, 0, 0}, 2);
  int xmin = 1000, xmax = -1;
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 200; ++x)
      if (c.at(x, y) == rgb{0, 0, 0}) {
        xmin = std::min(xmin, x);
        xmax = std::max(xmax, x);
      }
  ASSERT_GE(xmax, 0);
  EXPECT_EQ(xmin, 10);
  EXPECT_NEAR(xmax + 1 - 10, dn::plot::text_width("p_t 0.5", 2), 2.0);
}

TEST(Canvas, SavePngRoundTripsWithoutTemporaryFiles) {
  TempDir dir;
  dn::plot::Canvas c(31, 17, {10, 20, 30});
  c.set(5, 6, {250, 1, 2});
  c.save_png(dir.file("a.png"));
  Image im = load_png(dir.file("a.png"));
  ASSERT_EQ(im.w, 31);
  ASSERT_EQ(im.h, 17);
  EXPECT_EQ(im.rgb[0], 10);
  size_t k = (6 * 31 + 5) * 3;
  EXPECT_EQ(im.rgb[k], 250);
  EXPECT_EQ(im.rgb[k + 1], 1);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"a.png"});
  EXPECT_THROW(c.save_png(dir.file("missing/dir/a.png")), dn::Error);
}

// ---- axes -----------------------------------------------------------------------------------

TEST(Chart, TicksAndLabels) {
  std::vector<double> t = dn::plot::linear_ticks(0, 1, 5);
  ASSERT_EQ(t.size(), 6u);
  EXPECT_DOUBLE_EQ(t[0], 0);
  EXPECT_NEAR(t[3], 0.6, 1e-12);
  EXPECT_EQ(dn::plot::tick_label(t[3], false), "0.6");
  t = dn::plot::linear_ticks(0, 500000, 6);
  EXPECT_EQ(dn::plot::tick_label(t[1], false), "100000");
  t = dn::plot::log_ticks(1e-7, 3, 8);
  ASSERT_EQ(t.size(), 8u);  // 1e-7 .. 1
  EXPECT_EQ(dn::plot::tick_label(t[0], true), "1e-7");
  EXPECT_EQ(dn::plot::tick_label(t[5], true), "0.01");
  EXPECT_EQ(dn::plot::tick_label(t[7], true), "1");
  t = dn::plot::log_ticks(1e-40, 1, 8);
  EXPECT_LE(t.size(), 9u);
  t = dn::plot::log_ticks(0.1, 10, 8);  // short range: 2 and 5 added
  EXPECT_NE(std::find(t.begin(), t.end(), 0.5), t.end());
}

TEST(Chart, RangeFromDataOrLimits) {
  dn::plot::Series s{"s", {0, 10, 20}, {0.003, 0.2, -1}, {0, 0, 0}};
  dn::plot::Axis lin{"", false};
  auto [xlo, xhi] = dn::plot::axis_range(lin, {s}, true);
  EXPECT_DOUBLE_EQ(xlo, 0);
  EXPECT_DOUBLE_EQ(xhi, 20);
  dn::plot::Axis lg{"", true};
  auto [ylo, yhi] = dn::plot::axis_range(lg, {s}, false);  // non-positive values ignored
  EXPECT_DOUBLE_EQ(ylo, 1e-3);
  EXPECT_DOUBLE_EQ(yhi, 1);
  dn::plot::Axis fixed{"", false, -1, 2};
  auto [flo, fhi] = dn::plot::axis_range(fixed, {s}, false);
  EXPECT_DOUBLE_EQ(flo, -1);
  EXPECT_DOUBLE_EQ(fhi, 2);
}

TEST(Chart, FigureWithSeveralPanelsRenders) {
  dn::plot::Figure f;
  f.title = "training";
  f.width = 600;
  f.height = 400;
  f.columns = 1;
  dn::plot::Panel loss{"loss", {"iteration"}, {"loss", true}, {}};
  loss.series.push_back({"avg loss", {0, 100, 200, 300}, {5, 2, 1, 0.8}, dn::plot::palette(0)});
  dn::plot::Panel map{"mAP", {"iteration"}, {"mAP@0.5", false, 0, 1}, {}};
  map.series.push_back({"mAP", {100, 200, 300}, {0.1, 0.3, 0.35}, dn::plot::palette(1)});
  f.panels = {loss, map};
  dn::plot::Canvas c = dn::plot::render(f);
  EXPECT_EQ(c.width(), 600);
  int coloured = 0;
  for (int y = 0; y < 400; ++y)
    for (int x = 0; x < 600; ++x) coloured += c.at(x, y) == dn::plot::palette(1);
  EXPECT_GT(coloured, 50);
  dn::plot::Panel bad{"bad", {}, {}, {}};
  bad.series.push_back({"mismatch", {1, 2}, {1}, {}});
  f.panels = {bad};
  EXPECT_THROW(dn::plot::render(f), dn::Error);
}

// ---- darknet loss_plot ----------------------------------------------------------------------

double loss_at(const std::string& name, dn::LossParams p, double p_t, double* grad) {
  p.alpha = 1;
  auto loss = dn::make_loss(name, p);
  float x = static_cast<float>(std::log(p_t / (1 - p_t))), t = 1, g = 0;
  double l = loss->compute(&x, &t, nullptr, 1, &g);
  *grad = std::fabs(g);
  return l;
}

TEST(LossPlot, WritesCsvAndPng) {
  TempDir dir;
  ASSERT_EQ(run({"darknet", "loss_plot", "-out", dir.file("shape.png"), "-csv", dir.file("l.csv")}), 0);
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"l.csv", "shape.png"}));  // no temporaries

  Csv csv = read_csv(dir.file("l.csv"));
  ASSERT_FALSE(csv.header.empty());
  EXPECT_EQ(csv.header[0], "p_t");
  EXPECT_EQ(csv.header.size() % 2, 1u);
  EXPECT_GE((csv.header.size() - 1) / 2, 2u);
  for (std::string c : {"ce", "focal_g0.5", "focal_g1", "focal_g2", "focal_g5", "focal_star_g2_b1",
                        "poly1_g2_e1", "mfocal"}) {
    EXPECT_GE(csv.column(c + "_loss"), 0) << c;
    EXPECT_GE(csv.column(c + "_grad"), 0) << c;
  }
  ASSERT_GT(csv.rows.size(), 100u);
  for (const auto& r : csv.rows) ASSERT_EQ(r.size(), csv.header.size());

  // Values equal the loss functions at a few p_t.
  dn::LossParams star;
  star.gamma = 2;
  star.beta = 1;
  dn::LossParams poly;
  poly.gamma = 2;
  poly.poly_eps = 1;
  struct Check {
    std::string column, loss;
    dn::LossParams p;
  };
  std::vector<Check> checks = {{"ce", "bce", {}},
                               {"focal_g2", "focal", {}},
                               {"focal_star_g2_b1", "focal_star", star},
                               {"poly1_g2_e1", "poly1", poly},
                               {"mfocal", "mfocal", {}}};
  int checked = 0;
  for (const auto& row : csv.rows) {
    double pt = row[0];
    if (std::fabs(pt - 0.25) > 1e-9 && std::fabs(pt - 0.5) > 1e-9 && std::fabs(pt - 0.9) > 1e-9) continue;
    ++checked;
    for (const auto& ch : checks) {
      double g = 0, l = loss_at(ch.loss, ch.p, pt, &g);
      EXPECT_NEAR(row[csv.column(ch.column + "_loss")], l, 1e-6 * l) << ch.column << " p_t=" << pt;
      EXPECT_NEAR(row[csv.column(ch.column + "_grad")], g, 1e-6 * g) << ch.column << " p_t=" << pt;
    }
    if (std::fabs(pt - 0.9) < 1e-9) {
      double focal = row[csv.column("focal_g2_grad")], ce = row[csv.column("ce_grad")];
      EXPECT_LT(focal, 0.03 * ce);
      EXPECT_NEAR(ce, 0.1, 1e-6);
    }
  }
  EXPECT_EQ(checked, 3);

  Image im = load_png(dir.file("shape.png"));
  EXPECT_EQ(im.w, dn::kLossPlotWidth);
  EXPECT_EQ(im.h, dn::kLossPlotHeight);
  std::map<int, int> colours;
  for (size_t i = 0; i < im.rgb.size(); i += 3) ++colours[(im.rgb[i] << 16) | (im.rgb[i + 1] << 8) | im.rgb[i + 2]];
  EXPECT_GT(colours.size(), 10u);  // not blank
}

TEST(LossPlot, DefaultOutputAndNoCsvUnlessAsked) {
  TempDir dir;
  auto old = fs::current_path();
  fs::current_path(dir.file(""));
  int rc = run({"darknet", "loss_plot"});
  fs::current_path(old);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"loss_shape.png"});
}

TEST(LossPlot, BadFlagsFailWithOneMessage) {
  TempDir dir;
  testing::internal::CaptureStderr();
  EXPECT_EQ(run({"darknet", "loss_plot", "-png", dir.file("x.png")}), 2);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("unknown option '-png'"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;

  testing::internal::CaptureStderr();
  EXPECT_EQ(run({"darknet", "loss_plot", "-out", dir.file("x.png"), "-csv"}), 2);
  err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("-csv needs a file name"), std::string::npos) << err;
  EXPECT_TRUE(dir.entries().empty());  // nothing written on a usage error

  testing::internal::CaptureStderr();
  EXPECT_EQ(run({"darknet", "loss_plot", "-out", dir.file("no/such/dir/x.png")}), 1);
  err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("no/such/dir/x.png"), std::string::npos) << err;
}

}  // namespace
