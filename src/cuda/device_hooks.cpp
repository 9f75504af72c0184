// network/device.hpp for a GPU=1 build: the CUDA backend behind the CPU code's hooks.
#include "network/device.hpp"

#include <string>

#include "cuda/device.hpp"
#include "cuda/gpu_network.hpp"
#include "network/network.hpp"

namespace dn::device {

namespace {

class GpuTrainEngine final : public TrainEngine {
 public:
  GpuTrainEngine(Network& net, std::unique_ptr<cuda::GpuNetwork> gpu) : net_(net), gpu_(std::move(gpu)) {}
  void forward_backward(const float* images, const std::vector<std::vector<Truth>>& truths) override {
    gpu_->forward_backward(images, truths);  // the host [yolo] layers get the pass's statistics
  }
  ParamStore& params() override { return gpu_->params(); }
  void weights_to_host() override { gpu_->download_weights(net_); }

 private:
  Network& net_;
  std::unique_ptr<cuda::GpuNetwork> gpu_;
};

}  // namespace

void request_cpu() { cuda::request_cpu(); }
void request_device(int index) { cuda::request_device(index); }

std::unique_ptr<TrainEngine> train_engine(Network& net) {
  auto gpu = cuda::gpu_for_training(net);
  if (!gpu) return nullptr;
  return std::make_unique<GpuTrainEngine>(net, std::move(gpu));
}

bool forward(Network& net, std::shared_ptr<void>& state, const float* input) {
  return cuda::forward_on_gpu(net, state, input);
}

}  // namespace dn::device
