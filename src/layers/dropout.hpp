#pragma once
#include "core/rng.hpp"
#include "layers/layer.hpp"

namespace dn {

// [dropout] probability: identity at inference; in training each element is zeroed with
// probability p and the survivors scaled by 1/(1-p).
class DropoutLayer : public Layer {
 public:
  explicit DropoutLayer(float p) : probability(p) {}
  const char* type() const override { return "dropout"; }
  void forward(RunContext& ctx, const float* input) override;
  void backward(RunContext& ctx, const float* input, float* input_delta) override;
  float probability;
  Rng rng{12345};

 private:
  std::vector<float> mask_;
};

}  // namespace dn
