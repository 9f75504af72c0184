#pragma once
// The list of losses, for both backends: registry.cpp makes the CPU's Loss objects from it and the
// CUDA kernels dispatch on it, so a new loss is its header in this folder plus its #include and
// its name below. Each element-wise loss type L has kName, kSoftTargets, L(const LossParams&),
// static check(params) (throws dn::Error), describe() and the DN_HD side function
// SideValue operator()(double x_t, bool positive); a softmax loss has, instead of the side
// function, a DN_HD operator()(z, stride, n, c, weight, emit) and kDefaultAlpha.
#include <string>

#include "losses/balanced.hpp"
#include "losses/bce.hpp"
#include "losses/focal.hpp"
#include "losses/focal_star.hpp"
#include "losses/mfocal.hpp"
#include "losses/poly1.hpp"
#include "losses/softmax_focal.hpp"

// X(type) for every loss, in the order loss_names() lists them.
#define DN_ELEMENTWISE_LOSSES(X) X(Bce) X(Balanced) X(Focal) X(FocalStar) X(Poly1) X(MFocal)
#define DN_SOFTMAX_LOSSES(X) X(SoftmaxFocal)

namespace dn::losses {

enum LossId : int {
#define DN_LOSS_ID(L) k##L,
  DN_ELEMENTWISE_LOSSES(DN_LOSS_ID) DN_SOFTMAX_LOSSES(DN_LOSS_ID)
#undef DN_LOSS_ID
  kLossCount
};

// A loss chosen at run time in a form device code can take: which one, and its parameters.
struct LossSpec {
  int id = kBce;
  LossParams params;
};

// The spec of cfg name `name` (element-wise or softmax) with parameters p, checked as make_loss
// checks them; throws dn::Error for an unknown name or a bad parameter (registry.cpp).
LossSpec loss_spec(const std::string& name, const LossParams& p);
bool is_softmax(const LossSpec& s);

// One element of the element-wise loss s, as Loss::compute does for each element: returns
// weight*L and sets *grad = weight*dL/dlogit.
DN_HD inline double loss_one(const LossSpec& s, float logit, float target, float weight, float* grad) {
  switch (s.id) {
#define DN_LOSS_CASE(L) \
  case k##L:            \
    return elementwise_one(L(s.params), logit, target, weight, grad);
    DN_ELEMENTWISE_LOSSES(DN_LOSS_CASE)
#undef DN_LOSS_CASE
  }
  *grad = 0;  // a softmax loss here is a caller's error (loss_spec's users check is_softmax)
  return 0;
}

// The softmax loss s over z[j*stride], j < n, target class c: returns weight*L and calls
// emit(j, weight*dL/dz_j) for every j.
template <class Emit>
DN_HD inline double softmax_loss_one(const LossSpec& s, const float* z, int stride, int n, int c, float weight,
                                     Emit emit) {
  switch (s.id) {
#define DN_LOSS_CASE(L) \
  case k##L:            \
    return L(s.params)(z, stride, n, c, weight, emit);
    DN_SOFTMAX_LOSSES(DN_LOSS_CASE)
#undef DN_LOSS_CASE
  }
  return 0;
}

}  // namespace dn::losses
