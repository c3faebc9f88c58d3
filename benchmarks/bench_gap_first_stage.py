#!/usr/bin/env python
"""GAP like for like: the project solving only what the hand-written highspy model solves.

`consortium solve` by default solves up to three MIPs for a GAP problem: the compute stage, the
money stage among compute-optimal plans (the default objective list) and the uniqueness check.
The baseline solves one. Here the project's instance says ``objective: [compute]`` and the
uniqueness check is off, so both sides solve the same problem; each in this process (imports
paid), the order alternating per problem, every optimum checked against the published one.

    .venv/bin/python benchmarks/bench_gap_first_stage.py [--files gapa gapb gapc]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

import gap_highspy_baseline as baseline  # noqa: E402
import optimizer  # noqa: E402
from optimizer.highs import SolverOptions  # noqa: E402
from orlib_gap import gap_to_instance, read_gap_file, read_optima  # noqa: E402

DATA = ROOT / "tests" / "data" / "orlib-gap"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", nargs="+", default=["gapa", "gapb", "gapc"])
    args = ap.parse_args(argv)
    optima = read_optima(DATA / "optima.csv")
    print(f"# load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    totals, wrong = [0.0, 0.0], 0
    for name in args.files:
        for k, p in enumerate(read_gap_file(DATA / f"{name}.txt"), start=1):
            doc = gap_to_instance(p, "min")
            doc["objective"] = ["compute"]
            inst = optimizer.load_instance(doc)

            def project():
                return optimizer.solve(inst, options=SolverOptions(check_unique=False)).plan.objective

            def base():
                return baseline.solve(p.agents, p.jobs, p.cost, p.resource, p.capacity, "min")[1]

            seconds, values = {}, {}
            for side, fn in ((("base", base), ("proj", project)) if k % 2 else (("proj", project), ("base", base))):
                start = time.perf_counter()
                values[side] = fn()
                seconds[side] = time.perf_counter() - start
            want = optima[(name, k)][1]
            ok = all(v is not None and abs(v - want) < 1e-6 * max(1.0, abs(want)) for v in values.values())
            wrong += not ok
            totals[0] += seconds["base"]
            totals[1] += seconds["proj"]
            print(f"{name}-{k}  base {seconds['base']:7.3f}  proj {seconds['proj']:7.3f}  "
                  f"{seconds['proj'] / seconds['base']:5.2f}x  {'ok' if ok else 'WRONG'}", flush=True)
    print(f"total: base {totals[0]:.2f} s, project {totals[1]:.2f} s, ratio {totals[1] / totals[0]:.2f}x"
          f"; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
