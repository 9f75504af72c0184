#include "layers/yolo.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>

namespace dn {

YoloLayer::YoloLayer(int c, std::vector<int> m, std::vector<float> a) : classes(c), mask(std::move(m)), anchors(std::move(a)) {}

void YoloLayer::resize(int b, Shape s) {
  batch = b;
  in = s;
  out = s;
  allocate_outputs();
}

std::string YoloLayer::describe() const {
  char buf[120];
  std::snprintf(buf, sizeof buf, "yolo       %d classes, %d anchors, %d x %d", classes, num(), out.w, out.h);
  return buf;
}

static inline float logistic(float x) { return 1.f / (1.f + std::exp(-x)); }

void YoloLayer::forward(RunContext&, const float* input) {
  std::memcpy(output.data(), input, output.size() * sizeof(float));
  const int hw = out.h * out.w;
  for (int b = 0; b < batch; ++b)
    for (int n = 0; n < num(); ++n) {
      // tx, ty
      float* p = output.data() + entry_index(b, n, 0, 0);
      for (int i = 0; i < 2 * hw; ++i) p[i] = logistic(p[i]);
      // objectness and classes
      p = output.data() + entry_index(b, n, 4, 0);
      for (int i = 0; i < (1 + classes) * hw; ++i) p[i] = logistic(p[i]);
    }
}

void YoloLayer::backward(RunContext&, const float*, float* input_delta) {
  if (!input_delta) return;
  for (size_t i = 0; i < delta.size(); ++i) input_delta[i] += delta[i];
}

Box YoloLayer::get_box(int b, int n, int i, int j, int net_w, int net_h) const {
  const int loc = j * out.w + i;
  const int a = mask[n];
  Box box;
  box.x = (i + output[entry_index(b, n, 0, loc)]) / out.w;
  box.y = (j + output[entry_index(b, n, 1, loc)]) / out.h;
  box.w = std::exp(output[entry_index(b, n, 2, loc)]) * anchors[2 * a] / net_w;
  box.h = std::exp(output[entry_index(b, n, 3, loc)]) * anchors[2 * a + 1] / net_h;
  return box;
}

}  // namespace dn
