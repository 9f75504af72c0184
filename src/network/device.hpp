#pragma once
// How the CPU code reaches the CUDA backend without knowing whether it is built in: these are
// defined by src/cuda/device_hooks.cpp in a GPU=1 build and by src/nodevice/device_hooks.cpp
// otherwise (CMakeLists.txt links one of the two). docs/cuda.md.
#include <memory>

#include "network/engine.hpp"

namespace dn {
class Network;
}

namespace dn::device {

// -nogpu: run on the CPU, silently. (Without a GPU build: nothing to do.)
void request_cpu();
// -i N / -gpus N: run on device N. (Without a GPU build: ignored, the CPU runs.)
void request_device(int index);

// The GPU that trains net, or nullptr: the CPU trains it (no GPU build, -nogpu, or no device
// visible, after a warning). On the GPU, net keeps only the weights (batch 1, not in training).
std::unique_ptr<TrainEngine> train_engine(Network& net);

// Inference on the device: runs net's forward there when a device is active, leaving the [yolo]
// outputs in net's layers, and returns true; false: the caller runs the CPU. `state` is the
// caller's opaque slot (the GPU copy of the network, made at the first call).
bool forward(Network& net, std::shared_ptr<void>& state, const float* input);

}  // namespace dn::device
