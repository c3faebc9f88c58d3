"""The consortium MIP in Pyomo: one small named function per group of constraints.

Names follow docs/model.md and the spec: ``run[i,w,o]``, ``get[i,w]``, ``has[i,w]``,
``pay[i,w]``. Each ``add_*`` function adds one constraint group to the model and
nothing else, so a reader can check it against the math line by line.
"""
from __future__ import annotations

import logging

import pyomo.core as pyo  # the modelling layer only: pyomo.environ would also load every plugin (~0.25 s)

from . import timed
from .objectives import add_objectives
from .rows import checked
from .scaling import Scale
from .tables import ModelData


def _not_an_interrupt(record: logging.LogRecord) -> bool:
    """Pyomo logs 'ERROR: Constructing component ... failed: KeyboardInterrupt' when Ctrl-C lands
    during the build; the interrupt is reported once, by the caller."""
    return "KeyboardInterrupt" not in record.getMessage()


logging.getLogger("pyomo.core").addFilter(_not_an_interrupt)


def coefficients(d: ModelData) -> dict[str, dict]:
    """Every number the model multiplies a variable by or compares a row with, by name.

    Products such as adoption[w] * cost[i,w] are precomputed here so that, in a mutable
    model, each coefficient is a single Param (cheap for Pyomo to re-evaluate).
    """
    pairs = list(d.compute)
    per_period = {}
    if d.timed:  # what a run uses of, and spends in, each of its periods
        per_period = {"period_hours": {(i, w, h): v / d.duration[w] for (i, w, h), v in d.hours.items()},
                      "period_cost": {(i, w): d.cost[i, w] / d.duration[w] for i, w in pairs},
                      "period_budget": d.period_budget}
    return {
        "compute": d.compute,
        "cost": d.cost,
        "get_compute": {(i, w): d.adoption[w] * d.compute[i, w] for i, w in pairs},
        "get_cost": {(i, w): d.adoption[w] * d.cost[i, w] for i, w in pairs},
        "budget": d.budget,
        "hours": d.hours,
        "capacity": d.capacity,  # a Param too: per sample, capacities that cannot bind are clipped anew
        # total cost of every possible run of w: a valid big-M for pay[i,w] (pooled funding)
        "run_cost_total": {w: sum(d.cost[j, w] for j, _ in d.runners(w)) for w in d.workstreams},
        **per_period,
    }


class Numbers:
    """The model's numbers (:func:`coefficients`): plain dicts, or (``mutable``) Pyomo Params
    initialised from them, so that a persistent model can be re-solved with other numbers of
    the same structure (sweeps) without being rebuilt."""

    def __init__(self, m: pyo.ConcreteModel, d: ModelData, mutable: bool, scale: Scale):
        self.mutable = mutable
        self.scale = scale  # d is in model units already; set() converts later data alike
        # what the Params hold now (copies: the ModelData tables must not change under us)
        self._current = {name: dict(values) for name, values in coefficients(d).items()}
        for name, values in self._current.items():
            if mutable:
                param = pyo.Param(list(values), mutable=True, initialize=values)
                m.add_component(f"p_{name}", param)
                values = param
            setattr(self, name, values)

    def set(self, d: ModelData) -> list:
        """New numbers (in the user's units), same structure (mutable models only); returns the
        Params (ParamData) whose value changed, for :meth:`optimizer.highs.HighsSession.push`.

        Only changed entries are written; the keys come from a ModelData of the same
        structure, so Pyomo's per-item index and value checks are skipped (check=False).
        """
        out = []
        for name, values in coefficients(self.scale.apply(d).without_idle_runs()).items():
            current = self._current[name]
            changed = {k: v for k, v in values.items() if current[k] != v}
            if changed:
                param = getattr(self, name)
                param.store_values(changed, check=False)
                current.update(changed)
                out += [param[k] for k in changed]
        return out


def add_variables(m: pyo.ConcreteModel, d: ModelData) -> None:
    m.RUN = pyo.Set(initialize=d.run_keys, dimen=3, ordered=True)
    m.GET = pyo.Set(initialize=d.get_keys, dimen=2, ordered=True)
    m.run = pyo.Var(m.RUN, domain=pyo.Binary)
    m.get = pyo.Var(m.GET, domain=pyo.Binary)
    if d.pooled:
        keys = d.pay_keys
        m.PAY = pyo.Set(initialize=keys, dimen=len(keys[0]) if keys else 2, ordered=True)
        m.pay = pyo.Var(m.PAY, domain=pyo.NonNegativeReals)
    if d.timed:
        timed.add_time_variables(m, d)


