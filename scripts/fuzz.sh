#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ with clang (ASan + UBSan, every library instrumented) in
# build-fuzz/ and runs each for SECONDS (default 60) on a copy of its seed corpus fuzz/corpus/<name>.
# Exits non-zero on the first finding (crash, sanitizer report, leak, timeout, out-of-memory): the
# input that triggered it is left as build-fuzz/findings/<harness>/crash-* (or leak-, timeout-,
# oom-); add it to fuzz/corpus/<name>/ as a regression input once the bug is fixed.
#
#   scripts/fuzz.sh [SECONDS] [harness ...]     e.g. scripts/fuzz.sh 60, scripts/fuzz.sh 10 fuzz_cfg
#
# The random seed is fixed (FUZZ_SEED, default 1) so that CI's run repeats the one measured before
# a submission; FUZZ_SEED=0 lets libFuzzer pick one (for longer hunts).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
B=build-fuzz
for p in clang libomp-14-dev libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
    echo "fuzz.sh: installing $p"; apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p"; }
done
flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
mkdir -p "$B"
cmake -S . -B "$B" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DDN_FUZZ=ON -DDN_TESTS=OFF -DOPENCV=OFF -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" > "$B/configure.log" 2>&1 || { cat "$B/configure.log"; exit 1; }
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(fuzz_cfg fuzz_data fuzz_weights fuzz_labels fuzz_image)
cmake --build "$B" -j"$(nproc)" --target "${harnesses[@]}" > "$B/build.log" 2>&1 || { tail -40 "$B/build.log"; exit 1; }
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export OMP_NUM_THREADS=1
status=0
for h in "${harnesses[@]}"; do
  name=${h#fuzz_}
  work="$B/corpus/$name"
  findings="$B/findings/$h"
  rm -rf "$work" "$findings"
  mkdir -p "$work" "$findings"
  cp fuzz/corpus/"$name"/* "$work"/
  echo "== $h: ${SECONDS_EACH}s from $(ls "$work" | wc -l) seed inputs"
  if "$B/$h" "$work" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -seed="${FUZZ_SEED:-1}" \
       -artifact_prefix="$findings/" -print_final_stats=1 > "$B/$h.log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^Done" "$B/$h.log" | tr '\n' ' '; echo
  else
    echo "fuzz.sh: FINDING in $h (log: $B/$h.log, input: $(ls "$findings"))"
    grep -E "ERROR|runtime error|SUMMARY|==[0-9]+==" "$B/$h.log" | head -20
    status=1
  fi
done
rm -f /tmp/dn_fuzz_*
exit $status
