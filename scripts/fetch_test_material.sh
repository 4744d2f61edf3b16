#!/usr/bin/env bash
# Fetches test material that is not committed (third-party files) into .cache/test-material/:
# the MTCNN weights (legacy torch.save format) from the facenet-pytorch 2.6.0 wheel on PyPI.
# Idempotent; verifies checksums. Needs python3 with pip (only to download the wheel).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.cache/test-material/facenet_pytorch/data
sums="a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f  pnet.pt
bbb937de72efc9ef83b186c49f5f558467a1d7e3453a8ece0d71a886633f6a86  rnet.pt
165bfbe42940416ccfb977545cf0e976d5bf321f67083ae2aaaa5c764280118d  onet.pt"

if [ -f "$dest/onet.pt" ] && (cd "$dest" && echo "$sums" | sha256sum --check --quiet) 2>/dev/null; then
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${PYTHON:-python3}" -m pip download --quiet --no-deps --only-binary=:all: facenet-pytorch==2.6.0 -d "$tmp"
"${PYTHON:-python3}" -m zipfile -e "$tmp"/facenet_pytorch-2.6.0-py3-none-any.whl "$tmp/wheel"
mkdir -p "$dest"
cp "$tmp"/wheel/facenet_pytorch/data/{pnet,rnet,onet}.pt "$dest/"
(cd "$dest" && echo "$sums" | sha256sum --check --quiet)
echo "fetched MTCNN weights into $dest"
