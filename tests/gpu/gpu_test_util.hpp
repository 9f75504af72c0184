#pragma once
// Helpers of the GPU tests (tests/gpu/test_cuda_*.cpp; built only with GPU=1). Every test starts
// with DN_REQUIRE_GPU(): without a visible device it is skipped, saying so.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cuda/device.hpp"

#define DN_REQUIRE_GPU()                                                                      \
  do {                                                                                        \
    if (::dn::cuda::visible_devices() == 0) GTEST_SKIP() << "no CUDA device visible";         \
  } while (0)

namespace dn::testing {

// The fixtures folder: $DN_SHARED_DIR if set (the GPU machine gets a copy elsewhere), else the
// ../shared beside the source tree.
inline std::string shared_dir() {
  const char* env = std::getenv("DN_SHARED_DIR");
  return env && *env ? env : DN_SHARED_DIR;
}

// GPU against CPU: every |gpu - cpu| <= rtol * max(max |cpu|, floor). The scale is the tensor's
// largest magnitude, so that rounding in a sum of many terms (of either sign) is judged against
// the terms' size, not against a result that happens to be near 0.
inline ::testing::AssertionResult close_to(const std::vector<float>& gpu, const std::vector<float>& cpu, double rtol,
                                           double floor = 1e-6) {
  if (gpu.size() != cpu.size())
    return ::testing::AssertionFailure() << "sizes differ: gpu " << gpu.size() << ", cpu " << cpu.size();
  double scale = floor;
  for (float v : cpu) scale = std::max(scale, static_cast<double>(std::fabs(v)));
  double worst = 0;
  size_t at = 0;
  bool bad = false;
  for (size_t i = 0; i < cpu.size(); ++i) {
    const double d = std::fabs(static_cast<double>(gpu[i]) - cpu[i]);
    if (!(d <= worst) || std::isnan(d)) {  // NaN counts as the worst
      worst = std::isnan(d) ? INFINITY : d;
      at = i;
    }
    if (!(d <= rtol * scale)) bad = true;
  }
  // With DN_PRINT_ERRORS=1 (scripts/gpu_check.sh) every comparison prints its relative error, so
  // that the tolerances can be set from measurements: "error <max|gpu-cpu|/scale> tolerance <rtol>".
  if (const char* p = std::getenv("DN_PRINT_ERRORS"); p && *p == '1')
    std::printf("error %.3g tolerance %g size %zu\n", worst / scale, rtol, cpu.size());
  if (!bad)
    return ::testing::AssertionSuccess() << "max |gpu - cpu| = " << worst << " (" << worst / scale << " of max |cpu|)";
  return ::testing::AssertionFailure() << "max |gpu - cpu| = " << worst << " at " << at << " (gpu " << gpu[at]
                                       << ", cpu " << cpu[at] << "), tolerance " << rtol << " * " << scale;
}

inline ::testing::AssertionResult close_to(double gpu, double cpu, double rtol, double floor = 1e-12) {
  const double tol = rtol * std::max(std::fabs(cpu), floor);
  if (const char* p = std::getenv("DN_PRINT_ERRORS"); p && *p == '1')
    std::printf("error %.3g tolerance %g size 1\n", std::fabs(gpu - cpu) / std::max(std::fabs(cpu), floor), rtol);
  if (std::fabs(gpu - cpu) <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "gpu " << gpu << ", cpu " << cpu << ", tolerance " << tol;
}

}  // namespace dn::testing