def runs_of(m: pyo.ConcreteModel, d: ModelData, w: str, exclude: str | None = None,
            publishing_only: bool = False):
    """sum_{j,o} run[j,w,o], optionally over publishing members j != exclude."""
    return sum(m.run[j, w, o] for j, o in d.runners(w, exclude, publishing_only))


def has(m: pyo.ConcreteModel, d: ModelData, i: str, w: str):
    """has[i,w] = sum_o run[i,w,o] + get[i,w] (an expression, not a variable)."""
    expr = sum(m.run[i, w, o] for o in d.options[i, w])
    if (i, w) in m.GET:
        expr = expr + m.get[i, w]
    return expr


def add_at_most_once(m, d: ModelData) -> None:
    """(1) has[i,w] <= 1 -- only needed where a member has two ways to have w."""
    keys = [(i, w) for i in d.members for w in d.workstreams
            if len(d.options[i, w]) + ((i, w) in m.GET) > 1]
    m.at_most_once = pyo.Constraint(keys, rule=checked(lambda m, i, w: has(m, d, i, w) <= 1))


def slack(m, name: str, key):
    """Slack variable ``name[key]`` of the elastic or coalition model, or 0 where it has none."""
    return getattr(m, name)[key] if hasattr(m, name) else 0


def replicas(m, d: ModelData, w: str):
    """replicas[w], or a layer's mutable cap ``replicas_cap[w]`` (the coalition's runners)."""
    return m.replicas_cap[w] if hasattr(m, "replicas_cap") else d.replicas[w]


def need_rhs(m):
    """The right-hand side of a need row: 1, or a layer's mutable ``need_on[i,w]``."""
    return (lambda i, w: m.need_on[i, w]) if hasattr(m, "need_on") else (lambda i, w: 1)


def add_needs(m, d: ModelData) -> None:
    """(2) has[i,w] = 1 for every w in needs[i]; with a horizon also ready by due[i,w] (2t).

    A layer may add ``unmet[i,w]`` to the left (elastic and coalition models) and replace the
    right-hand side by a mutable ``need_on[i,w]`` (coalition: 0 for members outside it).
    """
    rhs = need_rhs(m)
    m.needs = pyo.Constraint(d.need_keys, rule=checked(
        lambda m, i, w: has(m, d, i, w) + slack(m, "unmet", (i, w)) == rhs(i, w)))
    if d.timed:
        timed.add_due(m, d, rhs, slack)


def add_prerequisites(m, d: ModelData) -> None:
    """(3) has[i,w] <= has[i,v] for every v in requires[w]."""
    keys = [(i, w, v) for i in d.members for w in d.workstreams for v in d.requires[w]]
    m.prerequisites = pyo.Constraint(keys, rule=checked(lambda m, i, w, v: has(m, d, i, w) <= has(m, d, i, v)))
    if d.timed:
        timed.add_timed_prerequisites(m, d)


# When to write (4) and (5) against one aggregate per workstream: "auto" where that has fewer
# nonzeros, "always"/"never" for tests that check both forms against exhaustive search.
AGGREGATES = "auto"


def aggregated(direct_nonzeros: int, aggregate_nonzeros: int) -> bool:
    """Write a row group against aggregates?"""
    return AGGREGATES == "always" or (AGGREGATES == "auto" and aggregate_nonzeros < direct_nonzeros)


def by_workstream(d: ModelData, keys) -> dict[str, list[str]]:
    """The members of ``keys`` ((i, w) pairs) for each workstream, in the order of ``keys``."""
    out: dict[str, list[str]] = {w: [] for w in d.workstreams}
    for i, w in keys:
        out[w].append(i)
    return out


def published_workstreams(d: ModelData, get_keys) -> list[str]:
    """Workstreams whose adoption-source rows (4) are written against ``published[w]``: those with
    adoptions (``get_keys``, the model's (i, w)) where that has fewer nonzeros (:func:`aggregated`)."""
    def own(i, w):
        return len(d.options[i, w]) if d.publishes[i] else 0
    rows = by_workstream(d, get_keys)
    sources = {w: len(d.runners(w, publishing_only=True)) for w in d.workstreams}
    return [w for w in d.workstreams if rows[w] and aggregated(
        sum(sources[w] - own(i, w) + 1 for i in rows[w]),
        sources[w] + 1 + sum(own(i, w) + 2 for i in rows[w]))]


def replica_keys(d: ModelData) -> list[tuple[str, str]]:
    """(i, w) of the per-member replica rows (5): only for replicas[w] >= 2 (see :func:`add_replicas`)."""
    return [(i, w) for i in d.members for w in d.workstreams if d.replicas[w] > 1]


