#include "core/stop_signals.hpp"

#include <pthread.h>

#include <chrono>
#include <ctime>

namespace dn {

namespace {
std::atomic<int> g_stop_signal{0};  // lock-free, so usable from a handler
static_assert(std::atomic<int>::is_always_lock_free);
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }
}  // namespace

int StopSignals::received() { return g_stop_signal; }

StopSignals::StopSignals() {
  g_stop_signal = 0;
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &old_int_);
  sigaction(SIGTERM, &sa, &old_term_);
  pthread_sigmask(SIG_BLOCK, &set_, &old_mask_);
  waiter_ = std::thread([this] {
    const timespec tick{0, 100 * 1000 * 1000};
    std::chrono::steady_clock::time_point first_at;
    while (!done_) {
      const int sig = sigtimedwait(&set_, nullptr, &tick);
      if (sig <= 0) continue;
      if (!g_stop_signal || first_at == std::chrono::steady_clock::time_point()) {
        first_at = std::chrono::steady_clock::now();
      } else if (std::chrono::steady_clock::now() - first_at > std::chrono::seconds(1)) {
        // A second signal, well after the first (one signal often arrives twice at once: `timeout`
        // sends it to the process and to its group): the user does not want to wait.
        struct sigaction dfl = {};
        dfl.sa_handler = SIG_DFL;
        sigaction(sig, &dfl, nullptr);
        pthread_sigmask(SIG_UNBLOCK, &set_, nullptr);
        raise(sig);
      }
      g_stop_signal = sig;
    }
  });
}

StopSignals::~StopSignals() {
  done_ = true;
  waiter_.join();
  // A signal that arrived after the waiter's last look is still a stop request: take it here
  // rather than let it kill the process when unblocked.
  const timespec zero{0, 0};
  while (sigtimedwait(&set_, nullptr, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

}  // namespace dn
