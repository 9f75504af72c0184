#include "layers/route.hpp"

#include <cstring>

namespace dn {

void RouteLayer::resize_from(int b, const std::vector<Shape>& shapes) {
  batch = b;
  source_shapes_ = shapes;
  out = {0, shapes[0].h, shapes[0].w};
  for (const Shape& s : shapes) out.c += s.c;
  in = out;
  allocate_outputs();
}

// The network calls resize_from; resize() keeps the sources' shapes (only the batch changes).
void RouteLayer::resize(int b, Shape) { resize_from(b, source_shapes_); }

std::string RouteLayer::describe() const {
  std::string s = "route ";
  for (int i : sources) s += " " + std::to_string(i);
  return s + "  -> " + std::to_string(out.w) + " x" + std::to_string(out.h) + " x" + std::to_string(out.c);
}

void RouteLayer::forward(RunContext& ctx, const float* input) {
  size_t offset = 0;
  for (size_t k = 0; k < sources.size(); ++k) {
    const Layer& src = ctx.layer(sources[k]);
    const size_t n = src.out.size();
    for (int b = 0; b < batch; ++b)
      std::memcpy(output.data() + b * out.size() + offset, src.output.data() + b * n, n * sizeof(float));
    offset += n;
  }
}

void RouteLayer::backward(RunContext& ctx, const float*, float*) {
  size_t offset = 0;
  for (size_t k = 0; k < sources.size(); ++k) {
    Layer& src = ctx.layer(sources[k]);
    const size_t n = src.out.size();
    for (int b = 0; b < batch; ++b) {
      float* dst = src.delta.data() + b * n;
      const float* d = delta.data() + b * out.size() + offset;
      for (size_t i = 0; i < n; ++i) dst[i] += d[i];
    }
    offset += n;
  }
}

}  // namespace dn
