// network/device.hpp for a build without the CUDA backend (GPU=0): everything runs on the CPU.
#include "network/device.hpp"

namespace dn::device {

void request_cpu() {}
void request_device(int) {}
std::unique_ptr<TrainEngine> train_engine(Network&) { return nullptr; }
bool forward(Network&, std::shared_ptr<void>&, const float*) { return false; }

}  // namespace dn::device
