"""Golden Hessian-vector products for Tests/ExactHessianTests (independent of the project's code).

Problem (also written out in Tests/ExactHessianTests/GoldenTests.swift): softmax cross-entropy, mean over a batch
of 3, models `linear` (5 -> 3) and `mlp:6,4` (5-6-4-3, ReLU), parameters in PyTorch order (W [out, in] row-major,
then b) with values p[e] = 0.45*sin(0.7*e + 0.3) over the flat index e; inputs x[b][k] = cos(0.9*b + 0.31*k + 0.2),
labels [2, 0, 1]; direction V[e] = sin(0.37*e + 0.1). HVP = jvp of grad (forward-over-reverse autodiff) in float64.

Usage: python3 -m venv /tmp/jaxvenv && /tmp/jaxvenv/bin/pip install jax && /tmp/jaxvenv/bin/python hvp_golden.py
hvp_golden_torch.py computes the same values with PyTorch's autograd (both print the same nine digits).
"""
import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)


def shapes(widths):
    out = []
    for n, m in zip(widths[:-1], widths[1:]):
        out += [(m, n), (m,)]
    return out


def unflatten(p, widths):
    tensors, offset = [], 0
    for shape in shapes(widths):
        size = 1
        for d in shape:
            size *= d
        tensors.append(p[offset:offset + size].reshape(shape))
        offset += size
    return tensors


def loss(p, widths, x, y):
    t = unflatten(p, widths)
    h = x
    layers = len(t) // 2
    for l in range(layers):
        a = h @ t[2 * l].T + t[2 * l + 1]
        h = jnp.maximum(a, 0) if l < layers - 1 else a
    logz = jax.nn.log_softmax(h, axis=1)
    return -jnp.mean(logz[jnp.arange(len(y)), y])


def main():
    x = jnp.array([[jnp.cos(0.9 * b + 0.31 * k + 0.2) for k in range(5)] for b in range(3)], dtype=jnp.float64)
    x = x.astype(jnp.float32).astype(jnp.float64)
    y = jnp.array([2, 0, 1])
    for name, widths in [("linear", [5, 3]), ("mlp:6,4", [5, 6, 4, 3])]:
        n = sum(a * b + a for a, b in zip(widths[1:], widths[:-1]))
        e = jnp.arange(n, dtype=jnp.float64)
        p = (0.45 * jnp.sin(0.7 * e + 0.3)).astype(jnp.float32).astype(jnp.float64)
        v = jnp.sin(0.37 * e + 0.1).astype(jnp.float32).astype(jnp.float64)
        f = lambda q: loss(q, widths, x, y)
        hv = jax.jvp(jax.grad(f), (p,), (v,))[1]
        print(f"{name}: parameters {n}, loss {float(f(p)):.9g}, <V,HV> {float(jnp.dot(v, hv)):.9g}")
        print("  HV[0], HV[7], HV[n-1]:", " ".join(f"{float(hv[i]):.9g}" for i in [0, 7, n - 1]))
        print("  |HV|_inf:", f"{float(jnp.max(jnp.abs(hv))):.9g}")


if __name__ == "__main__":
    main()
