#pragma once
// What `detector train` does beside the optimisation itself: the chart of loss (and mAP with
// -map) against iteration, redrawn as training goes, and with -map the periodic evaluation on the
// .data's valid= list, keeping <backup>/<cfg>_best.weights whenever the mAP improves.
#include <memory>
#include <string>
#include <vector>

#include "cfg/data_file.hpp"
#include "detect/detector.hpp"
#include "train/trainer.hpp"

namespace dn {

class TrainMonitor {
 public:
  // From the training's own setup (nothing is read again). chart_path "" draws no chart; with
  // progress, each evaluation is also a -progress line.
  TrainMonitor(const TrainSetup& setup, const std::string& cfg_path, bool calc_map, std::string chart_path,
               ProgressLog* progress = nullptr);
  void on_iteration(Network& net, int iteration, float avg_loss);
  double best_map() const { return best_map_; }
  int map_every() const { return map_every_; }

 private:
  void evaluate(Network& net, int iteration);
  void draw();

  DataConfig data_;
  std::string cfg_path_, chart_path_;
  std::vector<std::string> names_;
  bool calc_map_;
  int map_every_, burn_in_, max_batches_;
  ProgressLog* progress_;
  std::unique_ptr<Detector> detector_;  // an inference copy of the network (batch 1)
  std::vector<double> loss_x_, loss_y_, map_x_, map_y_;
  double best_map_ = -1;
  int best_iteration_ = 0;
};

}  // namespace dn
