"""The model's objectives: total R&D compute, total money and (with a horizon) time, minimised
in the lexicographic order ``d.objective``, one Pyomo Objective and one level row per stage
(:func:`add_objectives`); see docs/model.md."""
from __future__ import annotations

import pyomo.core as pyo  # the modelling layer only: pyomo.environ would also load every plugin (~0.25 s)

from . import timed
from .tables import ModelData


def total_compute(m, d: ModelData):
    """sum compute[i,w] run[i,w,o] + sum adoption[w] compute[i,w] get[i,w]."""
    n = m.num
    return (sum(n.compute[i, w] * m.run[i, w, o] for (i, w, o) in m.RUN)
            + sum(n.get_compute[i, w] * m.get[i, w] for (i, w) in m.GET))


def total_money(m, d: ModelData):
    """sum cost[i,w] run[i,w,o] + sum adoption[w] cost[i,w] get[i,w]: money is spent where runs
    and adoptions happen, so the sum is the same under pooled funding (only who pays differs)."""
    n = m.num
    return (sum(n.cost[i, w] * m.run[i, w, o] for (i, w, o) in m.RUN)
            + sum(n.get_cost[i, w] * m.get[i, w] for (i, w) in m.GET))


# "No bound yet" on a level row. Not inf: Pyomo would then drop the bound and never pass later
# values on; HiGHS treats any bound above its infinite_bound (1e20) as none.
NO_LEVEL = 1e30

# name -> (its sum, the per-(member, workstream) table it adds up; None: periods, not a table)
OBJECTIVES = {"compute": (total_compute, "compute"), "money": (total_money, "cost"),
              "time": (lambda m, d: timed.total_time(m, d), None)}


def varies(expr) -> bool:
    """Does a (linear) expression depend on any variable? ``0.0 * x`` folds to the number 0."""
    return not isinstance(expr, (int, float)) and expr.is_potentially_variable()


# The stage after the contract's list in a timed plan: everything as early as possible (it picks
# among the contract's optimal plans; its value is not reported).
EARLIEST = "earliest"


def add_objectives(m, d: ModelData, extra=None) -> None:
    """The lexicographic objective list ``d.objective``: one Pyomo Objective per name, only the
    first active, and a level row ``f_k <= objective_level_bound[k]`` for every name but the last
    stage. With a horizon a last stage :data:`EARLIEST` follows the list (``m.stage_order``).

    The solver layer (:func:`optimizer.solver.solve_stages`) minimises f_1, bounds it at its
    optimum, activates f_2, and so on; the bounds start at NO_LEVEL (rows that cannot bind), so one
    model serves every stage and persistent re-solves. ``extra(name)``, a layer's hook, adds terms
    to objective ``name`` (the coalition model's penalties for unmet needs).
    """
    order = list(d.objective)
    for k, name in enumerate(order):
        expr_of, _ = OBJECTIVES[name]
        expr = expr_of(m, d)
        if extra is not None:
            expr = expr + extra(name)
        m.add_component(f"objective_{name}", pyo.Objective(expr=expr, sense=pyo.minimize))
        if k:
            getattr(m, f"objective_{name}").deactivate()
    m.objective_order = order
    m.stage_order = list(order)
    if d.timed:
        m.add_component(f"objective_{EARLIEST}", pyo.Objective(expr=timed.total_earliness(m, d), sense=pyo.minimize))
        getattr(m, f"objective_{EARLIEST}").deactivate()
        m.stage_order.append(EARLIEST)
    # an objective without variables (every coefficient 0, e.g. money at price 0) needs no level
    levels = [k for k in m.stage_order[:-1] if varies(getattr(m, f"objective_{k}").expr)]
    m.objective_level_bound = pyo.Param(levels, mutable=True, initialize=NO_LEVEL)
    m.objective_level = pyo.Constraint(
        levels, rule=lambda m, k: getattr(m, f"objective_{k}").expr <= m.objective_level_bound[k])
