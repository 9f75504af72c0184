#include "train/trainer.hpp"

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "cfg/cfg.hpp"
#include "cfg/data_file.hpp"
#include "core/error.hpp"
#include "core/stop_signals.hpp"
#include "data/loader.hpp"
#include "layers/yolo.hpp"
#include "network/network.hpp"
#include "train/engine.hpp"
#include "train/init.hpp"
#include "train/optimizer_state.hpp"
#include "train/schedule.hpp"
#include "train/sgd.hpp"

namespace dn {

namespace {

std::string base_name(const std::string& path) {
  std::string b = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  size_t dot = b.rfind('.');
  return dot == std::string::npos ? b : b.substr(0, dot);
}

// Multi-scale training: a new square input size every 10 iterations, from 10/13 to 19/13 of the
// cfg's size (320..608 for 416) in steps of 32.
int random_size(int base, Rng& rng) {
  int lo = std::max(32, (base * 10 / 13) / 32 * 32);
  int hi = std::max(lo, (base * 19 / 13 + 31) / 32 * 32);
  int steps = (hi - lo) / 32 + 1;
  return lo + 32 * static_cast<int>(rng.below(steps));
}

}  // namespace

std::string backup_weights_path(const std::string& backup_dir, const std::string& cfg_path, const std::string& suffix) {
  std::string dir = backup_dir.empty() ? "." : backup_dir;
  if (dir.back() == '/') dir.pop_back();
  return dir + "/" + base_name(cfg_path) + "_" + suffix + ".weights";
}

TrainSetup load_train_setup(const TrainOptions& o) {
  TrainSetup s;
  s.data = read_data_file(o.data_path);
  if (s.data.train.empty()) fail_at(o.data_path, 0, "missing 'train=' (the list of training images)");
  s.train_paths = read_image_list(s.data.train, dirname_of(s.data.train));
  if (s.train_paths.empty()) fail_at(s.data.train, 0, "the training list is empty");
  s.cfg = parse_cfg(o.cfg_path);
  // parse_cfg has checked that the first section is [net]
  s.params = parse_net_section(s.cfg.sections[0]);
  if (o.max_batches > 0) s.params.max_batches = o.max_batches;
  return s;
}

CheckpointPolicy CheckpointPolicy::from_environment() {
  CheckpointPolicy c;
  // The kill -9 test saves every iteration to land its kills inside the writes.
  if (const char* e = std::getenv("DN_LAST_EVERY")) {
    int v = 0;
    if (!parse_int(e, v) || v < 1) fail("DN_LAST_EVERY=" + quote_input(e) + ": must be an integer >= 1");
    c.last_every = v;
  }
  return c;
}

namespace {

// One training run: the parts of train_detector.
class Run {
 public:
  Run(const TrainOptions& o, const TrainSetup& s) : o_(o), s_(s), checkpoints_(CheckpointPolicy::from_environment()) {}

  // The network, its weights, the engine and optimizer, the loader; resumes where the weights say.
  void setup();
  // One iteration: subdivisions x (load, forward, backward), then the optimizer step.
  IterationReport step();
  // After an iteration: the host weights for whoever reads them, then the checkpoints due.
  void after(const IterationReport& r);
  TrainResult finish(bool interrupted);
  bool done() const { return iteration_ >= net_->params.max_batches; }
  const std::vector<YoloLayer*>& yolos() const { return yolos_; }

 private:
  void resume_momentum();
  void save_last();

