// kill -9 during training (issue "Hardening"): SIGKILL at 10 moments, half of them inside a
// checkpoint write (caught as the temporary file of its first or second file appears), half at
// random within the next few iterations (DN_LAST_EVERY=1 saves _last after every iteration). After each kill,
// <cfg>_last.weights must be a whole file that loads every layer, one of _last.state /
// _last.state.prev must be the optimizer state of exactly those weights, and training must resume
// from them with that momentum.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "core/fileio.hpp"
#include "network/network.hpp"
#include "network/param_store.hpp"
#include "train/optimizer_state.hpp"
#include "train/sgd.hpp"
#include "train_fixtures.hpp"

namespace dn {
namespace {

namespace fs = std::filesystem;

// Starts `darknet detector train` in dir with DN_LAST_EVERY=1; output to log.
pid_t start_training(const testing::TrainFixture& f, const std::string& weights, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(f.dir.c_str()) != 0) _exit(127);
    FILE* out = std::freopen(log.c_str(), "w", stdout);
    if (!out || dup2(fileno(stdout), 2) < 0) _exit(127);
    setenv("DN_LAST_EVERY", "1", 1);
    setenv("OMP_NUM_THREADS", "1", 1);
    std::vector<std::string> args = {DN_DARKNET_EXE, "detector", "train", f.data, f.cfg};
    if (!weights.empty()) args.push_back(weights);
    for (const char* a : {"-dont_show", "-quiet", "-chart", "", "-seed", "3"}) args.push_back(a);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

TEST(KillDuringTraining, CheckpointsAreWholeAndConsistentAfterSigkill) {
  // The small detector (two [yolo] heads, ~1.6 M parameters: 6.5 MB of weights and as much state)
  // on 4 BCCD images at 96x96, batch 2.
  auto f = testing::make_train_fixture("kill9", testing::small_detector_cfg(100000, "", 2, .001f, 0, 96), 4);
  const std::string backup = f.dir + "/backup";
  const std::string last = backup + "/small_last.weights", state = backup + "/small_last.state";
  auto net = load_network(f.cfg, 2);
  const int weighted = weighted_layer_count(*net);
  std::mt19937 rng(20261202);
  std::uniform_int_distribution<int> wait_ms(0, 300);
  int resumed_with_momentum = 0, killed_during_write = 0, kills = 0;
  int64_t last_seen = -1;
  for (int round = 0; round < 10; ++round) {
    const bool resume = fs::exists(last);
    const auto before = resume ? fs::last_write_time(last) : fs::file_time_type::min();
    const std::string log = f.dir + "/train" + std::to_string(round) + ".log";
    const pid_t pid = start_training(f, resume ? last : "", log);
    ASSERT_GT(pid, 0);
    // Past start-up: this run has saved a checkpoint of its own.
    const auto t0 = std::chrono::steady_clock::now();
    auto waited = [&] { return std::chrono::steady_clock::now() - t0 > std::chrono::seconds(60); };
    while (!(fs::exists(last) && fs::last_write_time(last) != before) && !waited())
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (round % 2 == 0) {
      // Even rounds: the moment a temporary file shows up, i.e. inside a checkpoint write: the
      // first file of a save (rounds 0, 4, 8) or the second (2, 6; the first has been renamed).
      auto writing = [&](const std::string& other_than) -> std::string {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(backup, ec))
          if (e.path().string().find(".tmp") != std::string::npos && e.path().string() != other_than)
            return e.path().string();
        return "";
      };
      std::string first;
      while ((first = writing("")).empty() && !waited()) std::this_thread::yield();
      if (round % 4 == 2)
        while (writing(first).empty() && !waited()) std::this_thread::yield();
    } else {
      // Odd rounds: anywhere in the next few iterations.
      std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms(rng)));
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int st = 0;
    ASSERT_EQ(waitpid(pid, &st, 0), pid);
    const std::string out = read_text_file(log);
    ASSERT_TRUE(WIFSIGNALED(st)) << "training ended by itself before the kill:\n" << out;
    ++kills;
    if (resume) {
      // Resumed from the previous round's checkpoint, with its momentum.
      EXPECT_NE(out.find("Resuming at iteration"), std::string::npos) << "round " << round << ":\n" << out;
      EXPECT_EQ(out.find("momentum starts at zero"), std::string::npos) << out;
      resumed_with_momentum += out.find("with the momentum of") != std::string::npos;
    }
    // Temporary files left by the kill show that it came during a write.
    for (const auto& e : fs::directory_iterator(backup))
      if (e.path().string().find(".tmp") != std::string::npos) {
        ++killed_during_write;
        fs::remove(e.path());
        break;
      }
    ASSERT_TRUE(fs::exists(last)) << "round " << round;
    // The weights: a whole file (every layer loads) ...
    auto check = load_network(f.cfg, 2);
    WeightsInfo info;
    ASSERT_NO_THROW(load_weights(*check, last, -1, &info)) << "round " << round;
    EXPECT_EQ(info.loaded, weighted) << "round " << round << ": _last.weights is truncated";
    EXPECT_GE(static_cast<int64_t>(check->seen), last_seen) << "the checkpoint went back in time";
    last_seen = static_cast<int64_t>(check->seen);
    // ... and the state of exactly those weights in .state or .state.prev.
    check->set_training(true);
    CpuParamStore store(*check);
    Sgd sgd(store);
    std::string why, why_prev;
    const bool ok = load_optimizer_state(sgd, check->seen, state, &why) ||
                    load_optimizer_state(sgd, check->seen, state + ".prev", &why_prev);
    EXPECT_TRUE(ok) << "round " << round << ": no optimizer state matches _last.weights (" << why << "; " << why_prev
                    << ")";
  }
  EXPECT_EQ(kills, 10);
  EXPECT_EQ(resumed_with_momentum, 9);  // every round after the first
  EXPECT_GE(killed_during_write, 3);
  std::printf("10 kills: %d inside a checkpoint write, %d resumed with the momentum, last checkpoint at %lld images\n",
              killed_during_write, resumed_with_momentum, static_cast<long long>(last_seen));
  fs::remove_all(f.dir);
}

}  // namespace
}  // namespace dn
