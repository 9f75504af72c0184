#pragma once
// The loss interface of the YOLO layer's objectness and class terms.
//
// A Loss is element-wise on logits: it knows nothing about YOLO, anchors or grids. The maths, the
// gradients and the test vectors are in docs/losses.md. Each loss is one header in this folder
// (its maths as __host__ __device__ functions, its parameter checks, its description) and one
// entry in list.hpp; the CPU classes here and the CUDA kernels are both made from that list.
#include <memory>
#include <string>
#include <vector>

#include "losses/params.hpp"

namespace dn {

// Element-wise loss on logits.
class Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string name() const = 0;
  // Name and the parameters in use, e.g. "focal(gamma=2, alpha=0.25)", for training logs.
  virtual std::string describe() const = 0;
  // True where a target y strictly between 0 and 1 has its natural meaning: bce is then the
  // cross-entropy against y (minimum at p = y) and balanced the same cross-entropy with the alpha
  // reweighting it applies to hard labels. The focal family still accepts soft targets (every
  // loss interpolates y*L(pos) + (1-y)*L(neg)), but the focusing term pulls the minimiser far
  // from y (focal(gamma=2, alpha=.25) at y = .9 has it near p = .6), so a caller that uses label
  // smoothing or soft objectness should refuse or warn when this is false.
  virtual bool allows_soft_targets() const = 0;
  // logits[n], targets[n] in [0,1], weights[n] (nullptr means all 1), grad[n].
  // Writes grad[i] = weights[i] * dL_i/dlogit_i (overwrites) and returns sum_i weights[i]*L_i.
  virtual double compute(const float* logits, const float* targets, const float* weights, int n,
                         float* grad) const = 0;
};

// Throws dn::Error for an unknown name or a bad parameter (the caller prefixes file:line).
std::unique_ptr<Loss> make_loss(const std::string& name, const LossParams& p);
// Every loss name a cfg may use, element-wise ones first, then the softmax ones.
std::vector<std::string> loss_names();
// True for the names make_softmax_loss takes (usable as cls_loss only).
bool is_softmax_loss(const std::string& name);
// LossParams with this loss's own defaults: the generic ones except alpha = 1 for softmax_focal,
// where alpha is only a scale of the whole term. Throws for an unknown name.
LossParams default_loss_params(const std::string& name);

// Multiclass loss over the class logits of one responsible anchor.
class SoftmaxLoss {
 public:
  virtual ~SoftmaxLoss() = default;
  virtual std::string name() const = 0;
  virtual std::string describe() const = 0;
  // logits[n_classes], grad[n_classes]; 0 <= target_class < n_classes (else throws dn::Error).
  // Writes grad[j] = weight * dL/dz_j (overwrites) and returns weight * L.
  virtual double compute(const float* logits, int n_classes, int target_class, float weight,
                         float* grad) const = 0;
};

// name: "softmax_focal". Throws dn::Error for an unknown name or a bad parameter.
std::unique_ptr<SoftmaxLoss> make_softmax_loss(const std::string& name, const LossParams& p);

}  // namespace dn
