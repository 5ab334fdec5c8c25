#!/usr/bin/env bash
# Dataset-read benchmark: decompressing + parsing the Fashion-MNIST training images (26 MB .gz -> 47 MB).
#
# Runs, side by side on the same file:
#   python:  with gzip.open(p, 'rb') as f: a = np.frombuffer(f.read(), np.uint8, offset=16)      (median of 7)
#   swift:   mobench-perf read-idx FILE  (Datasets: read + gunzip + validate the IDX header; median of 7)
# and prints both medians and the ratio swift/python. The issue asks for a ratio of at most 0.5.
# A benchmark, not a test: it never fails on timing; it fails only if a step cannot run.
#
# Usage: Benchmarks/scripts/dataset-read.sh [FILE] [--engine builtin|zlib]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
file="data/fashion-mnist/train-images-idx3-ubyte.gz"
engine="builtin"
while [ $# -gt 0 ]; do
    case "$1" in
        --engine) engine="$2"; shift 2 ;;
        *) file="$1"; shift ;;
    esac
done
[ -f "$file" ] || { echo "dataset-read: $file: no such file" >&2; exit 1; }

echo "building mobench-perf (release)..." >&2
swift build -c release --product mobench-perf >&2
perf_bin="$(swift build -c release --show-bin-path)/mobench-perf"

python_median=""
if command -v python3 >/dev/null && python3 -c 'import numpy' 2>/dev/null; then
    python_median="$(python3 - "$file" <<'PY'
import gzip, statistics, sys, time
import numpy as np
path = sys.argv[1]
times = []
for _ in range(7):
    start = time.perf_counter()
    with gzip.open(path, 'rb') as f:
        a = np.frombuffer(f.read(), np.uint8, offset=16)
    times.append(time.perf_counter() - start)
print(f"{statistics.median(times):.6f}")
PY
)"
else
    echo "dataset-read: python3 with numpy not found; printing the Swift number only" >&2
fi

swift_output="$("$perf_bin" read-idx "$file" --repeat 7 --engine "$engine")"
swift_median="$(printf '%s\n' "$swift_output" | sed -n 's/^median_seconds=//p')"

echo "file:            $file"
echo "machine:         $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
[ -n "$python_median" ] && echo "python gzip+np:  ${python_median} s (median of 7)"
echo "swift ($engine): ${swift_median} s (median of 7)"
if [ -n "$python_median" ]; then
    python3 -c "import sys; s, p = map(float, sys.argv[1:]); print(f'ratio swift/python: {s / p:.3f} (target <= 0.5)')" \
        "$swift_median" "$python_median"
fi
