#!/bin/sh
# The benchmark programs' command lines: --help prints the usage (exit 0); an unknown option, a bad
# value or a fixtures folder that is not there is one message naming it and exit 1, never an
# uncaught exception. Nothing is benchmarked (bench_gpu's fixtures folder is only read when a
# device is visible, so its missing-folder check is not made).
#
#   tests/bench_args.sh BENCH...   bench_train, bench_inference (ctest: bench_args), bench_gpu (bench_gpu_args)
set -u
[ $# -ge 1 ] || { echo "usage: $0 BENCH..." >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/bench_args.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
# expect RC PATTERN CMD...: CMD exits RC and its output (stdout and stderr) holds PATTERN.
expect() {
  rc=$1 pat=$2
  shift 2
  "$@" > "$T/out" 2>&1
  got=$?
  if [ "$got" -ne "$rc" ] || ! grep -qF -- "$pat" "$T/out" || grep -q 'terminate called' "$T/out"; then
    echo "bench_args: FAIL: '$*' exited $got (expected $rc) with:" >&2
    cat "$T/out" >&2
    fails=$((fails + 1))
  fi
}
for b in "$@"; do
  n=$(basename "$b")
  expect 0 "usage: $n" "$b" --help
  expect 1 "$n: unknown option -bogus" "$b" -bogus
  case $n in
    bench_train)
      expect 1 "bench_train: -net x: expected all, tiny or fastest" "$b" -net x
      expect 1 "bench_train: -batch 0: expected a whole number from 1 to 1000000" "$b" -batch 0
      expect 1 "bench_train: -iterations 3x: expected a whole number" "$b" -iterations 3x
      expect 1 "bench_train: -size needs a value" "$b" -size
      expect 1 "bench_train: -net needs a value" "$b" -net ;;
    bench_inference)
      expect 1 "bench_inference: -runs -3: expected a whole number" "$b" -runs -3
      expect 1 "bench_inference: -runs 99999999999: expected a whole number" "$b" -runs 99999999999 ;;
    bench_gpu)
      expect 1 "bench_gpu: -batch 0: expected a whole number" "$b" -batch 0
      expect 1 "bench_gpu: -nets: an empty name" "$b" -nets yolov3,,x
      expect 1 "bench_gpu: -runs needs a value" "$b" -runs
      expect 1 "bench_gpu: -nets needs a value" "$b" -nets ;;
  esac
  [ "$n" = bench_gpu ] || expect 1 "$n: $T/none/darknet-cfg/yolov3-tiny.cfg: cannot open the cfg" "$b" "$T/none"
done
[ "$fails" -eq 0 ] || exit 1
echo "bench_args: ok"
