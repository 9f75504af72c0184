#include "plot/chart.hpp"

#include <algorithm>
#include <cstdio>

#include "core/error.hpp"

namespace dn::plot {

namespace {

const rgb kBlack{0, 0, 0}, kAxis{60, 60, 60}, kGrid{225, 225, 225}, kText{20, 20, 20},
    kLegendBorder{170, 170, 170}, kWhite{255, 255, 255};
constexpr double kTickScale = 2, kLabelScale = 2, kTitleScale = 2, kFigureTitleScale = 3;

bool usable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

double step_for(double range, int target) {
  double raw = range / std::max(target, 1);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

// Maps data values to pixels along one axis.
struct Scale {
  double lo, hi;  // data range
  bool log;
  double p0, p1;  // pixels of lo and hi
  double operator()(double v) const {
    if (log) {
      if (!(v > 0)) return NAN;
      return p0 + (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) * (p1 - p0);
    }
    return p0 + (v - lo) / (hi - lo) * (p1 - p0);
  }
};

// The ticks of an axis, the labelled ones first.
struct Ticks {
  std::vector<double> major, minor;
};
Ticks ticks_for(const Axis& axis, double lo, double hi, int target) {
  Ticks t;
  if (!axis.log) {
    t.major = linear_ticks(lo, hi, target);
    return t;
  }
  t.major = log_ticks(lo, hi, target);
  // Unlabelled 2..9 between decades when there is room for them.
  double decades = std::log10(hi) - std::log10(lo);
  if (decades <= 6)
    for (double d = std::floor(std::log10(lo)); d < std::ceil(std::log10(hi)); ++d)
      for (int m = 2; m <= 9; ++m) {
        double v = m * std::pow(10.0, d);
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) t.minor.push_back(v);
      }
  return t;
}

void draw_legend(Canvas& c, const Panel& p, const Rect& plot) {
  std::vector<const Series*> entries;
  for (const auto& s : p.series)
    if (!s.name.empty()) entries.push_back(&s);
  if (p.legend == LegendPlace::none || entries.empty()) return;
  const double sw = 28, pad = 8, line_h = text_height(kLabelScale) + 6;
  double tw = 0;
  for (const auto* s : entries) tw = std::max(tw, text_width(s->name, kLabelScale));
  int w = static_cast<int>(pad * 3 + sw + tw), h = static_cast<int>(pad * 2 + line_h * entries.size() - 6);
  const int inset = 10;
  bool right = p.legend == LegendPlace::top_right || p.legend == LegendPlace::bottom_right;
  bool top = p.legend == LegendPlace::top_right || p.legend == LegendPlace::top_left;
  int x0 = right ? plot.x1 - inset - w : plot.x0 + inset;
  int y0 = top ? plot.y0 + inset : plot.y1 - inset - h;
  Rect box{x0, y0, x0 + w, y0 + h};
  c.fill_rect(box, kWhite);
  c.draw_rect(box, kLegendBorder);
  for (size_t i = 0; i < entries.size(); ++i) {
    double ty = y0 + pad + i * line_h;
    double ly = ty + text_height(kLabelScale) * 0.4;
    c.draw_polyline({{x0 + pad, ly}, {x0 + pad + sw, ly}}, entries[i]->colour,
                    std::max(entries[i]->width, 2.0), box, entries[i]->dash > 0 ? 5 : 0);
    c.draw_text(x0 + pad * 2 + sw, ty, entries[i]->name, kText, kLabelScale);
  }
}

}  // namespace

rgb palette(int i) {
  static const rgb kColours[10] = {{31, 119, 180}, {214, 39, 40},  {44, 160, 44},  {255, 127, 14},
                                   {148, 103, 189}, {140, 86, 75},  {227, 119, 194}, {127, 127, 127},
                                   {188, 189, 34},  {23, 190, 207}};
  return kColours[((i % 10) + 10) % 10];
}

std::vector<double> linear_ticks(double lo, double hi, int target) {
  std::vector<double> t;
  if (!(hi > lo)) return t;
  double step = step_for(hi - lo, target);
  for (double k = std::ceil(lo / step - 1e-9); k <= std::floor(hi / step + 1e-9); ++k) {
    double v = k * step;
    t.push_back(std::fabs(v) < step * 1e-9 ? 0.0 : v);
  }
  return t;
}

std::vector<double> log_ticks(double lo, double hi, int max_ticks) {
  std::vector<double> t;
  if (!(lo > 0) || !(hi > lo)) return t;
  double d0 = std::ceil(std::log10(lo) - 1e-9), d1 = std::floor(std::log10(hi) + 1e-9);
  double decades = std::log10(hi) - std::log10(lo);
  int stride = std::max(1, static_cast<int>(std::ceil((d1 - d0 + 1) / std::max(max_ticks, 1))));
  for (double d = d0; d <= d1; d += stride) t.push_back(std::pow(10.0, d));
  if (decades <= 2) {
    for (double d = std::floor(std::log10(lo)); d <= d1; ++d)
      for (double m : {2.0, 5.0}) {
        double v = m * std::pow(10.0, d);
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) t.push_back(v);
      }
    std::sort(t.begin(), t.end());
  }
  return t;
}

