#pragma once
// Line charts: panels with axes, ticks, grid, labels, titles, legends, linear or log scales;
// a figure lays panels out in a grid. Used for the loss-shape plot and the training chart.
#include <cmath>
#include <string>
#include <vector>

#include "plot/canvas.hpp"

namespace dn::plot {

struct Series {
  std::string name;          // legend entry ("" leaves it out of the legend)
  std::vector<double> x, y;  // same length; a non-finite value (or <= 0 on a log axis) breaks the line
  rgb colour;
  double width = 2;  // pixels
  double dash = 0;   // > 0: dashed with dashes and gaps this many pixels long
};

struct Axis {
  std::string label;
  bool log = false;
  double min = NAN, max = NAN;  // NAN: from the data
};

enum class LegendPlace { none, top_right, top_left, bottom_right, bottom_left };

struct Panel {
  std::string title;
  Axis x, y;
  std::vector<Series> series;
  LegendPlace legend = LegendPlace::top_right;
};

struct Figure {
  std::string title;  // above all panels ("" for none)
  int width = 1200, height = 600;
  int columns = 0;  // panels per row; 0 puts all in one row
  std::vector<Panel> panels;
};

// Distinct line colours, cycling after 10.
rgb palette(int i);

// Draws the figure on a new canvas / into a PNG (temporary file + rename; throws dn::Error).
Canvas render(const Figure& figure);
void save_png(const Figure& figure, const std::string& path);
// Draws one panel, with its labels, inside `area` of the canvas.
void draw_panel(Canvas& canvas, const Panel& panel, const Rect& area);

// The axis range actually drawn: the set limits, or the data's rounded out to ticks (decades on
// a log axis). Returns {lo, hi} with lo < hi.
std::pair<double, double> axis_range(const Axis& axis, const std::vector<Series>& series, bool is_x);
// Tick positions within [lo, hi]: "nice" steps of 1, 2 or 5 times a power of ten, about `target`
// of them; on a log axis decades (every k-th when there are many), with 2 and 5 added when the
// range spans at most two decades.
std::vector<double> linear_ticks(double lo, double hi, int target = 6);
std::vector<double> log_ticks(double lo, double hi, int max_ticks = 8);
std::string tick_label(double v, bool log);

}  // namespace dn::plot
