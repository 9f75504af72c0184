#pragma once
#include "layers/layer.hpp"
#include "layers/maxpool_window.hpp"

namespace dn {

// [maxpool] size, stride, padding (default size-1). out = (in + padding - size)/stride + 1; the
// window starts padding/2 before the output position (positions outside the input are skipped).
class MaxpoolLayer : public Layer {
 public:
  MaxpoolLayer(int size, int stride, int padding) : size(size), stride(stride), padding(padding) {}
  const char* type() const override { return "max"; }
  void resize(int batch, Shape in) override;
  void forward(RunContext& ctx, const float* input) override;
  void backward(RunContext& ctx, const float* input, float* input_delta) override;
  std::string describe() const override;
  int size, stride, padding;

 private:
  std::vector<int> argmax_;  // per output element, index into the image's input (training)
};

}  // namespace dn
