#include "train/engine.hpp"

#include "network/device.hpp"
#include "network/network.hpp"

namespace dn {

namespace {

class CpuEngine final : public TrainEngine {
 public:
  explicit CpuEngine(Network& net) : net_(net), store_(net) { net_.set_training(true); }
  void forward_backward(const float* images, const std::vector<std::vector<Truth>>& truths) override {
    net_.forward_backward(images, truths);
  }
  ParamStore& params() override { return store_; }

 private:
  Network& net_;
  CpuParamStore store_;
};

}  // namespace

std::unique_ptr<TrainEngine> make_train_engine(Network& net) {
  if (auto gpu = device::train_engine(net)) return gpu;
  return std::make_unique<CpuEngine>(net);
}

}  // namespace dn
