"""The horizon's constraint groups (spec v2, "Horizon"), added on top of the base model.

A timed plan is the base plan (``run[i,w,o]``, ``get[i,w]``, constraints 1-5 over the whole
horizon) plus *when*: ``run_at[i,w,o,s]`` = 1 when i's run of w on o starts in period s,
``get_at[i,w,a]`` = 1 when i's adoption of w is ready at the end of period a. Each decision has
exactly one period (:func:`add_time_links`). From these:

    ready_by[i,w,t] = sum_{o, s: end(w,s) <= t} run_at[i,w,o,s] + sum_{a <= t} get_at[i,w,a]

is 1 when i has w ready by the end of t (at most one run or adoption, by constraint 1). The
groups below replace constraint 7 (capacity) by one row per period, add per-period budgets for
members whose budget is a list, and make prerequisites, adoption sources and needs respect
time. docs/model.md, "Horizon", writes out each row and why it is valid and tight.
"""
from __future__ import annotations

import pyomo.core as pyo

from .rows import checked
from .tables import ModelData


def run_starts(m, d: ModelData, i: str, w: str):
    """(o, s) of every possible start of a run of w by i."""
    return [(o, s) for o in d.options[i, w] for s in d.starts(w)]


def add_time_variables(m, d: ModelData) -> None:
    m.RUN_AT = pyo.Set(initialize=[(i, w, o, s) for i, w, o in m.RUN for s in d.starts(w)], dimen=4, ordered=True)
    m.GET_AT = pyo.Set(initialize=[(i, w, a) for i, w in m.GET for a in d.ready_periods(w)], dimen=3, ordered=True)
    m.run_at = pyo.Var(m.RUN_AT, domain=pyo.Binary)
    m.get_at = pyo.Var(m.GET_AT, domain=pyo.Binary)


def add_time_links(m, d: ModelData) -> None:
    """run[i,w,o] = sum_s run_at[i,w,o,s] and get[i,w] = sum_a get_at[i,w,a]: every run starts
    once, every adoption is ready once (a run that fits no start is not made: = 0)."""
    m.run_when = pyo.Constraint(m.RUN, rule=lambda m, i, w, o: m.run[i, w, o] == sum(
        m.run_at[i, w, o, s] for s in d.starts(w)))
    m.get_when = pyo.Constraint(m.GET, rule=lambda m, i, w: m.get[i, w] == sum(
        m.get_at[i, w, a] for a in d.ready_periods(w)))


def ready_by(m, d: ModelData, i: str, w: str, t: int):
    """1 when i has w ready by the end of period t (t = 0: before the horizon, never)."""
    runs = [m.run_at[i, w, o, s] for o, s in run_starts(m, d, i, w) if d.end(w, s) <= t]
    gets = [m.get_at[i, w, a] for a in d.ready_periods(w) if a <= t] if (i, w) in m.GET else []
    return sum(runs + gets)


def committed_by(m, d: ModelData, i: str, w: str, t: int):
    """1 when i has started a run of w by period t + 1 or adopted it by t: then every prerequisite
    of w must be ready for i by the end of t (finish-to-start for runs; by the adoption's own
    period for adoptions)."""
    runs = [m.run_at[i, w, o, s] for o, s in run_starts(m, d, i, w) if s <= t + 1]
    gets = [m.get_at[i, w, a] for a in d.ready_periods(w) if a <= t] if (i, w) in m.GET else []
    return runs + gets


def add_timed_prerequisites(m, d: ModelData) -> None:
    """(3t) committed_by[i,w,t] <= ready_by[i,v,t] for v in requires[w], t = 0..T-1.

    Cumulative in t (a start in any period up to t+1 counts), which is tighter in the LP than one
    row per start period and implies it; t = T is the base constraint (3)."""
    keys = [(i, w, v, t) for i in d.members for w in d.workstreams for v in d.requires[w] for t in range(d.T)]

    def rule(m, i, w, v, t):
        committed = committed_by(m, d, i, w, t)
        return pyo.Constraint.Skip if not committed else sum(committed) <= ready_by(m, d, i, v, t)
    m.prerequisites_in_time = pyo.Constraint(keys, rule=checked(rule))


