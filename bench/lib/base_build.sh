# Sourced by bench/compare_*.sh: build one target of another commit in a git worktree at BASE_WT
# (kept for the next call) and print the path of the built file.
#   base_build COMMIT TARGET
BASE_WT=build-base/src
base_build() {
  local commit=$1 target=$2
  if [ ! -d "$BASE_WT" ]; then mkdir -p "$(dirname "$BASE_WT")" && git worktree add -q "$BASE_WT" "$commit"; fi
  git -C "$BASE_WT" checkout -q --detach "$commit"
  (cd "$BASE_WT" && cmake -S . -B build -DGPU=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null &&
    cmake --build build -j"$(nproc)" --target "$target" >/dev/null) >&2
  echo "$BASE_WT/build/$target"
}
