#pragma once
// Stop requests from SIGINT/SIGTERM for long runs (training, the video demo).
//
// While a StopSignals object lives, the two signals are blocked in the constructing thread and so
// in every thread started after it (the mask is inherited), and one waiting thread takes them
// synchronously: no thread is interrupted mid-computation. That is the safe way for a process full
// of threads, and on our machines a necessity: a handler running on a thread busy in the network
// corrupted the heap (seen as "free(): invalid pointer" / "double free" at exit, even with a
// handler that only set a flag). Threads that existed before fall back to a flag-setting handler.
// A second signal more than a second after the first ends the process as the default action would.
#include <atomic>
#include <csignal>
#include <thread>

namespace dn {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  // The signal number that asked to stop, 0 if none.
  static int received();

 private:
  sigset_t set_, old_mask_;
  struct sigaction old_int_ = {}, old_term_ = {};
  std::atomic<bool> done_{false};
  std::thread waiter_;
};

}  // namespace dn
