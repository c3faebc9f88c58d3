"""Constraints 4 and 5 written directly or against one aggregate per workstream (issue 16, item 1).

For synthetic instances (benchmarks/synthetic.py) of growing size, the same model built twice in
one run — ``model.AGGREGATES = "never"`` (every adoption-source and replica row lists the other
runners) and ``"auto"`` (the aggregate where it has fewer nonzeros, the default) — handed to
HiGHS and solved once for compute (the first stage, one MIP, no uniqueness check), printing rows,
nonzeros (HiGHS' own count after the hand-over), build and HiGHS seconds, the optimum of each
(they must agree: the rows are the same LP) and the ratios.

    .venv/bin/python benchmarks/bench_formulation.py [--sizes 20x50,50x100] [--time-limit 120]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

from optimizer import model  # noqa: E402
from optimizer.highs import HighsSession, SolverOptions, highs_version  # noqa: E402
from optimizer.instance import load_instance  # noqa: E402
from optimizer.schema import BUILTIN_DESIGNS  # noqa: E402
from optimizer.solver import solve_stages  # noqa: E402
from optimizer.tables import derive  # noqa: E402
from synthetic import instance  # noqa: E402


def measure(data, form: str, options: SolverOptions) -> dict:
    model.AGGREGATES = form
    t0 = time.perf_counter()
    m = model.build_model(data)
    build = time.perf_counter() - t0
    session = HighsSession(m, options)
    handed = time.perf_counter() - t0 - build
    lp = session.highs.getLp()
    clock = session.seconds()
    stages = solve_stages(session, stages=1)
    return {"rows": lp.num_row_, "nonzeros": len(lp.a_matrix_.value_), "build": build, "hand_over": handed,
            "highs": session.seconds() - clock, "status": stages.status.value,
            "compute": next(iter(stages.values.values()), None), "gap": stages.mip_gap}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10x40,20x100,50x100,100x200")
    ap.add_argument("--time-limit", type=float, default=120.0)
    args = ap.parse_args(argv)
    options = SolverOptions(time_limit=args.time_limit, check_unique=False)
    print(f"# HiGHS {highs_version()}, nproc {os.cpu_count()}, time limit {args.time_limit:g} s per solve")
    head = ("size", "form", "rows", "nonzeros", "build s", "hand-over s", "HiGHS s", "status", "compute (model units)")
    print("{:>9} {:>6} {:>8} {:>10} {:>8} {:>11} {:>8} {:>9} {:>22}".format(*head))
    for size in args.sizes.split(","):
        n, w = (int(x) for x in size.split("x"))
        inst = load_instance(instance(n, w, seed=1))
        data = derive(inst.spec, BUILTIN_DESIGNS["consortium"], "consortium")
        rows = {form: measure(data, form, options) for form in ("never", "auto")}
        for form, r in rows.items():
            print(f"{size:>9} {form:>6} {r['rows']:>8} {r['nonzeros']:>10} {r['build']:>8.2f} {r['hand_over']:>11.2f} "
                  f"{r['highs']:>8.2f} {r['status']:>9} {r['compute'] if r['compute'] is None else round(r['compute'], 4):>22}")
        a, b = rows["never"], rows["auto"]
        print(f"{size:>9}  ratio never/auto: nonzeros {a['nonzeros'] / b['nonzeros']:.2f}x, "
              f"HiGHS {a['highs'] / max(b['highs'], 1e-9):.2f}x, build {a['build'] / max(b['build'], 1e-9):.2f}x")
    model.AGGREGATES = "auto"
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
