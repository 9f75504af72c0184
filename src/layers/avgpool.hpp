#pragma once
#include "layers/layer.hpp"

namespace dn {

// [avgpool]: global average pooling, c x h x w -> c x 1 x 1.
class AvgpoolLayer : public Layer {
 public:
  const char* type() const override { return "avg"; }
  void resize(int batch, Shape in) override;
  void forward(RunContext& ctx, const float* input) override;
  void backward(RunContext& ctx, const float* input, float* input_delta) override;
};

}  // namespace dn
