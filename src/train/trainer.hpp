#pragma once
// `darknet detector train`: the training loop with Darknet's semantics (compat.md), in parts:
// the setup read from the files once (TrainSetup), the run (network, weights, engine, optimizer,
// loader, resume), one iteration at a time (IterationReport), the checkpoints (CheckpointPolicy),
// and the progress for programs (train/progress.hpp). Evaluation during training (-map) and the
// chart hang off on_iteration (apps/train_monitor.hpp).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cfg/cfg.hpp"
#include "cfg/data_file.hpp"
#include "network/network.hpp"
#include "train/progress.hpp"

namespace dn {

struct TrainOptions {
  std::string data_path, cfg_path, weights_path;  // weights optional
  bool clear = false;        // restart the iteration counter (fine-tuning)
  bool seeded = false;       // -seed given
  uint64_t seed = 0;
  bool calc_map = false;     // -map
  int max_batches = -1;      // override [net] max_batches when > 0 (-iterations N)
  bool quiet = false;        // no per-layer statistics lines
  // Called after every weight update with (iteration, avg loss); used by -map and tests.
  std::function<void(Network&, int, float)> on_iteration;
  ProgressLog* progress = nullptr;  // -progress: a JSON line per iteration (none when null)
};

// What training reads from its files, once: the .data, the cfg, the training list, the [net]
// parameters with max_batches after -iterations. Throws dn::Error naming the file and key.
struct TrainSetup {
  DataConfig data;
  CfgFile cfg;
  std::vector<std::string> train_paths;
  NetParams params;
};
TrainSetup load_train_setup(const TrainOptions& opts);

// When the weights are written to <backup>: _last (with its optimizer state) every last_every
// iterations (Darknet's 100; DN_LAST_EVERY=N changes it), _<N> every numbered_every (1000),
// _final at the end.
struct CheckpointPolicy {
  int last_every = 100;
  int numbered_every = 1000;
  static CheckpointPolicy from_environment();  // throws for a bad DN_LAST_EVERY
};

struct TrainResult {
  int iterations = 0;          // final iteration number
  float last_loss = 0, avg_loss = 0;
  std::string final_weights;   // path of the last weights written
  bool interrupted = false;    // stopped by SIGINT/SIGTERM
};

// Throws dn::Error on bad input, and on a NaN/inf loss (after which the last good weights stay
// on disk untouched).
TrainResult train_detector(const TrainOptions& opts, const TrainSetup& setup);
TrainResult train_detector(const TrainOptions& opts);  // reads the setup first

// Weights file names in the backup folder: <backup>/<cfg base>_<suffix>.weights
std::string backup_weights_path(const std::string& backup_dir, const std::string& cfg_path, const std::string& suffix);

}  // namespace dn
