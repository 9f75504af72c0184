#pragma once
// The pluggable losses evaluated on the device over host arrays, for the tests that compare them
// with the CPU's Loss objects. The maths is src/losses/*.hpp for both (losses/list.hpp: a loss
// chosen by name is a losses::LossSpec). This header needs no CUDA headers.
#include <string>
#include <vector>

#include "losses/loss.hpp"

namespace dn::cuda {

// Loss::compute on the device (device 0): logits, targets, weights (empty: all 1) of one size;
// fills grad and returns the sum of the weighted losses.
double loss_on_device(const std::string& name, const LossParams& p, const std::vector<float>& logits,
                      const std::vector<float>& targets, const std::vector<float>& weights, std::vector<float>& grad);

// SoftmaxLoss::compute on the device, once per row: logits[rows][classes], target[rows],
// weight[rows]; fills grad[rows][classes] and returns each row's loss.
std::vector<double> softmax_loss_on_device(const std::string& name, const LossParams& p,
                                           const std::vector<float>& logits, int classes,
                                           const std::vector<int>& target, const std::vector<float>& weight,
                                           std::vector<float>& grad);

}  // namespace dn::cuda
