#!/usr/bin/env bash
# The benchmark command: builds the x86_64 layer, runs the criterion benches of
# metricline-proto (throughput, and the CPU work of an `end` flush), then the sandbox
# benchmark (tests/src/bin/bench) with the layer's release binary, and prints one markdown
# table of every number beside its budget (docs/measurements.md). Arguments go to the
# sandbox benchmark (`scripts/bench.sh --help`).
#   SKIP_CRITERION=1 scripts/bench.sh    only the sandbox numbers
#   SKIP_PEER=1 scripts/bench.sh         without the peer extension (never run in CI)
# Unless SKIP_PEER is set (or CI is), it installs the peer extension from crates.io into
# target/peer and measures it beside metricline: the side-by-side rows of the table and
# the chart docs/bench.svg (docs/cpu.md).
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
peer=()
if [ -z "${SKIP_PEER:-}" ] && [ -z "${CI:-}" ]; then
  peer_bin="$root/target/peer/bin/opentelemetry-lambda-extension"
  [ -x "$peer_bin" ] || cargo install --quiet --version 0.2.0 --root "$root/target/peer" \
    opentelemetry-lambda-extension >&2
  peer=(--peer "$peer_bin" --svg "$root/docs/bench.svg")
fi
# As root, the measured processes get a higher priority than whatever else the machine runs.
priority=()
[ "$(id -u)" -ne 0 ] || priority=(nice -n -10)
"${priority[@]}" "$root/target/harness/bench" "${criterion[@]}" "${peer[@]}" "$@" | tee "$out/table.md"
