"""Uncertainty sweeps: solve every design under sampled estimates and summarise.

Per sample and design we record the status, the reported figures, the optimal plan, and
what the *base plan* (the plan optimal at the distributions' modes) would cost under that
sample — or that it no longer fits. Samples are independent tasks handed to an
:class:`~optimizer.execution.Executor` (local processes or a Dask cluster); results are
gathered by sample index, so the same seed gives the same tables whatever ran them.
:func:`sweep` returns a :class:`Sweep`, whose summary tables are computed once and read by
the report (:mod:`optimizer.report.sweep`) and the command line alike.
"""
from __future__ import annotations

import time
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.stats import spearmanr

from . import frames
from .check import violations
from .execution import DEFAULT_SWEEP_SAMPLES, Executor, chunks
from .formatting import clean
from .instance import Instance, load_instance
from .plan_building import build_plan
from .records import Count, Number, Text
from .solver import PersistentProblem, Solution, SolverOptions
from .standalone import joint_standalone, silo_compute, variant_key
from .status import has_plan
from .tables import ModelData, derive
from .uncertainty import Dimension, apply, centre, dimensions, draw

OUTCOME_COLUMNS = ["sample", "design", "status", "total_compute", "silo_compute", "compute_saved_vs_silo",
                   "enables_members", "duplicated_compute", "base_plan_feasible", "base_plan_compute", "plan"]
TIMED_OUTCOME_COLUMNS = OUTCOME_COLUMNS + ["last_ready"]  # with a horizon: the last need's period
BASE_COLUMNS = ["design", "status", "total_compute", "compute_saved_vs_silo", "plan", "binding_budgets"]
RUN_COUNT_COLUMNS = ["design", "member", "workstream", "runs"]


# --- one point of the uncertainty space -------------------------------------------------------
class SweepWorker:
    """One worker's state for one sweep (made per worker by the :class:`Executor`, dropped when
    the sweep's run ends): its persistent problems, built on first use and re-solved per sample
    (a sample changes numbers, never a model's structure), and the seconds they spent in HiGHS."""

    def __init__(self) -> None:
        self.problems: dict[tuple, PersistentProblem] = {}
        self.highs_seconds = 0.0

    def solve(self, inst: Instance, key: tuple, data: ModelData, options: SolverOptions,
              plan: tuple | None = None) -> Solution:
        """``data`` solved by this worker's persistent model for ``key`` (built on first use, with
        ``plan`` pinned if given)."""
        k = (inst.content_hash, options) + key
        if k not in self.problems:
            self.problems[k] = PersistentProblem(data, options, plan)
        sol = self.problems[k].solve(data)
        self.highs_seconds += sol.highs_seconds
        return sol


def plan_fits(data: ModelData, runs, gets, pinned_solve) -> bool:
    """Does a fixed plan still respect every budget and fleet under ``data``'s numbers?

    Under lead funding that is the solution checker's question (:func:`optimizer.check.violations`,
    every row from the numbers alone). Pooled funding needs a payment split, and a timed plan may
    keep who runs and adopts what at other periods, so those go through the solver with the
    plan's run and adoption decisions pinned.
    """
    if data.pooled or data.timed:
        return has_plan(pinned_solve(data).status)
    return not violations(data, runs, gets)


def _plan_key(runs) -> str:
    return ";".join(f"{i}/{w}/{o}" for i, w, o in sorted(runs))


def plan_figures(data: ModelData, sol: Solution) -> dict[str, Any]:
    """What a sweep records of one solve, a design's or its silo's: status, total compute, the
    compute of second and later runs of a workstream, and the plan (no plan: no figures).
    Unrounded: :func:`_solve_point` rounds once it knows what each figure is a difference of."""
    timed = {"last_ready": None} if data.timed else {}  # with a horizon: the period of the last need
    if not has_plan(sol.status):
        return {"status": sol.status, "total_compute": None, "duplicated_compute": None, "plan": "", **timed}
    if data.timed:
        ready = data.ready(sol.runs, sol.gets, sol.when)
        last = max((ready[k] for k in data.need_keys), default=None)
        timed["last_ready"] = None if last is None else data.label(last)
    return {"status": sol.status, "total_compute": data.plan_compute(sol.runs, sol.gets),
            "duplicated_compute": data.duplicated_compute(sol.runs), "plan": _plan_key(sol.runs), **timed}


