#pragma once
#include "layers/layer.hpp"

namespace dn {

// [upsample] stride: nearest-neighbour, c x h x w -> c x h*stride x w*stride (times scale).
class UpsampleLayer : public Layer {
 public:
  UpsampleLayer(int stride, float scale) : stride(stride), scale(scale) {}
  const char* type() const override { return "upsample"; }
  void resize(int batch, Shape in) override;
  void forward(RunContext& ctx, const float* input) override;
  void backward(RunContext& ctx, const float* input, float* input_delta) override;
  int stride;
  float scale;
};

}  // namespace dn
