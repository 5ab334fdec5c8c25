#!/usr/bin/env python3
"""The docs/hessian.md summary table from a hessian-suite output folder (mobench suite Benchmarks/suites/hessian.json).

Per (group, base, meta, step sizes): mean online loss over the seeds that did not diverge, for the Hessian-free trace
and the exact trace (2x2, L); diverged seeds; a seed-aware verdict of exact vs free (paired by seed: "better" or
"worse" only when every seed that both completed agrees); mean final beta of the last step-size group.
Usage: python3 Benchmarks/scripts/hessian-table.py OUT_DIR
"""
import glob, json, os, statistics, sys
from collections import defaultdict

out = sys.argv[1] if len(sys.argv) > 1 else "results/hessian"
runs = defaultdict(dict)  # (group, base, meta, granularity) -> mode -> seed -> result
for path in glob.glob(os.path.join(out, "runs", "*", "*", "seed-*", "result.json")):
    d = json.load(open(path))
    c = d["config"]
    group = path.split(os.sep)[-4]
    mode = "free" if c.get("hessian", "free") == "free" else "exact-" + c.get("approximation", "2x2")
    key = (group, c["base"], c["meta"], c["granularity"])
    runs[key].setdefault(mode, {})[c["seed"]] = d

def loss(r):
    ok = [d["online_loss"] for d in r.values() if not d["diverged"]]
    div = sum(d["diverged"] for d in r.values())
    text = f"{statistics.mean(ok):.3f}" if ok else "–"
    return text + (f" ({div}/{len(r)} div.)" if div else "")

def verdict(free, exact):
    div = sum(d["diverged"] for d in exact.values())
    pairs = [exact[s]["online_loss"] - free[s]["online_loss"] for s in exact
             if s in free and not exact[s]["diverged"] and not free[s]["diverged"]]
    if not pairs:
        return f"diverged ({div}/{len(exact)})"
    better = sum(p < 0 for p in pairs)
    text = ("better" if better == len(pairs) else "worse" if better == 0 else "mixed") + f" {better}/{len(pairs)}"
    text += f", Δ {statistics.mean(pairs):+.3f}"
    return text + (f"; {div} div." if div else "")

def beta(r):
    values = [d["final_log_step_sizes"][-1] for d in r.values() if not d["diverged"]]
    return f"{statistics.mean(values):.1f}" if values else "–"

print("| data / stream | base | meta | step sizes | free | exact 2x2 | exact L | 2x2 vs free | L vs free | final β free / 2x2 / L |")
print("|---|---|---|---|---|---|---|---|---|---|")
for key in sorted(runs):
    r = runs[key]
    f, a, l = r.get("free", {}), r.get("exact-2x2", {}), r.get("exact-l", {})
    print(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {loss(f)} | {loss(a)} | {loss(l)} | {verdict(f, a)} | "
          f"{verdict(f, l)} | {beta(f)} / {beta(a)} / {beta(l)} |")
