#!/usr/bin/env bash
# The one prepared device check of the CUDA backend (docs/cuda.md), for a session that has an H200:
# builds GPU=1 CUDNN=1 for sm_90 (cuDNN from the pip package nvidia.cudnn), runs the GPU tests,
# the GPU benchmark, and a darknet run (detector test, a short detector train with -map on BCCD).
# Everything lands in $OUT (else ./gpu_out): env.txt, build.log, tests.log, app.log, bench.md,
# summary.txt. Budget: about 6 minutes on 16 cores (give the device call timeout_s 600); each step
# has its own timeout, the most telling first, so a cut-off run still brings back the tests.
#
# Before the device call, on the CPU machine: scripts/gpu_pack.sh (fills .gpu_carry/ with the
# Debian libraries and the fixtures the GPU machine lacks); then run this with carry [".gpu_carry"].
#   scripts/gpu_check.sh [--build-only]     (env: OUT, JOBS, BUILD_DIR, TRAIN_ITERATIONS)
set -uo pipefail
build_only=0
[ "${1:-}" = --build-only ] && build_only=1
cd "$(dirname "$0")/.."
root=$PWD
out=${OUT:-$root/gpu_out}
mkdir -p "$out"
jobs=${JOBS:-$(nproc)}
summary=$out/summary.txt
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }
step() {  # step <name> <timeout s> <log> <command...>: runs, logs, records the status
  local name=$1 limit=$2 log=$3
  shift 3
  local t0=$SECONDS
  timeout "$limit" "$@" >>"$log" 2>&1
  local rc=$?
  note "$(printf '%-10s rc=%-3s %4ds  (log: %s)' "$name" "$rc" $((SECONDS - t0)) "$(basename "$log")")"
  return $rc
}

# ---- the machine ------------------------------------------------------------------------------
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || echo "no nvidia-smi"
  command -v nvcc && nvcc --version | tail -2
  g++ --version | head -1
  cmake --version | head -1
  command -v pkg-config || echo "no pkg-config"
  python3 --version
} >"$out/env.txt" 2>&1

# ---- the Debian libraries of the CPU code (oneDNN, GoogleTest, stb, pkgconf), unpacked -----------
deps=/tmp/dn_deps
if [ -d .gpu_carry/debs ]; then
  mkdir -p "$deps"
  for f in .gpu_carry/debs/*.deb; do dpkg-deb -x "$f" "$deps" 2>>"$out/env.txt" || dpkg -x "$f" "$deps"; done
else
  note "no .gpu_carry/debs: run scripts/gpu_pack.sh on the CPU machine and carry .gpu_carry"
fi
libdir=$deps/usr/lib/x86_64-linux-gnu
export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if ! command -v pkg-config >/dev/null && [ -x "$deps/usr/bin/pkgconf" ]; then
  mkdir -p "$deps/bin"
  printf '#!/bin/sh\nexec %s "$@"\n' "$deps/usr/bin/pkgconf" >"$deps/bin/pkg-config"
  chmod +x "$deps/bin/pkg-config"
  export PATH=$deps/bin:$PATH
fi
export PKG_CONFIG_PATH=$libdir/pkgconfig:$deps/usr/share/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$deps  # stb.pc says prefix=/usr

# ---- the fixtures: the tests read ../shared (and $DN_SHARED_DIR) ---------------------------------
if [ ! -d ../shared/darknet-cfg ] && [ -d .gpu_carry/shared ]; then ln -sfn "$root/.gpu_carry/shared" ../shared; fi
export DN_SHARED_DIR=$(cd ../shared 2>/dev/null && pwd || echo "$root/.gpu_carry/shared")

# ---- cuDNN from pip (the CUDA toolkit's own first, if it has one) ---------------------------------
cudnn_root=$(python3 -c "import os, nvidia.cudnn as m; print(os.path.dirname(m.__file__) if m.__file__ else list(m.__path__)[0])" 2>/dev/null || true)
[ -n "$cudnn_root" ] && export LD_LIBRARY_PATH=$cudnn_root/lib:$LD_LIBRARY_PATH
echo "cuDNN root: ${cudnn_root:-none found in python}" >>"$out/env.txt"

# ---- build --------------------------------------------------------------------------------------
build=${BUILD_DIR:-build-gpu}
step configure 120 "$out/build.log" cmake -S . -B "$build" -DGPU=ON -DCUDNN=ON -DOPENCV=OFF -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CUDA_ARCHITECTURES=90 ${cudnn_root:+-DCUDNN_ROOT=$cudnn_root} \
  -DDNNL_LIB="$libdir/libdnnl.so" -DDNNL_INCLUDE="$deps/usr/include" -DGTest_DIR="$libdir/cmake/GTest" &&
  step build 300 "$out/build.log" cmake --build "$build" -j"$jobs" --target dn_gpu_checks
built=$?
if [ $built -ne 0 ]; then
  tail -40 "$out/build.log" >>"$summary"
  exit 1
fi
[ $build_only = 1 ] && exit 0

# ---- GPU tests ------------------------------------------------------------------------------------
export DN_PRINT_ERRORS=1  # every comparison prints its measured error (tests/gpu/gpu_test_util.hpp)
for t in "$build"/test_cuda_*; do
  [ -x "$t" ] || continue
  echo "==== $(basename "$t")" >>"$out/tests.log"
  step "$(basename "$t")" 120 "$out/tests.log" "$t" --gtest_color=no
done
grep -E "^\[  FAILED  \]|^\[  PASSED  \] [0-9]|^\[  SKIPPED \] [0-9]|tolerance" "$out/tests.log" | head -40 >>"$summary"
# The worst measured error of each tolerance class (close_to prints them with DN_PRINT_ERRORS=1).
grep -E "^error " "$out/tests.log" | sort -k2 -g | awk '{w[$4]=$0} END {for (t in w) print "worst at tolerance " t ": " w[t]}' >>"$summary"

# ---- benchmark ----------------------------------------------------------------------------------
{
  step bench 150 "$out/bench.md" "$build/bench_gpu" "$DN_SHARED_DIR"
  step bench_tf32 90 "$out/bench.md" "$build/bench_gpu" "$DN_SHARED_DIR" -tf32
  step bench_blas 60 "$out/bench.md" "$build/bench_gpu" "$DN_SHARED_DIR" -cublas -nets yolov3-tiny -iterations 5
}
grep "^|" "$out/bench.md" >>"$summary"
# ---- darknet on the GPU: detect, then a short training on BCCD --------------------------------------
app=$out/app.log
tmpw=/tmp/dn_gpu_init.weights
step dn_init 30 "$app" "$build/darknet" init cfg/yolov3-tiny-bccd.cfg "$tmpw" -seed 1
step dn_test 30 "$app" "$build/darknet" detector test cfg/bccd.data cfg/yolov3-tiny-bccd.cfg "$tmpw" \
  "$DN_SHARED_DIR/datasets/bccd/images/$(ls "$DN_SHARED_DIR/datasets/bccd/images" | head -1)" -dont_show -thresh .01
step dn_train 120 "$app" "$build/darknet" detector train cfg/bccd.data cfg/yolov3-tiny-bccd.cfg -seed 1 -iterations "${TRAIN_ITERATIONS:-200}" \
  -dont_show -quiet -map -chart /tmp/dn_chart.png
grep -E "Training on GPU|Predicted in|^ *(1|50|100|150|200): |mean average precision" "$app" | head -20 >>"$summary"

echo "done in ${SECONDS}s" | tee -a "$summary"
