#pragma once
#include "layers/layer.hpp"

namespace dn {

// [route] layers=a,b,...: concatenates the outputs of earlier layers along channels.
class RouteLayer : public Layer {
 public:
  explicit RouteLayer(std::vector<int> sources) : sources(std::move(sources)) {}
  const char* type() const override { return "route"; }
  // Routes take their shape from their sources, not from the previous layer.
  void resize_from(int batch, const std::vector<Shape>& source_shapes);
  void resize(int batch, Shape in) override;
  void forward(RunContext& ctx, const float* input) override;
  void backward(RunContext& ctx, const float* input, float* input_delta) override;
  std::string describe() const override;
  std::vector<int> sources;  // absolute layer indices

 private:
  std::vector<Shape> source_shapes_;
};

}  // namespace dn
