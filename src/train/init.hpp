#pragma once
// Initialisation from scratch, seeded (so that -seed N gives the same initial weights):
// every conv's weights uniform in [-s, s] with s = sqrt(2 / fan_in) (fan_in = in_channels/groups
// * size * size, Darknet's choice), biases 0, batch-norm scales 1, rolling mean 0, variance 1;
// then the bias_prior of each [yolo] layer, if set, on the conv in front of it.
#include <cstdint>

#include "network/network.hpp"

namespace dn {

void init_network_weights(Network& net, uint64_t seed);

}  // namespace dn
