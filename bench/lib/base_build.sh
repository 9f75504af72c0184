# Sourced by bench/compare_*.sh: build one target of another commit in a git worktree under
# build-base/ (kept for the next call) and print the path of the built file.
#   base_build COMMIT TARGET
base_build() {
  local commit=$1 target=$2 wt=build-base/src
  if [ ! -d "$wt" ]; then mkdir -p build-base && git worktree add -q "$wt" "$commit"; fi
  git -C "$wt" checkout -q --detach "$commit"
  (cd "$wt" && cmake -S . -B build -DGPU=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null &&
    cmake --build build -j"$(nproc)" --target "$target" >/dev/null) >&2
  echo "$wt/build/$target"
}
