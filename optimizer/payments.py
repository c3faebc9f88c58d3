"""Who pays for which run under pooled funding: one split, the same on every machine.

Under ``funding: pooled`` (constraint 6') the plan fixes what runs and who adopts, but usually
not who pays: many payment splits ``pay[i,w]`` fit the budgets, and the solver returns whichever
vertex its search ended at (it changes with threads and random seed). Once the plan is known,
:func:`canonical_pay` replaces that split with the optimum of a small LP over ``pay`` alone:

    minimise   sum_{i,w} priority[i,w] * pay[i,w]
    subject to sum_i pay[i,w] = sum_{j,o} cost[j,w] run[j,w,o]          for every w with runs
               sum_w pay[i,w] + adoption costs of i <= budget[i]           for every member i
               pay[i,w] >= 0, and pay[i,w] = 0 unless has[i,w] = 1

with ``priority[i,w] = 1`` where i runs w itself (a runner funds its own run first) and
``1 + (rank(i) + 1) * (rank(w) + 1) / ((n + 1) * (W + 1))`` otherwise (members and
workstreams ranked in file order). The products make the weights of any two members on any two
workstreams unequal around a cycle, so the LP optimum is a single vertex: the same split
whatever the path the solver took. The plan's feasibility does not change: the split the MIP
found is feasible for this LP.
"""
from __future__ import annotations

import pyomo.core as pyo

from .scaling import Scale
from .tables import ModelData


def priorities(data: ModelData, runs) -> dict[tuple[str, str], float]:
    ran = {(i, w) for i, w, _ in runs}
    n, nw = len(data.members), len(data.workstreams)
    rank_i = {i: k for k, i in enumerate(data.members)}
    rank_w = {w: k for k, w in enumerate(data.workstreams)}
    return {(i, w): 1.0 if (i, w) in ran else 1.0 + (rank_i[i] + 1) * (rank_w[w] + 1) / ((n + 1) * (nw + 1))
            for i in data.members for w in data.workstreams}


def pay_model(data: ModelData, runs, gets) -> pyo.ConcreteModel:
    """The payment LP of a fixed plan (module docstring), in model units (``m.scale``)."""
    scale = Scale.of(data)
    data = scale.apply(data)
    has = {(i, w) for i, w, _ in runs} | set(gets)
    run_cost: dict[str, float] = {}
    for i, w, _ in runs:
        run_cost[w] = run_cost.get(w, 0.0) + data.cost[i, w]
    adoption_cost = {i: 0.0 for i in data.members}
    for i, w in gets:
        adoption_cost[i] += data.adoption[w] * data.cost[i, w]
    keys = sorted(has, key=lambda k: (data.members.index(k[0]), data.workstreams.index(k[1])))
    weight = priorities(data, runs)
    m = pyo.ConcreteModel(name="pooled payments")
    m.scale = scale
    m.PAY = pyo.Set(initialize=keys, dimen=2, ordered=True)
    m.pay = pyo.Var(m.PAY, domain=pyo.NonNegativeReals)
    m.covers = pyo.Constraint(sorted(run_cost, key=data.workstreams.index), rule=lambda m, w: sum(
        m.pay[i, v] for i, v in m.PAY if v == w) == run_cost[w])
    payers = [i for i in data.members if any(k[0] == i for k in keys)]
    m.budget = pyo.Constraint(payers, rule=lambda m, i: sum(
        m.pay[j, w] for j, w in m.PAY if j == i) <= data.budget[i] - adoption_cost[i])
    m.objective_priority = pyo.Objective(expr=sum(weight[k] * m.pay[k] for k in m.PAY), sense=pyo.minimize)
    return m
