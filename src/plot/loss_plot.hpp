#pragma once
// `darknet loss_plot`: the shape of every loss for a positive example, as a PNG and a CSV.
#include <string>
#include <vector>

#include "plot/canvas.hpp"

namespace dn {

// darknet loss_plot [-out loss_shape.png] [-csv losses.csv]
// argv as main() receives it: argv[0] is the program; a following "loss_plot" is skipped. Draws
// loss and |dL/dx| against p_t for a positive (x = logit(p_t)), two panels, to -out (default
// loss_shape.png) and, with -csv, writes the values. Files appear whole (temporary + rename).
// Returns 0, 2 for bad flags (one message on stderr), 1 when a file cannot be written.
int run_loss_plot(int argc, char** argv);

// The plotted curves, with alpha_t = 1 so that shapes compare (as in Lin et al. 2017, Fig. 1).
struct LossShapeCurve {
  std::string name;   // CSV column prefix, e.g. "focal_g2"
  std::string label;  // legend text
  std::vector<double> loss, grad;  // at each p_t; grad is |dL/dx|
  plot::rgb colour;
  double dash = 0;
};
std::vector<double> loss_shape_grid();  // p_t = i/400, i = 1..399
std::vector<LossShapeCurve> loss_shape_curves(const std::vector<double>& p_t);

constexpr int kLossPlotWidth = 1400, kLossPlotHeight = 620;

}  // namespace dn
