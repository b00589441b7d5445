#!/usr/bin/env bash
# The local demo: builds metricline, sets up the Python venv, then runs the sandbox demo
# (tests/src/bin/demo.rs): a sample function's metric lines, StatsD datagrams and OTLP, and
# the platform reports go through metricline to a local OTLP sink, printed as they arrive.
# No AWS account needed.
#   scripts/demo.sh --lmi    the same on Lambda Managed Instances (docs/lmi.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup-python.sh
cargo build --quiet -p metricline --bin metricline
binary="${CARGO_TARGET_DIR:-$root/target}/debug/metricline"
cargo run --quiet -p metricline-tests --bin demo -- "$binary" "$@"
