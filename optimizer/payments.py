"""Who pays for which run under pooled funding: one split, the same on every machine.

Under ``funding: pooled`` (constraint 6') the plan fixes what runs and who adopts, but usually
not who pays: many payment splits ``pay[i,w]`` fit the budgets, and the solver returns whichever
vertex its search ended at (it changes with threads and random seed). Once the plan is known,
:func:`canonical_pay` replaces that split with the optimum of a small LP over ``pay`` alone:

    minimise   sum_{i,w} priority[i,w] * pay[i,w]
    subject to sum_i pay[i,w] = sum_{j,o} cost[j,w] run[j,w,o]          for every w with runs
               sum_w pay[i,w] + adoption costs of i <= budget[i]           for every member i
               pay[i,w] >= 0, and pay[i,w] = 0 unless has[i,w] = 1

with ``priority[i,w] = 1 + (rank(i) + 1) * (rank(w) + 1) / (2 C^2)`` where i runs w itself (a
runner funds its own run first; two runners of one workstream, replicas, do not tie) and
``1 + (rank(i) + 1) * (rank(w) + 1) / C`` otherwise, ``C = (n + 1) * (W + 1)`` (members and
workstreams ranked in file order; every runner's weight is below every non-runner's). The products make the weights of any two members on any two
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
    cell = (n + 1) * (nw + 1)
    # a runner's weight is just above 1, below every non-runner's (> 1 + 1 / cell), and differs
    # between two runners of one workstream (replicas), which would otherwise tie
    return {(i, w): 1.0 + (rank_i[i] + 1) * (rank_w[w] + 1) / (2 * cell * cell) if (i, w) in ran
            else 1.0 + (rank_i[i] + 1) * (rank_w[w] + 1) / cell
            for i in data.members for w in data.workstreams}


def spending(data: ModelData, runs, gets, when=None) -> tuple[dict, dict]:
    """What a plan's runs of each workstream cost, and each member's adoptions cost it, keyed (w, t)
    and (i, t): t = 0 (the whole horizon) unless pay is per period (some budget list, spec
    "Horizon": a run spends its cost evenly over its periods, an adoption in its ready period)."""
    per_period = bool(data.period_budget)
    run_cost: dict = {}
    adoption_cost: dict = {}
    for i, w, o in runs:
        ts = range(when[i, w, o], data.end(w, when[i, w, o]) + 1) if per_period else [0]
        for t in ts:
            run_cost[w, t] = run_cost.get((w, t), 0.0) + data.cost[i, w] / len(ts)
    for i, w in gets:
        t = when[i, w] if per_period else 0
        adoption_cost[i, t] = adoption_cost.get((i, t), 0.0) + data.adoption[w] * data.cost[i, w]
    return run_cost, adoption_cost


def pay_model(data: ModelData, runs, gets, when=None) -> pyo.ConcreteModel:
    """The payment LP of a fixed plan (module docstring), in model units (``m.scale``). With pay
    per period (some budget list) ``pay[i,w,t]`` covers each period's spending, a list budget
    bounds each period and a number budget the sum over them."""
    scale = Scale.of(data)
    data = scale.apply(data)
    has = {(i, w) for i, w, _ in runs} | set(gets)
    per_period = bool(data.period_budget)
    periods = list(range(1, data.T + 1)) if per_period else [0]  # 0: the whole horizon
    pay_key = (lambda i, w, t: (i, w, t)) if per_period else (lambda i, w, t: (i, w))
    run_cost, adoption_cost = spending(data, runs, gets, when)
    weight = priorities(data, runs)
    m = pyo.ConcreteModel(name="pooled payments")
    m.scale = scale
    m.PAY = pyo.Set(initialize=[pay_key(i, w, t) for i in data.members for w in data.workstreams if (i, w) in has
                                for t in periods], dimen=3 if per_period else 2, ordered=True)
    m.pay = pyo.Var(m.PAY, domain=pyo.NonNegativeReals)
    m.covers = pyo.Constraint(sorted(run_cost, key=lambda k: (data.workstreams.index(k[0]), k[1])),
                              rule=lambda m, w, t: sum(m.pay[pay_key(i, w, t)] for i in data.members
                                                       if (i, w) in has) == run_cost[w, t])

    def within_budget(m, i, t):
        ts = periods if t == 0 else [t]
        limit = data.budget[i] if t == 0 else data.period_budget[i, t]
        return (sum(m.pay[pay_key(i, w, u)] for w in data.workstreams if (i, w) in has for u in ts)
                <= limit - sum(adoption_cost.get((i, u), 0.0) for u in ts))
    payers = [i for i in data.members if any((i, w) in has for w in data.workstreams)]
    m.budget = pyo.Constraint([(i, t) for i in payers for t in (periods if data.per_period(i) else [0])],
                              rule=within_budget)
    m.objective_priority = pyo.Objective(expr=sum(weight[k[:2]] * m.pay[k] for k in m.PAY), sense=pyo.minimize)
    return m
