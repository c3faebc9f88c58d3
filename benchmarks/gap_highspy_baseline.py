#!/usr/bin/env python
"""Hand-written highspy model of one OR-Library GAP problem: the benchmark baseline.

Usage::

    python benchmarks/gap_highspy_baseline.py FILE K [--sense min|max] [--mip-gap G]

Reads problem ``K`` (1-based) of the OR-Library GAP file ``FILE``, builds the
plain GAP model with highspy's low-level API and solves it with the same HiGHS
options ``consortium solve`` uses (``mip_rel_gap``, ``random_seed = 0``, no
output), then prints ``{"status", "objective", "seconds"}`` as JSON. The
objective is the GAP objective (for ``--sense max`` the profit, converted back
from the cost ``K - profit`` the model minimises, exactly as
``tests/orlib_gap.py`` does for the project side).

The script imports only the standard library, numpy and highspy, so timing it
as a fresh process measures interpreter start-up + those imports + parsing +
build + solve: the honest end-to-end cost of a hand-written model.
``benchmarks/bench_gap.py`` passes ``--mip-gap`` explicitly from
``optimizer.solver.DEFAULT_MIP_GAP`` (it checks that the default below agrees;
importing ``optimizer`` here would pull in pyomo and bill the baseline for it).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import highspy
import numpy as np

DEFAULT_MIP_GAP = 1e-6  # must equal optimizer.solver.DEFAULT_MIP_GAP (bench_gap.py checks)
RANDOM_SEED = 0  # as optimizer.solver.SolverOptions.as_dict()


def read_problem(path: str, k: int) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray]:
    """Problem ``k`` (1-based) of a GAP file: (m, n, cost m*n, resource m*n, capacity m)."""
    with open(path) as f:
        tokens = np.array(f.read().split(), dtype=np.int64)
    count = int(tokens[0])
    if not 1 <= k <= count:
        raise SystemExit(f"{path}: problem {k} out of range 1..{count}")
    pos = 1
    for _ in range(k - 1):  # skip earlier problems
        m, n = int(tokens[pos]), int(tokens[pos + 1])
        pos += 2 + 2 * m * n + m
    m, n = int(tokens[pos]), int(tokens[pos + 1])
    pos += 2
    cost = tokens[pos : pos + m * n]
    resource = tokens[pos + m * n : pos + 2 * m * n]
    capacity = tokens[pos + 2 * m * n : pos + 2 * m * n + m]
    if len(capacity) != m:
        raise SystemExit(f"{path}: truncated GAP file")
    return m, n, cost, resource, capacity


def solve(m: int, n: int, cost, resource, capacity, sense: str = "min",
          mip_gap: float = DEFAULT_MIP_GAP) -> tuple[str, float | None]:
    """Build and solve the GAP; return (HiGHS model status, GAP objective or None).

    Binary x[i,j] (column i*n + j), rows 0..n-1: sum_i x[i,j] == 1,
    rows n..n+m-1: sum_j a[i,j] x[i,j] <= b[i]; minimise sum c[i,j] x[i,j]
    with c = cost (min) or K - profit, K = max profit + 1 (max).
    """
    c = np.asarray(cost, dtype=np.float64).ravel()
    offset = 0.0
    if sense == "max":
        offset = float(c.max()) + 1.0
        c = offset - c
    a = np.asarray(resource, dtype=np.float64).ravel()
    ncol = m * n

    lp = highspy.HighsLp()
    lp.num_col_ = ncol
    lp.num_row_ = n + m
    lp.col_cost_ = c
    lp.col_lower_ = np.zeros(ncol)
    lp.col_upper_ = np.ones(ncol)
    lp.row_lower_ = np.concatenate([np.ones(n), np.full(m, -highspy.kHighsInf)])
    lp.row_upper_ = np.concatenate([np.ones(n), np.asarray(capacity, dtype=np.float64)])
    # Column-wise: column i*n+j has entries (row j, 1) and (row n+i, a[i,j]).
    cols = np.arange(ncol)
    index = np.empty(2 * ncol, dtype=np.int32)
    index[0::2] = cols % n
    index[1::2] = n + cols // n
    value = np.empty(2 * ncol)
    value[0::2] = 1.0
    value[1::2] = a
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * ncol + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    lp.integrality_ = [highspy.HighsVarType.kInteger] * ncol

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("random_seed", RANDOM_SEED)
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        return h.modelStatusToString(status), None
    objective = h.getInfo().objective_function_value
    if sense == "max":
        objective = n * offset - objective
    return "optimal", float(objective)


def main(argv: list[str] | None = None) -> int:
    start = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file")
    parser.add_argument("k", type=int, help="problem number in FILE, 1-based")
    parser.add_argument("--sense", choices=("min", "max"), default="min")
    parser.add_argument("--mip-gap", type=float, default=DEFAULT_MIP_GAP)
    args = parser.parse_args(argv)
    m, n, cost, resource, capacity = read_problem(args.file, args.k)
    status, objective = solve(m, n, cost, resource, capacity, args.sense, args.mip_gap)
    print(json.dumps({"status": status, "objective": objective,
                      "seconds": time.perf_counter() - start}))
    return 0 if status == "optimal" else 4


if __name__ == "__main__":
    sys.exit(main())
