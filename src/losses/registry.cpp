// The registry: cfg name -> loss, made from list.hpp (one entry per loss, defined in <name>.hpp).
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "losses/list.hpp"
#include "losses/loss.hpp"

namespace dn {

namespace losses {

std::string fmt_param(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void require_range(const std::string& loss, const std::string& key, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi))  // also rejects NaN
    fail(loss + " loss: " + key + " must be in [" + fmt_param(lo) + ", " + fmt_param(hi) +
         "], got " + fmt_param(v));
}

void require_min(const std::string& loss, const std::string& key, double v, double lo, bool strict) {
  bool ok = strict ? v > lo : v >= lo;
  if (!ok || !std::isfinite(v))
    fail(loss + " loss: " + key + " must be a finite number " + (strict ? "> " : ">= ") +
         fmt_param(lo) + ", got " + fmt_param(v));
}

void require_finite(const std::string& loss, const std::string& key, double v) {
  if (!std::isfinite(v)) fail(loss + " loss: " + key + " must be a finite number, got " + fmt_param(v));
}
}  // namespace losses

namespace {

// The CPU's Loss for an element-wise loss type L of list.hpp.
template <class L>
class ElementwiseLoss final : public Loss {
 public:
  explicit ElementwiseLoss(const L& l) : l_(l) {}
  std::string name() const override { return L::kName; }
  std::string describe() const override { return l_.describe(); }
  bool allows_soft_targets() const override { return L::kSoftTargets; }
  double compute(const float* logits, const float* targets, const float* weights, int n,
                 float* grad) const override {
    return losses::compute_elementwise(l_, logits, targets, weights, n, grad);
  }

 private:
  L l_;
};

// The CPU's SoftmaxLoss for a softmax loss type L of list.hpp.
template <class L>
class SoftmaxLossOf final : public SoftmaxLoss {
 public:
  explicit SoftmaxLossOf(const L& l) : l_(l) {}
  std::string name() const override { return L::kName; }
  std::string describe() const override { return l_.describe(); }
  double compute(const float* z, int n, int c, float weight, float* grad) const override {
    if (n < 1) fail(std::string(L::kName) + " loss: need at least one class, got " + std::to_string(n));
    if (c < 0 || c >= n)
      fail(std::string(L::kName) + " loss: target class " + std::to_string(c) + " outside [0, " +
           std::to_string(n) + ")");
    return l_(z, 1, n, c, weight, [grad](int j, float g) { grad[j] = g; });
  }

 private:
  L l_;
};

template <class L>
std::unique_ptr<Loss> make_elementwise(const LossParams& p) {
  L::check(p);
  return std::make_unique<ElementwiseLoss<L>>(L(p));
}

template <class L>
std::unique_ptr<SoftmaxLoss> make_softmax(const LossParams& p) {
  L::check(p);
  return std::make_unique<SoftmaxLossOf<L>>(L(p));
}

struct Entry {
  const char* name;
  int id;
  std::unique_ptr<Loss> (*make)(const LossParams&);
};
const Entry kLosses[] = {
#define DN_LOSS_ENTRY(L) {losses::L::kName, losses::k##L, make_elementwise<losses::L>},
    DN_ELEMENTWISE_LOSSES(DN_LOSS_ENTRY)
#undef DN_LOSS_ENTRY
};

struct SoftmaxEntry {
  const char* name;
  int id;
  std::unique_ptr<SoftmaxLoss> (*make)(const LossParams&);
  float default_alpha;
};
const SoftmaxEntry kSoftmaxLosses[] = {
#define DN_LOSS_ENTRY(L) {losses::L::kName, losses::k##L, make_softmax<losses::L>, losses::L::kDefaultAlpha},
    DN_SOFTMAX_LOSSES(DN_LOSS_ENTRY)
#undef DN_LOSS_ENTRY
};

std::string known_names() {
  std::string s;
  for (const auto& n : loss_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}
}  // namespace

std::unique_ptr<Loss> make_loss(const std::string& name, const LossParams& p) {
  for (const auto& e : kLosses)
    if (name == e.name) return e.make(p);
  if (is_softmax_loss(name))
    fail("loss " + quote_input(name) + " is a softmax (multiclass) loss: it can only be used as cls_loss");
  fail("unknown loss " + quote_input(name) + " (known: " + known_names() + ")");
}

std::unique_ptr<SoftmaxLoss> make_softmax_loss(const std::string& name, const LossParams& p) {
  for (const auto& e : kSoftmaxLosses)
    if (name == e.name) return e.make(p);
  for (const auto& e : kLosses)
    if (name == e.name) fail("loss " + quote_input(name) + " is element-wise, not a softmax loss");
  fail("unknown loss " + quote_input(name) + " (known: " + known_names() + ")");
}

std::vector<std::string> loss_names() {
  std::vector<std::string> v;
  for (const auto& e : kLosses) v.emplace_back(e.name);
  for (const auto& e : kSoftmaxLosses) v.emplace_back(e.name);
  return v;
}

bool is_softmax_loss(const std::string& name) {
  for (const auto& e : kSoftmaxLosses)
    if (name == e.name) return true;
  return false;
}

LossParams default_loss_params(const std::string& name) {
  LossParams p;
  for (const auto& e : kSoftmaxLosses)
    if (name == e.name) {
      p.alpha = e.default_alpha;
      return p;
    }
  for (const auto& e : kLosses)
    if (name == e.name) return p;
  fail("unknown loss " + quote_input(name) + " (known: " + known_names() + ")");
}

namespace losses {

LossSpec loss_spec(const std::string& name, const LossParams& p) {
  for (const auto& e : kLosses)
    if (name == e.name) {
      e.make(p);  // checks the parameters
      return {e.id, p};
    }
  for (const auto& e : kSoftmaxLosses)
    if (name == e.name) {
      e.make(p);
      return {e.id, p};
    }
  fail("unknown loss " + quote_input(name) + " (known: " + known_names() + ")");
}

bool is_softmax(const LossSpec& s) {
  for (const auto& e : kSoftmaxLosses)
    if (s.id == e.id) return true;
  return false;
}

}  // namespace losses

}  // namespace dn
