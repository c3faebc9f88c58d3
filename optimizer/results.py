"""Results as pandas tables, the spec's reported figures, and the JSON result object."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .solver import Solution
from .tables import RENTED, ModelData

RUN_COLUMNS = ["member", "workstream", "accelerator", "compute", "cost"]
ADOPTION_COLUMNS = ["member", "workstream", "compute", "cost"]
MEMBER_COLUMNS = ["member", "budget", "spent", "standalone_compute"]


def _clean(x: float | None) -> float | None:
    """Round away solver noise (1e-9 of a unit) so files are stable across runs and platforms."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return None
    r = round(float(x), 6)
    return 0.0 if r == 0 else r


@dataclass
class Result:
    """The answer for one design: status, reported figures and tables keyed by member/workstream."""

    instance: str
    design: str
    status: str
    mip_gap: float | None
    total_compute: float | None
    adoption_compute: float | None
    duplicated_compute: float | None
    silo_compute: float | None
    runs: pd.DataFrame
    adoptions: pd.DataFrame
    members: pd.DataFrame
    standalone_infeasible: list[str] = field(default_factory=list)
    solve_seconds: float = 0.0
    model_size: dict[str, int] = field(default_factory=dict)
    solver: dict[str, Any] = field(default_factory=dict)
    data: ModelData | None = field(default=None, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def objective(self) -> float | None:
        return self.total_compute

    @property
    def savings(self) -> float | None:
        if self.silo_compute is None or self.total_compute is None:
            return None
        return _clean(self.silo_compute - self.total_compute)

    @property
    def solved(self) -> bool:
        return self.status in ("optimal", "feasible")

    def to_dict(self) -> dict[str, Any]:
        """The spec's machine-readable result object (plus a few documented extras)."""
        records = lambda df: [  # noqa: E731
            {k: (_clean(v) if isinstance(v, float) else v) for k, v in row.items()}
            for row in df.to_dict("records")]
        return {
            "instance": self.instance,
            "design": self.design,
            "status": self.status,
            "objective": self.total_compute,
            "mip_gap": self.mip_gap,
            "total_compute": self.total_compute,
            "adoption_compute": self.adoption_compute,
            "duplicated_compute": self.duplicated_compute,
            "silo_compute": self.silo_compute,
            "savings": self.savings,
            "runs": records(self.runs) if self.solved else [],
            "adoptions": records(self.adoptions) if self.solved else [],
            "members": records(self.members[MEMBER_COLUMNS]),
            "standalone_infeasible": self.standalone_infeasible,
            "model": self.model_size,
            "solver": self.solver,
            **self.extra,
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
    solved = sol.status in ("optimal", "feasible")
    members = []
    for i in data.members:
        if not solved:
            spent = None
        elif data.pooled:
            spent = sum(v for (j, _), v in sol.pay.items() if j == i) + adoptions.loc[
                adoptions.member == i, "cost"].sum()
        else:
            spent = runs.loc[runs.member == i, "cost"].sum() + adoptions.loc[adoptions.member == i, "cost"].sum()
        members.append({"member": i, "budget": data.budget[i], "spent": _clean(spent),
                        "standalone_compute": _clean(standalone.get(i))})
    members_df = pd.DataFrame(members, columns=MEMBER_COLUMNS)
    if data.pooled:
        members_df["paid_for_runs"] = [
            _clean(sum(v for (j, _), v in sol.pay.items() if j == i)) if solved else None for i in data.members]
    infeasible_alone = [i for i in data.members if standalone.get(i) is None]
    silo = None if infeasible_alone else _clean(sum(standalone[i] for i in data.members))
    if solved:
        total = _clean(runs["compute"].sum() + adoptions["compute"].sum())
        adoption_total = _clean(adoptions["compute"].sum())
        by_w = runs.groupby("workstream")["compute"]
        duplicated = _clean(float((by_w.sum() - by_w.min()).sum())) if len(runs) else 0.0
    else:
        total = adoption_total = duplicated = None
    return Result(
        instance=data.instance, design=data.design_name, status=sol.status,
        mip_gap=_clean(sol.mip_gap) if solved else None,
        total_compute=total, adoption_compute=adoption_total, duplicated_compute=duplicated,
        silo_compute=silo, runs=runs, adoptions=adoptions, members=members_df,
        standalone_infeasible=infeasible_alone, solve_seconds=sol.seconds + sol.build_seconds,
        model_size={"variables": sol.variables, "constraints": sol.constraints},
        solver=solver_info, data=data,
    )
