#pragma once
// The pluggable losses on the device (loss_device.cuh): which device loss stands for a CPU loss,
// and the losses evaluated over host arrays, for the tests that compare them with src/losses.
// This header needs no CUDA headers.
#include <string>
#include <vector>

#include "losses/loss.hpp"

namespace dn::cuda {

struct LossSpec;

// The device loss of cfg name `name` (loss_names()) with parameters p. Throws dn::Error for a loss
// without a device version (a new CPU loss needs one: loss_device.cuh).
LossSpec loss_spec(const std::string& name, const LossParams& p);

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
