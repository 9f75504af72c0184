#pragma once
// The engine `detector train` trains with: the GPU's when the build has one and a device is
// active (network/device.hpp), else the CPU's, which puts net in training mode.
#include <memory>

#include "network/engine.hpp"

namespace dn {

class Network;

std::unique_ptr<TrainEngine> make_train_engine(Network& net);

}  // namespace dn
