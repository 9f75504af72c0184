#pragma once
// The one generic layer gradient checker, built on check_gradient (gradcheck.hpp).
//
// Given a small network built from cfg text (no [yolo] layer), the checker defines
//   loss(input, parameters) = sum_i output_of_last_layer[i] * R[i]          (double-accumulated)
// with R fixed random weights, so that dLoss/d(output) = R. It runs the network in TRAINING mode
// (batch statistics in batch norm, kept activations, maxpool argmax, dropout masks), sets the last
// layer's delta to R, runs every layer's backward, and compares
//   - dLoss/d(input)                      (the first layer's input gradient), and
//   - dLoss/d(every parameter) of every layer (Layer::parameters(), sizes from parameter_sizes())
// with central differences of the same training-mode loss.
//
// Why not Network::forward_backward: it takes the output gradient from [yolo] targets, and gives
// no input gradient; the loop below is the same forward/backward order it uses.
//
// Side effects that are fine here but worth knowing:
//   - batch norm updates its rolling mean/variance on every training forward (not used by the
//     training outputs, so the loss does not change);
//   - dropout draws a fresh mask on every forward: the checker reseeds every dropout layer before
//     each forward, so that the analytic pass and every numeric evaluation use the same mask.
//
// Kinks (leaky/relu at 0, maxpool ties) spoil central differences. The input is a random
// permutation of evenly spaced values (no two closer than 2/n: no maxpool ties at the network
// input); a kink that a step crosses anyway is handled by trying several steps per coordinate
// (see LayerGradCheckOptions::steps). Parameters start random (layers are built with zeros).
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "cfg/cfg.hpp"
#include "core/rng.hpp"
#include "gradcheck.hpp"
#include "layers/convolutional.hpp"
#include "layers/dropout.hpp"
#include "network/network.hpp"

namespace dn::testing {

struct LayerGradCheckOptions {
  int batch = 2;             // images per forward (>= 2 so batch-norm statistics couple them)
  // Central-difference steps. A coordinate passes if the difference at any of these steps agrees
  // with the analytic gradient: a wrong backward pass disagrees at every step, while a kink crossed
  // by a large step (leaky/relu at 0 after batch norm moves every pre-activation) or float noise
  // at a small step spoils only some of them.
  // The largest step has the least float noise; its truncation error on unit-scale smooth
  // activations is ~1e-5 relative.
  std::vector<double> steps = {1e-2, 1e-3, 3e-4};
  double tolerance = 2e-2;   // on check_gradient's relative error (wrong backward passes give ~0.3-1)
  double abs_floor = 1e-3;   // check_gradient's denominator floor, at least
  double floor_fraction = 1e-2;  // ... and at least this fraction of the tensor's largest |gradient|
  uint64_t seed = 1;         // input, R and dropout masks
  size_t max_coordinates = 600;  // per tensor; larger tensors are checked with a stride
};

struct TensorCheck {
  std::string name;  // "input" or "layer 3 (conv) parameter 0"
  size_t size = 0;
  double max_abs_analytic = 0;
  GradCheckResult result;
};

class LayerGradientChecker {
 public:
  LayerGradientChecker(const std::string& cfg_text, const std::string& name, const LayerGradCheckOptions& o)
      : options_(o), net_(build_network(parse_cfg_text(cfg_text, name), o.batch)) {
    // These nets are tiny: OpenMP's fork/join costs dominate (and explode when the machine is
    // busy), and one thread computes the same values.
    omp_set_num_threads(1);
    net_->set_training(true);
    Rng rng(o.seed);
    randomize_parameters(rng);
    // The input: n evenly spaced values in [-1, 1], shuffled: no two closer than 2/n.
    const size_t n = static_cast<size_t>(net_->batch) * net_->input_size();
    input_.resize(n);
    for (size_t i = 0; i < n; ++i) input_[i] = -1.f + 2.f * (i + .5f) / n;
    for (size_t i = n; i > 1; --i) std::swap(input_[i - 1], input_[rng.below(static_cast<uint32_t>(i))]);
    const Layer& last = *net_->layers.back();
    out_weights_.resize(last.output.size());
    for (float& r : out_weights_) r = rng.uniform(-1.f, 1.f);
  }

