#!/usr/bin/env bash
# Load benchmark of release evreg over PostgreSQL with wrk: one instance, then
# three instances sharing one database (one wrk per instance, run in parallel,
# requests per second summed). Not part of CI: figures go to BENCHMARKS.md.
# Needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres) and psql.
#   bash .ci/bench/postgres.sh
#   DURATION=20s CONNS=96 bash .ci/bench/postgres.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
here=.ci/bench
duration=${DURATION:-10s}
conns=${CONNS:-63}
pg=${PG_URL:-postgres://postgres@127.0.0.1:5432}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
command -v psql >/dev/null || { echo "psql is not installed (apt-get install postgresql-client)" >&2; exit 2; }
pg_isready -h 127.0.0.1 -p 5432 >/dev/null || { echo "PostgreSQL is not up on 127.0.0.1:5432" >&2; exit 2; }
cargo build --release --locked -p evreg-server --bin evreg >&2
bin=target/release/evreg
work=$(mktemp -d)
pids=()
dbs=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; pids=(); }
cleanup() {
  stop_all
  for d in "${dbs[@]}"; do psql -q "$pg/postgres" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

wait_ready() { for _ in $(seq 1 500); do curl -sf "$1" >/dev/null && return 0; sleep 0.02; done; echo "not ready: $1" >&2; return 1; }
# fresh_db NAME: creates the database (dropped on exit); not in a subshell,
# so the cleanup list keeps it.
fresh_db() { psql -q "$pg/postgres" -c "CREATE DATABASE $1" >/dev/null; dbs+=("$1"); }
# start_instances URL N: evreg on ports 18091.. sharing URL.
start_instances() {
  local url=$1 n=$2
  for i in $(seq 1 "$n"); do
    RUST_LOG=warn EVREG_LOG=warn $bin --listen "127.0.0.1:$((18090 + i))" --database-url "$url" & pids+=($!)
  done
  for i in $(seq 1 "$n"); do wait_ready "http://127.0.0.1:$((18090 + i))/"; done
}
populate() {
  echo "registering 1,000 schemas..." >&2
  for i in $(seq 0 999); do
    printf '{"schema":"{\\"type\\":\\"record\\",\\"name\\":\\"R%d\\",\\"namespace\\":\\"bench\\",\\"fields\\":[{\\"name\\":\\"id\\",\\"type\\":\\"string\\"},{\\"name\\":\\"n\\",\\"type\\":\\"long\\"}]}"}' "$i" >"$work/body"
    curl -sf -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' --data @"$work/body" \
      "http://127.0.0.1:18091/subjects/bench-$i/versions" >/dev/null
  done
}
# run_parallel LABEL N SCRIPT [ARGS...]: one wrk per instance at once, then the sum.
run_parallel() {
  local label=$1 n=$2 script=$3; shift 3
  local per=$((conns / n)) outs=()
  echo "--- $label: $n instance(s), $per connections each"
  for i in $(seq 1 "$n"); do
    # The first script argument (a nonce) gets the instance number appended,
    # so instances register different schemas.
    wrk -t1 -c"$per" -d"$duration" --latency -s "$script" "http://127.0.0.1:$((18090 + i))" -- "${1:-x}_$i" "${@:2}" >"$work/wrk$i" 2>&1 &
    outs+=($!)
  done
  for p in "${outs[@]}"; do wait "$p"; done
  for i in $(seq 1 "$n"); do
    echo "  instance $i: $(grep -E 'Requests/sec' "$work/wrk$i" | awk '{print $2}') req/s, p50 $(awk '/ 50%/ {print $2}' "$work/wrk$i"), p99 $(awk '/ 99%/ {print $2}' "$work/wrk$i"), non-2xx $(grep -oE 'Non-2xx or 3xx responses: [0-9]+' "$work/wrk$i" | grep -oE '[0-9]+$' || echo 0)"
  done
  echo "  total: $(cat "$work"/wrk[0-9]* | awk '/Requests\/sec/ {s += $2} END {printf "%.0f", s}') req/s"
  rm -f "$work"/wrk[0-9]*
}

for n in 1 3; do
  db="evreg_bench_$$_n$n"
  fresh_db "$db"
  start_instances "$pg/$db" "$n"
  populate
  run_parallel "GET /schemas/ids/{id}" "$n" $here/ids.lua
  run_parallel "POST /subjects/{s}/versions (new versions of 16 shared subjects, BACKWARD)" "$n" $here/register.lua "$RANDOM" 16
  stop_all
done
