#!/usr/bin/env bash
# Installs what AGFAS needs on a fresh Debian 12 machine (Swift 6.3 is expected on PATH):
# oneDNN for the engine, libpng and libjpeg-turbo for image I/O, FFmpeg's libav* for video
# frames. Idempotent; uses sudo when not root.
set -euo pipefail
need=()
for package in libdnnl-dev libpng-dev libjpeg62-turbo-dev libavformat-dev libavcodec-dev libswscale-dev libavutil-dev zlib1g-dev; do
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
