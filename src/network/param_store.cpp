#include "network/param_store.hpp"

#include <algorithm>

#include "network/network.hpp"
#include "network/sgd_step.hpp"

namespace dn {

namespace {
class HostFloats final : public DeviceFloats {
 public:
  explicit HostFloats(size_t n) : v_(n, 0.f) {}
  float* data() override { return v_.data(); }
  size_t size() const override { return v_.size(); }
  void to_host(float* host) const override { std::copy(v_.begin(), v_.end(), host); }
  void from_host(const float* host) override { std::copy(host, host + v_.size(), v_.begin()); }

 private:
  std::vector<float> v_;
};
}  // namespace

std::vector<ParamStore::Entry> ParamStore::params() {
  std::vector<Entry> out;
  for (size_t i = 0; i < layer_count(); ++i) {
    const auto ps = layer_params(i);
    for (size_t k = 0; k < ps.size(); ++k) out.push_back({static_cast<int>(i), static_cast<int>(k), ps[k]});
  }
  return out;
}

size_t CpuParamStore::layer_count() const { return net_.layers.size(); }

std::vector<Param> CpuParamStore::layer_params(size_t i) { return net_.layers[i]->params(); }

std::unique_ptr<DeviceFloats> CpuParamStore::zeros(size_t n) { return std::make_unique<HostFloats>(n); }

void CpuParamStore::sgd(const Param& p, float* v, const UpdateArgs& a) {
  const float inv_b = 1.f / a.batch, decay = p.decay ? a.decay : 0.f;
  for (size_t i = 0; i < p.size; ++i) sgd_step(p.value[i], p.grad[i], v[i], a.learning_rate, a.momentum, decay, inv_b);
}

void CpuParamStore::changed() {
  for (auto& l : net_.layers) l->params_changed();
  ++net_.weights_version;
}

}  // namespace dn
