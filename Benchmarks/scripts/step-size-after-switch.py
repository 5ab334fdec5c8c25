#!/usr/bin/env python3
"""Does a method's logged step size shrink again after a task switch? Reads a suite's curve.csv files.

For every configuration of a suite output (runs/GROUP/CONFIG/seed-S/curve.csv) and its first step-size column:
at each task switch, the value in the last curve bin of the old task is compared with the values during the new
task. Prints, per group and configuration, over all switches and seeds: how often the step size fell below
(0.99x) and rose above (1.01x) its value at the switch, and the step size at the first switch and at the end.

    python3 Benchmarks/scripts/step-size-after-switch.py results/benchmark [--match PATTERN]
"""
import csv
import glob
import os
import statistics
import sys


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    match = sys.argv[sys.argv.index("--match") + 1] if "--match" in sys.argv else ""
    table = {}
    for path in sorted(glob.glob(os.path.join(root, "runs", "*", "*", "seed-*", "curve.csv"))):
        parts = path.split(os.sep)
        group, config = parts[-4], parts[-3]
        if match not in config:
            continue
        with open(path) as f:
            rows = list(csv.DictReader(f))
        columns = [c for c in rows[0] if c.startswith("step_size") or c.startswith("log_step_size")] if rows else []
        if not columns:
            continue
        column = columns[0]
        values = [(int(r["task"]), float(r[column])) for r in rows]
        fell = rose = switches = 0
        at_first_switch = None
        for k in range(1, len(values)):
            if values[k][0] != values[k - 1][0]:
                before = values[k - 1][1]
                after = [v for t, v in values[k:] if t == values[k][0]]
                switches += 1
                at_first_switch = before if at_first_switch is None else at_first_switch
                if min(after) < 0.99 * before:
                    fell += 1
                if max(after) > 1.01 * before:
                    rose += 1
        entry = table.setdefault((group, config, column), {"fell": 0, "rose": 0, "switches": 0, "first": [], "end": []})
        entry["fell"] += fell
        entry["rose"] += rose
        entry["switches"] += switches
        if at_first_switch is not None:
            entry["first"].append(at_first_switch)
        entry["end"].append(values[-1][1])
    print("| group | configuration | column | switches | fell after | rose after | at 1st switch (median) | at end (median) |")
    print("|---|---|---|---|---|---|---|---|")
    for (group, config, column), e in table.items():
        first = f"{statistics.median(e['first']):.3g}" if e["first"] else "–"
        print(f"| {group} | {config} | {column} | {e['switches']} | {e['fell']} | {e['rose']} | {first} | "
              f"{statistics.median(e['end']):.3g} |")


if __name__ == "__main__":
    main()
