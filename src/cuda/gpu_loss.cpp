#include "cuda/gpu_loss.hpp"

#include "core/error.hpp"
#include "cuda/common.hpp"

namespace dn::cuda {

double loss_on_device(const std::string& name, const LossParams& p, const std::vector<float>& logits,
                      const std::vector<float>& targets, const std::vector<float>& weights, std::vector<float>& grad) {
  const LossSpec spec = losses::loss_spec(name, p);
  if (losses::is_softmax(spec)) fail("loss_on_device: '" + name + "' is a softmax loss");
  const int n = static_cast<int>(logits.size());
  if (targets.size() != logits.size() || (!weights.empty() && weights.size() != logits.size()))
    fail("loss_on_device: logits, targets and weights differ in size");
  DN_CUDA_CHECK(cudaSetDevice(0));
  cudaStream_t s = nullptr;
  DeviceBuffer<float> d_logits, d_targets, d_weights, d_grad;
  DeviceBuffer<double> d_loss, d_total;
  d_logits.upload(logits.data(), n, s);
  d_targets.upload(targets.data(), n, s);
  if (!weights.empty()) d_weights.upload(weights.data(), n, s);
  d_grad.resize(n);
  d_loss.resize(n);
  d_total.resize(1);
  loss_elementwise(spec, d_logits.data(), d_targets.data(), weights.empty() ? nullptr : d_weights.data(), n,
                   d_grad.data(), d_loss.data(), s);
  sum_doubles(d_loss.data(), n, d_total.data(), s);
  grad.resize(n);
  d_grad.download(grad.data(), n, s);
  double total = 0;
  d_total.download(&total, 1, s);
  return total;
}

std::vector<double> softmax_loss_on_device(const std::string& name, const LossParams& p,
                                           const std::vector<float>& logits, int classes,
                                           const std::vector<int>& target, const std::vector<float>& weight,
                                           std::vector<float>& grad) {
  const LossSpec spec = losses::loss_spec(name, p);
  if (!losses::is_softmax(spec)) fail("softmax_loss_on_device: '" + name + "' is not a softmax loss");
  const int rows = static_cast<int>(target.size());
  if (classes < 1 || logits.size() != static_cast<size_t>(rows) * classes || weight.size() != target.size())
    fail("softmax_loss_on_device: sizes differ");
  for (int t : target)
    if (t < 0 || t >= classes) fail("softmax_loss_on_device: target class outside [0, classes)");
  DN_CUDA_CHECK(cudaSetDevice(0));
  cudaStream_t s = nullptr;
  DeviceBuffer<float> d_logits, d_weight, d_grad;
  DeviceBuffer<int> d_target;
  DeviceBuffer<double> d_loss;
  d_logits.upload(logits.data(), logits.size(), s);
  d_target.upload(target.data(), rows, s);
  d_weight.upload(weight.data(), rows, s);
  d_grad.resize(logits.size());
  d_loss.resize(rows);
  loss_softmax(spec, d_logits.data(), d_target.data(), d_weight.data(), rows, classes, d_grad.data(), d_loss.data(), s);
  grad.resize(logits.size());
  d_grad.download(grad.data(), grad.size(), s);
  std::vector<double> loss(rows);
  d_loss.download(loss.data(), rows, s);
  return loss;
}

}  // namespace dn::cuda
