#!/bin/sh
# The benchmark programs' command lines: --help prints the usage (exit 0); an unknown option, a bad
# value or a fixtures folder that is not there is one message naming it and exit 1, never an
# uncaught exception. Nothing is benchmarked.
#
#   tests/bench_args.sh BENCH_TRAIN BENCH_INFERENCE       (ctest: bench_args)
set -u
[ $# -eq 2 ] || { echo "usage: $0 BENCH_TRAIN BENCH_INFERENCE" >&2; exit 2; }
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
for b in "$1" "$2"; do
  n=$(basename "$b")
  expect 0 "usage: $n" "$b" --help
  expect 1 "$n: $T/none/darknet-cfg/yolov3-tiny.cfg: cannot open the cfg" "$b" "$T/none"
  expect 1 "$n: unknown option -bogus" "$b" -bogus
done
expect 1 "bench_train: -net x: expected all, tiny or fastest" "$1" -net x
[ "$fails" -eq 0 ] || exit 1
echo "bench_args: ok"