std::string tick_label(double v, bool log) {
  char buf[32];
  if (log && v > 0) {
    double e = std::log10(v);
    double re = std::round(e);
    if (std::fabs(e - re) < 1e-9 && (re < -3 || re > 4)) {
      std::snprintf(buf, sizeof buf, "1e%d", static_cast<int>(re));
      return buf;
    }
  }
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::pair<double, double> axis_range(const Axis& axis, const std::vector<Series>& series, bool is_x) {
  double lo = axis.min, hi = axis.max;
  if (!std::isnan(lo) && !std::isnan(hi) && hi > lo && (!axis.log || lo > 0)) return {lo, hi};
  double dlo = INFINITY, dhi = -INFINITY;
  for (const auto& s : series)
    for (double v : is_x ? s.x : s.y)
      if (usable(v, axis.log)) {
        dlo = std::min(dlo, v);
        dhi = std::max(dhi, v);
      }
  if (!std::isnan(lo) && usable(lo, axis.log)) dlo = lo;
  if (!std::isnan(hi) && usable(hi, axis.log)) dhi = hi;
  if (axis.log) {
    if (!(dlo <= dhi)) return {1, 10};
    double a = std::pow(10.0, std::floor(std::log10(dlo))), b = std::pow(10.0, std::ceil(std::log10(dhi)));
    if (!(b > a)) b = a * 10;
    if (!std::isnan(lo) && usable(lo, true)) a = lo;
    if (!std::isnan(hi) && usable(hi, true)) b = hi;
    return {a, b > a ? b : a * 10};
  }
  if (!(dlo <= dhi)) return {0, 1};
  if (dhi == dlo) {
    double d = dlo == 0 ? 1 : std::fabs(dlo) * 0.1;
    dlo -= d;
    dhi += d;
  }
  double step = step_for(dhi - dlo, 6);
  double a = std::isnan(lo) ? std::floor(dlo / step + 1e-9) * step : lo;
  double b = std::isnan(hi) ? std::ceil(dhi / step - 1e-9) * step : hi;
  if (!(b > a)) b = a + step;
  return {a, b};
}

void draw_panel(Canvas& c, const Panel& p, const Rect& area) {
  auto [xlo, xhi] = axis_range(p.x, p.series, true);
  auto [ylo, yhi] = axis_range(p.y, p.series, false);
  Ticks yt = ticks_for(p.y, ylo, yhi, p.y.log ? 9 : 6);

  // Margins from the text they hold.
  double ytick_w = 0;
  for (double v : yt.major) ytick_w = std::max(ytick_w, text_width(tick_label(v, p.y.log), kTickScale));
  const double th = text_height(kTickScale), lh = text_height(kLabelScale);
  int left = static_cast<int>(10 + (p.y.label.empty() ? 0 : lh + 10) + ytick_w + 10);
  int bottom = static_cast<int>(8 + th + 8 + (p.x.label.empty() ? 0 : lh + 10));
  int top = static_cast<int>(10 + (p.title.empty() ? 0 : text_height(kTitleScale) + 10));
  int right = 20;
  Rect plot{area.x0 + left, area.y0 + top, area.x1 - right, area.y1 - bottom};
  if (plot.width() < 10 || plot.height() < 10) fail("plot panel '" + p.title + "' is too small");

  Scale sx{xlo, xhi, p.x.log, static_cast<double>(plot.x0), static_cast<double>(plot.x1 - 1)};
  Scale sy{ylo, yhi, p.y.log, static_cast<double>(plot.y1 - 1), static_cast<double>(plot.y0)};
  int xticks_target = std::max(2, plot.width() / 90);
  Ticks xt = ticks_for(p.x, xlo, xhi, xticks_target);

  // Grid, then data, then axes and labels on top.
  for (double v : xt.minor) c.fill_rect({(int)std::lround(sx(v)), plot.y0, (int)std::lround(sx(v)) + 1, plot.y1}, {242, 242, 242});
  for (double v : yt.minor) c.fill_rect({plot.x0, (int)std::lround(sy(v)), plot.x1, (int)std::lround(sy(v)) + 1}, {242, 242, 242});
  for (double v : xt.major) c.fill_rect({(int)std::lround(sx(v)), plot.y0, (int)std::lround(sx(v)) + 1, plot.y1}, kGrid);
  for (double v : yt.major) c.fill_rect({plot.x0, (int)std::lround(sy(v)), plot.x1, (int)std::lround(sy(v)) + 1}, kGrid);

  for (const auto& s : p.series) {
    if (s.x.size() != s.y.size())
      fail("plot series '" + s.name + "': x and y differ in length (" + std::to_string(s.x.size()) +
           " vs " + std::to_string(s.y.size()) + ")");
    std::vector<Point> pts(s.x.size());
    for (size_t i = 0; i < s.x.size(); ++i) {
      bool ok = usable(s.x[i], p.x.log) && usable(s.y[i], p.y.log);
      pts[i] = ok ? Point{sx(s.x[i]) + 0.5, sy(s.y[i]) + 0.5} : Point{NAN, NAN};
    }
    c.draw_polyline(pts, s.colour, s.width, plot, s.dash);
  }

  c.draw_rect({plot.x0 - 1, plot.y0 - 1, plot.x1 + 1, plot.y1 + 1}, kAxis);
  for (double v : xt.major) {
    int px = static_cast<int>(std::lround(sx(v)));
    c.fill_rect({px, plot.y1, px + 1, plot.y1 + 6}, kAxis);
    std::string s = tick_label(v, p.x.log);
    c.draw_text(px - text_width(s, kTickScale) / 2, plot.y1 + 9, s, kText, kTickScale);
  }
  for (double v : yt.major) {
    int py = static_cast<int>(std::lround(sy(v)));
    c.fill_rect({plot.x0 - 7, py, plot.x0, py + 1}, kAxis);
    std::string s = tick_label(v, p.y.log);
    c.draw_text(plot.x0 - 10 - text_width(s, kTickScale), py - 7 * kTickScale / 2, s, kText, kTickScale);
  }
  if (!p.x.label.empty())
    c.draw_text((plot.x0 + plot.x1) / 2.0 - text_width(p.x.label, kLabelScale) / 2,
                plot.y1 + 8 + th + 10, p.x.label, kBlack, kLabelScale);
  if (!p.y.label.empty())
    c.draw_text(area.x0 + 10, (plot.y0 + plot.y1) / 2.0 + text_width(p.y.label, kLabelScale) / 2,
                p.y.label, kBlack, kLabelScale, /*vertical=*/true);
  if (!p.title.empty()) {
    double x = (plot.x0 + plot.x1) / 2.0 - text_width(p.title, kTitleScale) / 2;
    double y = area.y0 + 10;
    c.draw_text(x, y, p.title, kBlack, kTitleScale);
    c.draw_text(x + 1, y, p.title, kBlack, kTitleScale);  // bold
  }
  draw_legend(c, p, plot);
}

Canvas render(const Figure& f) {
  Canvas c(f.width, f.height);
  int top = 0;
  if (!f.title.empty()) {
    double tw = text_width(f.title, kFigureTitleScale);
    c.draw_text((f.width - tw) / 2, 12, f.title, kBlack, kFigureTitleScale);
    c.draw_text((f.width - tw) / 2 + 1, 12, f.title, kBlack, kFigureTitleScale);
    top = static_cast<int>(12 + text_height(kFigureTitleScale) + 8);
  }
  int n = static_cast<int>(f.panels.size());
  if (n == 0) return c;
  int cols = f.columns > 0 ? std::min(f.columns, n) : n;
  int rows = (n + cols - 1) / cols;
  for (int i = 0; i < n; ++i) {
    int col = i % cols, row = i / cols;
    Rect area{col * f.width / cols, top + row * (f.height - top) / rows, (col + 1) * f.width / cols,
              top + (row + 1) * (f.height - top) / rows};
    draw_panel(c, f.panels[i], area);
  }
  return c;
}

void save_png(const Figure& f, const std::string& path) { render(f).save_png(path); }

}  // namespace dn::plot
