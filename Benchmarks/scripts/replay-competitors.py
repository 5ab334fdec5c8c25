#!/usr/bin/env python3
"""Step-for-step replay of mobench's learning-rate-free competitors on their reference PyTorch packages.

For each method: writes one set of initial weights (mlp 784-64-10), runs `mobench run --optimizer METHOD --init ...
--trace ...` on label-permuted Fashion-MNIST, then replays the trace's sample order (sample_index, label) in PyTorch
with the reference package from the same initial weights, and reports the fraction of steps whose pre-update loss
agrees with mobench's within 1e-3 (absolute), plus the first step that disagrees.

This is a benchmark script, not project code: it imports torch and the reference packages from a scratch venv.

    python3 -m venv /tmp/venv12
    /tmp/venv12/bin/pip install torch prodigyopt==1.1.2 dadaptation==3.2 dog-optimizer==1.0.3 \
        schedulefree==1.4.1 mechanic-pytorch==0.0.1 parameterfree==0.0.1 numpy safetensors
    swift build -c release --product mobench
    /tmp/venv12/bin/python Benchmarks/scripts/replay-competitors.py --mobench .build/release/mobench \
        --data data/fashion-mnist --steps 1000 --out /tmp/replay
"""
import argparse
import csv
import gzip
import json
import os
import subprocess
import sys

import numpy as np
import torch
from safetensors.numpy import save_file

# Method → (mobench flags, factory building the reference optimizer on the model's parameters).
# Settings: the spec's comparison settings (baselines.md §8) where they differ from the package defaults.


def reference_optimizer(method, params):
    if method == "prodigy":
        from prodigyopt import Prodigy
        return Prodigy(params, lr=1.0)
    if method == "dadapt-adam":
        from dadaptation import DAdaptAdam
        return DAdaptAdam(params, lr=1.0)
    if method == "dadapt-sgd":
        from dadaptation import DAdaptSGD
        return DAdaptSGD(params, lr=1.0)
    if method == "dadapt-adagrad":
        from dadaptation import DAdaptAdaGrad
        return DAdaptAdaGrad(params, lr=1.0)
    if method == "dadapt-lion":
        from dadaptation import DAdaptLion
        return DAdaptLion(params, lr=1.0)
    if method == "dog":
        from dog import DoG
        return DoG(params, lr=1.0)
    if method == "ldog":
        from dog import LDoG
        return LDoG(params, lr=1.0)
    if method == "schedule-free-adamw":
        from schedulefree import AdamWScheduleFree
        opt = AdamWScheduleFree(params, lr=0.0025, warmup_steps=0)
        opt.train()
        return opt
    if method == "schedule-free-sgd":
        from schedulefree import SGDScheduleFree
        opt = SGDScheduleFree(params, lr=0.1, momentum=0.9, warmup_steps=0)
        opt.train()
        return opt
    if method == "mechanic":
        from mechanic_pytorch import mechanize
        return mechanize(torch.optim.AdamW)(params, lr=1.0, weight_decay=0.0)
    if method == "cocob":
        from parameterfree import COCOB
        return COCOB(params)
    if method in ("kt", "kt+clip"):
        from parameterfree import KT
        return KT(params)
    raise ValueError(method)


MOBENCH_FLAGS = {
    "prodigy": ["--alpha0", "1"],
    "dadapt-adam": ["--alpha0", "1"],
    "dadapt-sgd": ["--alpha0", "1"],
    "dadapt-adagrad": ["--alpha0", "1"],
    "dadapt-lion": ["--alpha0", "1"],
    "dog": ["--alpha0", "1"],
    "ldog": ["--alpha0", "1"],
    "schedule-free-adamw": ["--alpha0", "0.0025"],
    "schedule-free-sgd": ["--alpha0", "0.1"],
    "mechanic": ["--alpha0", "1", "--base", "adamw"],
    "cocob": [],
    "kt": [],
    # KT at the spec's comparison setting: the gradient norm clipped to 1 (torch.nn.utils.clip_grad_norm_).
    "kt+clip": ["--kt-clip-norm", "1"],
}

CLIPPED = {"kt+clip": 1.0}


