#!/usr/bin/env bash
# Installs the Debian packages this project builds and tests with. Safe to re-run.
set -euo pipefail
pkgs=(build-essential cmake pkg-config
      libdnnl-dev          # oneDNN: the convolution primitives (and sgemm) of every convolution (docs/speed.md)
      libstb-dev           # stb_image / stb_image_write / stb_easy_font
      libopencv-dev        # video demo, drawing, and the importer comparison tests
      libgtest-dev
      python3 python3-numpy python3-matplotlib)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
