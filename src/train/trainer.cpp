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

TrainResult train_detector(const TrainOptions& o) {
  // SIGINT/SIGTERM end the run after the current iteration, saving _last. Taken before any thread
  // (loader, OpenMP workers) starts, so that they all inherit the blocked mask (core/stop_signals.hpp).
  StopSignals stop_signals;
  DataConfig data = read_data_file(o.data_path);
  if (data.train.empty()) fail_at(o.data_path, 0, "missing 'train=' (the list of training images)");
  std::vector<std::string> paths = read_image_list(data.train, dirname_of(data.train));
  if (paths.empty()) fail_at(data.train, 0, "the training list is empty");

  CfgFile cfg = parse_cfg(o.cfg_path);
  auto net = build_network(cfg, 0);  // mini-batch = batch / subdivisions
  NetParams& p = net->params;
  const int mini_batch = net->batch;
  if (o.max_batches > 0) p.max_batches = o.max_batches;
  if (p.max_batches <= 0) fail_at(o.cfg_path, cfg.sections[0].line, "[net] max_batches must be set for training");
  auto yolos = net->yolo_layers();
  if (yolos.empty()) fail_at(o.cfg_path, 0, "no [yolo] layer: nothing to train a detector with");
  for (YoloLayer* y : yolos)
    if (y->classes != data.classes)
      fail_at(o.cfg_path, 0, "[yolo] classes=" + std::to_string(y->classes) + " but " + o.data_path + " says classes=" +
                                 std::to_string(data.classes));

  const uint64_t seed = o.seeded ? o.seed : static_cast<uint64_t>(std::time(nullptr));
  init_network_weights(*net, seed);
  WeightsInfo info;
  if (!o.weights_path.empty()) {
    load_weights(*net, o.weights_path, -1, &info);
    if (info.loaded == 0)
      fail_at(o.weights_path, 0, "holds no layer's weights (only the header; the cfg has " +
                                     std::to_string(info.expected) + " layers with weights): truncated?");
  }
  if (o.clear) net->seen = 0;
  // The iteration the weights were saved at (64-bit: seen is a 64-bit count read from the file).
  const int64_t start_iteration = static_cast<int64_t>(net->seen / static_cast<uint64_t>(p.batch));
  if (start_iteration > p.max_batches)
    fail_at(o.weights_path, 0, "its header says " + std::to_string(net->seen) + " images seen, i.e. iteration " +
                                   std::to_string(start_iteration) + " at batch=" + std::to_string(p.batch) +
                                   ", beyond max_batches=" + std::to_string(p.max_batches) +
                                   ": add -clear to train from these weights from iteration 0 (or raise max_batches/-iterations)");
  if (!o.weights_path.empty()) {
    if (info.loaded < info.expected)
      std::fprintf(stderr, "Loaded %d of the %d layers with weights from %s (a partial backbone, up to layer %d; "
                           "the other layers start from their initialisation)\n",
                   info.loaded, info.expected, o.weights_path.c_str(), info.last_loaded);
    else
      std::fprintf(stderr, "Loaded all %d layers with weights from %s\n", info.loaded, o.weights_path.c_str());
  }
  std::fprintf(stderr, "Learning Rate: %g, Momentum: %g, Decay: %g, seed %llu\n", p.learning_rate, p.momentum,
               p.decay, static_cast<unsigned long long>(seed));
  // The CPU or a GPU (docs/cuda.md), and the optimizer over its copy of the parameters.
  std::unique_ptr<TrainEngine> engine = make_train_engine(*net);
  Sgd sgd(engine->params());

  AugmentParams aug;
  aug.w = p.width;
  aug.h = p.height;
  aug.jitter = yolos.back()->jitter;
  aug.hue = p.hue;
  aug.saturation = p.saturation;
  aug.exposure = p.exposure;
  aug.flip = p.flip != 0;
  aug.letterbox = p.letter_box != 0;
  // A resumed run (weights with images seen, no -clear) continues exactly where it stopped: the
  // loader at the batch it had reached, the multi-scale draws replayed, the momentum reloaded
  // from <weights>.state (train/optimizer_state.hpp).
  int iteration = static_cast<int>(start_iteration);  // <= max_batches, checked above
  const int base_w = p.width;
  const bool random = yolos.back()->random != 0;
  Rng scale_rng(seed ^ 0x5CA1Eull);
  if (random && iteration > 0) {  // replay the draws of the iterations already done
    int s = p.width;
    for (int64_t it = 0; it < iteration && !StopSignals::received(); it += 10) s = random_size(base_w, scale_rng);
    if (iteration % 10 != 0 && s != p.width) {
      net->resize(s, s);
      aug.w = aug.h = s;  // the loader's first batch is then built at this size
    }
  }
  BadList bad("bad.list");
  Loader loader(paths, data.classes, mini_batch, aug, seed, &bad, static_cast<int64_t>(iteration) * p.subdivisions);

  std::filesystem::create_directories(data.backup.empty() ? "." : data.backup);
  const std::string last_path = backup_weights_path(data.backup, o.cfg_path, "last");
  if (iteration > 0 && !o.weights_path.empty()) {
    // The state saved with these weights: <weights>.state, or <weights>.state.prev when a kill
    // came between the two renames of save_last below (the state is checked against the weights'
    // images-seen count, so only the matching one loads).
    const std::string state_path = optimizer_state_path(o.weights_path);
    std::string why, why_prev;
    if (load_optimizer_state(sgd, net->seen, state_path, &why))
      std::fprintf(stderr, "Resuming at iteration %d with the momentum of %s\n", iteration, state_path.c_str());
    else if (load_optimizer_state(sgd, net->seen, state_path + ".prev", &why_prev)) {
      std::fprintf(stderr, "Resuming at iteration %d with the momentum of %s.prev\n", iteration, state_path.c_str());
      // Back to a matching pair on disk before the next save rotates the files again.
      std::error_code ec;
      std::filesystem::rename(state_path + ".prev", state_path, ec);
    } else
      std::fprintf(stderr, "Resuming at iteration %d: momentum starts at zero (%s)\n", iteration, why.c_str());
  }
  // _last.weights and, beside it, the optimizer state it continues with. Each file is written to
  // a temporary name and renamed; the pair stays consistent through a kill at any moment because
  // the state of the weights being replaced is kept as .state.prev until the new weights are in
  // place: (weights S0, state S0) -> (S0, prev S0) -> (S0, state S1, prev S0) -> (S1, S1, prev S0)
  // -> (S1, S1). Whichever weights survive, .state or .state.prev matches them.
  bool saved_last = false;  // a NaN loss names _last.weights only if this run wrote it
  // _last every 100 iterations as Darknet; DN_LAST_EVERY=N (N >= 1) changes it (the kill -9 test
  // saves every iteration to land its kills inside the writes).
  int last_every = 100;
  if (const char* e = std::getenv("DN_LAST_EVERY")) {
    int v = 0;
    if (!parse_int(e, v) || v < 1) fail("DN_LAST_EVERY=" + quote_input(e) + ": must be an integer >= 1");
    last_every = v;
  }
  auto save_last = [&] {
    const std::string state_path = optimizer_state_path(last_path), prev_path = state_path + ".prev";
    std::error_code ec;
    if (std::filesystem::exists(state_path, ec)) std::filesystem::rename(state_path, prev_path, ec);
    save_optimizer_state(sgd, net->seen, state_path);
    save_weights(*net, last_path);
    saved_last = true;
    std::filesystem::remove(prev_path, ec);
  };

  TrainResult result;
  float avg_loss = -1;
  auto t_start = std::chrono::steady_clock::now();
  double avg_time = -1;
  while (iteration < p.max_batches) {
    if (StopSignals::received()) {
      result.interrupted = true;
      break;
    }
    if (random && iteration % 10 == 0) {
      int s = random_size(base_w, scale_rng);
      if (s != p.width) {
        net->resize(s, s);
        loader.set_size(s, s);
      }
    }
    auto t0 = std::chrono::steady_clock::now();
    double loss_sum = 0;
    for (int sub = 0; sub < p.subdivisions; ++sub) {
      Batch b = loader.next();
      if (b.w != p.width || b.h != p.height) fail("internal: batch size differs from the network input");
      std::vector<std::vector<Truth>> truths(b.n);
      for (int i = 0; i < b.n; ++i)
        for (const LabelBox& lb : b.truths[i]) truths[i].push_back({lb.cls, lb.box});
      loss_sum += engine->forward_backward(b.images.data(), truths);
    }
    const float rate = learning_rate_at(p, iteration);
    const float loss = static_cast<float>(loss_sum / p.batch);
    if (!std::isfinite(loss)) {
      const std::string good =
          saved_last ? "the last good weights are in " + last_path
          : o.weights_path.empty()
              ? "no weights were saved yet (" + last_path + " is written every 100 iterations)"
              : "no weights were saved yet; the weights it started from are in " + o.weights_path;
      fail("loss is " + std::string(std::isnan(loss) ? "NaN" : "infinite") + " at iteration " +
           std::to_string(iteration + 1) + ": training stopped; " + good +
           " (try a lower learning_rate or a longer burn_in)");
    }
    sgd.step({p.batch, rate, p.momentum, p.decay});
    iteration = static_cast<int>(net->seen / static_cast<uint64_t>(p.batch));
    avg_loss = avg_loss < 0 ? loss : avg_loss * .9f + loss * .1f;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    avg_time = avg_time < 0 ? secs : avg_time * .9 + secs * .1;
    double hours_left = (p.max_batches - iteration) * avg_time / 3600.0;
    if (!o.quiet)
      for (YoloLayer* y : yolos) std::printf("%s\n", y->stats_line().c_str());
    std::printf("%d: %f, %f avg loss, %f rate, %lf seconds, %llu images, %f hours left\n", iteration, loss, avg_loss,
                rate, secs, static_cast<unsigned long long>(net->seen), hours_left);
    std::fflush(stdout);
    result.last_loss = loss;
    // The host needs the weights to save them, and for -map (on_iteration evaluates them).
    const bool save_now = iteration % last_every == 0, save_thousand = iteration % 1000 == 0;
    if (o.calc_map || save_now || save_thousand) engine->weights_to_host();
    if (o.on_iteration) o.on_iteration(*net, iteration, avg_loss);
    if (save_now) save_last();
    if (save_thousand) save_weights(*net, backup_weights_path(data.backup, o.cfg_path, std::to_string(iteration)));
  }
  result.iterations = iteration;
  result.avg_loss = avg_loss;
  engine->weights_to_host();
  if (result.interrupted) {
    save_last();
    result.final_weights = last_path;
    std::fprintf(stderr, "Interrupted by signal %d at iteration %d: saved %s\n", StopSignals::received(),
                 iteration, last_path.c_str());
  } else {
    result.final_weights = backup_weights_path(data.backup, o.cfg_path, "final");
    save_weights(*net, result.final_weights);
    save_last();
  }
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  std::fprintf(stderr, "Saved %s (%.1f s of training)\n", result.final_weights.c_str(), total);
  return result;
}

}  // namespace dn
