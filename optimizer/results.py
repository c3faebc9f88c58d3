"""The typed result of solving one design: :class:`Plan` (the contract's result object, exactly
what ``solve --json`` prints and a report's ``result.json`` holds, validated by the same class
when read back) and :class:`Result` (what ``optimizer.solve`` returns: the plan, pandas views of
its tables and the model data it came from).

Every figure a report or the terminal shows is computed here, once: the contract's figures in
:func:`build_plan`, what they imply (binding limits, first runs, per-member sums) as properties
of :class:`Plan`.
"""
from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal

import pandas as pd
from pydantic import BeforeValidator, PlainSerializer, model_serializer, model_validator

from . import frames
from .formatting import SIGNIFICANT, SOLVER_DIGITS, clean, fraction
from .records import Count, Flag, Number, Record, Text
from .solver import Solution
from .standalone import silo_compute
from .status import Status, has_plan
from .tables import RENTED, ModelData

# A budget or a fleet capacity "binds" when at least this share of it is used.
BINDING = 0.999
# How a plan's uniqueness reads in tables and summaries (Plan.unique / "unique" in the JSON).
PLAN_WORDS = {True: "unique", False: "one of several", None: "not checked"}

ObjectiveName = Literal["compute", "money", "time"]


def _empty_if_none(kind: type):
    return BeforeValidator(lambda v: kind() if v is None else v)


def _split(v: Any) -> Any:
    return [x for x in v.split("; ") if x] if isinstance(v, str) else [] if v is None else v


# A list of ids, written in the contract's tables as one "a; b; c" string.
Names = Annotated[list[Text], BeforeValidator(_split), PlainSerializer("; ".join, return_type=str)]


class Row(Record):
    """A record whose ``OPTIONAL`` keys are absent from the JSON unless set (a plan without a
    horizon has no periods, one without pooled funding no payments)."""

    OPTIONAL: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _without_unset(self, handler):
        out = handler(self)
        for key in self.OPTIONAL:
            if key not in self.model_fields_set:
                out.pop(key, None)
        return out


class Run(Row):
    OPTIONAL = ("start", "end")
    member: Text
    workstream: Text
    accelerator: Text
    compute: Number
    cost: Number
    start: Text | None = None  # horizon only: first and last period (labels)
    end: Text | None = None


class Adoption(Row):
    OPTIONAL = ("ready",)
    member: Text
    workstream: Text
    compute: Number
    cost: Number
    ready: Text | None = None  # horizon only: the period by whose end it is ready


class MemberRow(Row):
    OPTIONAL = ("paid_for_runs",)
    member: Text
    budget: Number
    spent: Number | None
    standalone_compute: Number | None
    budget_utilisation: Number | None = None
    paid_for_runs: Number | None = None   # pooled funding only


class NeedSchedule(Record):
    """When a member's need is due and when the plan has it ready (period labels)."""
    member: Text
    workstream: Text
    due: Text
    ready: Text | None


class PeriodUse(Record):
    """What one member spends, and one fleet of it is used, in one period (horizon only)."""
    member: Text
    period: Text
    accelerator: Text | None = None  # None: the member's money; else its fleet of this type
    used: Number | None = None  # money spent, or fleet hours used
    limit: Number | None = None  # the period's budget (a list budget) or capacity hours
    utilisation: Number | None = None


class WorkstreamRow(Record):
    workstream: Text
    runs: Count | None = None
    run_by: Names = []            # "member (accelerator)" of each run
    adopted_by: Names = []
    needed_by: Names = []
    run_compute: Number | None = None
    adoption_compute: Number | None = None
    duplicated_compute: Number | None = None
    replicas: Count | None = None
    required: Flag | None = None


class FleetKey(Record):
    member: Text
    accelerator: Text


class FleetRow(FleetKey):
    capacity_hours: Number | None
    used_hours: Number | None
    utilisation: Number | None


class DiagnosisRow(Record):
    """A diagnosis finding (see optimizer.diagnosis.Finding); other tools may write bare strings."""
    message: Text
    kind: Text | None = None
    member: Text | None = None
    workstream: Text | None = None
    resource: Text | None = None
    amount: Number | None = None
    unit: Text | None = None


class Binding(Record):
    budgets: list[Text] = []
    fleets: list[FleetKey] = []


def _tool_version() -> str:
    from . import __version__
    return __version__


