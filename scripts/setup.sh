#!/usr/bin/env bash
# Installs what AGFAS needs on a fresh Debian 12 machine (Swift 6.3 is expected on PATH):
# oneDNN, the only native library the engine links. Idempotent; uses sudo when not root.
set -euo pipefail
need=()
dpkg -s libdnnl-dev >/dev/null 2>&1 || need+=(libdnnl-dev)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need[@]}"
fi
command -v swift >/dev/null || { echo "setup: swift (6.3) is not on PATH" >&2; exit 1; }
