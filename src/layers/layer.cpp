#include "layers/layer.hpp"

#include <cstdio>

namespace dn {

void Layer::resize(int b, Shape s) {
  batch = b;
  in = s;
  out = s;
  allocate_outputs();
}

void Layer::allocate_outputs() {
  output.assign(static_cast<size_t>(batch) * out.size(), 0.f);
  if (training)
    delta.assign(output.size(), 0.f);
  else
    delta.clear();
}

void Layer::set_training(bool on) {
  training = on;
  allocate_outputs();
}

std::string Layer::describe() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%-10s %4d x%4d x%4d -> %4d x%4d x%4d", type(), in.w, in.h, in.c, out.w, out.h, out.c);
  return buf;
}

}  // namespace dn
