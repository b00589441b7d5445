#!/usr/bin/env bash
# Where the extension's CPU goes (docs/cpu.md): builds the x86_64 layer binary with symbols
# (the `layer` profile, unstripped, line tables only: same code as the shipped binary), runs
# the sandbox benchmark's workload under `perf record` and prints the extension's hottest
# symbols. Installs perf (Debian's linux-perf) when it is missing.
#   scripts/profile.sh                               100 invokes × 1000 mixed lines, `end`
#   scripts/profile.sh --strategies adaptive --lines 0   any bench option (`bench --help`)
#   PROFILE_BINARY=path scripts/profile.sh               profile that binary instead (one built
#                                                        by this script in another checkout)
# Output: target/profile/perf.data and target/profile/report.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup-python.sh >/dev/null
out="$root/target/profile"
binary=${PROFILE_BINARY:-$out/x86_64-unknown-linux-musl/layer/metricline}
if [ -z "${PROFILE_BINARY:-}" ]; then
  # The zig toolchain of layer/build.sh; it creates it on its first run.
  if ! command -v cargo-zigbuild >/dev/null; then
    [ -x .venv-layer/bin/cargo-zigbuild ] || layer/build.sh x86_64 >&2
    export PATH="$root/.venv-layer/bin:$PATH"
  fi
  CARGO_PROFILE_LAYER_STRIP=false CARGO_PROFILE_LAYER_DEBUG=line-tables-only \
    cargo zigbuild --locked --profile layer -p metricline --bin metricline \
    --target x86_64-unknown-linux-musl --target-dir "$out" >&2
fi
cargo build --locked --profile harness -p metricline-tests --bin bench >&2
[ -n "${PROFILE_BUILD_ONLY:-}" ] && exit 0
# Only the profile needs perf (scripts/instructions.sh builds through here too).
if ! perf stat -e instructions true >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq linux-perf >&2
fi
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--strategies end)
# cpu-clock samples (virtual machines have no hardware counters): 20 kHz, one per 50 µs
# of the extension's CPU. Sampling slows the process down; the shares are what to read.
hz=20000
perf record -q -F $hz -o "$out/perf.data" -- \
  "$root/target/harness/bench" --binary "$binary" \
  --starts 1 "${args[@]}" >"$out/bench.md"
perf report -i "$out/perf.data" --comm metricline --no-children --sort symbol -n \
  --percent-limit 0 --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' >"$out/report.txt"
lines=$(sed -n 's/.*× \([0-9]*\) [a-z]* lines.*/\1/p' "$out/bench.md" | head -n 1)
invokes=$(sed -n 's/.*, \([0-9]*\) invokes × .*/\1/p' "$out/bench.md" | head -n 1)
count=$((lines * invokes)) unit=line
[ "$count" -gt 0 ] || { count=$invokes; unit=invoke; }
python3 scripts/profile_groups.py "$out/report.txt" $hz $count $unit
head -n 40 "$out/report.txt" | cut -c1-140