def counted_workstreams(d: ModelData, keys) -> list[str]:
    """Workstreams whose replica rows (``keys``, :func:`replica_keys`) are written against
    ``run_count[w]``: where that has fewer nonzeros (:func:`aggregated`)."""
    runners = {w: len(d.runners(w)) for w in d.workstreams}
    rows = by_workstream(d, keys)
    return [w for w in d.workstreams if rows[w] and aggregated(
        sum(runners[w] + len(d.options[i, w]) + 1 for i in rows[w]),
        runners[w] + 1 + sum(len(d.options[i, w]) + 2 for i in rows[w]))]


def add_adoption_source(m, d: ModelData) -> None:
    """(4) get[i,w] <= sum over publishing j != i of sum_o run[j,w,o].

    Where it saves nonzeros (:func:`aggregated`), written as get[i,w] + [i publishes]
    sum_o run[i,w,o] <= published[w] with one aggregate published[w] = sum over publishing j of
    sum_o run[j,w,o]: the same row with i's own publishing runs added to both sides, so the same
    LP, but 2 + |options| nonzeros a row instead of one per other publishing runner (members² x
    workstreams nonzeros become members x workstreams; docs/model.md, "Aggregates")."""
    def own(i, w):
        return [(i, o) for o in d.options[i, w]] if d.publishes[i] else []
    pooled = published_workstreams(d, m.GET)
    m.published = pyo.Var(pooled, domain=pyo.NonNegativeIntegers)  # whole by its row; integer helps presolve (docs/model.md)
    m.published_runs = pyo.Constraint(pooled, rule=lambda m, w: m.published[w] == runs_of(
        m, d, w, publishing_only=True))

    def rule(m, i, w):
        if w in m.published:
            return m.get[i, w] + sum(m.run[i, w, o] for _, o in own(i, w)) <= m.published[w]
        return m.get[i, w] <= runs_of(m, d, w, exclude=i, publishing_only=True)
    m.adoption_source = pyo.Constraint(m.GET, rule=checked(rule))
    if d.timed:
        timed.add_timed_adoption_source(m, d, aggregated)


def add_replicas(m, d: ModelData) -> None:
    """(5) runs of w >= replicas[w] * has[i,w], and >= replicas[w] when w is required.

    Ignored when sharing is 'none'. For replicas[w] = 1 the per-member rows are implied
    by (1), (4) and the run itself, so they are only written for replicas >= 2; where it saves
    nonzeros against one aggregate ``run_count[w]`` = sum_{j,o} run[j,w,o] (as for (4): the same
    LP, members x workstreams nonzeros instead of members² x workstreams).
    """
    if not d.sharing:
        return
    keys = replica_keys(d)
    counted = counted_workstreams(d, keys)
    m.run_count = pyo.Var(counted, domain=pyo.NonNegativeIntegers)
    m.run_counts = pyo.Constraint(counted, rule=lambda m, w: m.run_count[w] == runs_of(m, d, w))

    def count(w):
        return m.run_count[w] if w in m.run_count else runs_of(m, d, w)
    m.replicas = pyo.Constraint(
        keys, rule=checked(lambda m, i, w: count(w) >= replicas(m, d, w) * has(m, d, i, w)))
    m.required = pyo.Constraint(required(d), rule=checked(
        lambda m, w: runs_of(m, d, w) + slack(m, "runs_short", w) >= replicas(m, d, w)))


def required(d: ModelData) -> list[str]:
    """Workstreams that must run ``replicas`` times (only where sharing makes runs common)."""
    return [w for w in d.workstreams if d.required[w]] if d.sharing else []


def adoption_cost(m, d: ModelData, i: str):
    """sum_w adoption[w] * cost[i,w] * get[i,w]."""
    return sum(m.num.get_cost[i, w] * m.get[i, w] for w in d.workstreams if (i, w) in m.GET)


def add_budget_lead(m, d: ModelData) -> None:
    """(6) lead funding: a member pays for what it runs and what it adopts (a budget list: per period)."""
    if d.timed:
        timed.add_budget_per_period(m, d, slack)

    def rule(m, i):
        runs = sum(m.num.cost[i, w] * m.run[i, w, o] for w in d.workstreams for o in d.options[i, w])
        body = runs + adoption_cost(m, d, i)
        if isinstance(body, (int, float)) and not hasattr(m, "budget_short"):
            return pyo.Constraint.Skip  # spends nothing whatever happens (budgets are >= 0)
        return body <= m.num.budget[i] + slack(m, "budget_short", i)
    m.budget = pyo.Constraint([i for i in d.members if not d.per_period(i)], rule=checked(rule))


