"""Checks our PyTorch MetaOptimize transcription (metaoptimize_torch.py) against the specification's golden
vectors (/work/shared/spec/metaoptimize.md §7.2, row "AdamW, AdamW, scalar"), so that make perf-pytorch times
the right algorithm. Exit 0 and '4 passed, 0 failed' when it matches within the spec's tolerances.
"""
import math
import sys

import torch

from metaoptimize_torch import MetaOptimizeAdamWAdamScalar

BETAS = [-4.6051702, -4.5910316, -4.5685339, -4.5391641, -4.5035706, -4.4615803, -4.4445128, -4.4305830,
         -4.4016857, -4.3632326, -4.3774281, -4.3833604, -4.3830247, -4.3761039, -4.3849096, -4.4068937,
         -4.4459643, -4.5014219, -4.5618038, -4.6160779]


def main():
    torch.set_num_threads(1)
    W1 = torch.tensor([[0.3 * math.sin(1 + 4 * i + j) for j in range(4)] for i in range(5)], dtype=torch.float64).float()
    b1 = torch.tensor([0.1 * math.cos(1 + i) for i in range(5)], dtype=torch.float64).float()
    W2 = torch.tensor([[0.3 * math.sin(2 + 5 * i + j) for j in range(5)] for i in range(3)], dtype=torch.float64).float()
    b2 = torch.tensor([0.1 * math.cos(2 + i) for i in range(3)], dtype=torch.float64).float()
    params = [p.requires_grad_() for p in (W1, b1, W2, b2)]
    opt = MetaOptimizeAdamWAdamScalar(params, alpha0=1e-2, eta=1e-2, gamma=0.999, kappa=0.1)
    betas, w00, loss20 = [], [], None
    for t in range(20):
        x = torch.tensor([math.sin(0.37 * (t + 1) * (k + 1)) + 0.5 * math.cos(1.3 * t + k) for k in range(4)],
                         dtype=torch.float64).float()
        y = max(range(3), key=lambda i: sum(math.cos(i + 2 * j) * float(x[j]) for j in range(4)))
        opt.zero_grad()
        logits = W2 @ torch.tanh(W1 @ x + b1) + b2
        loss = torch.nn.functional.cross_entropy(logits.unsqueeze(0), torch.tensor([y]))
        loss.backward()
        if t == 19:
            loss20 = loss.item()
        opt.step()
        betas.append(float(opt.beta))
        w00.append(float(W1[0, 0].detach()))
    total = sum(float(p.detach().sum()) for p in params)
    checks = [
        ("beta trajectory", max(abs(a - b) for a, b in zip(betas, BETAS)) <= 1e-6),
        ("w00 after steps 1-3", max(abs(a - b) for a, b in zip(w00[:3], [0.2621889, 0.2809042, 0.3073479])) <= 1e-6),
        ("loss at step 20", abs(loss20 - 0.067028) <= 1e-5),
        ("sum of weights", abs(total - (-1.812786)) <= 1e-5),
    ]
    failed = [name for name, ok in checks if not ok]
    for name in failed:
        print("FAIL:", name, file=sys.stderr)
    if failed:
        print("betas", betas, "w00", w00[:3], "loss20", loss20, "sum", total, file=sys.stderr)
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
