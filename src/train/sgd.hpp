#pragma once
// The optimizer: Darknet's SGD with momentum and weight decay over every parameter of a network,
// on whichever device its store keeps them (network/param_store.hpp). It owns the momentum (zero
// at first), which train/optimizer_state.hpp saves beside _last.weights and loads on resume, so a
// resumed run continues exactly on the CPU and on the GPU alike. Learning-rate schedules are
// train/schedule.hpp's; layers never update their own parameters.
#include <memory>
#include <vector>

#include "network/param_store.hpp"

namespace dn {

class Sgd {
 public:
  // Zero momentum for every parameter the store has now.
  explicit Sgd(ParamStore& store);

  // One step over every parameter (gradients summed over a.batch images), gradients zeroed after.
  void step(const UpdateArgs& a);

  // The momentum of each parameter, in the store's order: (layer, number) and the buffer.
  struct Momentum {
    int layer;
    int number;
    std::unique_ptr<DeviceFloats> v;
  };
  const std::vector<Momentum>& momentum() const { return momentum_; }
  std::vector<Momentum>& momentum() { return momentum_; }

 private:
  ParamStore& store_;
  std::vector<Momentum> momentum_;
};

}  // namespace dn
