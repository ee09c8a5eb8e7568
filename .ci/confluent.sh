#!/usr/bin/env bash
# End to end: Confluent's own Python client (the judge of the REST contract)
# against a real evreg built from this tree. Exits non-zero on any failure.
#
# Usage: bash .ci/confluent.sh   (set EVREG_CONFLUENT_VENV to reuse a venv elsewhere)
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=${TMPDIR:-/tmp}
venv=${EVREG_CONFLUENT_VENV:-$tmp/evreg-confluent-venv}
work=$(mktemp -d "$tmp/evreg-confluent.XXXXXX")
server_pid=""

cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Pinned versions that install on Python 3.11. confluent_kafka.schema_registry
# imports attrs, cachetools, httpx and authlib besides the serde libraries.
pins=(
  confluent-kafka==2.16.1
  fastavro==1.13.1
  jsonschema==4.26.0
  requests==2.34.2
  attrs==26.1.0
  cachetools==8.0.2
  httpx==0.28.1
  authlib==1.9.10
  pytest==9.2.0
)
stamp=$venv/.evreg-pins
if [[ ! -f $stamp || "$(cat "$stamp")" != "${pins[*]}" ]]; then
  echo "creating venv $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}"
  echo "${pins[*]}" >"$stamp"
fi

# Debug builds of evreg and of evreg-client's `wire` example (the Rust side of
# tests/confluent/test_wire_compat.py): these tests judge the contract, not speed.
# `cargo test --no-run` builds both with exactly the features of the README's test
# command, so right after it (as in .ci/run) nothing is rebuilt; a narrower
# `cargo build -p ...` would unify features differently and recompile dependencies.
cargo test --workspace --locked --no-run --quiet
bin=${CARGO_TARGET_DIR:-target}/debug/evreg
wire_bin=${CARGO_TARGET_DIR:-target}/debug/examples/wire
[[ $wire_bin == /* ]] || wire_bin=$PWD/$wire_bin
export EVREG_WIRE_BIN=$wire_bin

port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
url=http://127.0.0.1:$port
"$bin" --listen "127.0.0.1:$port" --data-dir "$work/data" >"$work/evreg.log" 2>&1 &
server_pid=$!

ready=0
for _ in $(seq 1 150); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "error: evreg exited during startup:" >&2
    cat "$work/evreg.log" >&2
    exit 1
  fi
  if "$venv/bin/python" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$url/" 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.1
done
if [[ $ready != 1 ]]; then
  echo "error: evreg did not answer on $url within 15 s" >&2
  cat "$work/evreg.log" >&2
  exit 1
fi

if ! EVREG_URL=$url "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/confluent/test_confluent_client.py tests/confluent/test_wire_compat.py; then
  echo "error: Confluent client tests failed; evreg log:" >&2
  tail -n 100 "$work/evreg.log" >&2
  exit 1
fi
