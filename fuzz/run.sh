#!/usr/bin/env bash
# Fuzz one target for a while and print its figures; see fuzz/README.md.
# Usage: fuzz/run.sh TARGET [SECONDS]   (build first: cd fuzz && cargo +nightly fuzz build -s none -O)
# New inputs go into fuzz/corpus/TARGET; crashes into fuzz/artifacts/TARGET (copy each one,
# after the fix, into fuzz/regressions/TARGET so the replay test keeps it fixed).
set -euo pipefail
cd "$(dirname "$0")"
t=$1
secs=${2:-600}
bin=target/x86_64-unknown-linux-gnu/release/$t
[ -x "$bin" ] || { echo "no $bin: build the fuzz targets first" >&2; exit 3; }
mkdir -p "corpus/$t" "artifacts/$t" logs
log=logs/$t.log
# -timeout: an input slower than 10 s is a hang; -rss_limit_mb: memory per input is bounded;
# -max_len: the parsers read messages of any size, 256 KiB keeps executions fast.
"$bin" "corpus/$t" -artifact_prefix="artifacts/$t/" -max_total_time="$secs" -timeout=10 \
  -rss_limit_mb=2048 -max_len=262144 -report_slow_units=1 -print_final_stats=1 >"$log" 2>&1 || true
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo '?')
rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
slow=$(grep -o 'Slowest unit: [0-9]* s' "$log" | tail -1 | grep -o '[0-9]*' || echo '<1')
crashes=$(ls "artifacts/$t" | wc -l)
printf '%s\texecs=%s\tedges=%s\tpeak_rss_mb=%s\tslowest_s=%s\tartifacts=%s\tseconds=%s\n' \
  "$t" "$execs" "$cov" "$rss" "$slow" "$crashes" "$secs"
