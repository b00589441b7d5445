#!/usr/bin/env bash
# The test command: sets up what the tests need, then runs every test of the workspace.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup-python.sh
scripts/setup-node.sh
# The end-to-end tests run the real binary; build it first so no test times out compiling.
cargo build --locked --bin metricline
# The layer tests unpack the release zips (dist/) and run the arm64 one under qemu.
scripts/setup-qemu.sh
layer/build.sh
cargo test --locked --workspace