def add_timed_adoption_source(m, d: ModelData, aggregated) -> None:
    """(4t) sum_{a' <= a} get_at[i,w,a'] <= runs of w by publishing j != i ending by a - publish_lag.

    As for (4), where it has fewer nonzeros (``aggregated(direct, aggregate)``) against one
    aggregate per (w, a), ``published_by[w,a]`` = publishing runs of w ending by a - publish_lag,
    with i's own publishing runs added to both sides: the same row, a smaller matrix."""
    def ending_by(j, w, a):
        return [m.run_at[j, w, o, s] for o in d.options[j, w] for s in d.starts(w) if d.end(w, s) + d.publish_lag <= a]

    publishers = [j for j in d.members if d.publishes[j]]
    keys = {(w, a) for _, w, a in m.GET_AT}
    adopters = {k: [i for i, w, a in m.GET_AT if (w, a) == k] for k in keys}
    sources = {k: sum(len(ending_by(j, *k)) for j in publishers) for k in keys}
    own = {(i, w, a): len(ending_by(i, w, a)) if d.publishes[i] else 0 for i, w, a in m.GET_AT}
    pooled = sorted((k for k in keys if aggregated(
        sum(sources[k] - own[i, k[0], k[1]] for i in adopters[k]),
        sources[k] + 1 + sum(own[i, k[0], k[1]] + 1 for i in adopters[k]))),
        key=lambda k: (d.workstreams.index(k[0]), k[1]))
    m.published_by = pyo.Var(pooled, domain=pyo.NonNegativeIntegers)
    m.published_by_runs = pyo.Constraint(pooled, rule=lambda m, w, a: m.published_by[w, a] == sum(
        x for j in publishers for x in ending_by(j, w, a)))

    def rule(m, i, w, a):
        adopted = sum(m.get_at[i, w, b] for b in d.ready_periods(w) if b <= a)
        if (w, a) in m.published_by:
            mine = ending_by(i, w, a) if d.publishes[i] else []
            return adopted + sum(mine) <= m.published_by[w, a]
        return adopted <= sum(x for j in publishers if j != i for x in ending_by(j, w, a))
    m.adoption_source_in_time = pyo.Constraint(m.GET_AT, rule=checked(rule))


def add_due(m, d: ModelData, rhs, slack) -> None:
    """(2t) ready_by[i,w,due[i,w]] = 1 for every need with a due period before the last (at T
    the base constraint (2) says it). ``rhs``/``slack`` as in the base needs group, plus the
    elastic model's ``late[i,w]``."""
    keys = [(i, w) for i in d.members for w in d.needs[i] if d.due[i, w] < d.T]
    m.due = pyo.Constraint(keys, rule=checked(lambda m, i, w: ready_by(m, d, i, w, d.due[i, w])
                                                 + slack(m, "unmet", (i, w)) + slack(m, "late", (i, w))
                                                 >= rhs(i, w)))


def active_runs(m, d: ModelData, i: str, w: str, t: int, option: str | None = None):
    """(o, run_at variable) of i's possible runs of w under way in period t (on ``option`` only)."""
    return [(o, m.run_at[i, w, o, s]) for o, s in run_starts(m, d, i, w)
            if (option is None or o == option) and d.active(w, s, t)]


def add_capacity_per_period(m, d: ModelData, slack) -> None:
    """(7t) for every period t: sum over runs of i on h under way in t of
    compute[i,w] / throughput[h] / duration[w] * run_at <= fleet[i][h] * horizon.hours."""
    n = m.num

    def rule(m, i, h, t):
        used = [(w, x) for w in d.workstreams if h in d.options[i, w] for _, x in active_runs(m, d, i, w, t, h)]
        if not used:
            return pyo.Constraint.Skip
        if not n.mutable and sum(d.hours[i, w, h] / d.duration[w] for w, _ in used) <= d.capacity[i, h]:
            return pyo.Constraint.Skip  # cannot bind (fixed numbers only)
        return sum(n.period_hours[i, w, h] * x for w, x in used) <= n.capacity[i, h] + slack(m, "hours_short",
                                                                                            (i, h, t))
    m.capacity = pyo.Constraint(d.capacity_keys, rule=checked(rule))


