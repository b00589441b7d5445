#!/usr/bin/env bash
# Builds the layer zips: static musl binaries for x86_64 and arm64, each zipped as
# extensions/metricline (mode 755) into dist/metricline-<arch>.zip.
#   layer/build.sh            both architectures
#   layer/build.sh x86_64     one of x86_64 | arm64
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(x86_64 arm64)

# Zig links musl for both targets and compiles ring's C for aarch64 without a cross gcc.
venv="$root/.venv-layer"
if ! cmp -s layer/requirements.txt "$venv/.requirements" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r layer/requirements.txt
  cp layer/requirements.txt "$venv/.requirements"
fi
export PATH="$venv/bin:$PATH"

# One cargo invocation for every architecture: the host-side build scripts and proc macros
# are built once, and both targets' crates share the two cores.
targets=()
for arch in "${archs[@]}"; do
  case "$arch" in
    x86_64) target=x86_64-unknown-linux-musl ;;
    arm64) target=aarch64-unknown-linux-musl ;;
    *) echo "unknown architecture '$arch': expected x86_64 or arm64" >&2; exit 2 ;;
  esac
  rustup target list --installed | grep -qx "$target" || rustup target add "$target"
  targets+=(--target "$target")
done
# The `layer` profile: release with opt-level "s" (root Cargo.toml says why).
cargo zigbuild --locked --profile layer -p metricline --bin metricline "${targets[@]}"

mkdir -p dist
for arch in "${archs[@]}"; do
  case "$arch" in
    x86_64) target=x86_64-unknown-linux-musl ;;
    arm64) target=aarch64-unknown-linux-musl ;;
  esac
  bin="target/$target/layer/metricline"
  python3 layer/zip_layer.py "$bin" "dist/metricline-$arch.zip"
  printf '%-7s binary %8d bytes   zip %8d bytes   %s\n' "$arch" \
    "$(stat -c %s "$bin")" "$(stat -c %s "dist/metricline-$arch.zip")" "dist/metricline-$arch.zip"
done
