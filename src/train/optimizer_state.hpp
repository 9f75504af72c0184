#pragma once
// The optimizer's state (train/sgd.hpp: the momentum of every parameter, on the CPU or a GPU), saved beside
// <cfg>_last.weights so that resuming an interrupted run continues it exactly: with the loader
// and the multi-scale draws also restarted at the resumed iteration (train/trainer.cpp), a run
// stopped and resumed ends with the same weights, bit for bit, as one that ran straight through.
// Darknet's .weights have no room for momentum (Darknet restarts it at zero on resume), so this
// is a separate file of ours:
//   "DNOPTST1", uint64 seen, uint32 buffer count, then per buffer:
//   uint32 layer index, uint32 buffer number in the layer, uint64 length, float32[length]
// (little-endian, as the .weights files).
#include <cstdint>
#include <string>

namespace dn {

class Sgd;

// x.weights -> x.state (any other name: name + ".state").
std::string optimizer_state_path(const std::string& weights_path);

// Writes sgd's momentum, for weights at `seen` images, to path.tmp, then renames. Throws
// dn::Error naming the file on failure.
void save_optimizer_state(const Sgd& sgd, uint64_t seen, const std::string& path);

// Loads the state when `path` exists and was written for this network's parameters at this
// `seen` (the weights just loaded). Returns false and sets *why when there is no file or it does
// not fit (wrong seen, other layers, truncated): nothing is changed then, and momentum starts at
// zero as in Darknet.
bool load_optimizer_state(Sgd& sgd, uint64_t seen, const std::string& path, std::string* why);

}  // namespace dn
