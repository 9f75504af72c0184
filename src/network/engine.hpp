#pragma once
// What trains a network: the CPU itself, or a copy of it on a GPU (src/cuda), behind one
// interface, so that the trainer does not know which (train/engine.hpp picks).
#include <memory>
#include <vector>

#include "layers/layer.hpp"
#include "network/param_store.hpp"

namespace dn {

class TrainEngine {
 public:
  virtual ~TrainEngine() = default;
  // One training pass over a mini-batch of images (NCHW, the network's input size) with their
  // truths: forward with batch statistics and the [yolo] losses, backward, the gradients
  // accumulated. The host network's seen grows by the batch, and its layers hold the pass's
  // losses and statistics (loss(), stats_line()).
  virtual void forward_backward(const float* images, const std::vector<std::vector<Truth>>& truths) = 0;
  // The parameters, for the optimizer.
  virtual ParamStore& params() = 0;
  // Makes the host network's weights the ones being trained (a GPU copies them back).
  virtual void weights_to_host() {}
};

}  // namespace dn
