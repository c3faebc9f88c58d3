"""The typed result of solving one design: :class:`Plan` (the contract's result object, exactly
what ``solve --json`` prints and a report's ``result.json`` holds, validated by the same class
when read back) and :class:`Result` (what ``optimizer.solve`` returns: the plan, pandas views of
its tables and the model data it came from).

Every figure a report or the terminal shows is computed once: the contract's figures of a
solution by :func:`optimizer.plan_building.build_plan`, what they imply (binding limits, first
runs, per-member sums) as properties of :class:`Plan`.
"""
from __future__ import annotations

import os
from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, PlainSerializer, model_serializer, model_validator

from . import frames
from .records import Count, Flag, Number, Record, Text, read_json, validated
from .status import Status, has_plan
from .tables import ModelData

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
    MAX_FILE_BYTES: ClassVar[int] = 256 * 1024 * 1024  # a result of 200 members x 1,000 workstreams is ~60 MB

    @classmethod
    def of(cls, doc: Any) -> Plan:
        """``doc`` (a Plan or its JSON object) as a Plan, or InputError naming every problem."""
        return doc if isinstance(doc, cls) else validated(cls, doc)

    @classmethod
    def read(cls, path: str | os.PathLike) -> Plan:
        """A result written by ``consortium solve --json`` or a report's ``result.json``, checked."""
        return read_json(cls, path, cls.MAX_FILE_BYTES, "a result JSON file")

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
