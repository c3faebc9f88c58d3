"""Uncertainty sweeps: solve every design under sampled estimates and summarise.

Per sample and design we record the status, the reported figures, the optimal plan, and
what the *base plan* (the plan optimal at the distributions' modes) would cost under that
sample — or that it no longer fits. Samples are independent tasks handed to an
:class:`~optimizer.execution.Executor` (local processes or a Dask cluster); results are
gathered by sample index, so the same seed gives the same tables whatever ran them.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from . import solver
from .api import variant_key, solver_options
from .check import violations
from .execution import Executor, chunks
from .instance import Instance, load_instance
from .solver import PersistentProblem, SolverOptions
from .formatting import clean as _clean
from .tables import ModelData, derive, silo_of
from .uncertainty import Dimension, apply, centre, dimensions, draw
from .status import has_plan

OUTCOME_COLUMNS = ["sample", "design", "status", "total_compute", "silo_compute", "savings",
                   "duplicated_compute", "base_plan_feasible", "base_plan_compute", "plan"]


def _plan_key(runs) -> str:
    return ";".join(f"{i}/{w}/{o}" for i, w, o in sorted(runs))


_PROBLEMS: dict[tuple, PersistentProblem] = {}  # per worker process: built once, re-solved per sample


def _persistent(inst: Instance, key: tuple, data: ModelData, options: SolverOptions,
                plan: tuple | None = None) -> PersistentProblem:
    k = (inst.content_hash, options) + key
    if k not in _PROBLEMS:
        _PROBLEMS[k] = PersistentProblem(data, options, plan)
    return _PROBLEMS[k]


def plan_fits(data: ModelData, runs, gets, check_pooled) -> bool:
    """Does a fixed plan still respect every budget and fleet under ``data``'s numbers?

    Under lead funding that is the solution checker's question (:func:`optimizer.check.violations`,
    every row from the numbers alone). Pooled funding needs a payment split, so it goes through
    the solver with the plan pinned.
    """
    if data.pooled:
        return has_plan(check_pooled(data).status)
    return not violations(data, runs, gets)


def _silo(inst: Instance, key: tuple, data: ModelData, options: SolverOptions) -> float | None:
    """silo_compute of ``data``'s members at this sample: one joint solve of their independent
    standalone problems (None when one of them cannot manage alone)."""
    needy = [i for i in data.members if data.needs[i]]  # the others spend nothing alone
    if not needy:
        return 0.0
    joint = silo_of(data, needy)
    sol = _persistent(inst, ("silo", key), joint, options).solve(joint)
    if has_plan(sol.status):
        return math.fsum(data.compute[i, w] for i, w, _ in sol.runs)
    return None  # some member cannot manage alone


def _solve_point(inst: Instance, designs: list[str], dims: list[Dimension], x: np.ndarray,
                 options: SolverOptions, base_plans: dict[str, tuple] | None) -> list[dict]:
    """Every design at one point of the uncertainty space."""
    rows = []
    silo_by_variant: dict[tuple, float | None] = {}
    for d in designs:
        variant, settings = inst.design(d)
        data = derive(apply(variant, dims, x), settings, d)
        key = (variant_key(inst, d), tuple(data.members))  # silo of this design's members
        if key not in silo_by_variant:
            silo_by_variant[key] = _silo(inst, key, data, options)
        silo = silo_by_variant[key]
        sol = _persistent(inst, ("design", d), data, options).solve(data)
        solved = has_plan(sol.status)
        total = data.plan_compute(sol.runs, sol.gets) if solved else None
        by_w: dict[str, list[float]] = {}
        for i, w, _ in sol.runs:
            by_w.setdefault(w, []).append(data.compute[i, w])
        row = {"design": d, "status": sol.status, "total_compute": total, "silo_compute": silo,
               "savings": None if total is None or silo is None else silo - total,
               "duplicated_compute": sum(sum(v) - min(v) for v in by_w.values()) if solved else None,
               "plan": _plan_key(sol.runs) if solved else "", "runs": sol.runs, "gets": sol.gets}
        if base_plans is not None:
            base_runs, base_gets = base_plans[d]
            pinned = lambda dd: _persistent(inst, ("plan", d), dd, options, (base_runs, base_gets)).solve(dd)  # noqa: E731
            ok = base_runs is not None and plan_fits(data, base_runs, base_gets, pinned)
            row["base_plan_feasible"] = ok
            row["base_plan_compute"] = data.plan_compute(base_runs, base_gets) if ok else None
        like = {"savings": silo, "duplicated_compute": total}  # differences carry their operands' noise
        for k in ("total_compute", "silo_compute", "savings", "duplicated_compute", "base_plan_compute"):
            row[k] = _clean(row.get(k), like=like.get(k))
        rows.append(row)
    return rows


def _sample_task(task: tuple) -> tuple[list[dict], float, float]:
    """Executor task: a chunk of samples. Returns (rows, wall seconds, HiGHS seconds)."""
    inst, designs, dims, points, options, base_plans = task
    t0, h0 = time.perf_counter(), solver.TIMINGS["highs"]
    rows = []
    for index, x in points:
        for row in _solve_point(inst, designs, dims, np.asarray(x), options, base_plans):
            row["sample"] = index
            rows.append(row)
    return rows, time.perf_counter() - t0, solver.TIMINGS["highs"] - h0


@dataclass
class Sweep:
    instance: str
    designs: list[str]
    seed: int
    inputs: pd.DataFrame  # one row per sample: the multipliers, one column per dimension
    outcomes: pd.DataFrame  # one row per (sample, design)
    base: pd.DataFrame  # one row per design: the plan at the modes
    run_counts: pd.DataFrame  # (design, member, workstream, runs): samples in which member runs it
    wall_seconds: float = 0.0
    highs_seconds: float = 0.0
    workers: int = 1
    units: dict[str, str] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Per design: savings distribution, infeasibility and how the base plan holds up."""
        rows = []
        for d in self.designs:
            o = self.outcomes[self.outcomes.design == d]
            s = o.savings.dropna().astype(float)
            base_ok = o.base_plan_feasible.astype(bool)
            regret = (o.base_plan_compute - o.total_compute).dropna().astype(float)
            rows.append({
                "design": d, "samples": len(o),
                "infeasible_share": float((o.status == "infeasible").mean()),
                "savings_samples": int(len(s)),  # samples where both the design and silo are feasible
                "savings_mean": float(s.mean()) if len(s) else None,
                "savings_p5": float(s.quantile(0.05)) if len(s) else None,
                "savings_p50": float(s.quantile(0.50)) if len(s) else None,
                "savings_p95": float(s.quantile(0.95)) if len(s) else None,
                "total_compute_mean": float(o.total_compute.dropna().astype(float).mean())
                if o.total_compute.notna().any() else None,
                "base_plan_feasible_share": float(base_ok.mean()),
                "base_plan_compute_mean": float(o.base_plan_compute.dropna().astype(float).mean())
                if o.base_plan_compute.notna().any() else None,
                "base_plan_regret_mean": float(regret.mean()) if len(regret) else None,
            })
        table = pd.DataFrame(rows).set_index("design", drop=False)
        compute = [c for c in table.columns if c.startswith(("savings_", "total_", "base_plan_compute",
                                                               "base_plan_regret")) and c != "savings_samples"]
        table[compute] = table[compute].map(_clean).astype(float)  # compute figures: drop float noise
        return table

    def beats(self) -> pd.DataFrame:
        """P(row design needs strictly less total compute than column design), over samples
        where both are solved (an infeasible design never beats a solved one)."""
        wide = self.outcomes.pivot(index="sample", columns="design", values="total_compute")
        out = pd.DataFrame(index=self.designs, columns=self.designs, dtype=float)
        for a in self.designs:
            for b in self.designs:
                ta, tb = wide[a].astype(float), wide[b].astype(float)
                wins = (ta < tb - 1e-6 * tb.abs().clip(lower=1)) | (ta.notna() & tb.isna())
                out.loc[a, b] = float(wins.mean())
        return out

    def sensitivity(self) -> pd.DataFrame:
        """Spearman rank correlation of each uncertain input with each design's savings."""
        rows = []
        for d in self.designs:
            o = self.outcomes[self.outcomes.design == d].set_index("sample").savings.astype(float)
            for col in self.inputs.columns:
                x = self.inputs[col].reindex(o.index)
                ok = o.notna() & x.notna()
                rho = spearmanr(x[ok], o[ok]).statistic if ok.sum() > 2 and o[ok].nunique() > 1 else np.nan
                rows.append({"design": d, "input": col, "spearman_rho": float(rho)})
        return pd.DataFrame(rows)

    def run_frequency(self) -> pd.DataFrame:
        df = self.run_counts.copy()
        n = self.inputs.shape[0]
        df["share"] = df["runs"] / n if n else 0.0
        return df

    @property
    def overhead_share(self) -> float:
        """Share of worker time not spent inside HiGHS."""
        return 1 - self.highs_seconds / self.wall_seconds if self.wall_seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        clean = lambda df: [{k: (None if isinstance(v, float) and np.isnan(v) else v)  # noqa: E731
                             for k, v in r.items()} for r in df.to_dict("records")]
        return {"instance": self.instance, "designs": self.designs, "seed": self.seed,
                "samples": int(self.inputs.shape[0]), "inputs": list(self.inputs.columns),
                "summary": clean(self.summary()),
                "beats": {a: {b: float(self.beats().loc[a, b]) for b in self.designs} for a in self.designs},
                "sensitivity": clean(self.sensitivity()),
                "run_frequency": clean(self.run_frequency()),
                "base": clean(self.base), "units": self.units}


