#!/usr/bin/env bash
# Load benchmark of a release evreg with wrk (Debian package `wrk`), against the
# machine's ceiling measured in the same run (a minimal axum server with a fixed
# 1 KB body). Not part of CI: figures go to BENCHMARKS.md.
#   bash .ci/bench/registry.sh            # reads, lookups, registrations
#   STARTUP=1 bash .ci/bench/registry.sh  # also startup with 100,000 versions
#   READ_ROUNDS=5 bash .ci/bench/registry.sh  # more alternating read rounds (default 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
here=.ci/bench
duration=${DURATION:-10s}
conns=${CONNS:-64}
threads=${THREADS:-2}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
cargo build --release --locked -p evreg-server --bin evreg --example fixed_body >&2
# EVREG_BIN compares another build (e.g. an older commit's) against the same baseline.
bin=${EVREG_BIN:-target/release/evreg}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

wait_ready() { for _ in $(seq 1 300); do curl -sf "$1" >/dev/null && return 0; sleep 0.01; done; echo "not ready: $1" >&2; return 1; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
run_wrk() { echo "--- $1"; shift; wrk -t"$threads" -c"$conns" -d"$duration" --latency "$@" | grep -E 'Requests/sec|Latency|99%|50%|Non-2xx|requests in'; }

target/release/examples/fixed_body 127.0.0.1:18082 & pids+=($!)
EVREG_LOG=warn $bin --listen 127.0.0.1:18081 --data-dir "$work/data" & pids+=($!)
reg=${pids[1]}
wait_ready http://127.0.0.1:18082/schemas/ids/1
wait_ready http://127.0.0.1:18081/

echo "registering 1,000 schemas..." >&2
for i in $(seq 0 999); do
  printf '{"schema":"{\\"type\\":\\"record\\",\\"name\\":\\"R%d\\",\\"namespace\\":\\"bench\\",\\"fields\\":[{\\"name\\":\\"id\\",\\"type\\":\\"string\\"},{\\"name\\":\\"n\\",\\"type\\":\\"long\\"}]}"}' "$i" >"$work/body"
  curl -sf -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' --data @"$work/body" \
    "http://127.0.0.1:18081/subjects/bench-$i/versions" >/dev/null
done

# The read ratio: baseline and evreg alternate, READ_ROUNDS times, so both see
# the same machine; the median of the per-round ratios is the figure.
ratios=()
for round in $(seq 1 "${READ_ROUNDS:-3}"); do
  out=$(run_wrk "round $round baseline: fixed 1 KB body (minimal axum handler)" -s $here/fixed.lua http://127.0.0.1:18082)
  echo "$out"
  base=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  out=$(run_wrk "round $round GET /schemas/ids/{id}" -s $here/ids.lua http://127.0.0.1:18081)
  echo "$out"
  ids=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  ratios+=("$(echo "scale=3; $ids / $base" | bc)")
  echo "--- round $round read ratio: ${ratios[-1]}"
done
echo "--- read ratios: ${ratios[*]}; median $(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
run_wrk "POST /subjects/{s} (lookup by content)" -s $here/lookup.lua http://127.0.0.1:18081
run_wrk "POST /subjects/{s}/versions (new versions under BACKWARD)" -s $here/register.lua http://127.0.0.1:18081 -- "$RANDOM" 16
echo "--- resident memory of evreg after the runs: $(rss_kib "$reg") KiB"

if [[ -n ${STARTUP:-} ]]; then
  echo "populating 100,000 versions..." >&2
  total=0; round=0
  while (( total < 100000 )); do
    round=$((round + 1))
    out=$(wrk -t"$threads" -c"$conns" -d5s -s $here/register.lua http://127.0.0.1:18081 -- "p$round" 1000)
    reqs=$(grep -oE '^ +[0-9]+ requests' <<<"$out" | grep -oE '[0-9]+')
    bad=$(grep -oE 'Non-2xx or 3xx responses: [0-9]+' <<<"$out" | grep -oE '[0-9]+$' || echo 0)
    total=$((total + reqs - bad))
    echo "  $total versions" >&2
  done
  kill "$reg"; wait "$reg" 2>/dev/null || true
  start=$(date +%s.%N)
  EVREG_LOG=warn $bin --listen 127.0.0.1:18081 --data-dir "$work/data" & pids+=($!)
  wait_ready http://127.0.0.1:18081/subjects/reg-1/versions/latest
  end=$(date +%s.%N)
  echo "--- startup with $((total + 1000)) stored versions: $(echo "$end - $start" | bc) s to serve; resident memory $(rss_kib "${pids[-1]}") KiB"
fi
