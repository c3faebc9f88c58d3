#!/usr/bin/env python
"""What a horizon costs: the flagship untimed vs over 4 and 8 periods, measured in one run.

Cases, each solved with ``optimizer.solve(inst, "consortium")`` (the API behind `consortium solve`:
the standalone optima for silo_compute, the lexicographic stages and the uniqueness check):

* ``untimed``: instances/open-moe-consortium.yaml, the baseline of every ratio;
* ``untimed (4q file)``: instances/open-moe-consortium-timed.yaml with its horizon stripped
  (no periods, durations, dues, lag): the same problem as the timed cases without time, since the
  timed copy's recipe has fewer prerequisites than the flagship's;
* ``4 quarters``: instances/open-moe-consortium-timed.yaml as shipped;
* ``8 periods``: generated from the 4-quarter file: every quarter split in two halves
  (``2027-Q1a``, ``2027-Q1b``, ...), hours per period halved, every workstream's duration
  doubled (default 1 -> 2), publish lag doubled, dues mapped to the second half of their quarter
  and releases to the first half, so every run, lag and deadline lasts as long in calendar time.

After one untimed warm-up solve of every case, each is timed ``--repeat`` times (default 3), the
cases interleaved round-robin, and the
median wall time reported with its ratio to ``untimed``; model size is ``result.plan.model``
(variables, constraints of the consortium model). Status, total compute and last_ready are
printed as a check (the 8-period plans may start a one-quarter run mid-quarter, so compute can
only go down from 4 quarters).

Usage::

    .venv/bin/python benchmarks/bench_horizon.py [--repeat R]
"""
from __future__ import annotations

import argparse
import copy
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

import optimizer  # noqa: E402
from optimizer.solver import highs_version  # noqa: E402

FLAGSHIP = ROOT / "instances" / "open-moe-consortium.yaml"
TIMED = ROOT / "instances" / "open-moe-consortium-timed.yaml"


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def strip_horizon(doc: dict) -> dict:
    """The timed file without time: every horizon-only key removed (v1 semantics)."""
    d = copy.deepcopy(doc)
    d.pop("horizon")
    d["defaults"].pop("publish_lag", None)
    for m in d["members"].values():
        m.pop("due", None)
    for w in d["workstreams"].values():
        w.pop("duration", None)
        w.pop("release", None)
    for design in d.get("designs", {}).values():
        over = design.get("overrides", {})
        over.get("defaults", {}).pop("publish_lag", None)
        for m in over.get("members", {}).values():
            m.pop("due", None)
    return d


def split_periods(doc: dict, k: int = 2) -> dict:
    """Every period split into ``k``: hours per period / k, durations and lag x k, dues to the last
    part of their period, releases to the first."""
    d = copy.deepcopy(doc)
    h = d["horizon"]
    old = [str(p) for p in h["periods"]]
    parts = {p: [f"{p}{chr(ord('a') + j)}" for j in range(k)] for p in old}
    h["periods"] = [q for p in old for q in parts[p]]
    h["hours"] = h["hours"] / k
    d["defaults"]["publish_lag"] = d["defaults"].get("publish_lag", 0) * k

    def remap(member: dict) -> None:
        if "due" in member:
            member["due"] = {w: parts[str(p)][-1] for w, p in member["due"].items()}

    for w in d["workstreams"].values():
        w["duration"] = w.get("duration", 1) * k
        if "release" in w:
            w["release"] = parts[str(w["release"])][0]
    for m in d["members"].values():
        remap(m)
    for design in d.get("designs", {}).values():
        over = design.get("overrides", {})
        if "publish_lag" in over.get("defaults", {}):
            over["defaults"]["publish_lag"] *= k
        for m in over.get("members", {}).values():
            remap(m)
    return d


def cases() -> list[tuple[str, int | None, object]]:
    timed = load(TIMED)
    return [("untimed", None, optimizer.load_instance(FLAGSHIP)),
            ("untimed (4q file)", None, optimizer.load_instance(strip_horizon(timed))),
            ("4 quarters", 4, optimizer.load_instance(TIMED)),
            ("8 periods", 8, optimizer.load_instance(split_periods(timed)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"# {date.today().isoformat()}  python {platform.python_version()}  HiGHS {highs_version()}  "
          f"nproc {os.cpu_count()}  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}  "
          f"median of {args.repeat}")
    todo = cases()
    for _, _, inst in todo:  # untimed warm-up: lazy imports and first-solve costs are paid here
        optimizer.solve(inst, "consortium")
    walls: dict[str, list[float]] = {label: [] for label, _, _ in todo}
    last: dict[str, object] = {}
    for _ in range(args.repeat):
        for label, _, inst in todo:  # round-robin: drift hits every case alike
            t0 = time.perf_counter()
            last[label] = optimizer.solve(inst, "consortium")
            walls[label].append(time.perf_counter() - t0)
    base = statistics.median(walls["untimed"])
    head = (f"{'case':<18} {'periods':>7} {'median s':>9} {'ratio':>7} {'variables':>9} {'constraints':>11}  "
            f"{'status':<8} {'total compute':>14} {'last_ready':<10}")
    print(head)
    print("-" * len(head))
    for label, periods, _ in todo:
        r = last[label]
        med = statistics.median(walls[label])
        model = r.plan.model
        print(f"{label:<18} {periods if periods else '-':>7} {med:9.3f} {med / base:6.2f}x {model['variables']:>9} "
              f"{model['constraints']:>11}  {r.status:<8} {r.total_compute:>14,.1f} {r.plan.last_ready or '-':<10}")
    print(f"# load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}; all times: "
          f"{ {k: [round(x, 3) for x in v] for k, v in walls.items()} }")
    return 0


if __name__ == "__main__":
    sys.exit(main())
