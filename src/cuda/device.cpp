#include "cuda/device.hpp"

#include <cuda_runtime.h>

#include <cstdio>
#include <mutex>

#include "core/error.hpp"

namespace dn::cuda {

namespace {
std::mutex g_mutex;
int g_requested = 0;
bool g_cpu = false;
bool g_warned = false;
}  // namespace

void request_device(int index) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (index < 0) fail("GPU index must be >= 0, got " + std::to_string(index));
  g_requested = index;
  g_cpu = false;
}

void request_cpu() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_cpu = true;
}

int visible_devices() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // no driver / no device: not an error for a CPU fallback
    return 0;
  }
  return n;
}

int active_device() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_cpu) return -1;
  const int n = visible_devices();
  if (n <= 0) {
    if (!g_warned) std::fprintf(stderr, "warning: built with GPU=1 but no CUDA device is visible: running on the CPU\n");
    g_warned = true;
    return -1;
  }
  if (g_requested >= n)
    fail("GPU " + std::to_string(g_requested) + " requested (-i/-gpus) but CUDA sees " + std::to_string(n) +
         " device" + (n == 1 ? "" : "s") + " (0.." + std::to_string(n - 1) + ")");
  return g_requested;
}

std::string device_description(int index) {
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, index) != cudaSuccess) {
    cudaGetLastError();
    return "device " + std::to_string(index) + " (unavailable)";
  }
  char buf[512];
  std::snprintf(buf, sizeof buf, "%.256s (sm_%d%d, %.1f GiB)", p.name, p.major, p.minor,
                p.totalGlobalMem / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

}  // namespace dn::cuda
