#!/usr/bin/env bash
# The instructions the extension executes over the sandbox benchmark's workload, counted by
# valgrind's callgrind (docs/cpu.md). CPU time moves 5–15% between windows on a shared
# machine; this count repeats to about 0.01%, so two builds of the hot path compare with
# one run each. It counts the extension's own (user-space) instructions: the kernel's share
# (TCP, wake-ups) is not in it, and the benchmark's CPU time stays the figure of record.
#   scripts/instructions.sh                              100 invokes × 1000 mixed lines, `end`
#   scripts/instructions.sh --format emf                 any bench option (`bench --help`);
#                                                        one strategy, the run counted is the last
#   INSTRUCTIONS_BINARY=path scripts/instructions.sh     count that binary (unstripped, for names)
# Output: the total; target/instructions/report.txt (callgrind_annotate, by function) and
# the raw target/instructions/callgrind.*.out.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v valgrind >/dev/null; then
  apt-get update -qq && apt-get install -y -qq valgrind >&2
fi
out="$root/target/instructions"
binary=${INSTRUCTIONS_BINARY:-}
if [ -z "$binary" ]; then
  # The same unstripped layer build as the profiles, and the harness.
  PROFILE_BUILD_ONLY=1 scripts/profile.sh
  binary="$root/target/profile/x86_64-unknown-linux-musl/layer/metricline"
else
  cargo build --locked --profile harness -p metricline-tests --bin bench >&2
fi
rm -rf "$out"
mkdir -p "$out/bin"
# The sandbox names an extension after its file, and the extension registers under the
# name it was run as: both must be `metricline`.
cp "$binary" "$out/bin/metricline"
cat >"$out/metricline" <<EOF
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.%p.out" \\
  "$out/bin/metricline" "\$@" 2>>"$out/valgrind.log"
EOF
chmod +x "$out/metricline"
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--strategies end)
"$root/target/harness/bench" --binary "$out/metricline" --starts 1 "${args[@]}" \
  >"$out/bench.md" 2>"$out/bench.log"
last=$(ls -t "$out"/callgrind.*.out | head -n 1)
callgrind_annotate "$last" >"$out/report.txt" 2>/dev/null
total=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$last" | head -n 1)
echo "instructions of the measured run ($(basename "$last")): $total"
