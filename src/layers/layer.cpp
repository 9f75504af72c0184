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

std::vector<std::pair<float*, float*>> Layer::parameters() {
  std::vector<std::pair<float*, float*>> out;
  for (const Param& p : params()) out.emplace_back(p.value, p.grad);
  return out;
}

std::vector<size_t> Layer::parameter_sizes() {
  std::vector<size_t> out;
  for (const Param& p : params()) out.push_back(p.size);
  return out;
}

std::string Layer::describe() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%-10s %4d x%4d x%4d -> %4d x%4d x%4d", type(), in.w, in.h, in.c, out.w, out.h, out.c);
  return buf;
}

}  // namespace dn
