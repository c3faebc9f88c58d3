"""Results as pandas tables, the spec's reported figures, and the JSON result object."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .formatting import SIGNIFICANT, SOLVER_DIGITS, clean as _clean, fraction as _fraction
from .solver import Solution
from .tables import RENTED, ModelData
from .status import Status, has_plan

RUN_COLUMNS = ["member", "workstream", "accelerator", "compute", "cost"]
ADOPTION_COLUMNS = ["member", "workstream", "compute", "cost"]
MEMBER_COLUMNS = ["member", "budget", "spent", "standalone_compute"]
WORKSTREAM_COLUMNS = ["workstream", "runs", "run_by", "adopted_by", "run_compute", "adoption_compute",
                      "duplicated_compute", "needed_by", "replicas", "required"]
# How a plan's uniqueness reads in tables and summaries (Result.unique / "unique" in the JSON).
PLAN_WORDS = {True: "unique", False: "one of several", None: "not checked"}
FLEET_COLUMNS = ["member", "accelerator", "capacity_hours", "used_hours", "utilisation"]


@dataclass
class Result:
    """The answer for one design: status, reported figures and tables keyed by member/workstream."""

    instance: str
    design: str
    status: Status
    mip_gap: float | None
    total_compute: float | None
    total_money: float | None
    adoption_compute: float | None
    duplicated_compute: float | None
    silo_compute: float | None
    runs: pd.DataFrame
    adoptions: pd.DataFrame
    members: pd.DataFrame
    workstreams: pd.DataFrame
    fleets: pd.DataFrame
    standalone_infeasible: list[str] = field(default_factory=list)
    solve_seconds: float = 0.0
    model_size: dict[str, int] = field(default_factory=dict)
    solver: dict[str, Any] = field(default_factory=dict)
    instance_hash: str = ""
    instance_slug: str = ""
    diagnosis: list[dict] = field(default_factory=list)  # why an infeasible plan cannot work
    objective_order: tuple[str, ...] = ()
    unique: bool | None = None  # the only plan with these objective values? None: not checked / not known
    alternative: dict[str, list] | None = None  # how another plan as good differs, when not unique
    data: ModelData | None = field(default=None, repr=False)

    @property
    def objectives(self) -> dict[str, float | None]:
        """Every objective of the lexicographic list, by name, with the plan's value."""
        figure = {"compute": self.total_compute, "money": self.total_money}
        return {name: figure[name] for name in self.objective_order}

    @property
    def objective(self) -> float | None:
        """The first objective's value (the contract's `objective`)."""
        return next(iter(self.objectives.values()), None)

    @property
    def savings(self) -> float | None:
        if self.silo_compute is None or self.total_compute is None:
            return None
        return _clean(self.silo_compute - self.total_compute, like=self.silo_compute)

    @property
    def solved(self) -> bool:
        return has_plan(self.status)

    def to_dict(self) -> dict[str, Any]:
        """The spec's machine-readable result object (plus a few documented extras)."""
        records = lambda df: [  # noqa: E731
            {k: (_clean(v) if isinstance(v, float) else v) for k, v in row.items()}
            for row in df.to_dict("records")]
        return {
            "instance": self.instance,
            "design": self.design,
            "status": self.status,
            "objective": self.objective,
            "objectives": self.objectives,
            "objective_order": list(self.objective_order),
            "unique": self.unique,
            "alternative": self.alternative,
            "mip_gap": self.mip_gap,
            "total_compute": self.total_compute,
            "total_money": self.total_money,
            "adoption_compute": self.adoption_compute,
            "duplicated_compute": self.duplicated_compute,
            "silo_compute": self.silo_compute,
            "savings": self.savings,
            "runs": records(self.runs) if self.solved else [],
            "adoptions": records(self.adoptions) if self.solved else [],
            "members": records(self.members),
            "workstreams": records(self.workstreams) if self.solved else [],
            "fleets": records(self.fleets) if self.solved else [],
            "instance_hash": self.instance_hash,
            "instance_slug": self.instance_slug,
            "diagnosis": self.diagnosis,
            "units": dict(self.data.units) if self.data else {},
            "member_ids": list(self.data.members) if self.data else [],
            "workstream_ids": list(self.data.workstreams) if self.data else [],
            "needs": {i: list(n) for i, n in self.data.needs.items()} if self.data else {},
            "standalone_infeasible": self.standalone_infeasible,
            "model": self.model_size,
            "solver": self.solver,
        }


