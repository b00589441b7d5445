#!/usr/bin/env bash
# Creates .venv with the Python packages the tests and the demo use (scripts/requirements.txt).
# Idempotent: a venv whose requirements stamp matches is left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.venv"
stamp="$venv/.requirements"
if [ -x "$venv/bin/python" ] && cmp -s "$root/scripts/requirements.txt" "$stamp"; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/scripts/requirements.txt"
cp "$root/scripts/requirements.txt" "$stamp"
echo "python venv ready: $venv" >&2
