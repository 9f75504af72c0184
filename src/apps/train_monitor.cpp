#include "apps/train_monitor.hpp"

#include <cmath>
#include <cstdio>

#include "apps/apps.hpp"
#include "apps/validation.hpp"
#include "core/error.hpp"
#include "eval/map.hpp"
#include "plot/chart.hpp"
#include "train/trainer.hpp"

namespace dn {

TrainMonitor::TrainMonitor(const TrainSetup& setup, const std::string& cfg_path, bool calc_map, std::string chart_path,
                           ProgressLog* progress)
    : data_(setup.data), cfg_path_(cfg_path), chart_path_(std::move(chart_path)), calc_map_(calc_map),
      burn_in_(setup.params.burn_in), max_batches_(setup.params.max_batches), progress_(progress) {
  // Every max(100 iterations, 4 epochs), as Darknet users know it.
  const int train_images = static_cast<int>(setup.train_paths.size()), batch = std::max(1, setup.params.batch);
  const int epoch = std::max(1, (train_images + batch - 1) / batch);
  map_every_ = std::max(100, 4 * epoch);
  if (calc_map_) {
    if (data_.valid.empty()) fail_at(data_.path, 0, "-map needs 'valid=' (the list of validation images)");
    names_ = names_for(data_);
    auto net = build_network(setup.cfg, 1);
    bool letterbox = net->params.letter_box != 0;
    detector_ = std::make_unique<Detector>(std::move(net), letterbox);
  }
}

void TrainMonitor::on_iteration(Network& net, int iteration, float avg_loss) {
  loss_x_.push_back(iteration);
  loss_y_.push_back(avg_loss);
  bool eval_now = calc_map_ && iteration >= burn_in_ &&
                  (iteration % map_every_ == 0 || iteration == max_batches_);
  if (eval_now) evaluate(net, iteration);
  if (eval_now || iteration % 10 == 0 || iteration == max_batches_) draw();
}

void TrainMonitor::evaluate(Network& net, int iteration) {
  copy_weights(net, detector_->network());
  MapOptions opts;
  MapResult r = compute_map(*detector_, data_.valid, data_.classes, names_, opts, true);
  map_x_.push_back(iteration);
  map_y_.push_back(r.map50);
  std::printf("\n mean average precision (mAP@0.50) = %f at iteration %d (best %f)\n", r.map50, iteration,
              std::max(best_map_, r.map50));
  if (progress_) progress_->map(iteration, r.map50, std::max(best_map_, r.map50));
  if (r.map50 > best_map_) {
    best_map_ = r.map50;
    best_iteration_ = iteration;
    std::string best = backup_weights_path(data_.backup, cfg_path_, "best");
    save_weights(detector_->network(), best);
    std::printf(" New best mAP, saved %s\n", best.c_str());
  }
  std::fflush(stdout);
}

void TrainMonitor::draw() {
  if (chart_path_.empty()) return;
  plot::Figure fig;
  fig.width = 1200;
  fig.height = 500;
  fig.title = cfg_path_;
  plot::Panel loss;
  loss.title = "avg loss";
  loss.x.label = "iteration";
  loss.y.label = "loss";
  loss.x.min = 0;
  loss.x.max = std::max(1, max_batches_);
  loss.series.push_back({"avg loss", loss_x_, loss_y_, plot::palette(0)});
  loss.legend = plot::LegendPlace::none;
  fig.panels.push_back(loss);
  if (calc_map_) {
    plot::Panel map;
    char title[96];
    if (best_map_ >= 0)
      std::snprintf(title, sizeof title, "mAP@0.5 on valid (best %.2f%% at %d)", 100 * best_map_, best_iteration_);
    else
      std::snprintf(title, sizeof title, "mAP@0.5 on valid (from iteration %d)", std::max(burn_in_, map_every_));
    map.title = title;
    map.x.label = "iteration";
    map.y.label = "mAP@0.5";
    map.x.min = 0;
    map.x.max = std::max(1, max_batches_);
    map.y.min = 0;
    map.y.max = 1;
    map.series.push_back({"mAP@0.5", map_x_, map_y_, plot::palette(3)});
    map.legend = plot::LegendPlace::none;
    fig.panels.push_back(map);
  }
  try {
    plot::save_png(fig, chart_path_);
  } catch (const Error& e) {
    std::fprintf(stderr, "warning: %s\n", e.what());
  }
}

}  // namespace dn
