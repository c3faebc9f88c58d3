#!/usr/bin/env python
"""Benchmark the optimizer on OR-Library GAP problems against plain HiGHS.

For every problem it measures

* baseline: a hand-written GAP model passed to ``highspy`` through its
  low-level API (column-wise matrix, ``passModel``), build + solve time;
* end-to-end: ``consortium solve FILE --json`` on a YAML instance written by
  :func:`optimizer.gap.gap_to_instance`, wall time of the subprocess;
* in-process: ``optimizer.solve(optimizer.load_instance(mapping))``.

Times are the best of ``--repeat`` runs. Every objective is checked against the
published optimum in ``optima.csv``; the exit status is 1 on any mismatch.
The target is a geometric-mean ratio <= 1.25x vs the baseline on gapa-gapc.

Usage::

    .venv/bin/python benchmarks/bench_gap.py [--files gapa gapb gapc]
        [--problems N] [--repeat R] [--baseline-only] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import highspy
import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.gap import (  # noqa: E402
    GapProblem,
    gap_objective_from_compute,
    gap_to_instance,
    profit_offset,
    read_gap_file,
    read_optima,
    read_problem_names,
)

DEFAULT_DATA = ROOT / "tests" / "data" / "orlib-gap"
TARGET_RATIO = 1.25


def solve_baseline(problem: GapProblem, sense: str) -> float:
    """Build and solve the plain GAP with highspy; return the GAP objective.

    Binary x[i,j] (column i*n + j), rows 0..n-1: sum_i x[i,j] == 1,
    rows n..n+m-1: sum_j a[i,j] x[i,j] <= b[i]; minimise sum c[i,j] x[i,j]
    with c = cost (min files) or K - profit (max files).
    """
    m, n = problem.agents, problem.jobs
    cost = np.asarray(problem.cost, dtype=np.float64).ravel()
    if sense == "max":
        cost = profit_offset(problem) - cost
    resource = np.asarray(problem.resource, dtype=np.float64).ravel()
    ncol = m * n

    lp = highspy.HighsLp()
    lp.num_col_ = ncol
    lp.num_row_ = n + m
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(ncol)
    lp.col_upper_ = np.ones(ncol)
    lp.row_lower_ = np.concatenate([np.ones(n), np.full(m, -highspy.kHighsInf)])
    lp.row_upper_ = np.concatenate([np.ones(n), np.asarray(problem.capacity, dtype=np.float64)])
    # Column-wise: column i*n+j has entries (row j, 1) and (row n+i, a[i,j]).
    cols = np.arange(ncol)
    index = np.empty(2 * ncol, dtype=np.int32)
    index[0::2] = cols % n
    index[1::2] = n + cols // n
    value = np.empty(2 * ncol)
    value[0::2] = 1.0
    value[1::2] = resource
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * ncol + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    lp.integrality_ = [highspy.HighsVarType.kInteger] * ncol

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"{problem.name}: baseline status {h.modelStatusToString(status)}")
    return gap_objective_from_compute(problem, sense, h.getInfo().objective_function_value)


def solve_end_to_end(problem: GapProblem, sense: str, yaml_path: Path) -> float:
    """Run ``consortium solve FILE --json``; return the GAP objective."""
    exe = Path(sys.executable).parent / "consortium"
    proc = subprocess.run(
        [str(exe), "solve", str(yaml_path), "--json"], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{problem.name}: consortium exited {proc.returncode}\n{proc.stderr.strip()}"
        )
    result = json.loads(proc.stdout)
    if result["status"] != "optimal":
        raise RuntimeError(f"{problem.name}: consortium status {result['status']}")
    return gap_objective_from_compute(problem, sense, result["objective"])


def solve_in_process(problem: GapProblem, sense: str, mapping: dict) -> float:
    """Load and solve the instance in-process; return the GAP objective."""
    import optimizer

    res = optimizer.solve(optimizer.load_instance(mapping))
    if res.status != "optimal":
        raise RuntimeError(f"{problem.name}: optimizer status {res.status}")
    return gap_objective_from_compute(problem, sense, res.objective)


def best_time(fn: Callable[[], float], repeat: int) -> tuple[float, float]:
    """Run ``fn`` ``repeat`` times; return (result of the last run, best seconds)."""
    best = math.inf
    result = math.nan
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return result, best


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else math.nan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", default=["gapa", "gapb", "gapc"],
                        help="GAP file stems (default: gapa gapb gapc)")
    parser.add_argument("--problems", type=int, default=None,
                        help="only the first N problems of each file")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (best taken)")
    parser.add_argument("--baseline-only", action="store_true",
                        help="only time the highspy baseline")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA,
                        help=f"directory with gap*.txt and optima.csv (default: {DEFAULT_DATA})")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")

    if not args.baseline_only:
        exe = Path(sys.executable).parent / "consortium"
        if not exe.exists():
            parser.error(f"{exe} not found; install the project or use --baseline-only")

    optima = read_optima(args.data_dir / "optima.csv")
    names = read_problem_names(args.data_dir / "optima.csv")

    header = (f"{'problem':<10} {'optimum':>8} {'baseline':>9} {'project':>9} "
              f"{'base s':>8} {'e2e s':>8} {'inproc s':>8} {'e2e/b':>7} {'inproc/b':>8}")
    print(header)
    print("-" * len(header))

    mismatches: list[str] = []
    e2e_ratios: list[float] = []
    inproc_ratios: list[float] = []
    total_base = total_e2e = total_inproc = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for stem in args.files:
            problems = read_gap_file(args.data_dir / f"{stem}.txt", names.get(stem))
            for k, problem in enumerate(problems[: args.problems], start=1):
                if (stem, k) not in optima:
                    print(f"{problem.name:<10} (no published optimum, skipped)")
                    continue
                sense, optimum = optima[(stem, k)]
                base_obj, base_s = best_time(lambda: solve_baseline(problem, sense), args.repeat)
                total_base += base_s
                if abs(base_obj - optimum) > 1e-6:
                    mismatches.append(f"{problem.name} baseline {base_obj:g} != {optimum:g}")
                row = f"{problem.name:<10} {optimum:>8g} {base_obj:>9g} "
                if args.baseline_only:
                    print(row + f"{'-':>9} {base_s:>8.3f}")
                    continue

                mapping = gap_to_instance(problem, sense)
                yaml_path = Path(tmp) / f"{problem.name}.yaml"
                yaml_path.write_text(yaml.safe_dump(mapping, sort_keys=False))
                e2e_obj, e2e_s = best_time(
                    lambda: solve_end_to_end(problem, sense, yaml_path), args.repeat)
                in_obj, in_s = best_time(
                    lambda: solve_in_process(problem, sense, mapping), args.repeat)
                total_e2e += e2e_s
                total_inproc += in_s
                for label, obj in (("end-to-end", e2e_obj), ("in-process", in_obj)):
                    if abs(obj - optimum) > 1e-6:
                        mismatches.append(f"{problem.name} {label} {obj:g} != {optimum:g}")
                e2e_ratios.append(e2e_s / base_s)
                inproc_ratios.append(in_s / base_s)
                print(row + f"{e2e_obj:>9g} {base_s:>8.3f} {e2e_s:>8.3f} {in_s:>8.3f} "
                      f"{e2e_s / base_s:>6.2f}x {in_s / base_s:>7.2f}x")

    print("-" * len(header))
    if args.baseline_only:
        print(f"total baseline time: {total_base:.3f} s")
    else:
        print(f"total time: baseline {total_base:.3f} s, end-to-end {total_e2e:.3f} s, "
              f"in-process {total_inproc:.3f} s")
        print(f"geometric-mean ratio vs baseline: end-to-end {geomean(e2e_ratios):.2f}x, "
              f"in-process {geomean(inproc_ratios):.2f}x "
              f"(target <= {TARGET_RATIO:.2f}x on gapa-gapc)")
    if mismatches:
        print("OBJECTIVE MISMATCH vs published optima:")
        for line in mismatches:
            print(f"  {line}")
        return 1
    print("all objectives equal the published optima")
    return 0


if __name__ == "__main__":
    sys.exit(main())
