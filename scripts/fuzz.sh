#!/usr/bin/env bash
# Fuzzes the parsers of user files with libFuzzer (docs/fuzzing.md):
#   scripts/fuzz.sh TARGET|all SECONDS [libFuzzer options...]
# Builds agfas-fuzz with -sanitize=fuzzer into .build-fuzz (linked by lld: the system's gold
# linker crashes on libFuzzer's runtime), seeds each target's corpus with the test fixtures of
# its format, runs it for SECONDS, and prints one line per target: executions, new corpus
# inputs, crashes. Crash inputs go to .cache/fuzz/TARGET/crashes/; copy each into
# Tests/AGFASFuzzTests/Regressions/TARGET/ once fixed, where the tests replay it.
# Exits non-zero if any target crashed, hung or ran out of memory.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET|all SECONDS [libFuzzer options...]}
seconds=${2:?usage: scripts/fuzz.sh TARGET|all SECONDS [libFuzzer options...]}
shift 2
swift build -c release --product agfas-fuzz --scratch-path .build-fuzz --toolset scripts/fuzz-toolset.json \
  -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING 2>&1 | grep -E "error|warning: unre|Compiling agfas|Build" || true
bin=.build-fuzz/release/agfas-fuzz
[ -x "$bin" ] || { echo "fuzz: the build failed" >&2; exit 1; }

failed=0
while read -r name suffixes; do
  [ "$target" = all ] || [ "$target" = "$name" ] || continue
  work=.cache/fuzz/$name
  mkdir -p "$work/seeds" "$work/corpus" "$work/crashes"
  for suffix in $suffixes; do
    find Tests -path '*/Fixtures/*' -name "*$suffix" -size -4M -type f | while read -r f; do
      cp "$f" "$work/seeds/$(echo "$f" | tr '/' '_')"
    done
  done
  log=$work/last.log
  status=0
  AGFAS_FUZZ_TARGET=$name "$bin" "$work/corpus" "$work/seeds" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$work/crashes/" -print_final_stats=1 "$@" >"$log" 2>&1 || status=$?
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
  found=$(grep -cE '^==[0-9]+== ERROR|deadly signal|Fatal error|out-of-memory|timeout after' "$log" || true)
  echo "fuzz $name: $runs executions in ${seconds} s, corpus $(ls "$work/corpus" | wc -l) inputs, $found crash(es)"
  if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
    failed=1
    grep -E 'ERROR|Fatal error|SUMMARY|artifact|Test unit written' "$log" | head -5 >&2
  fi
done < <(AGFAS_FUZZ_TARGET=list "$bin")
exit $failed
