#pragma once
#include "layers/activations.hpp"
#include "layers/layer.hpp"

namespace dn {

// [shortcut] from=k, activation: output = act(input + output of layer k). Shapes must match.
class ShortcutLayer : public Layer {
 public:
  ShortcutLayer(int from, Activation act) : from(from), activation(act) {}
  const char* type() const override { return "shortcut"; }
  void forward(RunContext& ctx, const float* input) override;
  void backward(RunContext& ctx, const float* input, float* input_delta) override;
  void set_training(bool on) override;
  std::string describe() const override;
  int from;
  Activation activation;
  // Whether training keeps the pre-activation sum: only for activations whose gradient does not
  // follow from the output (gradient_from_output); the others take it from the output.
  bool keeps_sum() const { return !gradient_from_output(activation); }

 private:
  std::vector<float> x_sum_;
};

}  // namespace dn