  Network& network() { return *net_; }
  const std::vector<float>& input() const { return input_; }

  // Training-mode forward; returns sum(output * R) accumulated in double.
  double loss(const float* input) {
    forward(input);
    const std::vector<float>& out = net_->layers.back()->output;
    double s = 0;
    for (size_t i = 0; i < out.size(); ++i) s += static_cast<double>(out[i]) * out_weights_[i];
    return s;
  }

  // Forward, then backward from dLoss/d(output) = R. Parameter gradients are zeroed first;
  // input_grad receives dLoss/d(input).
  void analytic(const float* input, std::vector<float>& input_grad) {
    for (auto& l : net_->layers) {
      std::fill(l->delta.begin(), l->delta.end(), 0.f);
      auto params = l->parameters();
      auto sizes = l->parameter_sizes();
      for (size_t k = 0; k < params.size(); ++k) std::fill(params[k].second, params[k].second + sizes[k], 0.f);
    }
    forward(input);
    Layer& last = *net_->layers.back();
    std::copy(out_weights_.begin(), out_weights_.end(), last.delta.begin());
    input_grad.assign(input_.size(), 0.f);
    RunContext ctx = context();
    for (int i = static_cast<int>(net_->layers.size()) - 1; i >= 0; --i) {
      const float* x = i == 0 ? input : net_->layers[i - 1]->output.data();
      float* dx = i == 0 ? input_grad.data() : net_->layers[i - 1]->delta.data();
      net_->layers[i]->backward(ctx, x, dx);
    }
  }

  // Checks the input gradient and every parameter gradient; returns one entry per tensor.
  std::vector<TensorCheck> run() {
    std::vector<float> input_grad;
    analytic(input_.data(), input_grad);
    // Copy the analytic parameter gradients before any numeric evaluation.
    struct Param {
      std::string name;
      float* value;
      size_t size;
      std::vector<float> grad;
    };
    std::vector<Param> params;
    for (auto& l : net_->layers) {
      auto p = l->parameters();
      auto sizes = l->parameter_sizes();
      EXPECT_EQ(p.size(), sizes.size()) << "layer " << l->index;
      for (size_t k = 0; k < p.size() && k < sizes.size(); ++k)
        params.push_back({"layer " + std::to_string(l->index) + " (" + l->type() + ") parameter " + std::to_string(k),
                          p[k].first, sizes[k], std::vector<float>(p[k].second, p[k].second + sizes[k])});
    }
    std::vector<TensorCheck> checks;
    checks.push_back(check("input", input_, input_grad, [&](std::span<const float> x) { return loss(x.data()); }));
    for (Param& p : params) {
      std::vector<float> saved(p.value, p.value + p.size);
      checks.push_back(check(p.name, saved, p.grad, [&](std::span<const float> x) {
        std::copy(x.begin(), x.end(), p.value);
        return loss(input_.data());
      }));
      std::copy(saved.begin(), saved.end(), p.value);
    }
    return checks;
  }

 private:
  // Layers start with zero weights: give every parameter a random value. Convs get weights of
  // unit-variance fan-in scale, biases around 0 and batch-norm scales around 1, so that every
  // activation sees pre-activations spread over its interesting range.
  void randomize_parameters(Rng& rng) {
    for (auto& l : net_->layers) {
      if (auto* c = dynamic_cast<ConvolutionalLayer*>(l.get())) {
        const float a = std::sqrt(3.f / ((c->in.c / c->groups) * c->size * c->size));
        for (float& w : c->weights) w = rng.uniform(-a, a);
        for (float& b : c->biases) b = rng.uniform(-.5f, .5f);
        for (float& g : c->scales) g = rng.uniform(.5f, 1.5f);
        c->params_changed();
        continue;
      }
      auto params = l->parameters();
      auto sizes = l->parameter_sizes();
      for (size_t k = 0; k < params.size() && k < sizes.size(); ++k)
        for (size_t i = 0; i < sizes[k]; ++i) params[k].first[i] = rng.uniform(-.5f, .5f);
    }
  }

