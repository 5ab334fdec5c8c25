#!/usr/bin/env bash
# TensorBoard read-back test: export a suite folder with `mobench export tensorboard`, then read the event files
# with TensorBoard's own EventAccumulator (pip package `tensorboard`, in a venv cached under .build/) and check
# every value against curve.csv / result.json exactly.
#
# Usage: Tests/tensorboard/run.sh MOBENCH SUITE_DIR
# Outside CI a missing venv/pip/network is a skip with a message (exit 0); in CI (CI=true) it is a failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mobench="$1"
suite="$2"
venv="${MOBENCH_TENSORBOARD_VENV:-$root/.build/tensorboard-venv}"

skip_or_fail() {
    if [ "${CI:-}" = "true" ]; then echo "tensorboard test: $1" >&2; exit 1; fi
    echo "skipped: tensorboard test: $1"
    exit 0
}

if ! [ -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import tensorboard' 2>/dev/null; then
    python3 -m venv "$venv" >/dev/null 2>&1 || skip_or_fail "cannot create a venv (Debian: apt-get install python3-venv)"
    "$venv/bin/pip" install -q tensorboard >/dev/null 2>&1 || skip_or_fail "cannot pip-install tensorboard into $venv"
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$mobench" export tensorboard "$suite" --out "$out/tb" >/dev/null
"$venv/bin/python" "$root/Tests/tensorboard/read_back.py" "$suite" "$out/tb"
