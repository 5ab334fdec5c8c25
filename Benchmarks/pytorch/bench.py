"""Batch-1 training steps/s of plain PyTorch on one CPU thread, the same work as one step of `mobench-perf
training`: forward, cross-entropy, backward, optimizer step on a fixed set of 16 random inputs.

Cases: {mlp-784-256-256-10, simple-cnn-3x32x32} × {AdamW, SGD, MetaOptimize (our transcription: AdamW base, Adam
meta, scalar)}, all with α = 1e-4 and weight decay 0.1 like mobench-perf. Prints one JSON object: case → median
steps/s over --repetitions blocks of --steps steps (cases interleaved block by block), after a warm-up.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn

from metaoptimize_torch import MetaOptimizeAdamWAdamScalar


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))


def simple_cnn():
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 8 * 8, 128), nn.ReLU(), nn.Linear(128, 10))


class Case:
    def __init__(self, name, model, shape, optimizer):
        torch.manual_seed(0)
        self.name = name
        self.model = model()
        self.inputs = torch.rand((16, 1) + shape)
        self.labels = torch.arange(16) % 10
        params = list(self.model.parameters())
        if optimizer == "adamw":
            self.opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.1)
        elif optimizer == "sgd":
            self.opt = torch.optim.SGD(params, lr=1e-4, weight_decay=0.1)
        else:
            self.opt = MetaOptimizeAdamWAdamScalar(params, alpha0=1e-4, kappa=0.1)
        self.loss = nn.CrossEntropyLoss()
        self.index = 0

    def run(self, steps):
        for _ in range(steps):
            k = self.index & 15
            self.opt.zero_grad()
            loss = self.loss(self.model(self.inputs[k]), self.labels[k:k + 1])
            loss.backward()
            self.opt.step()
            self.index += 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--repetitions", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    cases = []
    for model_name, model, shape in [("mlp-784-256-256-10", mlp, (1, 28, 28)), ("simple-cnn-3x32x32", simple_cnn, (3, 32, 32))]:
        for opt_name, opt in [("adamw", "adamw"), ("sgd", "sgd"), ("metaoptimize-adamw+adam-scalar", "meta")]:
            cases.append(Case(f"{model_name}/torch-{opt_name}", model, shape, opt))
    for c in cases:
        c.run(args.steps // 4 + 10)
    samples = {c.name: [] for c in cases}
    for _ in range(args.repetitions):
        for c in cases:
            start = time.perf_counter()
            c.run(args.steps)
            samples[c.name].append(args.steps / (time.perf_counter() - start))
    print(json.dumps({name: statistics.median(v) for name, v in samples.items()}))


if __name__ == "__main__":
    main()
