#pragma once
// Darknet's learning-rate policies (compat.md): burn-in, then steps / step / poly / exp / constant.
#include "network/network.hpp"

namespace dn {

// Learning rate for update number `batch_num` (0-based count of weight updates so far).
float learning_rate_at(const NetParams& p, int batch_num);

}  // namespace dn
