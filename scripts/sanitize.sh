#!/usr/bin/env bash
# The whole ctest suite under AddressSanitizer + UndefinedBehaviorSanitizer: a Release build with
# -fsanitize=address,undefined in build-asan/ (gcc), every test run as in `make test`. Any sanitizer
# report fails the test it happens in (UBSan does not recover; ASan aborts).
#
#   scripts/sanitize.sh [ctest arguments ...]     e.g. scripts/sanitize.sh -R Nms
set -euo pipefail
cd "$(dirname "$0")/.."
B=build-asan
flags="-g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
mkdir -p "$B"
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" > "$B/configure.log" 2>&1 || { cat "$B/configure.log"; exit 1; }
cmake --build "$B" -j"$(nproc)" > "$B/build.log" 2>&1 || { tail -40 "$B/build.log"; exit 1; }
# Leak checking stays off here: OpenCV, oneDNN and libgomp keep allocations for the life of the
# process by design. The fuzzers (scripts/fuzz.sh) check our readers for leaks.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:detect_odr_violation=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$B" && ctest --output-on-failure -j"$(nproc)" "$@"
