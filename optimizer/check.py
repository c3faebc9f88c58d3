"""The solution checker: every plan is checked against the contract before it is reported.

The solver works on its own copy of the numbers, with its own tolerances, and treats very
large coefficients as infinite; nothing it returns is trusted. :func:`violations` recomputes
every constraint of the contract (1-7, 6' under pooled funding) for a plan from the
:class:`~optimizer.tables.ModelData` numbers alone and names each row that does not hold.
A row holds when ``lhs <= rhs + TOLERANCE * max(|lhs terms|, |rhs|)``: a relative
tolerance of 1e-6 on the size of the numbers in the row, whatever their unit (HiGHS' own
feasibility tolerance is 1e-7 on rows it has scaled to numbers near 1).
"""
from __future__ import annotations

import math

from .formatting import noun
from .tables import ModelData

TOLERANCE = 1e-6


def _fits(lhs: list[float], rhs: float) -> bool:
    size = max([abs(rhs)] + [abs(x) for x in lhs])
    return math.fsum(lhs) <= rhs + TOLERANCE * size


def _grouped(pairs) -> dict:
    """key -> the values paired with it, in the order given (so that sums add up alike)."""
    out: dict = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def violations(d: ModelData, runs, gets, pay: dict | None = None, when: dict | None = None) -> list[str]:
    """Every contract row the plan (runs (i,w,o), gets (i,w), pooled pay[i,w] or pay[i,w,t], and
    with a horizon ``when``: run -> start period, adoption -> ready period) breaks, in words."""
    runs, gets = list(runs), list(gets)
    if d.timed:
        return untimed_violations(d, runs, gets, pay) + timed_violations(d, runs, gets, pay, when or {})
    return untimed_violations(d, runs, gets, pay)


def untimed_violations(d: ModelData, runs, gets, pay: dict | None) -> list[str]:
    """Rows 1-7 (6' pooled) over the whole horizon; with a horizon, 7 and the budget rows of
    members with a budget list (or any pooled pay per period) are checked per period instead."""
    out: list[str] = []
    ran: dict[tuple[str, str], int] = {}
    for i, w, o in runs:
        if i not in d.budget or o not in d.options.get((i, w), []):
            out.append(f"{i} runs {w} on {o}, which is not one of its run options")
        ran[i, w] = ran.get((i, w), 0) + 1
    has = {(i, w): ran.get((i, w), 0) for i in d.members for w in d.workstreams}
    for i, w in gets:
        if not d.sharing:
            out.append(f"{i} adopts {w} although the design does not share")
        has[i, w] = has.get((i, w), 0) + 1
    runs_of = {w: sum(1 for _, v, _ in runs if v == w) for w in d.workstreams}
    for (i, w), n in has.items():  # (1)
        if n > 1:
            out.append(f"(1) {i} has {w} {n} times (runs and adopts at most once in all)")
    for i in d.members:  # (2), (3)
        out += [f"(2) {i} needs {w} but neither runs nor adopts it" for w in d.needs[i] if not has[i, w]]
        out += [f"(3) {i} has {w} but not its prerequisite {v}" for w in d.workstreams if has[i, w]
                for v in d.requires[w] if not has[i, v]]
    publishers: dict[str, set[str]] = {}
    for j, v, _ in runs:
        if d.publishes.get(j):
            publishers.setdefault(v, set()).add(j)
    for i, w in gets:  # (4)
        if not publishers.get(w, set()) - {i}:
            out.append(f"(4) {i} adopts {w} but no other publishing member runs it")
    if d.sharing:  # (5)
        for w in d.workstreams:
            wanted = d.replicas[w] if d.required[w] or any(has[i, w] for i in d.members) else 0
            if runs_of[w] < wanted:
                out.append(f"(5) {w} runs {runs_of[w]} {noun(runs_of[w], 'time')}, {wanted} wanted (replicas)")
    adoption = {i: [] for i in d.members} | _grouped((i, d.adoption[w] * d.cost[i, w]) for i, w in gets if i in d.budget)
    if d.timed and (d.period_budget and d.pooled):
        return out  # pay is per period: timed_violations checks it
    if d.pooled:  # (6')
        pay = pay or {}
        for (i, w), amount in pay.items():
            if amount > 0 and not has.get((i, w)):
                out.append(f"(6') {i} pays {amount:.6g} towards {w} without having it")
        costs, paid_for, paid_by = _grouped((w, d.cost[i, w]) for i, w, _ in runs), {}, {}
        for (i, w), amount in pay.items():
            paid_for.setdefault(w, []).append(amount)
            paid_by.setdefault(i, []).append(amount)
        for w in d.workstreams:
            cost, paid = costs.get(w, []), paid_for.get(w, [])
            if not (_fits(paid, math.fsum(cost)) and _fits(cost, math.fsum(paid))):
                out.append(f"(6') the runs of {w} cost {math.fsum(cost):.6g} but are paid {math.fsum(paid):.6g}")
        for i in d.members:
            spent = paid_by.get(i, []) + adoption[i]
            if not _fits(spent, d.budget[i]):
                out.append(f"(6') {i} spends {math.fsum(spent):.6g} of its budget {d.budget[i]:.6g}")
    else:  # (6)
        run_cost = _grouped((i, d.cost[i, w]) for i, w, _ in runs if i in d.budget)
        for i in d.members:
            if d.per_period(i):
                continue  # per period: timed_violations
            spent = run_cost.get(i, []) + adoption[i]
            if not _fits(spent, d.budget[i]):
                out.append(f"(6) {i} spends {math.fsum(spent):.6g} of its budget {d.budget[i]:.6g}")
    hours = _grouped(((i, o), d.hours[i, w, o]) for i, w, o in runs if (i, o) in d.capacity)
    for (i, h), capacity in ({} if d.timed else d.capacity).items():  # (7); timed: per period
        used = hours.get((i, h), [])
        if not _fits(used, capacity):
            out.append(f"(7) {i}'s {h} fleet is used {math.fsum(used):.6g} of {capacity:.6g} hours")
    return out


