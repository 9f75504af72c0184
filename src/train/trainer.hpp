#pragma once
// `darknet detector train`: the training loop with Darknet's semantics (compat.md).
#include <cstdint>
#include <functional>
#include <string>

namespace dn {

class Network;

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
};

struct TrainResult {
  int iterations = 0;          // final iteration number
  float last_loss = 0, avg_loss = 0;
  std::string final_weights;   // path of the last weights written
  bool interrupted = false;    // stopped by SIGINT/SIGTERM
};

// Throws dn::Error on bad input, and on a NaN/inf loss (after which the last good weights stay
// on disk untouched).
TrainResult train_detector(const TrainOptions& opts);

// Weights file names in the backup folder: <backup>/<cfg base>_<suffix>.weights
std::string backup_weights_path(const std::string& backup_dir, const std::string& cfg_path, const std::string& suffix);

}  // namespace dn
