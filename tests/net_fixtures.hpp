#pragma once
// Test helpers: deterministic pseudo-random weights for a whole network, calibrated layer by layer
// so that every batch-normalised conv sees unit-scale activations (deep nets like yolov3 stay in a
// sane range) and the heads give a useful spread of objectness and class scores.
#include <cmath>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "layers/convolutional.hpp"
#include "layers/yolo.hpp"
#include "network/network.hpp"

namespace dn::testing {

inline std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("dn_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

// A deterministic input in [0, 1]: smooth patterns plus noise.
inline std::vector<float> pattern_input(int c, int h, int w, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(static_cast<size_t>(c) * h * w);
  for (int k = 0; k < c; ++k)
    for (int y = 0; y < h; ++y)
      for (int i = 0; i < w; ++i)
        x[(static_cast<size_t>(k) * h + y) * w + i] =
            0.5f + 0.3f * std::sin(0.05f * (i + 3 * k) + 0.07f * y) * std::cos(0.031f * y * (k + 1)) + 0.1f * (rng.uniform() - 0.5f);
  return x;
}

// Randomises every conv of `net` (batch 1 expected) and calibrates batch-norm statistics on `input`.
inline void randomize_network(Network& net, const std::vector<float>& input, uint64_t seed) {
  Rng rng(seed);
  RunContext ctx;
  ctx.layers = &net.layers;
  ctx.net_w = net.params.width;
  ctx.net_h = net.params.height;
  const float* x = input.data();
  for (size_t i = 0; i < net.layers.size(); ++i) {
    Layer& l = *net.layers[i];
    if (auto* c = dynamic_cast<ConvolutionalLayer*>(&l)) {
      const int fan_in = (c->in.c / c->groups) * c->size * c->size;
      const float scale = std::sqrt(3.f / fan_in);
      for (float& w : c->weights) w = rng.uniform(-scale, scale);
      // Measure the raw convolution with identity batch norm and linear activation.
      Activation act = c->activation;
      c->activation = Activation::Linear;
      std::fill(c->biases.begin(), c->biases.end(), 0.f);
      if (c->batch_normalize) {
        std::fill(c->scales.begin(), c->scales.end(), 1.f);
        std::fill(c->rolling_mean.begin(), c->rolling_mean.end(), 0.f);
        std::fill(c->rolling_variance.begin(), c->rolling_variance.end(), 1.f - ConvolutionalLayer::kBnEps);
      }
      c->params_changed();
      c->forward(ctx, x);
      const size_t n = static_cast<size_t>(c->out.h) * c->out.w;
      bool head = i + 1 < net.layers.size() && dynamic_cast<YoloLayer*>(net.layers[i + 1].get());
      for (int f = 0; f < c->filters; ++f) {
        double s = 0, ss = 0;
        for (size_t k = 0; k < n; ++k) {
          double v = c->output[f * n + k];
          s += v;
          ss += v * v;
        }
        double mean = s / n, var = std::max(1e-4, ss / n - mean * mean);
        if (c->batch_normalize) {
          c->rolling_mean[f] = static_cast<float>(mean + 0.1 * std::sqrt(var) * rng.normal());
          c->rolling_variance[f] = static_cast<float>(var * rng.uniform(0.8f, 1.25f));
          c->scales[f] = rng.uniform(0.6f, 1.4f);
          c->biases[f] = 0.3f * rng.normal();
        } else if (head) {
          // Head logits: box offsets with std 1.5, sizes with std .5 (boxes of sane size), objectness
          // and classes a little below 0 so that a minority of scores pass the usual thresholds.
          int entry = f % (c->filters / static_cast<YoloLayer*>(net.layers[i + 1].get())->mask_size());
          float target_std = entry == 2 || entry == 3 ? .5f : 1.5f;
          float offset = entry == 4 ? -2.f : (entry > 4 ? -2.5f : 0.f);
          float k = static_cast<float>(target_std / std::sqrt(var));
          const size_t per = c->weights.size() / c->filters;
          for (size_t j = 0; j < per; ++j) c->weights[f * per + j] *= k;
          c->biases[f] = static_cast<float>(-mean * k) + offset + 0.2f * rng.normal();
        } else {
          c->biases[f] = 0.1f * rng.normal();
        }
      }
      c->activation = act;
      c->params_changed();
    }
    l.forward(ctx, x);
    x = l.output.data();
  }
}

}  // namespace dn::testing