def timed_violations(d: ModelData, runs, gets, pay: dict | None, when: dict) -> list[str]:
    """The horizon's rows (spec v2, "Horizon"), recomputed from the plan's periods."""
    out: list[str] = []
    label = d.label
    for k in runs + gets:
        if k not in when:
            out.append(f"{' '.join(k)} has no period")
    if out:
        return out
    start = {(i, w): when[i, w, o] for i, w, o in runs}
    ready = d.ready(runs, gets, when)
    for (i, w), s in start.items():
        if s not in d.starts(w):
            out.append(f"{i}'s run of {w} starts in period {s}, outside {w}'s release and the horizon")
    for i, w in gets:
        a = when[i, w]
        ends = [d.end(w, start[j, v]) for j, v, _ in runs if v == w and j != i and d.publishes[j]]
        if not 1 <= a <= d.T or not any(e + d.publish_lag <= a for e in ends):
            out.append(f"(4t) {i} adopts {w} ready in period {a}, before any other publishing run of it "
                       f"ends (publish lag {d.publish_lag})")
    for (i, w) in ready:
        for v in d.requires[w]:
            by = start[i, w] - 1 if (i, w) in start else when[i, w]  # finish-to-start, or by its own period
            if ready.get((i, v), d.T + 1) > by:
                out.append(f"(3t) {i} has {w} (period {ready[i, w]}) before its prerequisite {v} is ready")
    for i, w in d.need_keys:
        if (i, w) in ready and ready[i, w] > d.due[i, w]:
            out.append(f"(2t) {i}'s need {w} is ready in {label(ready[i, w])}, after its due period "
                       f"{label(d.due[i, w])}")
    under_way = [(i, w, o, t) for i, w, o in runs for t in range(start[i, w], d.end(w, start[i, w]) + 1)]
    for (i, h), capacity in d.capacity.items():  # (7t)
        for t in range(1, d.T + 1):
            used = [d.hours[i, w, h] / d.duration[w] for j, w, o, u in under_way if j == i and o == h and u == t]
            if not _fits(used, capacity):
                out.append(f"(7t) {i}'s {h} fleet is used {math.fsum(used):.6g} of {capacity:.6g} hours in "
                           f"{label(t)}")
    spent_in = {}  # (i, t) -> what i's own runs and adoptions spend in t
    for j, w, o, t in under_way:
        spent_in.setdefault((j, t), []).append(d.cost[j, w] / d.duration[w])
    for i, w in gets:
        spent_in.setdefault((i, when[i, w]), []).append(d.adoption[w] * d.cost[i, w])
    if not d.pooled:  # (6t)
        for (i, t), limit in d.period_budget.items():
            if not _fits(spent_in.get((i, t), []), limit):
                out.append(f"(6t) {i} spends {math.fsum(spent_in[i, t]):.6g} in {label(t)}, its budget there "
                           f"is {limit:.6g}")
    elif d.period_budget:  # (6't): pay[i,w,t]
        out += _pooled_per_period(d, runs, gets, pay or {}, under_way, ready)
    return out


def _pooled_per_period(d: ModelData, runs, gets, pay: dict, under_way, ready) -> list[str]:
    out = []
    for (i, w, t), amount in pay.items():
        if amount > 0 and (i, w) not in ready:
            out.append(f"(6't) {i} pays {amount:.6g} towards {w} without having it")
    for w in d.workstreams:
        for t in range(1, d.T + 1):
            cost = [d.cost[j, v] / d.duration[v] for j, v, o, u in under_way if v == w and u == t]
            paid = [a for (i, v, u), a in pay.items() if v == w and u == t]
            if not (_fits(paid, math.fsum(cost)) and _fits(cost, math.fsum(paid))):
                out.append(f"(6't) the runs of {w} spend {math.fsum(cost):.6g} in {d.label(t)} but are paid "
                           f"{math.fsum(paid):.6g}")
    for i in d.members:
        adopt = {}
        for j, w in gets:
            if j == i:
                adopt.setdefault(ready[j, w], []).append(d.adoption[w] * d.cost[i, w])
        for t in range(1, d.T + 1) if d.per_period(i) else [None]:
            spent = [a for (j, _, u), a in pay.items() if j == i and (t is None or u == t)]
            spent += [c for u, cs in adopt.items() if t is None or u == t for c in cs]
            limit = d.budget[i] if t is None else d.period_budget[i, t]
            if not _fits(spent, limit):
                where = "over the horizon" if t is None else f"in {d.label(t)}"
                out.append(f"(6't) {i} spends {math.fsum(spent):.6g} {where}, its budget is {limit:.6g}")
    return out
