#include "train/init.hpp"

#include <cmath>

#include "core/rng.hpp"
#include "layers/convolutional.hpp"
#include "layers/dropout.hpp"
#include "layers/yolo.hpp"

namespace dn {

void init_network_weights(Network& net, uint64_t seed) {
  for (auto& l : net.layers) {
    // Each layer draws from its own stream so that adding a layer does not reshuffle the others.
    Rng layer_rng(seed * 1000003ull + static_cast<uint64_t>(l->index) + 1);
    if (auto* c = dynamic_cast<ConvolutionalLayer*>(l.get())) {
      const float fan_in = static_cast<float>((c->in.c / c->groups) * c->size * c->size);
      const float s = std::sqrt(2.f / fan_in);
      for (float& w : c->weights) w = layer_rng.uniform(-s, s);
      std::fill(c->biases.begin(), c->biases.end(), 0.f);
      if (c->batch_normalize) {
        std::fill(c->scales.begin(), c->scales.end(), 1.f);
        std::fill(c->rolling_mean.begin(), c->rolling_mean.end(), 0.f);
        std::fill(c->rolling_variance.begin(), c->rolling_variance.end(), 1.f);
      }
      c->params_changed();
    } else if (auto* d = dynamic_cast<DropoutLayer*>(l.get())) {
      d->rng.reseed(layer_rng.next());
    }
  }
  // bias_prior= in a [yolo] section: its conv's objectness and class biases start at
  // -log((1-pi)/pi) (RetinaNet's prior), so that early training is not swamped by negatives.
  for (size_t i = 1; i < net.layers.size(); ++i)
    if (auto* y = dynamic_cast<YoloLayer*>(net.layers[i].get()))
      if (auto* c = dynamic_cast<ConvolutionalLayer*>(net.layers[i - 1].get())) {
        y->apply_bias_prior(*c);
        c->params_changed();
      }
  ++net.weights_version;
}

}  // namespace dn
