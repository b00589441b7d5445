#!/usr/bin/env bash
# The setup step before `cargo test --workspace`: everything the tests' sample functions
# need besides Rust — the Python venv (.venv, scripts/requirements.txt) and the npm
# packages of the Node clients (scripts/setup-node.sh). Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup-python.sh"
"$root/scripts/setup-node.sh"
