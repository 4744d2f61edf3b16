#!/usr/bin/env bash
# Runs the whole test suite at the CPU's own instruction-set level, then again with oneDNN
# capped (ONEDNN_MAX_CPU_ISA) at every lower level the project supports: AVX512_CORE where
# the CPU is above it, AVX2 where the CPU has AVX-512. So one host proves the AVX2 machines
# too (docs/engine.md, "Every CPU"). Every level runs even when one fails; the exit status
# says whether all passed. Extra arguments go to `swift test` (e.g. --filter Differential).
set -uo pipefail
cd "$(dirname "$0")/.."
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
has() { [[ " $flags " == *" $1 "* ]]; }
levels=("")
if has avx512_vnni || has avx512_bf16 || has amx_tile; then levels+=(AVX512_CORE); fi
if has avx512f; then levels+=(AVX2); fi

swift build --build-tests || exit 1
declare -A result
failed=0
for level in "${levels[@]}"; do
  name=${level:-host}
  echo "=== tests at ${level:+ONEDNN_MAX_CPU_ISA=}${name}"
  # The level oneDNN really uses: a cap it does not know would be ignored silently.
  ONEDNN_MAX_CPU_ISA=$level .build/debug/agfas doctor | grep -E '^(ISA level|bf16 )' || true
  start=$SECONDS
  if ONEDNN_MAX_CPU_ISA=$level swift test --skip-build --disable-swift-testing "$@"; then
    result[$name]="passed"
  else
    result[$name]="FAILED"
    failed=1
  fi
  result[$name]+=" in $((SECONDS - start)) s"
done
echo "=== summary"
for level in "${levels[@]}"; do echo "${level:-host}: ${result[${level:-host}]}"; done
exit $failed
