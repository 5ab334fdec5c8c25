"""Reads the event files written by `mobench export tensorboard` with TensorBoard's own reader (EventAccumulator)
and checks that every scalar equals the value in the suite's curve.csv / result.json exactly (float64 equality).

Usage: python read_back.py SUITE_DIR TB_DIR     (exit 0 and a 'N passed, 0 failed' line when everything matches)
"""
import csv
import json
import math
import os
import sys

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def main(suite, tb):
    with open(os.path.join(suite, "runs.json")) as f:
        runs = json.load(f)["runs"]
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL:", what)

    for entry in runs:
        run_dir = os.path.join(suite, entry["directory"])
        if not os.path.exists(os.path.join(run_dir, "result.json")):
            continue
        name = entry["directory"][len("runs/"):]
        acc = event_accumulator.EventAccumulator(os.path.join(tb, name), size_guidance={"tensors": 0, "scalars": 0})
        acc.Reload()
        tags = set(acc.Tags()["tensors"])
        with open(os.path.join(run_dir, "curve.csv")) as f:
            rows = list(csv.DictReader(f))
        columns = list(rows[0].keys())
        expected = {}
        for row in rows:
            step = int(row["step"])
            for column in columns[2:]:
                tag = column if column in ("online_loss", "online_accuracy", "cumulative_accuracy") else "step_size/" + column
                expected.setdefault(tag, []).append((step, float(row[column])))
        with open(os.path.join(run_dir, "result.json")) as f:
            result = json.load(f)
        batch = result["config"].get("batch_size", 1) or 1
        samples = 0
        for task in result["tasks"]:
            samples += task["samples"]
            if task.get("test_accuracy") is not None:
                expected.setdefault("task_test_accuracy", []).append(((samples + batch - 1) // batch, float(task["test_accuracy"])))
        check(tags == set(expected), f"{name}: tags {sorted(tags)} != {sorted(expected)}")
        for tag, points in expected.items():
            if tag not in tags:
                continue
            events = acc.Tensors(tag)
            got = [(e.step, tensor_util.make_ndarray(e.tensor_proto).item()) for e in events]
            ok = len(got) == len(points) and all(gs == es and same(gv, ev) for (gs, gv), (es, ev) in zip(got, points))
            check(ok, f"{name} {tag}: {got[:3]}... != {points[:3]}...")
            meta = acc.SummaryMetadata(tag)
            check(meta.plugin_data.plugin_name == "scalars", f"{name} {tag}: plugin {meta.plugin_data.plugin_name}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
