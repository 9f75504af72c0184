// The registry: cfg name -> loss. One line per loss, defined in <name>.cpp.
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "losses/elementwise.hpp"
#include "losses/loss.hpp"

namespace dn {

namespace losses {
std::unique_ptr<Loss> make_bce(const LossParams& p);
std::unique_ptr<Loss> make_balanced(const LossParams& p);
std::unique_ptr<Loss> make_focal(const LossParams& p);
std::unique_ptr<Loss> make_focal_star(const LossParams& p);
std::unique_ptr<Loss> make_poly1(const LossParams& p);
std::unique_ptr<Loss> make_mfocal(const LossParams& p);
std::unique_ptr<SoftmaxLoss> make_softmax_focal(const LossParams& p);

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
struct Entry {
  const char* name;
  std::unique_ptr<Loss> (*make)(const LossParams&);
};
const Entry kLosses[] = {
    {"bce", losses::make_bce},
    {"balanced", losses::make_balanced},
    {"focal", losses::make_focal},
    {"focal_star", losses::make_focal_star},
    {"poly1", losses::make_poly1},
    {"mfocal", losses::make_mfocal},
};

struct SoftmaxEntry {
  const char* name;
  std::unique_ptr<SoftmaxLoss> (*make)(const LossParams&);
};
const SoftmaxEntry kSoftmaxLosses[] = {
    {"softmax_focal", losses::make_softmax_focal},
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
  if (name == "softmax_focal") {
    p.alpha = 1.0f;
    return p;
  }
  for (const auto& e : kLosses)
    if (name == e.name) return p;
  fail("unknown loss " + quote_input(name) + " (known: " + known_names() + ")");
}

}  // namespace dn
