#!/usr/bin/env bash
# Where the extension's CPU goes (docs/cpu.md): builds the x86_64 layer binary with symbols
# (the `layer` profile, unstripped, line tables only: same code as the shipped binary), runs
# the sandbox benchmark's workload under `perf record` and prints the extension's hottest
# symbols. Installs perf (Debian's linux-perf) when it is missing.
#   scripts/profile.sh                               100 invokes × 1000 mixed lines, `end`
#   scripts/profile.sh --strategies adaptive --lines 0   any bench option (`bench --help`)
# Output: target/profile/perf.data and target/profile/report.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! perf stat -e instructions true >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq linux-perf >&2
fi
scripts/setup-python.sh >/dev/null
# The zig toolchain of layer/build.sh; it creates it on its first run.
[ -x .venv-layer/bin/cargo-zigbuild ] || layer/build.sh x86_64 >&2
export PATH="$root/.venv-layer/bin:$PATH"
out="$root/target/profile"
CARGO_PROFILE_LAYER_STRIP=false CARGO_PROFILE_LAYER_DEBUG=line-tables-only \
  cargo zigbuild --locked --profile layer -p metricline --bin metricline \
  --target x86_64-unknown-linux-musl --target-dir "$out" >&2
cargo build --locked --profile harness -p metricline-tests --bin bench >&2
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--strategies end)
perf record -q -F 20000 -o "$out/perf.data" -- \
  "$root/target/harness/bench" --binary "$out/x86_64-unknown-linux-musl/layer/metricline" \
  --starts 1 "${args[@]}" >"$out/bench.md"
perf report -i "$out/perf.data" --comm metricline --no-children --sort dso,symbol \
  --percent-limit 0.3 --stdio 2>/dev/null | grep -v '^$' >"$out/report.txt"
head -n 60 "$out/report.txt"