def read_idx_images(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    count, rows, cols = (int.from_bytes(data[4 * k:4 * k + 4], "big") for k in (1, 2, 3))
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows * cols)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mobench", default=".build/release/mobench")
    ap.add_argument("--data", default="data/fashion-mnist")
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--out", default="/tmp/replay")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tolerance", type=float, default=1e-3)
    ap.add_argument("--methods", nargs="*", default=list(MOBENCH_FLAGS))
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)

    rng = np.random.default_rng(args.seed)
    h = args.hidden
    init = {
        "layers.0.weight": rng.uniform(-1, 1, (h, 784)).astype(np.float32) / np.float32(np.sqrt(784)),
        "layers.0.bias": rng.uniform(-1, 1, (h,)).astype(np.float32) / np.float32(np.sqrt(784)),
        "layers.1.weight": rng.uniform(-1, 1, (10, h)).astype(np.float32) / np.float32(np.sqrt(h)),
        "layers.1.bias": rng.uniform(-1, 1, (10,)).astype(np.float32) / np.float32(np.sqrt(h)),
    }
    init_path = os.path.join(args.out, "init.safetensors")
    save_file(init, init_path)
    images = read_idx_images(os.path.join(args.data, "train-images-idx3-ubyte.gz"))
    table = (np.arange(256, dtype=np.float32) / np.float32(255)).astype(np.float32)

    task_length = args.steps // 2
    results = {}
    for method in args.methods:
        run_dir = os.path.join(args.out, method)
        trace_path = os.path.join(run_dir, "trace.csv")
        command = [args.mobench, "run", "--optimizer", method.split("+")[0], "--model", f"mlp:{h}", "--stream", "label-permuted",
                   "--tasks", "2", "--task-length", str(task_length), "--data", args.data, "--init", init_path,
                   "--trace", trace_path, "--out", run_dir, "--subnormals", "exact", "--test-samples", "100",
                   "--progress", "none"] + MOBENCH_FLAGS[method]
        os.makedirs(run_dir, exist_ok=True)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        with open(trace_path) as f:
            rows = list(csv.DictReader(f))

        model = torch.nn.Sequential(torch.nn.Linear(784, h), torch.nn.ReLU(), torch.nn.Linear(h, 10))
        with torch.no_grad():
            model[0].weight.copy_(torch.from_numpy(init["layers.0.weight"]))
            model[0].bias.copy_(torch.from_numpy(init["layers.0.bias"]))
            model[2].weight.copy_(torch.from_numpy(init["layers.1.weight"]))
            model[2].bias.copy_(torch.from_numpy(init["layers.1.bias"]))
        opt = reference_optimizer(method, model.parameters())
        agree = 0
        agree_relative = 0
        first_disagreement = None
        max_difference = 0.0
        for row in rows:
            x = torch.from_numpy(table[images[int(row["sample_index"])]]).unsqueeze(0)
            y = torch.tensor([int(row["label"])])
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            if method in CLIPPED:
                torch.nn.utils.clip_grad_norm_(model.parameters(), CLIPPED[method])
            opt.step()
            difference = abs(loss.item() - float(row["loss"]))
            max_difference = max(max_difference, difference) if np.isfinite(difference) else float("inf")
            if difference <= args.tolerance * max(1.0, abs(loss.item())):
                agree_relative += 1
            if difference <= args.tolerance:
                agree += 1
            elif first_disagreement is None:
                first_disagreement = int(row["step"])
        with open(os.path.join(run_dir, "result.json")) as f:
            diverged_at = json.load(f).get("diverged_at_step")
        # Steps counted out of the planned ones: a run that diverged (non-finite loss) stops early, and its
        # remaining steps count as disagreeing.
        results[method] = {"planned_steps": 2 * task_length, "steps_run": len(rows), "agreeing": agree,
                           "fraction": agree / (2 * task_length),
                           "agreeing_relative": agree_relative, "mobench_diverged_at_step": diverged_at,
                           "first_disagreement": first_disagreement, "max_abs_difference": max_difference}
        print(f"{method:22s} {agree:5d}/{2 * task_length} steps agree within {args.tolerance:g} "
              f"(fraction {agree / (2 * task_length):.3f}; within {args.tolerance:g}·max(1,|loss|): {agree_relative}; "
              f"first disagreement: {first_disagreement}; max |Δloss| {max_difference:.3g}; "
              f"mobench diverged at step: {diverged_at})", flush=True)
    with open(os.path.join(args.out, "replay.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
