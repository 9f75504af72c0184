#pragma once
// Where a network's parameters live, as the optimizer (train/sgd.hpp) sees them: the CPU layers'
// own vectors (CpuParamStore), or their copies on a GPU (src/cuda's store). The optimizer owns
// its state (the momentum) in buffers the store makes on the same device, and reads and writes
// them from the host only to save and resume (_last.state).
#include <cstddef>
#include <memory>
#include <vector>

#include "layers/layer.hpp"

namespace dn {

class Network;

struct UpdateArgs {
  int batch = 1;  // images whose gradients were accumulated
  float learning_rate = 0, momentum = 0, decay = 0;
};

// Floats on a store's device.
class DeviceFloats {
 public:
  virtual ~DeviceFloats() = default;
  virtual float* data() = 0;
  virtual size_t size() const = 0;
  virtual void to_host(float* host) const = 0;
  virtual void from_host(const float* host) = 0;
};

class ParamStore {
 public:
  // One parameter: the layer's index in the network, its number among the layer's params().
  struct Entry {
    int layer;
    int number;
    Param p;
  };
  virtual ~ParamStore() = default;
  // Every layer's params(), in layer order.
  std::vector<Entry> params();
  // n zeros on this store's device.
  virtual std::unique_ptr<DeviceFloats> zeros(size_t n) = 0;
  // sgd_step (network/sgd_step.hpp) over one parameter, with the momentum v of its size.
  virtual void sgd(const Param& p, float* v, const UpdateArgs& a) = 0;
  // After a step over every parameter.
  virtual void changed() = 0;

 protected:
  virtual size_t layer_count() const = 0;
  virtual std::vector<Param> layer_params(size_t i) = 0;
};

// The parameters of a CPU network (in training mode, so that the gradients exist).
class CpuParamStore final : public ParamStore {
 public:
  explicit CpuParamStore(Network& net) : net_(net) {}
  std::unique_ptr<DeviceFloats> zeros(size_t n) override;
  void sgd(const Param& p, float* v, const UpdateArgs& a) override;
  void changed() override;

 private:
  size_t layer_count() const override;
  std::vector<Param> layer_params(size_t i) override;

  Network& net_;
};

}  // namespace dn