def add_budget_pooled(m, d: ModelData) -> None:
    """(6') pooled funding: beneficiaries fund the runs, wherever they run.

    pay[i,w] <= M * has[i,w] with M = min(budget[i], total cost of all runs of w):
    a member can never pay more than either, so M does not cut off any solution.
    (With mutable numbers M is the total cost alone, still a valid bound.)
    """
    if d.period_budget:
        return timed.add_budget_pooled_per_period(m, d, has, slack)
    n = m.num

    def bound(i, w):
        total = n.run_cost_total[w]
        return total if n.mutable else min(d.budget[i], total)
    m.pay_only_if_has = pyo.Constraint(
        m.PAY, rule=checked(lambda m, i, w: m.pay[i, w] <= bound(i, w) * has(m, d, i, w)))
    m.pay_covers_runs = pyo.Constraint(
        d.workstreams, rule=checked(lambda m, w: sum(m.pay[i, w] for i in d.members)
        == sum(n.cost[j, w] * m.run[j, w, o] for j, o in d.runners(w))))
    m.budget = pyo.Constraint(
        d.members, rule=checked(lambda m, i: sum(m.pay[i, w] for w in d.workstreams)
        + adoption_cost(m, d, i) <= n.budget[i] + slack(m, "budget_short", i)))


def add_capacity(m, d: ModelData) -> None:
    """(7) sum_w compute[i,w]/throughput[h] * run[i,w,h] <= fleet[i][h] * hours (per period: 7t)."""
    if d.timed:
        return timed.add_capacity_per_period(m, d, slack)

    def rule(m, i, h):
        used = [m.num.hours[i, w, h] * m.run[i, w, h] for w in d.workstreams if h in d.options[i, w]]
        if not used:
            return pyo.Constraint.Skip
        # skip rows that cannot bind: even running everything fits (fixed numbers only)
        if not m.num.mutable and sum(d.hours[i, w, h] for w in d.workstreams
                                     if h in d.options[i, w]) <= d.capacity[i, h]:
            return pyo.Constraint.Skip
        return sum(used) <= m.num.capacity[i, h] + slack(m, "hours_short", (i, h))
    m.capacity = pyo.Constraint(list(d.capacity), rule=checked(rule))


def add_time_links(m, d: ModelData) -> None:
    """With a horizon: every run and adoption happens in exactly one period (see :mod:`.timed`)."""
    if d.timed:
        timed.add_time_links(m, d)


CONSTRAINT_GROUPS = (add_time_links, add_at_most_once, add_needs, add_prerequisites, add_adoption_source,
                     add_replicas, add_capacity)


class Layer:
    """What a model variant adds on top of the base model (PyPSA's ``add_load_shedding`` idea).

    ``declare`` runs before the constraint groups and adds the variant's slack variables and
    mutable parameters under the names the groups look for (``unmet``, ``runs_short``,
    ``budget_short``, ``hours_short``, ``need_on``, ``replicas_cap``); ``objective_terms(name)``
    adds to objective ``name``; a layer with ``objective`` replaces the objective list by its own.
    The elastic layer lives in :mod:`optimizer.diagnosis`, the coalition layer in :mod:`optimizer.game`.
    """

    name = "plain"

    def declare(self, m: pyo.ConcreteModel, d: ModelData) -> None:
        pass

    def objective_terms(self, m: pyo.ConcreteModel, d: ModelData, name: str):
        return 0

    objective = None  # (m, d) -> expression minimised instead of the objective list


def build_model(d: ModelData, layer: Layer | None = None, mutable: bool = False) -> pyo.ConcreteModel:
    """The Pyomo model of one design (or one member's standalone problem): the spec's model, and
    a ``layer`` on top of it when one is given (:class:`Layer`).

    Plain and coalition models carry the objective list ``d.objective`` (:func:`add_objectives`);
    the elastic model its single shortfall objective.

    ``mutable=True`` keeps compute, cost, adoption, budget and fleet-hour numbers in mutable
    Params (:class:`Numbers`) so :class:`~optimizer.solver.PersistentProblem` can re-solve
    the same structure with other numbers.

    The model is built in model units (:mod:`optimizer.scaling`): ``m.scale`` says what one unit
    of compute, money and each capacity row's hours is in the user's units.
    """
    layer = layer or Layer()
    m = pyo.ConcreteModel(name=f"{d.instance} [{d.design_name}]")
    m.infeasible_rows = []
    m.variant = layer.name
    m.scale = Scale.of(d)
    d = m.scale.apply(d).without_idle_runs()
    m.num = Numbers(m, d, mutable, m.scale)
    add_variables(m, d)
    layer.declare(m, d)
    for add in CONSTRAINT_GROUPS:
        add(m, d)
    (add_budget_pooled if d.pooled else add_budget_lead)(m, d)
    if layer.objective is not None:
        m.objective_order = m.stage_order = [layer.name]
        m.add_component(f"objective_{layer.name}", pyo.Objective(expr=layer.objective(m, d), sense=pyo.minimize))
    else:
        add_objectives(m, d, lambda name: layer.objective_terms(m, d, name))
    return m
