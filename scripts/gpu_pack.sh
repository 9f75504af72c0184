#!/usr/bin/env bash
# Run HERE (the CPU machine) before handing scripts/gpu_check.sh to the GPU machine, which reaches
# no network and has none of our Debian libraries. Fills .gpu_carry/ (ignored by git, ~25 MB):
#   debs/    the .deb files of oneDNN, GoogleTest, stb and pkgconf (unpacked there, never installed)
#   shared/  the fixtures the GPU tests read: darknet-cfg/ and datasets/bccd/
# Then: device tool `run` with carry [".gpu_carry"] and command "scripts/gpu_check.sh" (docs/cuda.md).
#   scripts/gpu_pack.sh [shared_dir]      (default ../shared)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
out=.gpu_carry
[ -d "$shared/darknet-cfg" ] && [ -d "$shared/datasets/bccd" ] || { echo "gpu_pack: $shared has no darknet-cfg/ or datasets/bccd/" >&2; exit 1; }
mkdir -p .git/info
grep -qx '/.gpu_carry/' .git/info/exclude 2>/dev/null || echo '/.gpu_carry/' >>.git/info/exclude

rm -rf "$out"
mkdir -p "$out/debs" "$out/shared/datasets"
cp -r "$shared/darknet-cfg" "$out/shared/"
cp -r "$shared/datasets/bccd" "$out/shared/datasets/"

# The packages, from apt's cache when they are there, else downloaded (apt-get download: no install).
pkgs=(libdnnl-dev libdnnl2 libgtest-dev libstb-dev libstb0 pkgconf pkgconf-bin libpkgconf3)
missing=()
for p in "${pkgs[@]}"; do
  v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || true)
  f=$(ls /var/cache/apt/archives/"${p}"_*"${v#*:}"_*.deb 2>/dev/null | head -1 || true)
  if [ -n "$v" ] && [ -n "$f" ]; then cp "$f" "$out/debs/"; else missing+=("$p"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  (cd "$out/debs" && apt-get download "${missing[@]}")
fi
ls "$out/debs"
du -sh "$out"

# The device call sends the working tree (tracked + untracked-not-ignored files) and the carried
# paths, 64 MiB at most: say what would travel, and the largest untracked files if it is too much.
tree=$(git ls-files -co --exclude-standard -z | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
carry=$(du -sb "$out" | cut -f1)
mib=$(( (tree + carry) / 1048576 ))
echo "the device call would send ${mib} MiB (working tree $(( tree / 1048576 )), .gpu_carry $(( carry / 1048576 ))) of 64"
if [ "$mib" -ge 60 ]; then
  echo "gpu_pack: too much for the device call; the largest untracked files (ignore them in .git/info/exclude, or move them):" >&2
  git ls-files -o --exclude-standard -z | du -b --files0-from=- 2>/dev/null | sort -n | tail -5 >&2
  exit 1
fi
