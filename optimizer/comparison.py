"""The typed result of comparing designs: one :class:`ComparisonRow` per design, computed from
its :class:`~optimizer.results.Plan` alone, and the :class:`Comparison` that holds rows and plans
together (what ``consortium compare`` prints and its report renders)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Mapping

from pydantic import BaseModel, model_validator

from . import frames
from .records import Count, Flag, Number, Text
from .results import Plan, Row
from .status import Status, has_plan

if TYPE_CHECKING:  # pandas is imported where a table is made, not by a solve
    import pandas as pd


class ComparisonRow(Row):
    """One design's figures side by side with the others' (comparison.json holds these); the time
    columns only with a horizon."""

    OPTIONAL = ("last_ready", "mean_periods_to_needs")

    design: Text
    status: Status
    total_compute: Number | None
    total_money: Number | None
    unique: Flag | None
    duplicated_compute: Number | None
    adoption_compute: Number | None
    silo_compute: Number | None
    compute_saved_vs_silo: Number | None  # the plan's `savings` (silo_compute - total_compute)
    compute_saved_vs_silo_fraction: Number | None  # of silo_compute (a fraction, not a percentage)
    members_met: Count  # members whose needs the plan meets: those taking part, or 0 without a plan
    members_in_design: Count  # members taking part in the design (a design may leave some out)
    members_enabled: Count  # members that cannot meet their needs alone but do in this design
    members_total: Count
    max_budget_utilisation: Number | None
    max_budget_member: Text | None
    budgets_binding: Count  # members whose budget binds in the plan (see results.BINDING)
    fleets_binding: Count   # (member, accelerator) fleets whose capacity binds
    mip_gap: Number | None
    last_ready: Text | None = None  # the period the last need of any member is ready in
    mean_periods_to_needs: Number | None = None  # time_to_needs / the number of needs

    @classmethod
    def of(cls, plan: Plan, members_total: int) -> "ComparisonRow":
        top = plan.most_used_budget
        share = plan.compute_saved_fraction
        timed = {}
        if plan.periods is not None:
            needs = len(plan.schedule or [])
            timed = {"last_ready": plan.last_ready, "mean_periods_to_needs": None if plan.time_to_needs is None
                     or not needs else round(plan.time_to_needs / needs, 6)}
        return cls(**timed, design=plan.design, status=plan.status, total_compute=plan.total_compute,
                   total_money=plan.total_money, unique=plan.unique, duplicated_compute=plan.duplicated_compute,
                   adoption_compute=plan.adoption_compute, silo_compute=plan.silo_compute,
                   compute_saved_vs_silo=plan.savings,
                   compute_saved_vs_silo_fraction=None if share is None else round(share, 6),
                   members_met=len(plan.members) if plan.planned else 0, members_in_design=len(plan.members),
                   members_enabled=len(plan.members_enabled), members_total=members_total,
                   max_budget_utilisation=None if top is None else top.budget_utilisation,
                   max_budget_member=None if top is None else top.member,
                   budgets_binding=len(plan.binding.budgets), fleets_binding=len(plan.binding.fleets),
                   mip_gap=plan.mip_gap)

    @property
    def planned(self) -> bool:
        return has_plan(self.status)

    @property
    def met_text(self) -> str:
        """'12/12'; '5/5 (7 not taking part)' for a design of 5 of 12 members; '0/12' without a plan."""
        out = self.members_total - self.members_in_design
        return f"{self.members_met}/{self.members_in_design}" + (f" ({out} not taking part)" if out else "")


ROW_COLUMNS = [k for k in ComparisonRow.model_fields if k not in ComparisonRow.OPTIONAL]
TIME_COLUMNS = list(ComparisonRow.OPTIONAL)


class Comparison(BaseModel):
    """Several designs of one instance: their rows, their plans (same order), what each design
    changes (in words) and how long each took (never written to a file: it differs every run)."""

    instance: str
    rows: list[ComparisonRow]
    plans: list[Plan]
    settings: dict[str, str] = {}
    solve_seconds: dict[str, float] = {}

    @model_validator(mode="after")
    def _plans_are_the_rows(self) -> "Comparison":
        if [p.design for p in self.plans] != [r.design for r in self.rows]:
            raise ValueError("comparison: the plans must be the rows' designs, in the same order: rows "
                             f"{[r.design for r in self.rows]}, plans {[p.design for p in self.plans]}")
        return self

    @property
    def table(self) -> pd.DataFrame:
        """One row per design (the index ``design``, not also a column), the row's figures as
        columns, then ``solve_seconds``; dtypes and units in docs/api.md."""
        rows = [{**r.model_dump(mode="json"), "solve_seconds": self.solve_seconds.get(r.design)} for r in self.rows]
        kinds = {**frames.kinds_of(ComparisonRow), "solve_seconds": frames.FIGURE}
        return frames.table(rows, self.columns + ["solve_seconds"], kinds, "design")

    def __repr__(self) -> str:
        planned = [r for r in self.rows if r.planned and r.total_compute is not None]
        best = min(planned, key=lambda r: r.total_compute, default=None)
        least = "none planned" if best is None else f"least compute {frames.short(best.design, 24)!r} {best.total_compute:,.6g}"
        return (f"Comparison({frames.short(self.instance)!r}, {len(self.rows)} designs, "
                f"{len(planned)} planned, {least})")

    @property
    def timed(self) -> bool:
        return any(p.periods is not None for p in self.plans)

    @property
    def columns(self) -> list[str]:
        """The rows' columns: the contract's figures, and the time columns with a horizon."""
        return ROW_COLUMNS + (TIME_COLUMNS if self.timed else [])

    @property
    def units(self) -> dict[str, str]:
        return dict(self.plans[0].units) if self.plans else {}

    def to_dict(self) -> list[dict[str, Any]]:
        """The rows, as comparison.json and ``compare --json`` hold them."""
        return [r.model_dump(mode="json") for r in self.rows]


def describe_design(name: str, design: Any, members_total: int | None = None) -> str:
    """What a design changes, in words: 'adoption costs x4', 'pooled funding', ...

    ``design`` is an ``optimizer.schema.Design`` (anything with its attributes)."""
    parts = []
    if getattr(design, "sharing", "open") == "none":
        parts.append("no sharing: every member meets its needs alone")
    factor = getattr(design, "adoption_factor", 1.0)
    if factor != 1:
        parts.append(f"adoption costs ×{factor:g}")
    members = getattr(design, "members", None)
    if members is not None:
        of = f" ({len(members)} of {members_total})" if members_total else ""
        parts.append(f"members{of}: " + ", ".join(members))
    if getattr(design, "funding", "lead") == "pooled":
        parts.append("pooled funding")
    for path, value in _flatten(getattr(design, "overrides", None) or {}):
        parts.append(f"{path} = {json.dumps(value, ensure_ascii=False)}")
    if not parts:
        return "the instance as written: open sharing, lead funding"
    return "; ".join(parts)


def _flatten(d: Mapping, prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        out += _flatten(v, key) if isinstance(v, Mapping) and v else [(key, v)]
    return out