  const TrainOptions& o_;
  const TrainSetup& s_;
  CheckpointPolicy checkpoints_;
  std::unique_ptr<Network> net_;
  std::unique_ptr<TrainEngine> engine_;
  std::unique_ptr<Sgd> sgd_;
  std::unique_ptr<BadList> bad_;
  std::unique_ptr<Loader> loader_;
  std::unique_ptr<Rng> scale_rng_;
  std::vector<YoloLayer*> yolos_;
  std::string last_path_;
  int iteration_ = 0, base_w_ = 0;
  bool random_ = false;
  bool saved_last_ = false;  // a NaN loss names _last.weights only if this run wrote it
  float avg_loss_ = -1, last_loss_ = 0;
  double avg_time_ = -1;
  std::chrono::steady_clock::time_point t_start_ = std::chrono::steady_clock::now();
};

void Run::setup() {
  net_ = build_network(s_.cfg, 0);  // mini-batch = batch / subdivisions
  NetParams& p = net_->params;
  p.max_batches = s_.params.max_batches;
  if (p.max_batches <= 0) fail_at(o_.cfg_path, s_.cfg.sections[0].line, "[net] max_batches must be set for training");
  yolos_ = net_->yolo_layers();
  if (yolos_.empty()) fail_at(o_.cfg_path, 0, "no [yolo] layer: nothing to train a detector with");
  for (YoloLayer* y : yolos_)
    if (y->classes != s_.data.classes)
      fail_at(o_.cfg_path, 0, "[yolo] classes=" + std::to_string(y->classes) + " but " + o_.data_path +
                                  " says classes=" + std::to_string(s_.data.classes));

  const uint64_t seed = o_.seeded ? o_.seed : static_cast<uint64_t>(std::time(nullptr));
  init_network_weights(*net_, seed);
  WeightsInfo info;
  if (!o_.weights_path.empty()) {
    load_weights(*net_, o_.weights_path, -1, &info);
    if (info.loaded == 0)
      fail_at(o_.weights_path, 0, "holds no layer's weights (only the header; the cfg has " +
                                      std::to_string(info.expected) + " layers with weights): truncated?");
  }
  if (o_.clear) net_->seen = 0;
  // The iteration the weights were saved at (64-bit: seen is a 64-bit count read from the file).
  const int64_t start_iteration = static_cast<int64_t>(net_->seen / static_cast<uint64_t>(p.batch));
  if (start_iteration > p.max_batches)
    fail_at(o_.weights_path, 0, "its header says " + std::to_string(net_->seen) + " images seen, i.e. iteration " +
                                    std::to_string(start_iteration) + " at batch=" + std::to_string(p.batch) +
                                    ", beyond max_batches=" + std::to_string(p.max_batches) +
                                    ": add -clear to train from these weights from iteration 0 (or raise max_batches/-iterations)");
  if (!o_.weights_path.empty()) {
    if (info.loaded < info.expected)
      std::fprintf(stderr, "Loaded %d of the %d layers with weights from %s (a partial backbone, up to layer %d; "
                           "the other layers start from their initialisation)\n",
                   info.loaded, info.expected, o_.weights_path.c_str(), info.last_loaded);
    else
      std::fprintf(stderr, "Loaded all %d layers with weights from %s\n", info.loaded, o_.weights_path.c_str());
  }
  std::fprintf(stderr, "Learning Rate: %g, Momentum: %g, Decay: %g, seed %llu\n", p.learning_rate, p.momentum,
               p.decay, static_cast<unsigned long long>(seed));
  // The CPU or a GPU (docs/cuda.md), and the optimizer over its copy of the parameters.
  engine_ = make_train_engine(*net_);
  sgd_ = std::make_unique<Sgd>(engine_->params());

  AugmentParams aug;
  aug.w = p.width;
  aug.h = p.height;
  aug.jitter = yolos_.back()->jitter;
  aug.hue = p.hue;
  aug.saturation = p.saturation;
  aug.exposure = p.exposure;
  aug.flip = p.flip != 0;
  aug.letterbox = p.letter_box != 0;
  // A resumed run (weights with images seen, no -clear) continues exactly where it stopped: the
  // loader at the batch it had reached, the multi-scale draws replayed, the momentum reloaded
  // from <weights>.state (train/optimizer_state.hpp).
  iteration_ = static_cast<int>(start_iteration);  // <= max_batches, checked above
  base_w_ = p.width;
  random_ = yolos_.back()->random != 0;
  scale_rng_ = std::make_unique<Rng>(seed ^ 0x5CA1Eull);
  if (random_ && iteration_ > 0) {  // replay the draws of the iterations already done
    int sz = p.width;
    for (int64_t it = 0; it < iteration_ && !StopSignals::received(); it += 10) sz = random_size(base_w_, *scale_rng_);
    if (iteration_ % 10 != 0 && sz != p.width) {
      net_->resize(sz, sz);
      aug.w = aug.h = sz;  // the loader's first batch is then built at this size
    }
  }
  bad_ = std::make_unique<BadList>("bad.list");
  loader_ = std::make_unique<Loader>(s_.train_paths, s_.data.classes, net_->batch, aug, seed, bad_.get(),
                                     static_cast<int64_t>(iteration_) * p.subdivisions);
  std::filesystem::create_directories(s_.data.backup.empty() ? "." : s_.data.backup);
  last_path_ = backup_weights_path(s_.data.backup, o_.cfg_path, "last");
  if (iteration_ > 0 && !o_.weights_path.empty()) resume_momentum();
}

void Run::resume_momentum() {
  // The state saved with these weights: <weights>.state, or <weights>.state.prev when a kill came
  // between the two renames of save_last (the state is checked against the weights' images-seen
  // count, so only the matching one loads).
  const std::string state_path = optimizer_state_path(o_.weights_path);
  std::string why, why_prev;
  if (load_optimizer_state(*sgd_, net_->seen, state_path, &why))
    std::fprintf(stderr, "Resuming at iteration %d with the momentum of %s\n", iteration_, state_path.c_str());
  else if (load_optimizer_state(*sgd_, net_->seen, state_path + ".prev", &why_prev)) {
    std::fprintf(stderr, "Resuming at iteration %d with the momentum of %s.prev\n", iteration_, state_path.c_str());
    // Back to a matching pair on disk before the next save rotates the files again.
    std::error_code ec;
    std::filesystem::rename(state_path + ".prev", state_path, ec);
  } else
    std::fprintf(stderr, "Resuming at iteration %d: momentum starts at zero (%s)\n", iteration_, why.c_str());
}

// _last.weights and, beside it, the optimizer state it continues with. Each file is written to a
// temporary name and renamed; the pair stays consistent through a kill at any moment because the
// state of the weights being replaced is kept as .state.prev until the new weights are in place:
// (weights S0, state S0) -> (S0, prev S0) -> (S0, state S1, prev S0) -> (S1, S1, prev S0) ->
// (S1, S1). Whichever weights survive, .state or .state.prev matches them.
void Run::save_last() {
  const std::string state_path = optimizer_state_path(last_path_), prev_path = state_path + ".prev";
  std::error_code ec;
  if (std::filesystem::exists(state_path, ec)) std::filesystem::rename(state_path, prev_path, ec);
  save_optimizer_state(*sgd_, net_->seen, state_path);
  save_weights(*net_, last_path_);
  saved_last_ = true;
  std::filesystem::remove(prev_path, ec);
}

IterationReport Run::step() {
  NetParams& p = net_->params;
  if (random_ && iteration_ % 10 == 0) {
    int sz = random_size(base_w_, *scale_rng_);
    if (sz != p.width) {
      net_->resize(sz, sz);
      loader_->set_size(sz, sz);
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  double loss_sum = 0, box = 0, obj = 0, cls = 0;
  for (int sub = 0; sub < p.subdivisions; ++sub) {
    Batch b = loader_->next();
    if (b.w != p.width || b.h != p.height) fail("internal: batch size differs from the network input");
    std::vector<std::vector<Truth>> truths(b.n);
    for (int i = 0; i < b.n; ++i)
      for (const LabelBox& lb : b.truths[i]) truths[i].push_back({lb.cls, lb.box});
    engine_->forward_backward(b.images.data(), truths);
    double pass = 0;
    for (auto& l : net_->layers) pass += l->loss();
    loss_sum += pass;
    for (YoloLayer* y : yolos_) {
      box += y->stats.box_loss;
      obj += y->stats.obj_loss;
      cls += y->stats.cls_loss;
    }
  }
  const float rate = learning_rate_at(p, iteration_);
  const float loss = static_cast<float>(loss_sum / p.batch);
  if (!std::isfinite(loss)) {
    const std::string good =
        saved_last_ ? "the last good weights are in " + last_path_
        : o_.weights_path.empty()
            ? "no weights were saved yet (" + last_path_ + " is written every " +
                  std::to_string(checkpoints_.last_every) + " iterations)"
            : "no weights were saved yet; the weights it started from are in " + o_.weights_path;
    fail("loss is " + std::string(std::isnan(loss) ? "NaN" : "infinite") + " at iteration " +
         std::to_string(iteration_ + 1) + ": training stopped; " + good +
         " (try a lower learning_rate or a longer burn_in)");
  }
  sgd_->step({p.batch, rate, p.momentum, p.decay});
  iteration_ = static_cast<int>(net_->seen / static_cast<uint64_t>(p.batch));
  avg_loss_ = avg_loss_ < 0 ? loss : avg_loss_ * .9f + loss * .1f;
  last_loss_ = loss;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  avg_time_ = avg_time_ < 0 ? secs : avg_time_ * .9 + secs * .1;
  IterationReport r;
  r.iteration = iteration_;
  r.loss = loss;
  r.avg_loss = avg_loss_;
  r.rate = rate;
  r.box_loss = box / p.batch;
  r.obj_loss = obj / p.batch;
  r.cls_loss = cls / p.batch;
  r.seconds = secs;
  r.hours_left = (p.max_batches - iteration_) * avg_time_ / 3600.0;
  r.images = net_->seen;
  return r;
}

void Run::after(const IterationReport& r) {
  const bool save_last_now = r.iteration % checkpoints_.last_every == 0;
  const bool save_numbered = r.iteration % checkpoints_.numbered_every == 0;
  // The host needs the weights to save them, and for -map (on_iteration evaluates them).
  if (o_.calc_map || save_last_now || save_numbered) engine_->weights_to_host();
  if (o_.on_iteration) o_.on_iteration(*net_, r.iteration, r.avg_loss);
  if (save_last_now) save_last();
  if (save_numbered) save_weights(*net_, backup_weights_path(s_.data.backup, o_.cfg_path, std::to_string(r.iteration)));
}

TrainResult Run::finish(bool interrupted) {
  TrainResult result;
  result.interrupted = interrupted;
  result.iterations = iteration_;
  result.avg_loss = avg_loss_;
  result.last_loss = last_loss_;
  engine_->weights_to_host();
  if (interrupted) {
    save_last();
    result.final_weights = last_path_;
    std::fprintf(stderr, "Interrupted by signal %d at iteration %d: saved %s\n", StopSignals::received(), iteration_,
                 last_path_.c_str());
  } else {
    result.final_weights = backup_weights_path(s_.data.backup, o_.cfg_path, "final");
    save_weights(*net_, result.final_weights);
    save_last();
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start_).count();
  std::fprintf(stderr, "Saved %s (%.1f s of training)\n", result.final_weights.c_str(), total);
  return result;
}

}  // namespace

TrainResult train_detector(const TrainOptions& o, const TrainSetup& setup) {
  // SIGINT/SIGTERM end the run after the current iteration, saving _last. Taken before any thread
  // (loader, OpenMP workers) starts, so that they all inherit the blocked mask (core/stop_signals.hpp).
  StopSignals stop_signals;
  Run run(o, setup);
  run.setup();
  while (!run.done()) {
    if (StopSignals::received()) return run.finish(true);
    const IterationReport r = run.step();
    if (!o.quiet)
      for (YoloLayer* y : run.yolos()) std::printf("%s\n", y->stats_line().c_str());
    std::printf("%d: %f, %f avg loss, %f rate, %lf seconds, %llu images, %f hours left\n", r.iteration, r.loss,
                r.avg_loss, r.rate, r.seconds, static_cast<unsigned long long>(r.images), r.hours_left);
    std::fflush(stdout);
    if (o.progress) o.progress->iteration(r);
    run.after(r);
  }
  return run.finish(false);
}

TrainResult train_detector(const TrainOptions& o) { return train_detector(o, load_train_setup(o)); }

}  // namespace dn