def sweep(instance, designs: list[str] | None = None, *, samples: int = 100, seed: int = 0,
          executor: Executor | None = None, time_limit: float | None = None, mip_gap: float | None = None,
          chunk_size: int | None = None) -> Sweep:
    """Solve ``designs`` (default: all) at ``samples`` Latin-hypercube points of the uncertainty."""
    inst = load_instance(instance)
    designs = list(designs) if designs else inst.design_names
    for d in designs:
        inst.design(d)
    dims = dimensions(inst.spec)
    points = draw(dims, samples, seed)
    options = solver_options(time_limit, mip_gap, threads=1)
    executor = executor or Executor(workers=1)
    base_rows = _solve_point(inst, designs, dims, centre(dims), options, None)
    base_plans = {r["design"]: (set(r["runs"]), set(r["gets"])) if has_plan(r["status"])
                  else (None, None) for r in base_rows}
    size = chunk_size or max(1, min(8, samples // (4 * executor.workers) or 1))
    tasks = [(inst, designs, dims, chunk, options, base_plans)
             for chunk in chunks([(k, list(points[k])) for k in range(samples)], size)]
    parts = executor.map(_sample_task, tasks, label="samples")
    rows = [r for part, _, _ in parts for r in part]
    outcomes = pd.DataFrame(rows)
    counts: dict[tuple, int] = {}
    for r in rows:
        for i, w, _ in r["runs"]:
            counts[r["design"], i, w] = counts.get((r["design"], i, w), 0) + 1
    run_counts = pd.DataFrame([{"design": d, "member": i, "workstream": w, "runs": c}
                               for (d, i, w), c in sorted(counts.items())],
                              columns=["design", "member", "workstream", "runs"])
    outcomes = outcomes[OUTCOME_COLUMNS].sort_values(["sample", "design"], kind="stable",
                                                     key=lambda s: s.map(designs.index) if s.name == "design"
                                                     else s).reset_index(drop=True)
    base = pd.DataFrame([{"design": r["design"], "status": r["status"], "total_compute": r["total_compute"],
                          "savings": r["savings"], "plan": r["plan"]} for r in base_rows])
    return Sweep(
        instance=inst.name, designs=designs, seed=seed,
        inputs=pd.DataFrame(points, columns=[d.name for d in dims]).rename_axis("sample"),
        outcomes=outcomes, base=base, run_counts=run_counts,
        wall_seconds=sum(w for _, w, _ in parts), highs_seconds=sum(h for _, _, h in parts),
        workers=executor.workers, units=dict(inst.spec.units))