def silo_at(worker: SweepWorker, inst: Instance, key: tuple, data: ModelData,
            options: SolverOptions) -> float | None:
    """silo_compute of ``data``'s members at this sample (:mod:`optimizer.standalone`), their
    joint standalone problem re-solved by ``worker``'s persistent model for ``key``; None when one
    of them cannot manage alone (a sweep needs only the total, not who fails alone)."""
    alone = joint_standalone(data, lambda joint: worker.solve(inst, ("silo", key), joint, options))
    return None if alone is None else silo_compute(alone, data.members)


def _solve_point(worker: SweepWorker, inst: Instance, designs: list[str], dims: list[Dimension], x: np.ndarray,
                 options: SolverOptions, base_plans: dict[str, tuple] | None) -> list[dict]:
    """Every design at one point of the uncertainty space: one outcome row each (with the
    plan's runs and adoptions, for the run counts and the base plan)."""
    rows = []
    silo_by_variant: dict[tuple, float | None] = {}
    for d in designs:
        variant, settings = inst.design(d)
        data = derive(apply(variant, dims, x), settings, d)
        key = (variant_key(inst, d), tuple(data.members))  # silo of this design's members
        if key not in silo_by_variant:
            silo_by_variant[key] = silo_at(worker, inst, key, data, options)
        silo = silo_by_variant[key]
        sol = worker.solve(inst, ("design", d), data, options)
        row = {"design": d, **plan_figures(data, sol), "silo_compute": silo, "runs": sol.runs, "gets": sol.gets}
        total = row["total_compute"]
        row["compute_saved_vs_silo"] = None if total is None or silo is None else silo - total
        # the design has a plan while some member of it cannot meet its needs alone (its silo is infeasible)
        row["enables_members"] = total is not None and silo is None
        if base_plans is None:  # the base point: which budgets bind in the plan at the modes
            row["binding_budgets"] = "; ".join(build_plan(data, sol, {}, {}).binding.budgets)
        if base_plans is not None:
            base_runs, base_gets = base_plans[d]
            pinned = lambda dd: worker.solve(inst, ("plan", d), dd, options, (base_runs, base_gets))  # noqa: E731
            ok = base_runs is not None and plan_fits(data, base_runs, base_gets, pinned)
            row["base_plan_feasible"] = ok
            row["base_plan_compute"] = data.plan_compute(base_runs, base_gets) if ok else None
        like = {"compute_saved_vs_silo": silo, "duplicated_compute": total}  # differences carry their operands' noise
        for k in ("total_compute", "silo_compute", "compute_saved_vs_silo", "duplicated_compute", "base_plan_compute"):
            row[k] = clean(row.get(k), like=like.get(k))
        rows.append(row)
    return rows


def noise_threshold(n: int) -> float | None:
    """|Spearman rho| below which a rank correlation over ``n`` samples is indistinguishable from no
    link: the two-sided 5% critical value under independence, about 1.96 / sqrt(n - 1) (the normal
    approximation; None below 3 samples)."""
    return 1.959964 / float(np.sqrt(n - 1)) if n >= 3 else None


def _sample_task(task: tuple, worker: SweepWorker) -> tuple[list[dict], float, float]:
    """Executor task: a chunk of samples. Returns (rows, wall seconds, HiGHS seconds)."""
    inst, designs, dims, points, options, base_plans = task
    t0, h0 = time.perf_counter(), worker.highs_seconds
    if not worker.problems:
        # build every persistent model from the centre point, not from whichever sample this worker
        # happens to get first: a model's units (optimizer.scaling) come from the numbers it is built
        # with, and which of several equally good plans a sample gets was seen to depend on them
        _solve_point(worker, inst, designs, dims, centre(dims), options, base_plans)
    rows = []
    for index, x in points:
        for row in _solve_point(worker, inst, designs, dims, np.asarray(x), options, base_plans):
            row["sample"] = index
            rows.append(row)
    return rows, time.perf_counter() - t0, worker.highs_seconds - h0


