"""A solution's figures and tables as a :class:`~optimizer.results.Plan`: the contract's reported
figures (total, adoption, duplicated and silo compute, savings), the tables of runs, adoptions,
members, workstreams and fleets, and with a horizon the schedule and each period's use. Every
figure is computed here once, from the model data and the solver's plan; reports only read it."""
from __future__ import annotations

from typing import Any

from .formatting import SIGNIFICANT, SOLVER_DIGITS, clean, fraction
from .results import (Adoption, FleetRow, MemberRow, NeedSchedule, PeriodUse, Plan, Run,
                      WorkstreamRow)
from .solver import Solution
from .standalone import silo_compute
from .status import has_plan
from .tables import RENTED, ModelData


def build_plan(data: ModelData, sol: Solution, standalone: dict[str, float | None], solver_info: dict[str, Any],
               **provenance: Any) -> Plan:
    """The contract's figures and tables of a solver Solution (in the instance's units)."""
    solved = has_plan(sol.status)
    timing = {}
    if data.timed and solved:
        timing = {**{k: {"start": data.label(s), "end": data.label(data.end(k[1], s))}
                     for k, s in sol.when.items() if len(k) == 3},
                  **{k: {"ready": data.label(a)} for k, a in sol.when.items() if len(k) == 2}}
    runs = [Run(member=i, workstream=w, accelerator=o, compute=clean(data.compute[i, w]),
                cost=clean(data.cost[i, w]), **timing.get((i, w, o), {})) for i, w, o in sol.runs] if solved else []
    adoptions = [Adoption(member=i, workstream=w, compute=clean(data.adoption[w] * data.compute[i, w]),
                          cost=clean(data.adoption[w] * data.cost[i, w]), **timing.get((i, w), {}))
                 for i, w in sol.gets] if solved else []
    infeasible_alone = [i for i in data.members if standalone.get(i) is None]
    silo = clean(silo_compute(standalone, data.members))
    total = money = adoption = duplicated = None
    if solved:
        total = clean(data.plan_compute(sol.runs, sol.gets))
        money = clean(data.plan_money(sol.runs, sol.gets))
        adoption = clean(sum(data.adoption[w] * data.compute[i, w] for i, w in sol.gets))
        duplicated = clean(data.duplicated_compute(sol.runs), like=sum((data.compute[i, w] for i, w, _ in sol.runs), 0.0))
    order = tuple(data.objective)
    schedule = _schedule(data, sol) if data.timed else {}
    objectives = {"compute": total, "money": money, "time": schedule.get("time_to_needs")}
    return Plan(
        instance=data.instance, design=data.design_name, status=sol.status,
        objective=objectives[order[0]] if order else None,
        objectives={k: objectives[k] for k in order}, objective_order=list(order),
        unique=sol.unique if solved else None,
        alternative=_difference(data, sol, *sol.alternative) if sol.alternative else None,
        mip_gap=fraction(sol.mip_gap) if solved else None,
        total_compute=total, total_money=money, adoption_compute=adoption, duplicated_compute=duplicated,
        silo_compute=silo, savings=None if silo is None or total is None else clean(silo - total, like=silo),
        runs=runs, adoptions=adoptions, members=_member_rows(data, sol, standalone),
        workstreams=_workstream_rows(data, sol) if solved else [],
        fleets=_fleet_rows(data, sol) if solved else [],
        units=dict(data.units), member_ids=list(data.members), workstream_ids=list(data.workstreams),
        needs={i: list(n) for i, n in data.needs.items()}, standalone_infeasible=infeasible_alone,
        model={"variables": sol.variables, "constraints": sol.constraints}, solver=solver_info,
        **schedule, **provenance)


def _schedule(data: ModelData, sol: Solution) -> dict[str, Any]:
    """A timed plan's periods: the schedule of every need, its time figures and each period's use."""
    solved = has_plan(sol.status)
    ready = data.ready(sol.runs, sol.gets, sol.when) if solved else {}
    rows = [NeedSchedule(member=i, workstream=w, due=data.label(data.due[i, w]),
                         ready=data.label(ready[i, w]) if (i, w) in ready else None) for i, w in data.need_keys]
    needs_ready = [ready[k] for k in data.need_keys if k in ready]
    return {"periods": list(data.periods), "schedule": rows,
            "time_to_needs": float(sum(needs_ready)) if solved else None,
            "last_ready": data.label(max(needs_ready)) if needs_ready else None,
            "period_use": _period_use(data, sol) if solved else []}


