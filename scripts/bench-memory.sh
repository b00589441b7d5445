#!/usr/bin/env bash
# The memory benchmark: builds the x86_64 layer, then runs the four hostile workloads of
# docs/limits.md (tests/src/bin/bench_memory) against its release binary with default
# settings, under Lambda's limits for a 128 MB function where the machine has cgroups, and
# prints one markdown table of peak RSS beside the 16 MB budget. Arguments go to the
# benchmark (`scripts/bench-memory.sh --help`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup-python.sh >/dev/null
layer/build.sh x86_64 >&2
out="$root/target/bench"
mkdir -p "$out"
cargo build --locked --profile harness -p metricline-tests --bin bench_memory >&2
"$root/target/harness/bench_memory" "$@" | tee "$out/memory.md"
