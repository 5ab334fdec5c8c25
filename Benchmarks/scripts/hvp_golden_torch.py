"""The golden Hessian-vector products of hvp_golden.py, recomputed with PyTorch's autograd (float64, reverse over
reverse: HV = d/dp <grad f(p), V>). Same problem, same printed lines, so the two references can be compared line by
line; the values in Tests/ExactHessianTests/AutodiffGoldenTests.swift must agree with both.

Usage: python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch && /tmp/torchvenv/bin/python hvp_golden_torch.py
"""
import math

import torch

torch.set_default_dtype(torch.float64)


def shapes(widths):
    out = []
    for n, m in zip(widths[:-1], widths[1:]):
        out += [(m, n), (m,)]
    return out


def loss(p, widths, x, y):
    tensors, offset = [], 0
    for shape in shapes(widths):
        size = math.prod(shape)
        tensors.append(p[offset:offset + size].reshape(shape))
        offset += size
    h = x
    layers = len(tensors) // 2
    for l in range(layers):
        a = h @ tensors[2 * l].T + tensors[2 * l + 1]
        h = torch.relu(a) if l < layers - 1 else a
    return torch.nn.functional.cross_entropy(h, y)


def float32(values):
    return torch.tensor(values, dtype=torch.float32).to(torch.float64)


def main():
    x = float32([[math.cos(0.9 * b + 0.31 * k + 0.2) for k in range(5)] for b in range(3)])
    y = torch.tensor([2, 0, 1])
    for name, widths in [("linear", [5, 3]), ("mlp:6,4", [5, 6, 4, 3])]:
        n = sum(a * b + a for a, b in zip(widths[1:], widths[:-1]))
        p = float32([0.45 * math.sin(0.7 * e + 0.3) for e in range(n)]).requires_grad_(True)
        v = float32([math.sin(0.37 * e + 0.1) for e in range(n)])
        f = loss(p, widths, x, y)
        (g,) = torch.autograd.grad(f, p, create_graph=True)
        (hv,) = torch.autograd.grad(g @ v, p)
        print(f"{name}: parameters {n}, loss {float(f.detach()):.9g}, <V,HV> {float(v @ hv):.9g}")
        print("  HV[0], HV[7], HV[n-1]:", " ".join(f"{float(hv[i]):.9g}" for i in [0, 7, n - 1]))
        print("  |HV|_inf:", f"{float(hv.abs().max()):.9g}")


if __name__ == "__main__":
    main()
