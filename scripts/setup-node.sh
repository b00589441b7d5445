#!/usr/bin/env bash
# Installs the npm StatsD client (hot-shots) the StatsD end-to-end tests send with, into
# tests/functions/statsd/node_modules, from the committed package-lock.json. Uses the
# machine's node and npm; installs Debian's nodejs and npm when node is missing.
# Idempotent: an install whose lockfile stamp matches is left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/tests/functions/statsd"
stamp="$dir/node_modules/.package-lock.stamp"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  sudo_if_needed=""
  [ "$(id -u)" -eq 0 ] || sudo_if_needed="sudo"
  $sudo_if_needed apt-get update -qq
  $sudo_if_needed apt-get install -y -qq nodejs npm >/dev/null
fi
if [ -d "$dir/node_modules/hot-shots" ] && cmp -s "$dir/package-lock.json" "$stamp"; then
  exit 0
fi
# No optional packages (hot-shots' unix-dgram needs a native build, for Unix sockets only)
# and no install scripts.
(cd "$dir" && npm ci --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error)
cp "$dir/package-lock.json" "$stamp"
echo "node packages ready: $dir/node_modules" >&2
