#include <unistd.h>

#include <cstdlib>

#include "apps/cli.hpp"

int main(int argc, char** argv) {
  // OpenMP's workers spin between parallel regions by default. On a shared 2-core machine (and
  // beside our own loader, reader and writer threads) spinning workers steal the cores they wait
  // for: training ran up to 2x slower. libgomp reads the policy when it loads, before main, so
  // set it and start again once; an explicit OMP_WAIT_POLICY from the user is kept.
  if (!std::getenv("OMP_WAIT_POLICY")) {
    setenv("OMP_WAIT_POLICY", "passive", 1);
    execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
  }
  return dn::run_cli(argc, argv);
}
