#pragma once
// The forward and backward passes over a network's layers, one loop for both backends: Network's
// CPU layers and GpuNetwork's device layers (src/cuda) alike have forward(ctx, input),
// backward(ctx, input, input_delta), and output and delta buffers on their own device.
#include <cstddef>

namespace dn {

// Runs f() for layer i; a caller that profiles times it.
struct RunEach {
  template <class F>
  void operator()(size_t, F&& f) const {
    f();
  }
};

// Every layer's forward in order, layer i reading layer i-1's output (the first: input).
template <class Layers, class Ctx, class Around = RunEach>
void forward_pass(Layers& layers, Ctx& ctx, const float* input, Around&& around = {}) {
  const float* x = input;
  for (size_t i = 0; i < layers.size(); ++i) {
    around(i, [&] { layers[i]->forward(ctx, x); });
    x = layers[i]->output.data();
  }
}

// Every layer's backward, last to first: layer i adds dLoss/d(input) into layer i-1's delta (the
// first: into input_delta, which may be null) and accumulates its parameter gradients.
template <class Layers, class Ctx, class Around = RunEach>
void backward_pass(Layers& layers, Ctx& ctx, const float* input, float* input_delta, Around&& around = {}) {
  for (size_t i = layers.size(); i-- > 0;) {
    const float* x = i == 0 ? input : layers[i - 1]->output.data();
    float* dx = i == 0 ? input_delta : layers[i - 1]->delta.data();
    around(i, [&] { layers[i]->backward(ctx, x, dx); });
  }
}

}  // namespace dn