def _period_use(data: ModelData, sol: Solution) -> list[PeriodUse]:
    """Money each member spends, and hours each owned fleet is used, in every period. Money is
    what the member's own runs (evenly over their periods) and adoptions (in their ready period)
    cost, or under pooled funding with pay per period, what it pays; pooled funding with number
    budgets fixes no payment per period, so only fleets are listed then."""
    money: dict[tuple[str, int], float] = {}
    hours: dict[tuple[str, str, int], float] = {}
    for i, w, o in sol.runs:
        s = sol.when[i, w, o]
        for t in range(s, data.end(w, s) + 1):
            money[i, t] = money.get((i, t), 0.0) + data.cost[i, w] / data.duration[w]
            if o != RENTED:
                hours[i, o, t] = hours.get((i, o, t), 0.0) + data.hours[i, w, o] / data.duration[w]
    for i, w in sol.gets:
        money[i, sol.when[i, w]] = money.get((i, sol.when[i, w]), 0.0) + data.adoption[w] * data.cost[i, w]
    if data.pooled and data.period_budget:
        money = {(i, t): v for (i, _, t), v in sol.pay.items()}
        for (i, w), a in ((k, a) for k, a in sol.when.items() if len(k) == 2):
            money[i, a] = money.get((i, a), 0.0) + data.adoption[w] * data.cost[i, w]
    rows = []
    for i in data.members:
        for t in range(1, data.T + 1):
            if not (data.pooled and not data.period_budget):
                spent, limit = money.get((i, t), 0.0), data.period_budget.get((i, t))
                rows.append(PeriodUse(member=i, period=data.label(t), used=clean(spent), limit=clean(limit),
                                      utilisation=fraction(spent / limit) if limit else None))
            for (j, h), cap in data.capacity.items():
                if j == i:
                    used = hours.get((i, h, t), 0.0)
                    rows.append(PeriodUse(member=i, period=data.label(t), accelerator=h, used=clean(used),
                                          limit=clean(cap), utilisation=fraction(used / cap) if cap > 0 else None))
    return rows


def _member_rows(data: ModelData, sol: Solution, standalone: dict[str, float | None]) -> list[MemberRow]:
    solved = has_plan(sol.status)
    # each member's payments, adoptions and runs, in the plan's order (so every sum adds up alike)
    pays, gets, runs = ({i: [] for i in data.members} for _ in range(3))
    for k, v in sol.pay.items():
        pays[k[0]].append(v)
    for j, w in sol.gets:
        gets[j].append(data.adoption[w] * data.cost[j, w])
    for j, w, _ in sol.runs:
        runs[j].append(data.cost[j, w])
    paid = {i: sum(pays[i]) for i in data.members}
    rows = []
    for i in data.members:
        spent = None
        if solved:
            adopting = sum(gets[i])
            running = paid[i] if data.pooled else sum(runs[i])
            spent = clean(running + adopting, digits=SOLVER_DIGITS if data.pooled else SIGNIFICANT)
        budget = data.budget[i]
        row = {"member": i, "budget": clean(budget), "spent": spent, "standalone_compute": clean(standalone.get(i)),
               "budget_utilisation": fraction(spent / budget) if spent is not None and budget > 0 else None}
        if data.pooled:
            row["paid_for_runs"] = clean(paid[i], digits=SOLVER_DIGITS) if solved else None
        rows.append(MemberRow(**row))
    return rows


def _workstream_rows(data: ModelData, sol: Solution) -> list[WorkstreamRow]:
    ran: dict[str, list[tuple[str, str]]] = {}
    got: dict[str, list[str]] = {}
    for i, w, o in sol.runs:
        ran.setdefault(w, []).append((i, o))
    for i, w in sol.gets:
        got.setdefault(w, []).append(i)
    rows = []
    for w in data.workstreams:
        runs, gets = ran.get(w, []), got.get(w, [])
        needed = [i for i in data.members if w in data.needs[i]]
        if not runs and not gets and not needed:
            continue
        costs = [data.compute[i, w] for i, _ in runs]
        rows.append(WorkstreamRow(
            workstream=w, runs=len(runs), run_by=[f"{i} ({o})" for i, o in runs], adopted_by=gets,
            run_compute=clean(sum(costs)), adoption_compute=clean(sum(data.adoption[w] * data.compute[i, w]
                                                                      for i in gets)),
            duplicated_compute=clean(sum(costs) - min(costs), like=sum(costs)) if costs else 0.0,
            needed_by=needed, replicas=data.replicas[w], required=data.required[w]))
    return rows


def _fleet_rows(data: ModelData, sol: Solution) -> list[FleetRow]:
    """Hours each owned fleet type is used, against its capacity fleet[i][h] * hours (with a
    horizon: over all periods, T times the capacity of one)."""
    used: dict[tuple[str, str], float] = {k: 0.0 for k in data.capacity}
    for i, w, o in sol.runs:
        if o != RENTED:
            used[i, o] += data.hours[i, w, o]
    return [FleetRow(member=i, accelerator=h, capacity_hours=clean(cap * data.T), used_hours=clean(used[i, h]),
                     utilisation=fraction(used[i, h] / (cap * data.T)) if cap > 0 else None)
            for (i, h), cap in data.capacity.items()]


def _difference(data: ModelData, sol: Solution, other_runs, other_gets, other_when) -> dict[str, list]:
    """How another plan differs from the reported one, in the result's record shapes (with a
    horizon a run or adoption at another period is one removed and one added)."""
    def run(k, when):
        return {"member": k[0], "workstream": k[1], "accelerator": k[2],
                **({"start": data.label(when[k])} if data.timed else {})}

    def get(k, when):
        return {"member": k[0], "workstream": k[1], **({"ready": data.label(when[k])} if data.timed else {})}

    def timed(keys, when):
        return {(k, when.get(k)) for k in keys}
    ours_r, theirs_r = timed(sol.runs, sol.when), timed(other_runs, other_when)
    ours_g, theirs_g = timed(sol.gets, sol.when), timed(other_gets, other_when)
    return {"runs_added": [run(k, other_when) for k, _ in sorted(theirs_r - ours_r)],
            "runs_removed": [run(k, sol.when) for k, _ in sorted(ours_r - theirs_r)],
            "adoptions_added": [get(k, other_when) for k, _ in sorted(theirs_g - ours_g)],
            "adoptions_removed": [get(k, sol.when) for k, _ in sorted(ours_g - theirs_g)]}


