// A short training run on BCCD (`detector train`'s loop, 8 images, the small two-head detector of
// train_fixtures.hpp) on the GPU and on the CPU from the same seed: the first iteration's loss is
// the same (same initial weights, same images), and the GPU's loss falls like the CPU's.
//
// Tolerances: iteration 1's loss 1e-3 relative (one forward, float rounding only); after 100
// iterations the runs have drifted apart through float rounding (and the order of reductions), so
// the mean loss of the last 10 iterations must be within 25% of the CPU's, and each run's below
// half of its first iterations' mean.
#include <cstdio>
#include <string>
#include <vector>

#include "cuda/device.hpp"
#include "gpu/gpu_test_util.hpp"
#include "network/network.hpp"
#include "train/trainer.hpp"
#include "train_fixtures.hpp"

namespace dn {
namespace {

constexpr int kIterations = 100;

std::vector<float> train_losses(const testing::TrainFixture& f, bool on_gpu) {
  if (on_gpu)
    cuda::request_device(0);
  else
    cuda::request_cpu();
  std::vector<float> losses;
  train_detector(testing::fixture_train_options(f, 1, &losses));
  cuda::request_device(0);
  return losses;
}

double mean(const std::vector<float>& v, size_t from, size_t n) {
  double s = 0;
  for (size_t i = from; i < from + n; ++i) s += v[i];
  return s / n;
}

TEST(TrainOnGpu, BccdLossFallsLikeTheCpuRun) {
  DN_REQUIRE_GPU();
  auto f = testing::make_train_fixture("gpu_train", testing::small_detector_cfg(kIterations), 8);
  const std::vector<float> cpu = train_losses(f, false);
  const std::vector<float> gpu = train_losses(f, true);
  ASSERT_EQ(cpu.size(), static_cast<size_t>(kIterations));
  ASSERT_EQ(gpu.size(), static_cast<size_t>(kIterations));
  std::printf("iteration    cpu loss    gpu loss\n");
  for (int i = 0; i < kIterations; i += 10) std::printf("%9d  %10.4f  %10.4f\n", i + 1, cpu[i], gpu[i]);
  EXPECT_TRUE(testing::close_to(gpu[0], cpu[0], 1e-3)) << "iteration 1: same weights and images";
  const double cpu_first = mean(cpu, 0, 5), cpu_last = mean(cpu, kIterations - 10, 10);
  const double gpu_first = mean(gpu, 0, 5), gpu_last = mean(gpu, kIterations - 10, 10);
  std::printf("mean loss: cpu %.4f -> %.4f, gpu %.4f -> %.4f\n", cpu_first, cpu_last, gpu_first, gpu_last);
  EXPECT_LT(cpu_last, .5 * cpu_first);
  EXPECT_LT(gpu_last, .5 * gpu_first) << "the GPU run should learn";
  EXPECT_TRUE(testing::close_to(gpu_last, cpu_last, .25)) << "the GPU's loss should fall like the CPU's";
}

}  // namespace
}  // namespace dn
