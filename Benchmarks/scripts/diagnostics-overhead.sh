#!/usr/bin/env bash
# Overhead of `--diagnostics task` over `--diagnostics off` on default-suite runs (Fashion-MNIST input-permuted,
# 10 tasks × 2,500 steps, MLP 784-128-128-10, 1,000 test samples; and input-permuted MNIST, 4 × 5,000).
# The cases run interleaved (off, task, off, task, …) ROUNDS times; prints each run's loop wall time (result.json
# wall_seconds) and the ratio of the medians per case. Usage: bash Benchmarks/scripts/diagnostics-overhead.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5}
BIN=.build/release/mobench
[ -x "$BIN" ] || swift build -c release --product mobench
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
declare -A CASES=(
  [fmnist-adamw-fixed]="--data fashion-mnist --tasks 10 --task-length 2500 --meta fixed --alpha0 1e-3"
  [fmnist-metaoptimize]="--data fashion-mnist --tasks 10 --task-length 2500 --meta adam --alpha0 1e-5"
  [mnist-adamw-fixed]="--data mnist --tasks 4 --task-length 5000 --meta fixed --alpha0 1e-3"
)
COMMON="--stream input-permuted --model mlp:128,128 --base adamw --log-every 250 --test-samples 1000 --progress none"
for round in $(seq 1 "$ROUNDS"); do
  for name in "${!CASES[@]}"; do
    for mode in off task; do
      dir="$OUT/$name-$mode-$round"
      $BIN run $COMMON ${CASES[$name]} --diagnostics "$mode" --out "$dir" >/dev/null
      wall=$(python3 -c "import json,sys; print(json.load(open('$dir/result.json'))['wall_seconds'])")
      echo "$name $mode $round $wall"
    done
  done
done | tee "$OUT/times.txt"
python3 - "$OUT/times.txt" <<'PY'
import sys, statistics, collections
t = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, mode, _, wall = line.split()
    t[(name, mode)].append(float(wall))
for name in sorted({k[0] for k in t}):
    off, task = statistics.median(t[(name, 'off')]), statistics.median(t[(name, 'task')])
    print(f"{name}: median off {off:.3f} s, task {task:.3f} s, task/off = {task / off:.4f}")
PY
