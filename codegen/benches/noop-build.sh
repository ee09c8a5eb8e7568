#!/usr/bin/env bash
# Times evreg-tests' real build script (debug profile, as cargo runs build scripts)
# when nothing changed: evgen over ../schemas hits its fingerprint and writes
# nothing. Prints milliseconds per run. Usage: bash codegen/benches/noop-build.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-50}
cargo build -q -p evreg-tests
script=$(ls -t target/debug/build/evreg-tests-*/build-script-build | head -1)
out=$(mktemp -d)
cd tests
env -u EVGEN_CORPORA OUT_DIR="$out" "../$script" >/dev/null   # first run generates
start=$(date +%s%N)
for _ in $(seq "$runs"); do env -u EVGEN_CORPORA OUT_DIR="$out" "../$script" >/dev/null; done
end=$(date +%s%N)
echo "build.rs with nothing changed: $(( (end - start) / runs / 1000000 )) ms per run ($runs runs)"
rm -rf "$out"