  RunContext context() {
    RunContext ctx;
    ctx.layers = &net_->layers;
    ctx.train = true;
    ctx.net_w = net_->params.width;
    ctx.net_h = net_->params.height;
    ctx.truths = &no_truths_;
    return ctx;
  }

  void forward(const float* input) {
    for (auto& l : net_->layers)
      if (auto* d = dynamic_cast<DropoutLayer*>(l.get())) d->rng.reseed(options_.seed * 7919 + l->index);
    RunContext ctx = context();
    const float* x = input;
    for (auto& l : net_->layers) {
      l->forward(ctx, x);
      x = l->output.data();
    }
  }

  template <typename F>
  TensorCheck check(const std::string& name, const std::vector<float>& x, const std::vector<float>& grad, F f) {
    TensorCheck c;
    c.name = name;
    c.size = x.size();
    for (float g : grad) c.max_abs_analytic = std::max(c.max_abs_analytic, static_cast<double>(std::fabs(g)));
    const size_t stride = std::max<size_t>(1, (x.size() + options_.max_coordinates - 1) / options_.max_coordinates);
    // Float rounding in the forward pass gives the numeric derivative an absolute noise that does
    // not shrink with the gradient: measure errors against the tensor's gradient scale.
    const double floor = std::max(options_.abs_floor, options_.floor_fraction * c.max_abs_analytic);
    std::vector<float> point = x;
    for (size_t i = 0; i < x.size(); i += stride) {
      // check_gradient on the one coordinate i, the others held at x.
      auto f_i = [&](std::span<const float> xi) {
        point[i] = xi[0];
        double v = f(std::span<const float>(point));
        point[i] = x[i];
        return v;
      };
      GradCheckResult best;
      for (double eps : options_.steps) {
        GradCheckResult r = check_gradient(f_i, {x[i]}, std::span<const float>(&grad[i], 1), eps, floor);
        if (best.worst_index < 0 || r.max_error < best.max_error) best = r;
      }
      if (c.result.worst_index < 0 || !(best.max_error <= c.result.max_error)) {
        c.result = best;
        c.result.worst_index = static_cast<int>(i);
      }
    }
    return c;
  }

  LayerGradCheckOptions options_;
  std::unique_ptr<Network> net_;
  std::vector<float> input_, out_weights_;
  std::vector<std::vector<Truth>> no_truths_;
};

// Builds the net from cfg_text, checks every gradient, and reports each tensor as a gtest
// failure if its worst error exceeds the tolerance or if its gradient is identically zero.
// Returns the worst error over all tensors.
inline double expect_gradients_match(const std::string& cfg_text, const std::string& name,
                                     const LayerGradCheckOptions& o = {}) {
  LayerGradientChecker checker(cfg_text, name, o);
  double worst = 0;
  for (const TensorCheck& c : checker.run()) {
    const GradCheckResult& r = c.result;
    EXPECT_LE(r.max_error, o.tolerance)
        << name << ": " << c.name << " (" << c.size << " values): worst at " << r.worst_index << ": numeric "
        << r.numeric << ", analytic " << r.analytic;
    EXPECT_GT(c.max_abs_analytic, 1e-6) << name << ": " << c.name << ": the gradient is identically zero";
    worst = std::max(worst, r.max_error);
    std::printf("  %-22s %-34s %6zu values  worst error %.2e\n", name.c_str(), c.name.c_str(), c.size, r.max_error);
  }
  return worst;
}

}  // namespace dn::testing
