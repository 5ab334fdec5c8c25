"""Golden values for standard-mode Adagrad: torch.optim.Adagrad(lr=α, lr_decay=0, eps=1e-10,
initial_accumulator_value=0, weight_decay=0) on a 5-element float32 tensor, 8 steps of fixed gradients.
α is the Float32 step size the suite uses for α0 = 1e-2 (exp of the Float32 log, correctly rounded).
Run: python adagrad_golden.py (needs torch). Prints Swift literals for AdagradTests.swift."""
import numpy as np
import torch

alpha = float(np.float32(np.exp(np.float64(np.float32(np.log(np.float32(0.01)))))))
w0 = np.array([0.5, -0.3, 0.8, 0.0, 1.25], dtype=np.float32)
rng = np.random.default_rng(7)
grads = (rng.standard_normal((8, 5)) * 0.1).astype(np.float32)
grads[2, 3] = 0.0  # an exact zero gradient on an element with a zero accumulator so far
p = torch.nn.Parameter(torch.tensor(w0))
opt = torch.optim.Adagrad([p], lr=alpha, lr_decay=0, eps=1e-10, initial_accumulator_value=0, weight_decay=0)
rows = []
for g in grads:
    p.grad = torch.tensor(g)
    opt.step()
    rows.append(p.detach().numpy().copy())
print("torch", torch.__version__, "alpha", repr(alpha))
print("static let gradients: [[Float]] = [")
for g in grads:
    print("    [" + ", ".join(repr(float(x)) for x in g) + "],")
print("]")
print("static let torchWeights: [[Float]] = [")
for r in rows:
    print("    [" + ", ".join(repr(float(x)) for x in r) + "],")
print("]")
