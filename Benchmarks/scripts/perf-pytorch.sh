#!/usr/bin/env bash
# PyTorch side by side (make perf-pytorch; not part of make test or CI): batch-1 training steps/s on one CPU
# thread of plain PyTorch AdamW and SGD and of our PyTorch transcription of MetaOptimize (AdamW base, Adam meta,
# scalar; Benchmarks/pytorch/metaoptimize_torch.py, written from the specification), against the same cases of
# mobench-perf, on the same MLP 784-256-256-10 and SimpleCNN 3×32×32, in alternating rounds (so that a change in
# machine load hits both sides). Prints each round and the median ratio mobench / PyTorch per case.
#
# torch comes from PyPI into a venv under .build/ (CPU only is used; torch.set_num_threads(1)).
# Usage: Benchmarks/scripts/perf-pytorch.sh [--rounds N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
rounds=3
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) rounds="$2"; shift 2 ;;
        *) echo "perf-pytorch: unknown argument $1" >&2; exit 2 ;;
    esac
done
venv="${MOBENCH_TORCH_VENV:-$root/.build/torch-venv}"
if ! [ -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
    echo "perf-pytorch: creating $venv with torch from PyPI (once; large download)" >&2
    python3 -m venv "$venv" || { echo "perf-pytorch: cannot create a venv (Debian: apt-get install python3-venv)" >&2; exit 1; }
    "$venv/bin/pip" install -q torch || { echo "perf-pytorch: pip install torch failed" >&2; exit 1; }
fi
echo "building mobench-perf (release)..." >&2
swift build -c release --product mobench-perf >&2
perf_bin="$(swift build -c release --show-bin-path)/mobench-perf"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cases="mlp-784-256-256-10/adamw+fixed,mlp-784-256-256-10/sgd+fixed,mlp-784-256-256-10/adamw+adam/scalar,simple-cnn-3x32x32/adamw+fixed,simple-cnn-3x32x32/sgd+fixed,simple-cnn-3x32x32/adamw+adam/scalar"
"$venv/bin/python" -c 'import torch; print("torch", torch.__version__, "threads", 1)' >&2
# The transcription must reproduce the specification's golden vectors before it is timed.
(cd Benchmarks/pytorch && "$venv/bin/python" check_golden.py) >&2 \
    || { echo "perf-pytorch: the PyTorch MetaOptimize transcription does not match the golden vectors" >&2; exit 1; }
for round in $(seq 1 "$rounds"); do
    echo "round $round/$rounds: mobench-perf" >&2
    "$perf_bin" training --only "$cases" --steps 1000 --repetitions 7 --json "$work/mobench-$round.json" >/dev/null 2>&1
    echo "round $round/$rounds: pytorch" >&2
    (cd Benchmarks/pytorch && "$venv/bin/python" bench.py --steps 500 --repetitions 7) > "$work/torch-$round.json"
done
"$venv/bin/python" - "$work" "$rounds" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
pairs = [("adamw+fixed", "torch-adamw"), ("sgd+fixed", "torch-sgd"), ("adamw+adam/scalar", "torch-metaoptimize-adamw+adam-scalar")]
print(f"{'case':58} {'mobench steps/s':>16} {'PyTorch steps/s':>16} {'ratio':>7}")
for model in ["mlp-784-256-256-10", "simple-cnn-3x32x32"]:
    for ours, theirs in pairs:
        ratios, a, b = [], [], []
        for r in range(1, rounds + 1):
            m = {x["name"]: x["steps_per_second_median"] for x in json.load(open(f"{work}/mobench-{r}.json"))}
            t = json.load(open(f"{work}/torch-{r}.json"))
            a.append(m[f"{model}/{ours}"]); b.append(t[f"{model}/{theirs}"]); ratios.append(a[-1] / b[-1])
        print(f"{model + '/' + ours + ' vs ' + theirs:58} {statistics.median(a):16.0f} {statistics.median(b):16.0f} "
              f"{statistics.median(ratios):6.1f}x   (rounds: {', '.join(f'{x:.1f}' for x in ratios)})")
PY