class Plan(Row):
    """The result object of one design (the contract's figures plus documented extras)."""

    OPTIONAL = ("periods", "schedule", "time_to_needs", "last_ready", "period_use")

    instance: Text
    design: Text
    status: Status
    objective: Number | None
    mip_gap: Number | None
    total_compute: Number | None
    adoption_compute: Number | None
    duplicated_compute: Number | None
    silo_compute: Number | None
    savings: Number | None
    runs: Annotated[list[Run], _empty_if_none(list)]
    adoptions: Annotated[list[Adoption], _empty_if_none(list)]
    members: Annotated[list[MemberRow], _empty_if_none(list)]
    total_money: Number | None = None
    objectives: dict[ObjectiveName, Number | None] | None = None
    objective_order: list[ObjectiveName] | None = None
    unique: Flag | None = None
    alternative: dict[Text, list[dict[Text, Any]]] | None = None
    workstreams: Annotated[list[WorkstreamRow], _empty_if_none(list)] = []
    fleets: Annotated[list[FleetRow], _empty_if_none(list)] = []
    diagnosis: Annotated[list[Text | DiagnosisRow], _empty_if_none(list)] = []
    units: Annotated[dict[Text, Text], _empty_if_none(dict)] = {}
    member_ids: Annotated[list[Text], _empty_if_none(list)] = []
    workstream_ids: Annotated[list[Text], _empty_if_none(list)] = []
    needs: Annotated[dict[Text, list[Text]], _empty_if_none(dict)] = {}
    standalone_infeasible: Annotated[list[Text], _empty_if_none(list)] = []
    model: Annotated[dict[Text, Count], _empty_if_none(dict)] = {}
    solver: Annotated[dict[Text, Any], _empty_if_none(dict)] = {}
    instance_hash: Text | None = None
    instance_slug: Text | None = None
    tool_version: Annotated[Text, _empty_if_none(_tool_version)] = ""
    binding: Binding = Binding()
    # members that cannot meet their needs alone (standalone infeasible) but do in this plan;
    # always recomputed from standalone_infeasible and the status (see docs/glossary.md)
    members_enabled: list[Text] = []
    # horizon only (absent from the JSON without one)
    periods: list[Text] | None = None
    schedule: list[NeedSchedule] | None = None
    time_to_needs: Number | None = None
    last_ready: Text | None = None
    period_use: list[PeriodUse] | None = None

    @model_validator(mode="after")
    def _derive(self) -> "Plan":
        """What a result read back may leave out, and the binding limits, always recomputed."""
        if not self.tool_version:
            self.tool_version = _tool_version()
        if not self.member_ids:
            self.member_ids = [m.member for m in self.members]
        if not self.workstream_ids:
            seen = [r.workstream for t in (self.workstreams, self.runs, self.adoptions) for r in t]
            self.workstream_ids = list(dict.fromkeys(seen))
        self.binding = self._binding()
        self.members_enabled = [i for i in self.standalone_infeasible if i in self.member_order] if self.planned else []
        return self

    def _binding(self) -> Binding:
        """Budgets and fleet capacities used to at least BINDING of their size (only with a plan).
        A zero budget binds whenever the member spends nothing (it cannot spend anything)."""
        if not self.planned:
            return Binding()
        if self.period_use:  # with a horizon: a limit binds when it does in some period
            binds = [u for u in self.period_use if u.utilisation is not None and u.utilisation >= BINDING]
            budgets = {u.member for u in binds if u.accelerator is None}
            fleets = {(u.member, u.accelerator) for u in binds if u.accelerator is not None}
        else:
            budgets, fleets = set(), set()
        budgets |= {m.member for m in self.members if m.spent is not None and m.spent >= BINDING * m.budget}
        fleets |= {(f.member, f.accelerator) for f in self.fleets if f.utilisation is not None
                   and f.utilisation >= BINDING}
        return Binding(budgets=[i for i in self.member_order if i in budgets],
                       fleets=[FleetKey(member=f.member, accelerator=f.accelerator) for f in self.fleets
                               if (f.member, f.accelerator) in fleets])

    # --- reading it -------------------------------------------------------------------------------
    @property
    def planned(self) -> bool:
        return has_plan(self.status)

    @property
    def order(self) -> list[str]:
        """The objective list (results from before v2 minimised compute alone)."""
        return list(self.objective_order or self.objectives or ["compute"])

    @property
    def compute_unit(self) -> str:
        return self.units.get("compute") or "compute units"

    @property
    def money_unit(self) -> str:
        return self.units.get("money") or "money"

    @property
    def first_run_compute(self) -> float | None:
        """Each run workstream's cheapest run: total less adoption and duplicated compute."""
        if not self.planned or self.total_compute is None:
            return None
        return max(self.total_compute - (self.adoption_compute or 0.0) - (self.duplicated_compute or 0.0), 0.0)

    @property
    def compute_saved_fraction(self) -> float | None:
        """Compute saved vs silo (the contract's ``savings``), as a fraction of the silo."""
        return self.savings / self.silo_compute if self.savings is not None and self.silo_compute else None

    def binds(self, member: str, accelerator: str | None = None) -> bool:
        """Does this member's budget (or its fleet of ``accelerator``) bind?"""
        if accelerator is None:
            return member in self.binding.budgets
        return FleetKey(member=member, accelerator=accelerator) in self.binding.fleets

    @cached_property
    def member_order(self) -> list[str]:
        return list(self.member_ids) + [m.member for m in self.members if m.member not in self.member_ids]

    @cached_property
    def plan_workstreams(self) -> list[str]:
        """Workstreams someone needs, runs or adopts, in the instance's order."""
        present = {r.workstream for t in (self.workstreams, self.runs, self.adoptions) for r in t}
        order = list(self.workstream_ids) + [w.workstream for w in self.workstreams
                                             if w.workstream not in self.workstream_ids]
        return [w for w in order if w in present]

    @cached_property
    def runs_of(self) -> dict[str, list[Run]]:
        """member -> its runs (every member, in order)."""
        return _by_member(self.runs, self.member_order)

    @cached_property
    def adoptions_of(self) -> dict[str, list[Adoption]]:
        """member -> its adoptions (every member, in order)."""
        return _by_member(self.adoptions, self.member_order)

    @cached_property
    def fleets_of(self) -> dict[str, list[FleetRow]]:
        """member -> its owned fleet types (only members that own one)."""
        return _by_member(self.fleets, [])

    @property
    def fleet_types(self) -> list[str]:
        return list(dict.fromkeys(f.accelerator for f in self.fleets))

    @property
    def most_used_budget(self) -> MemberRow | None:
        """The member spending the largest share of its budget (the first of equals)."""
        used = [m for m in self.members if m.budget_utilisation is not None] if self.planned else []
        return max(used, key=lambda m: m.budget_utilisation, default=None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON result object (``solve --json``, result.json)."""
        return self.model_dump(mode="json")


def _by_member(rows: list, members: list[str]) -> dict[str, list]:
    out: dict[str, list] = {i: [] for i in members}
    for r in rows:
        out.setdefault(r.member, []).append(r)
    return out


# --- from a solve -------------------------------------------------------------------------------------
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
        raw = [(w, data.compute[i, w]) for i, w, _ in sol.runs]
        duplicated = _duplicated(raw)
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


def _duplicated(runs: list[tuple[str, float]]) -> float:
    """Every run of a workstream but its cheapest: the compute spent twice."""
    by: dict[str, list[float]] = {}
    for w, c in runs:
        by.setdefault(w, []).append(c)
    return clean(sum(sum(c) - min(c) for c in by.values()), like=sum(sum(c) for c in by.values())) if by else 0.0


def _member_rows(data: ModelData, sol: Solution, standalone: dict[str, float | None]) -> list[MemberRow]:
    solved = has_plan(sol.status)
    paid = {i: sum(v for k, v in sol.pay.items() if k[0] == i) for i in data.members}
    rows = []
    for i in data.members:
        spent = None
        if solved:
            adopting = sum(data.adoption[w] * data.cost[j, w] for j, w in sol.gets if j == i)
            running = paid[i] if data.pooled else sum(data.cost[j, w] for j, w, _ in sol.runs if j == i)
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


# --- what the API returns ---------------------------------------------------------------------------------
class Result:
    """One design's answer: ``plan`` (typed, every figure), its tables as DataFrames (``runs``,
    ``adoptions``, ``members``, ``workstreams``, ``fleets``; with a horizon ``schedule`` and
    ``period_use``; index and dtypes in docs/api.md) and the model data it was solved from. Any
    figure of the plan reads directly: ``result.total_compute``."""

    # table -> (its record class, its index): the ids a row is about
    TABLES = {"runs": (Run, ["member", "workstream"]), "adoptions": (Adoption, ["member", "workstream"]),
              "members": (MemberRow, "member"), "workstreams": (WorkstreamRow, "workstream"),
              "fleets": (FleetRow, ["member", "accelerator"]), "schedule": (NeedSchedule, ["member", "workstream"]),
              "period_use": (PeriodUse, ["member", "period", "accelerator"])}

    def __init__(self, plan: Plan, data: ModelData | None = None, solve_seconds: float = 0.0):
        self.plan, self.data, self.solve_seconds = plan, data, solve_seconds

    def __getattr__(self, name: str) -> Any:
        if name in Result.TABLES:
            kind, index = Result.TABLES[name]
            records = self.plan.to_dict().get(name) or []
            # the keys a plan leaves out (a run's start without a horizon) are no columns
            columns = [c for c in kind.model_fields if not records or c in records[0] or c in index]
            frame = frames.table(records, columns, frames.kinds_of(kind), index)
            setattr(self, name, frame)        # built once
            return frame
        if name == "plan":                    # not yet set (copying, unpickling)
            raise AttributeError(name)
        return getattr(self.plan, name)

    @property
    def solved(self) -> bool:
        return self.plan.planned

    def to_dict(self) -> dict[str, Any]:
        return self.plan.to_dict()

    def __repr__(self) -> str:
        p = self.plan
        return (f"Result({frames.short(p.instance)!r}, design={frames.short(p.design, 24)!r}, "
                f"status={p.status.value!r}, total_compute={p.total_compute!r}, "
                f"compute_saved_vs_silo={p.savings!r}, members_enabled={len(p.members_enabled)})")
