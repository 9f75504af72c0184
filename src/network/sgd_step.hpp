#pragma once
// Darknet's SGD on one value, shared by the CPU loop and the CUDA kernel (train/sgd.hpp):
//   v = momentum*v - lr*(g/batch + decay*w);  w += v;  g = 0
// with decay 0 for the parameters Darknet does not decay (biases, batch-norm scales).
#include "core/hd.hpp"

namespace dn {

DN_HD inline void sgd_step(float& w, float& g, float& v, float lr, float momentum, float decay, float inv_batch) {
  v = momentum * v - lr * (g * inv_batch + decay * w);
  w += v;
  g = 0;
}

}  // namespace dn
