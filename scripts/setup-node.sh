#!/usr/bin/env bash
# Installs the npm packages of the tests' Node code, each folder from its committed
# package-lock.json:
#   tests/functions/statsd     the StatsD client (hot-shots) the StatsD tests send with
#   tests/functions/otel-node  AWS's Node runtime interface client (aws-lambda-ric) and the
#                              OpenTelemetry JS SDK, a function the OTLP receiver tests run
# Uses the machine's node and npm; installs Debian's nodejs and npm when node is missing,
# and the tools aws-lambda-ric's install step builds its native client with (it compiles
# the curl and aws-lambda-cpp sources it ships, then a node-gyp addon) when they are missing.
# Idempotent: a folder whose lockfile stamp matches is left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

apt_install() {
  local sudo_if_needed=""
  [ "$(id -u)" -eq 0 ] || sudo_if_needed="sudo"
  $sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Whether `dir`'s node_modules was installed from its current lockfile.
installed() {
  cmp -s "$1/package-lock.json" "$1/node_modules/.package-lock.stamp"
}

stamp() {
  cp "$1/package-lock.json" "$1/node_modules/.package-lock.stamp"
  echo "node packages ready: $1/node_modules" >&2
}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt_install nodejs npm
fi

statsd="$root/tests/functions/statsd"
if ! installed "$statsd"; then
  # No optional packages (hot-shots' unix-dgram needs a native build, for Unix sockets
  # only) and no install scripts.
  (cd "$statsd" && npm ci --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error)
  stamp "$statsd"
fi

otel="$root/tests/functions/otel-node"
if ! installed "$otel"; then
  missing=()
  for tool in cmake:cmake autoreconf:autoconf automake:automake libtoolize:libtool \
    make:make g++:g++ python3:python3; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool##*:}")
  done
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  # node-gyp builds against the headers installed beside the machine's node; without a
  # nodedir it would download them, and only package registries are reachable.
  prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  if [ ! -f "$prefix/include/node/common.gypi" ]; then
    apt_install libnode-dev
  fi
  # Every package without install scripts, then the one whose scripts build the native
  # runtime client.
  (
    cd "$otel"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    npm_config_nodedir="$prefix" npm rebuild aws-lambda-ric --no-audit --no-fund --loglevel=error
  )
  [ -f "$otel/node_modules/aws-lambda-ric/dist/rapid-client.node" ]
  stamp "$otel"
fi