def build_result(data: ModelData, sol: Solution, standalone: dict[str, float | None],
                 solver_info: dict[str, Any]) -> Result:
    """Turn a solver Solution into tables and the spec's figures."""
    runs = pd.DataFrame(
        [{"member": i, "workstream": w, "accelerator": o if o != RENTED else RENTED,
          "compute": data.compute[i, w], "cost": data.cost[i, w]} for i, w, o in sol.runs],
        columns=RUN_COLUMNS)
    adoptions = pd.DataFrame(
        [{"member": i, "workstream": w, "compute": data.adoption[w] * data.compute[i, w],
          "cost": data.adoption[w] * data.cost[i, w]} for i, w in sol.gets],
        columns=ADOPTION_COLUMNS)
    solved = has_plan(sol.status)
    members = []
    for i in data.members:
        if not solved:
            spent = None
        elif data.pooled:
            spent = sum(v for (j, _), v in sol.pay.items() if j == i) + adoptions.loc[
                adoptions.member == i, "cost"].sum()
        else:
            spent = runs.loc[runs.member == i, "cost"].sum() + adoptions.loc[adoptions.member == i, "cost"].sum()
        members.append({"member": i, "budget": data.budget[i],
                        "spent": _clean(spent, digits=SOLVER_DIGITS if data.pooled else SIGNIFICANT),
                        "standalone_compute": _clean(standalone.get(i))})
    members_df = pd.DataFrame(members, columns=MEMBER_COLUMNS)
    members_df["budget_utilisation"] = [
        _fraction(s / b) if s is not None and b > 0 else None for s, b in zip(members_df.spent, members_df.budget)]
    if data.pooled:
        members_df["paid_for_runs"] = [
            _clean(sum(v for (j, _), v in sol.pay.items() if j == i), digits=SOLVER_DIGITS) if solved else None for i in data.members]
    infeasible_alone = [i for i in data.members if standalone.get(i) is None]
    silo = None if infeasible_alone else _clean(sum(standalone[i] for i in data.members))
    if solved:
        total = _clean(data.plan_compute(sol.runs, sol.gets))
        money = _clean(data.plan_money(sol.runs, sol.gets))
        adoption_total = _clean(adoptions["compute"].sum())
        by_w = runs.groupby("workstream")["compute"]
        duplicated = _clean(float((by_w.sum() - by_w.min()).sum()), like=float(by_w.sum().sum())) if len(runs) else 0.0
    else:
        total = money = adoption_total = duplicated = None
    return Result(
        workstreams=_workstream_table(data, runs, adoptions),
        fleets=_fleet_table(data, sol),
        instance=data.instance, design=data.design_name, status=sol.status,
        mip_gap=_fraction(sol.mip_gap) if solved else None,
        total_compute=total, total_money=money, adoption_compute=adoption_total, duplicated_compute=duplicated,
        silo_compute=silo, runs=runs, adoptions=adoptions, members=members_df,
        standalone_infeasible=infeasible_alone, solve_seconds=sol.seconds + sol.build_seconds,
        model_size={"variables": sol.variables, "constraints": sol.constraints},
        solver=solver_info, data=data, objective_order=tuple(data.objective),
        unique=sol.unique if solved else None,
        alternative=_difference(sol.runs, sol.gets, *sol.alternative) if sol.alternative else None,
    )


def _difference(runs, gets, other_runs, other_gets) -> dict[str, list]:
    """How another plan differs from the reported one, in the result's record shapes."""
    run = lambda k: {"member": k[0], "workstream": k[1], "accelerator": k[2]}  # noqa: E731
    get = lambda k: {"member": k[0], "workstream": k[1]}  # noqa: E731
    return {"runs_added": [run(k) for k in sorted(set(other_runs) - set(runs))],
            "runs_removed": [run(k) for k in sorted(set(runs) - set(other_runs))],
            "adoptions_added": [get(k) for k in sorted(set(other_gets) - set(gets))],
            "adoptions_removed": [get(k) for k in sorted(set(gets) - set(other_gets))]}


def _workstream_table(data: ModelData, runs: pd.DataFrame, adoptions: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for w in data.workstreams:
        ran = runs[runs.workstream == w]
        got = adoptions[adoptions.workstream == w]
        needed = [i for i in data.members if w in data.needs[i]]
        if ran.empty and got.empty and not needed:
            continue
        rows.append({
            "workstream": w, "runs": len(ran),
            "run_by": "; ".join(f"{a.member} ({a.accelerator})" for a in ran.itertuples()),
            "adopted_by": "; ".join(got.member),
            "run_compute": _clean(ran.compute.sum()), "adoption_compute": _clean(got.compute.sum()),
            "duplicated_compute": _clean(ran.compute.sum() - ran.compute.min(), like=ran.compute.sum()) if len(ran) else 0.0,
            "needed_by": "; ".join(needed), "replicas": data.replicas[w], "required": data.required[w],
        })
    return pd.DataFrame(rows, columns=WORKSTREAM_COLUMNS)


def _fleet_table(data: ModelData, sol: Solution) -> pd.DataFrame:
    """Hours each owned fleet type is used, against its capacity fleet[i][h] * hours."""
    used: dict[tuple[str, str], float] = {k: 0.0 for k in data.capacity}
    for i, w, o in sol.runs:
        if o != RENTED:
            used[i, o] += data.hours[i, w, o]
    rows = [{"member": i, "accelerator": h, "capacity_hours": _clean(cap), "used_hours": _clean(used[i, h]),
             "utilisation": _fraction(used[i, h] / cap) if cap > 0 else None}
            for (i, h), cap in data.capacity.items()]
    return pd.DataFrame(rows, columns=FLEET_COLUMNS)
