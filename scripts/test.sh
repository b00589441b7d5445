#!/usr/bin/env bash
# The test command: sets up what the tests need, then runs every test of the workspace.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup.sh
# The layer tests unpack the release zips (dist/) and run the arm64 one under qemu.
scripts/setup-qemu.sh
layer/build.sh
cargo test --locked --workspace
# What a plain `cargo test` leaves out: the layer zips' tests (ignored there).
cargo test --locked -p metricline-tests --test layer -- --ignored