def adoption_spend_in(m, d: ModelData, i: str, t: int):
    """What i's adoptions ready in t cost it (an adoption is paid in its ready period)."""
    return sum(m.num.get_cost[i, w] * m.get_at[i, w, t] for w in d.workstreams if (i, w, t) in m.GET_AT)


def run_spend_in(m, d: ModelData, i: str, w: str, t: int):
    """What i's run of w spends in period t: its cost evenly over its periods."""
    return sum(m.num.period_cost[i, w] * x for _, x in active_runs(m, d, i, w, t))


def add_budget_per_period(m, d: ModelData, slack) -> None:
    """(6t) lead funding, a member with a budget list: in every period t, what its runs under way in
    t and its adoptions ready in t cost <= budget[i][t] (unspent money is not carried over)."""
    keys = [(i, t) for i in d.members if d.per_period(i) for t in range(1, d.T + 1)]
    m.budget_in_period = pyo.Constraint(keys, rule=checked(lambda m, i, t: sum(
        run_spend_in(m, d, i, w, t) for w in d.workstreams) + adoption_spend_in(m, d, i, t)
        <= m.num.period_budget[i, t] + slack(m, "period_budget_short", (i, t))))


def add_budget_pooled_per_period(m, d: ModelData, has, slack) -> None:
    """(6't) pooled funding with some budget list: pay[i,w,t] >= 0 where has[i,w] = 1 (whatever
    the timing), covering in each period what the runs of w spend in it; a list budget bounds
    each period, a number budget the sum over periods. The big-M is the total cost of all
    possible runs of w, more than they can spend in any period."""
    n = m.num
    periods = range(1, d.T + 1)
    m.pay_only_if_has = pyo.Constraint(m.PAY, rule=checked(
        lambda m, i, w, t: m.pay[i, w, t] <= n.run_cost_total[w] * has(m, d, i, w)))
    m.pay_covers_runs = pyo.Constraint(
        [(w, t) for w in d.workstreams for t in periods], rule=checked(lambda m, w, t: sum(
            m.pay[i, w, t] for i in d.members) == sum(run_spend_in(m, d, j, w, t) for j in d.members)))

    def paid(m, i, ts):
        return sum(m.pay[i, w, t] for w in d.workstreams for t in ts) + sum(adoption_spend_in(m, d, i, t) for t in ts)
    m.budget_in_period = pyo.Constraint(
        [(i, t) for i in d.members if d.per_period(i) for t in periods], rule=checked(
            lambda m, i, t: paid(m, i, [t]) <= n.period_budget[i, t] + slack(m, "period_budget_short", (i, t))))
    m.budget = pyo.Constraint([i for i in d.members if not d.per_period(i)], rule=checked(
        lambda m, i: paid(m, i, periods) <= n.budget[i] + slack(m, "budget_short", i)))


def total_time(m, d: ModelData):
    """sum over members i and w in needs[i] of the period w is ready for i."""
    return (sum(d.end(w, s) * m.run_at[i, w, o, s] for i, w in d.need_keys for o, s in run_starts(m, d, i, w))
            + sum(a * m.get_at[i, w, a] for i, w in d.need_keys if (i, w) in m.GET for a in d.ready_periods(w)))


def total_earliness(m, d: ModelData):
    """sum of the ready period of every run (its end) and adoption: the last, hidden stage of a timed
    plan, which puts every run and adoption as early as the contract's objectives allow (the
    `time` objective counts needs only, so a prerequisite's adoption could otherwise sit in any
    period, at the solver's whim)."""
    return (sum(d.end(w, s) * m.run_at[i, w, o, s] for i, w, o, s in m.RUN_AT)
            + sum(a * m.get_at[i, w, a] for i, w, a in m.GET_AT))
