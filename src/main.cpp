#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "apps/cli.hpp"

int main(int argc, char** argv) {
  // How OpenMP's workers wait between parallel regions. libgomp reads this when it loads, before
  // main, so it is set here and the program started again once; a user's OMP_WAIT_POLICY or
  // GOMP_SPINCOUNT is kept.
  //  - Training: passive (sleep at once). On a shared 2-core machine (and beside the loader
  //    thread) spinning workers steal the cores they wait for: training ran up to 2x slower with
  //    libgomp's default spinning.
  //  - Everything else (test, map, valid, demo): a short spin (GOMP_SPINCOUNT=10000) before
  //    sleeping. A small network runs hundreds of short parallel regions per image, and waking
  //    sleeping workers for each cost more than the work: yolo-fastest-1.1-xl on vtest.avi ran
  //    the demo at 5.6 FPS passive against 16.0 with the short spin (docs/demo.md).
  if (!std::getenv("OMP_WAIT_POLICY") && !std::getenv("GOMP_SPINCOUNT")) {
    const bool training = argc > 2 && std::strcmp(argv[1], "detector") == 0 && std::strcmp(argv[2], "train") == 0;
    if (training)
      setenv("OMP_WAIT_POLICY", "passive", 1);
    else
      setenv("GOMP_SPINCOUNT", "10000", 1);
    execv("/proc/self/exe", argv);  // returns only on failure: then run as we are
  }
  return dn::run_cli(argc, argv);
}
