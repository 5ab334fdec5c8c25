"""Our own PyTorch transcription of MetaOptimize (faithful mode, /work/shared/spec/metaoptimize.md §3.7), for the
side-by-side speed benchmark only: AdamW base, Adam meta, one scalar step size for the whole model.

Written from the specification, not from the official code. float32 tensors; the λ-powers P, P̄ in float64.
"""
import math

import torch


class MetaOptimizeAdamWAdamScalar:
    def __init__(self, params, alpha0=1e-4, eta=1e-3, gamma=0.999, kappa=0.1, rho=0.9, lam=0.999,
                 rho_bar=0.9, lam_bar=0.999, kappa_bar=0.0, eps=1e-10):
        self.params = [p for p in params]
        self.beta = torch.tensor(math.log(alpha0), dtype=torch.float32)
        self.h = [torch.zeros_like(p) for p in self.params]
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.m_bar = torch.zeros((), dtype=torch.float32)
        self.v_bar = torch.zeros((), dtype=torch.float32)
        self.P = 1.0
        self.P_bar = 1.0
        self.eta, self.gamma, self.kappa, self.rho, self.lam = eta, gamma, kappa, rho, lam
        self.rho_bar, self.lam_bar, self.kappa_bar, self.eps = rho_bar, lam_bar, kappa_bar, eps

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        a = torch.exp(self.beta)                                   # 1. α_t from the current β_t
        z = torch.zeros((), dtype=torch.float32)                   # 2. z = Σ h·g with the OLD trace
        for h, p in zip(self.h, self.params):
            z += torch.sum(h * p.grad)
        self.P *= self.lam                                         # 3. base update (AdamW, faithful)
        mu = (1.0 - self.lam) / (1.0 - self.P)
        for p, h, m, v in zip(self.params, self.h, self.m, self.v):
            g = p.grad
            m.mul_(self.rho).add_(g)                               # m ← ρ·m + g (sum)
            v.mul_(self.lam).addcmul_(g, g)                        # v ← λ·v + g²
            d = m / torch.sqrt(v * mu + self.eps)
            delta = a * (d + self.kappa * p)
            p.sub_(delta)
            h.mul_(self.gamma * (1.0 - self.kappa * a)).sub_(delta)
        self.P_bar *= self.lam_bar                                 # 4. meta update (Adam, faithful)
        mu_bar = (1.0 - self.lam_bar) / (1.0 - self.P_bar)
        self.m_bar.mul_(self.rho_bar).add_(z)
        self.v_bar.mul_(self.lam_bar).add_(z * z)
        self.beta = (1.0 - self.eta * self.kappa_bar) * self.beta - self.eta * self.m_bar / torch.sqrt(
            self.v_bar * mu_bar + self.eps)
