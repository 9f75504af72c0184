#pragma once
// The one generic finite-difference gradient checker used by every layer and loss test.
//
// f(x) returns a scalar (computed in double); analytic[i] is the claimed dF/dx[i] at x.
// Central differences with step eps; the error at i is
//   |num - ana| / max(abs_floor, |num| + |ana|)
// and the check reports the worst index over the checked coordinates.
#include <cmath>
#include <functional>
#include <span>
#include <vector>

namespace dn::testing {

struct GradCheckResult {
  double max_error = 0;   // worst relative error (see above)
  int worst_index = -1;
  double numeric = 0, analytic = 0;  // at the worst index
};

inline GradCheckResult check_gradient(const std::function<double(std::span<const float>)>& f,
                                      std::vector<float> x, std::span<const float> analytic,
                                      double eps = 1e-3, double abs_floor = 1e-3,
                                      int stride = 1) {
  GradCheckResult r;
  for (size_t i = 0; i < x.size(); i += stride) {
    float saved = x[i];
    x[i] = saved + static_cast<float>(eps);
    double fp = f(x);
    x[i] = saved - static_cast<float>(eps);
    double fm = f(x);
    x[i] = saved;
    // Use the step actually representable in float.
    double h = (static_cast<double>(saved + static_cast<float>(eps)) -
                static_cast<double>(saved - static_cast<float>(eps)));
    double num = (fp - fm) / h;
    double ana = analytic[i];
    double err = std::fabs(num - ana) / std::max(abs_floor, std::fabs(num) + std::fabs(ana));
    if (r.worst_index < 0 || !(err <= r.max_error)) {  // NaN counts as the worst
      r.max_error = std::isnan(err) ? INFINITY : err;
      r.worst_index = static_cast<int>(i);
      r.numeric = num;
      r.analytic = ana;
    }
  }
  return r;
}

}  // namespace dn::testing
