#!/usr/bin/env bash
# Dataset-read benchmark: decompressing + parsing the Fashion-MNIST training images (26 MB .gz -> 47 MB).
#
# Side by side on the same file, in alternating rounds (so that a change in machine load hits both sides):
#   python:  with gzip.open(p, 'rb') as f: a = np.frombuffer(f.read(), np.uint8, offset=16)      (median of 7)
#   swift:   mobench-perf read-idx FILE  (Datasets: read + gunzip + CRC + IDX header validation; median of 7)
# Prints each round's medians and ratio, then the median ratio swift/python. The issue asks for at most 0.5.
# A benchmark, not a test: it never fails on timing; it fails only if a step cannot run.
#
# Usage: Benchmarks/scripts/dataset-read.sh [FILE] [--rounds N]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
file="data/fashion-mnist/train-images-idx3-ubyte.gz"
rounds=3
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        *) file="$1"; shift ;;
    esac
done
[ -f "$file" ] || { echo "dataset-read: $file: no such file" >&2; exit 1; }

echo "building mobench-perf (release)..." >&2
swift build -c release --product mobench-perf >&2
perf_bin="$(swift build -c release --show-bin-path)/mobench-perf"

have_python=1
if ! command -v python3 >/dev/null || ! python3 -c 'import numpy' 2>/dev/null; then
    echo "dataset-read: python3 with numpy not found; printing the Swift numbers only" >&2
    have_python=0
fi

python_median() {
    python3 - "$file" <<'PY'
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
}

echo "file:    $file"
echo "machine: $(nproc) cores, load average at start $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
ratios=()
for round in $(seq 1 "$rounds"); do
    swift_median="$("$perf_bin" read-idx "$file" --repeat 7 | sed -n 's/^median_seconds=//p')"
    if [ "$have_python" = 1 ]; then
        py="$(python_median)"
        ratio="$(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.3f}')" "$swift_median" "$py")"
        ratios+=("$ratio")
        echo "round $round: python gzip+np ${py} s, swift ${swift_median} s, ratio ${ratio}"
    else
        echo "round $round: swift ${swift_median} s"
    fi
done
if [ "${#ratios[@]}" -gt 0 ]; then
    python3 -c "import statistics, sys; print(f'median ratio swift/python: {statistics.median(map(float, sys.argv[1:])):.3f} (target <= 0.5)')" "${ratios[@]}"
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
