#!/usr/bin/env bash
# The benchmark command: builds the x86_64 layer, runs the criterion benches of
# metricline-proto (throughput, and the CPU work of an `end` flush), then the sandbox
# benchmark (tests/src/bin/bench) with the layer's release binary, and prints one markdown
# table of every number beside its budget (docs/measurements.md). Arguments go to the
# sandbox benchmark (`scripts/bench.sh --help`).
#   SKIP_CRITERION=1 scripts/bench.sh    only the sandbox numbers
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup-python.sh >/dev/null
layer/build.sh x86_64 >&2
out="$root/target/bench"
mkdir -p "$out"
criterion=()
if [ -z "${SKIP_CRITERION:-}" ]; then
  cargo bench --locked -p metricline-proto --bench throughput --bench flush 2>&1 | tee "$out/criterion.txt" >&2
  criterion=(--criterion "$out/criterion.txt")
fi
# The sandbox and sink run optimized too (without LTO, to build fast), so that their own
# request handling does not inflate the extension's measured times.
cargo build --locked --profile harness -p metricline-tests --bin bench >&2
# As root, the measured processes get a higher priority than whatever else the machine runs.
priority=()
[ "$(id -u)" -ne 0 ] || priority=(nice -n -10)
"${priority[@]}" "$root/target/harness/bench" "${criterion[@]}" "$@" | tee "$out/table.md"
