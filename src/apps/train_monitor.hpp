#pragma once
// What `detector train` does beside the optimisation itself: the chart of loss (and mAP with
// -map) against iteration, redrawn as training goes, and with -map the periodic evaluation on the
// .data's valid= list, keeping <backup>/<cfg>_best.weights whenever the mAP improves.
#include <memory>
#include <string>
#include <vector>

#include "cfg/data_file.hpp"
#include "detect/detector.hpp"

namespace dn {

class TrainMonitor {
 public:
  // chart_path "" draws no chart. map_every: iterations between evaluations (with -map).
  TrainMonitor(const DataConfig& data, const std::string& cfg_path, bool calc_map, int train_images, int batch,
               int burn_in, int max_batches, std::string chart_path);
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
  std::unique_ptr<Detector> detector_;  // an inference copy of the network (batch 1)
  std::vector<double> loss_x_, loss_y_, map_x_, map_y_;
  double best_map_ = -1;
  int best_iteration_ = 0;
};

}  // namespace dn
