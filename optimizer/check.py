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

from .tables import ModelData

TOLERANCE = 1e-6


def _fits(lhs: list[float], rhs: float) -> bool:
    size = max([abs(rhs)] + [abs(x) for x in lhs])
    return math.fsum(lhs) <= rhs + TOLERANCE * size


def violations(d: ModelData, runs, gets, pay: dict | None = None) -> list[str]:
    """Every contract row the plan (runs (i,w,o), gets (i,w), pooled pay[i,w]) breaks, in words."""
    out: list[str] = []
    runs, gets = list(runs), list(gets)
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
    for i, w in gets:  # (4)
        if not any(v == w and j != i and d.publishes[j] for j, v, _ in runs):
            out.append(f"(4) {i} adopts {w} but no other publishing member runs it")
    if d.sharing:  # (5)
        for w in d.workstreams:
            wanted = d.replicas[w] if d.required[w] or any(has[i, w] for i in d.members) else 0
            if runs_of[w] < wanted:
                out.append(f"(5) {w} runs {runs_of[w]} time(s), {wanted} wanted (replicas)")
    adoption = {i: [d.adoption[w] * d.cost[i, w] for j, w in gets if j == i] for i in d.members}
    if d.pooled:  # (6')
        pay = pay or {}
        for (i, w), amount in pay.items():
            if amount > 0 and not has.get((i, w)):
                out.append(f"(6') {i} pays {amount:.6g} towards {w} without having it")
        for w in d.workstreams:
            cost = [d.cost[i, w] for i, v, _ in runs if v == w]
            paid = [a for (i, v), a in pay.items() if v == w]
            if not (_fits(paid, math.fsum(cost)) and _fits(cost, math.fsum(paid))):
                out.append(f"(6') the runs of {w} cost {math.fsum(cost):.6g} but are paid {math.fsum(paid):.6g}")
        for i in d.members:
            spent = [a for (j, _), a in pay.items() if j == i] + adoption[i]
            if not _fits(spent, d.budget[i]):
                out.append(f"(6') {i} spends {math.fsum(spent):.6g} of its budget {d.budget[i]:.6g}")
    else:  # (6)
        for i in d.members:
            spent = [d.cost[i, w] for j, w, _ in runs if j == i] + adoption[i]
            if not _fits(spent, d.budget[i]):
                out.append(f"(6) {i} spends {math.fsum(spent):.6g} of its budget {d.budget[i]:.6g}")
    for (i, h), capacity in d.capacity.items():  # (7)
        used = [d.hours[i, w, h] for j, w, o in runs if j == i and o == h]
        if not _fits(used, capacity):
            out.append(f"(7) {i}'s {h} fleet is used {math.fsum(used):.6g} of {capacity:.6g} hours")
    return out
