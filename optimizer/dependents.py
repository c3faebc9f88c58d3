"""Where a handed-over model's mutable Params enter HiGHS' copy of it, and the objectives' cost
vectors: the bookkeeping behind :class:`optimizer.highs.HighsSession`'s re-solves, which pass
HiGHS only the coefficients, bounds and costs that depend on a changed Param."""
from __future__ import annotations

from typing import Iterable

import highspy
import numpy as np
import pyomo.core as pyo
from pyomo.core.base.param import ParamData
from pyomo.core.expr.visitor import identify_mutable_parameters
from pyomo.repn import generate_standard_repn


def params_of(expr) -> Iterable:
    """The mutable Params an expression depends on (most coefficients are a single Param)."""
    if isinstance(expr, ParamData):
        return (expr,)
    if isinstance(expr, (int, float)):
        return ()
    return identify_mutable_parameters(expr)


class Dependents:
    """Where the mutable Params enter HiGHS' model: its coefficients, row bounds and column bounds
    that are expressions of Params (what Pyomo's ``update_parameters()`` re-evaluates every time),
    and for each Param which of them depend on it."""

    def __init__(self, coefficients: list, row_bounds: list, column_bounds: list):
        self.tables = (coefficients, row_bounds, column_bounds)
        self.uses: dict[int, tuple[list, list, list]] = {}  # id(Param) -> its entries in each table
        for table, entries in enumerate(self.tables):
            for k, entry in enumerate(entries):
                for expr in entry[1:] if table else entry[2:]:
                    for p in params_of(expr):
                        self.uses.setdefault(id(p), ([], [], []))[table].append(k)


class Costs:
    """One objective's cost vector as HiGHS holds it (what Pyomo's ``set_objective`` passes),
    kept current by :meth:`optimizer.highs.HighsSession.push`, so that switching objectives is one call."""

    def __init__(self, obj, columns: dict, n: int):
        repn = generate_standard_repn(obj.expr, quadratic=True, compute_values=False)  # as Pyomo does
        if repn.nonlinear_expr is not None or repn.quadratic_vars:
            raise ValueError(f"objective {obj.name} is not linear")
        self.n = n
        self.sense = highspy.ObjSense.kMinimize if obj.sense == pyo.minimize else highspy.ObjSense.kMaximize
        self.columns = np.array([columns[id(v)] for v in repn.linear_vars], dtype=np.int32)
        self.coefficients = list(repn.linear_coefs)
        self.constant = repn.constant
        self.costs = np.zeros(n, dtype=np.double)
        self.costs[self.columns] = [pyo.value(c) for c in self.coefficients]
        self.uses: dict[int, list[int]] = {}  # id(Param) -> positions in self.columns
        for k, c in enumerate(self.coefficients):
            for p in params_of(c):
                self.uses.setdefault(id(p), []).append(k)