# --- the result ---------------------------------------------------------------------------------
def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready records (a named index first, as columns): pandas' missing values
    (NaN, <NA>) as None."""
    if any(name is not None for name in df.index.names):  # a named index: its ids are columns too
        df = df.reset_index()
    return [{k: (None if v is pd.NA or isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
            for r in df.to_dict("records")]


class Sweep(BaseModel):
    """A sweep's samples and outcomes, and the tables summarising them (each computed once, on
    first use; treat the DataFrames as read-only). Timings (``wall_seconds``, ``highs_seconds``,
    ``workers``) are not results: they reach no file."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True, extra="forbid")

    instance: Text
    designs: list[Text] = Field(min_length=1)
    seed: Count
    inputs: pd.DataFrame  # index: sample; one column per uncertain input, the multiplier drawn
    outcomes: pd.DataFrame  # one row per (sample, design): OUTCOME_COLUMNS
    base: pd.DataFrame  # one row per design, the plan at the modes: BASE_COLUMNS
    run_counts: pd.DataFrame  # RUN_COUNT_COLUMNS: samples in which member runs workstream
    wall_seconds: Number = 0.0
    highs_seconds: Number = 0.0
    workers: Count = 1
    units: dict[Text, Text] = Field(default_factory=dict)
    periods: list[Text] | None = None  # the horizon's labels; None: untimed

    @model_validator(mode="after")
    def _tables_have_their_columns(self) -> Sweep:
        outcome_columns = OUTCOME_COLUMNS if self.periods is None else TIMED_OUTCOME_COLUMNS
        for name, df, columns in (("outcomes", self.outcomes, outcome_columns), ("base", self.base, BASE_COLUMNS),
                                  ("run_counts", self.run_counts, RUN_COUNT_COLUMNS)):
            if list(df.columns) != columns:
                raise ValueError(f"Sweep.{name}: expected the columns {columns}, got {list(df.columns)}")
        if self.inputs.index.name != "sample":
            raise ValueError("Sweep.inputs: expected an index named 'sample'")
        if not set(self.outcomes.design) <= set(self.designs):
            raise ValueError("Sweep.outcomes: a design that is not in Sweep.designs")
        return self

    @property
    def samples(self) -> int:
        return int(self.inputs.shape[0])

    def __repr__(self) -> str:
        return (f"Sweep({frames.short(self.instance)!r}, samples={self.samples}, seed={self.seed}, "
                f"designs={len(self.designs)}, inputs={self.inputs.shape[1]}, workers={self.workers})")

    def outcomes_of(self, design: str) -> pd.DataFrame:
        return self.outcomes[self.outcomes.design == design]

    @cached_property
    def summary(self) -> pd.DataFrame:
        """Per design (index ``design``): compute saved vs silo's distribution, infeasibility and
        how the base plan holds up (columns and units in docs/api.md)."""
        rows = []
        for d in self.designs:
            o = self.outcomes_of(d)
            s = o.compute_saved_vs_silo.dropna().astype(float)
            base_ok = o.base_plan_feasible.astype(bool)
            regret = (o.base_plan_compute - o.total_compute).dropna().astype(float)
            rows.append({
                "design": d, "samples": len(o),
                "infeasible_share": float((o.status == "infeasible").mean()),
                # samples where the design has a plan while some member of it cannot manage alone
                "enables_members_share": float(o.enables_members.astype(bool).mean()) if len(o) else 0.0,
                "compute_saved_samples": int(len(s)),  # samples where both the design and silo are feasible
                "compute_saved_mean": float(s.mean()) if len(s) else None,
                "compute_saved_p5": float(s.quantile(0.05)) if len(s) else None,
                "compute_saved_p50": float(s.quantile(0.50)) if len(s) else None,
                "compute_saved_p95": float(s.quantile(0.95)) if len(s) else None,
                "total_compute_mean": float(o.total_compute.dropna().astype(float).mean())
                if o.total_compute.notna().any() else None,
                "base_plan_feasible_share": float(base_ok.mean()),
                "base_plan_compute_mean": float(o.base_plan_compute.dropna().astype(float).mean())
                if o.base_plan_compute.notna().any() else None,
                "base_plan_regret_mean": float(regret.mean()) if len(regret) else None,
                **self._last_ready(o),
            })
        table = pd.DataFrame(rows)
        compute = [c for c in table.columns if c.startswith(("compute_saved_", "total_", "base_plan_compute",
                                                               "base_plan_regret")) and c != "compute_saved_samples"]
        table[compute] = table[compute].map(clean).astype(float)  # compute figures: drop float noise
        kinds = {c: frames.FIGURE for c in table.columns} | {
            "design": frames.TEXT, "samples": frames.COUNT, "compute_saved_samples": frames.COUNT,
            "last_ready_p50": frames.TEXT, "last_ready_p95": frames.TEXT}
        return frames.typed(table, kinds).set_index("design")

    def _last_ready(self, o: pd.DataFrame) -> dict[str, str | None]:
        """With a horizon: the median and 95th percentile of the period the last need is ready in
        (over the samples with a plan; periods are ranked, so these are periods of some sample)."""
        if self.periods is None:
            return {}
        t = o.last_ready[o.last_ready.isin(self.periods)].map(self.periods.index)
        quantile = lambda q: self.periods[int(t.quantile(q, interpolation="higher"))] if len(t) else None  # noqa: E731
        return {"last_ready_p50": quantile(0.5), "last_ready_p95": quantile(0.95)}

    @cached_property
    def beats(self) -> pd.DataFrame:
        """P(row design needs strictly less total compute than column design), over all samples
        (a design with a plan beats one without; neither beats the other when both have none)."""
        wide = self.outcomes.pivot(index="sample", columns="design", values="total_compute")
        out = pd.DataFrame(index=pd.Index(self.designs, dtype=frames.TEXT, name="design"),
                           columns=pd.Index(self.designs, dtype=frames.TEXT, name="versus"), dtype=float)
        for a in self.designs:
            for b in self.designs:
                ta, tb = wide[a].astype(float), wide[b].astype(float)
                wins = (ta < tb - 1e-6 * tb.abs().clip(lower=1)) | (ta.notna() & tb.isna())
                out.loc[a, b] = float(wins.mean())
        return out

    @cached_property
    def sensitivity(self) -> pd.DataFrame:
        """Spearman rank correlation of each uncertain input with each design's compute saved vs silo
        (NaN where it is defined in fewer than 3 samples or does not vary), over how many samples, and
        the noise threshold for that many (:func:`noise_threshold`): ``significant`` when |rho| reaches it."""
        rows = []
        for d in self.designs:
            o = self.outcomes_of(d).set_index("sample").compute_saved_vs_silo.astype(float)
            for col in self.inputs.columns:
                x = self.inputs[col].reindex(o.index)
                ok = o.notna() & x.notna()
                n = int(ok.sum())
                rho = spearmanr(x[ok], o[ok]).statistic if n > 2 and o[ok].nunique() > 1 else np.nan
                limit = noise_threshold(n)
                rows.append({"design": d, "input": col, "spearman_rho": float(rho), "samples": n,
                             "noise_threshold": np.nan if limit is None else limit,
                             "significant": bool(not np.isnan(rho) and limit is not None and abs(rho) >= limit)})
        return frames.table(rows, ["design", "input", "spearman_rho", "samples", "noise_threshold", "significant"],
                            {"design": frames.TEXT, "input": frames.TEXT, "spearman_rho": frames.FIGURE,
                             "samples": frames.COUNT, "noise_threshold": frames.FIGURE, "significant": frames.FLAG},
                            ["design", "input"])

    @cached_property
    def drivers(self) -> dict[str, list[tuple[str, float]]]:
        """Per design, its inputs with a defined Spearman rho, largest |rho| first (ties in input
        order); empty for a design whose savings do not vary."""
        out: dict[str, list[tuple[str, float]]] = {d: [] for d in self.designs}
        for (d, name), rho in self.sensitivity.spearman_rho.items():
            if not np.isnan(rho):
                out[d].append((str(name), float(rho)))
        return {d: sorted(pairs, key=lambda p: -abs(p[1])) for d, pairs in out.items()}

    @cached_property
    def run_frequency(self) -> pd.DataFrame:
        """``run_counts`` with ``share``: the fraction of all samples in which member runs workstream
        (index ``(design, member, workstream)``)."""
        df = self.run_counts.copy()
        df["share"] = df["runs"] / self.samples if self.samples else 0.0
        kinds = {"design": frames.TEXT, "member": frames.TEXT, "workstream": frames.TEXT, "runs": frames.COUNT,
                 "share": frames.FIGURE}
        return frames.typed(df, kinds).set_index(["design", "member", "workstream"])

    @cached_property
    def base_binding_budgets(self) -> dict[str, list[str]]:
        """Per design, the members whose budget binds in its base plan (the plan at the modes)."""
        out = {d: [] for d in self.designs}
        for d, names in zip(self.base.design, self.base.binding_budgets):
            out[d] = [x for x in str(names or "").split("; ") if x]
        return out

    @cached_property
    def savings_by_design(self) -> dict[str, np.ndarray]:
        """Per design, its savings in the samples where they are defined."""
        return {d: self.outcomes_of(d).compute_saved_vs_silo.dropna().astype(float).to_numpy() for d in self.designs}

    @cached_property
    def savings_positive_share(self) -> dict[str, float | None]:
        """Per design, the share of samples with savings defined in which they are positive."""
        return {d: float((s > 1e-9).mean()) if len(s) else None for d, s in self.savings_by_design.items()}

    @cached_property
    def planned_samples(self) -> dict[str, int]:
        """Per design, the samples in which it has a plan."""
        return {d: int(self.outcomes_of(d).status.map(has_plan).sum()) for d in self.designs}

    @property
    def overhead_share(self) -> float:
        """Share of worker time not spent inside HiGHS."""
        return 1 - self.highs_seconds / self.wall_seconds if self.wall_seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The summaries as a JSON object (sweep.json, ``sweep --json``); nothing timed."""
        return {"instance": self.instance, "designs": self.designs, "seed": self.seed,
                "samples": self.samples, "inputs": list(self.inputs.columns),
                "summary": records(self.summary),
                "beats": {a: {b: float(self.beats.loc[a, b]) for b in self.designs} for a in self.designs},
                "sensitivity": records(self.sensitivity),
                "run_frequency": records(self.run_frequency),
                "base": records(self.base), "units": self.units}


def _run_counts(rows: list[dict]) -> pd.DataFrame:
    counts: dict[tuple, int] = {}
    for r in rows:
        for i, w, _ in r["runs"]:
            counts[r["design"], i, w] = counts.get((r["design"], i, w), 0) + 1
    return pd.DataFrame([{"design": d, "member": i, "workstream": w, "runs": c}
                         for (d, i, w), c in sorted(counts.items())], columns=RUN_COUNT_COLUMNS)


def sweep(instance, designs: list[str] | None = None, *, samples: int = DEFAULT_SWEEP_SAMPLES, seed: int = 0,
          workers: int | None = None, executor: Executor | None = None, options: SolverOptions | None = None,
          chunk_size: int | None = None) -> Sweep:
    """Solve ``designs`` (default: all) at ``samples`` Latin-hypercube points of the uncertainty,
    on ``workers`` processes (default: every core; or pass an ``executor``): the same seed gives
    the same tables whatever their number.

    ``options``' ``check_unique`` does not apply (a sweep reports no plan's uniqueness) and its
    solves run one HiGHS thread each unless ``threads`` is given."""
    inst = load_instance(instance)
    designs = list(designs) if designs else inst.design_names
    for d in designs:
        inst.design(d)
    dims = dimensions(inst.spec)
    points = draw(dims, samples, seed)
    options = (options or SolverOptions()).one_thread_each()
    executor = executor or Executor(workers=workers)
    base_rows = _solve_point(SweepWorker(), inst, designs, dims, centre(dims), options, None)
    base_plans = {r["design"]: (set(r["runs"]), set(r["gets"])) if has_plan(r["status"])
                  else (None, None) for r in base_rows}
    size = chunk_size or max(1, min(8, samples // (4 * executor.workers) or 1))
    batches = chunks([(k, list(points[k])) for k in range(samples)], size)
    tasks = [(inst, designs, dims, chunk, options, base_plans) for chunk in batches]
    parts = executor.map(_sample_task, tasks, label="samples", state=SweepWorker, sizes=[len(b) for b in batches])
    rows = [r for part, _, _ in parts for r in part]
    periods = inst.spec.horizon.labels if inst.spec.horizon else None
    outcomes = pd.DataFrame(rows)[OUTCOME_COLUMNS if periods is None else TIMED_OUTCOME_COLUMNS].sort_values(
        ["sample", "design"], kind="stable",
        key=lambda s: s.map(designs.index) if s.name == "design" else s).reset_index(drop=True)
    return Sweep(
        instance=inst.name, designs=designs, seed=seed,
        inputs=pd.DataFrame(points, columns=[d.name for d in dims]).rename_axis("sample"),
        outcomes=outcomes, base=pd.DataFrame(base_rows)[BASE_COLUMNS], run_counts=_run_counts(rows),
        wall_seconds=sum(w for _, w, _ in parts), highs_seconds=sum(h for _, _, h in parts),
        workers=executor.workers, units=dict(inst.spec.units), periods=periods)
