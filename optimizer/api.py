"""The Python API: the CLI is a thin shell over these functions."""
from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Mapping


from .execution import Executor
from .instance import Instance, load_instance
from .comparison import Comparison, ComparisonRow, describe_design
from .plan_building import build_plan
from .results import Result
from .diagnosis import Finding, elastic_findings, presolve_findings
from .solver import Solution, SolverOptions, highs_version, solve_data
from .standalone import standalone_by_variant, standalone_optima, variant_key
from .tables import ModelData, derive
from .status import Status

if TYPE_CHECKING:  # pandas is imported where a table is made, not by a solve
    import pandas as pd

InstanceLike = Instance | str | os.PathLike | Mapping[str, Any]


def solve(instance: InstanceLike, design: str = "consortium", *, options: SolverOptions | None = None,
          standalone: dict[str, float | None] | None = None) -> Result:
    """Solve one design of an instance: the lexicographically optimal plan, its figures and the
    silo baseline.

    ``options`` (default ``SolverOptions()``) are how HiGHS solves; with ``check_unique`` (the
    default) one more MIP solve says whether the plan is the only optimal one (``Result.unique``).
    ``standalone`` may pass precomputed standalone optima (member -> compute or None).
    """
    inst = load_instance(instance)
    variant, settings = inst.design(design)
    data = derive(variant, settings, design)
    options = options or SolverOptions()
    sol, diagnosis = _solve_or_diagnose(variant, data, options)
    alone = standalone if standalone is not None else standalone_optima(data, options)
    info = {"name": "highs", "version": highs_version(), "options": options.as_dict()}
    plan = build_plan(data, sol, {i: alone.get(i) for i in data.members}, info,
                      diagnosis=[f.to_dict() for f in diagnosis], instance_hash=inst.content_hash,
                      instance_slug=inst.slug)
    return Result(plan, data, solve_seconds=sol.seconds + sol.build_seconds)


def _solve_or_diagnose(spec, data: ModelData, options: SolverOptions) -> tuple[Solution, list[Finding]]:
    """Solve; if the plan cannot work, say why (pre-solve checks first, then the elastic model)."""
    findings = presolve_findings(spec, data)
    if findings:
        return Solution(Status.INFEASIBLE, None, None, None, termination="pre-solve check"), findings
    sol = solve_data(data, options)
    if sol.trouble:
        return sol, [Finding("numerical", sol.trouble)]
    if sol.status != Status.INFEASIBLE:
        return sol, []
    elastic = solve_data(data, replace(options, check_unique=False), elastic=True)
    return sol, elastic_findings(spec, data, elastic.slacks) if elastic.objective is not None else []


def _solve_task(task: tuple) -> Result:
    inst, design, options, alone = task
    return solve(inst, design, options=options, standalone=alone)


def solve_designs(instance: InstanceLike, designs: list[str] | None = None, *,
                  executor: Executor | None = None, options: SolverOptions | None = None) -> list[Result]:
    """Solve several designs (default: every design, silo included); results in design order."""
    inst = load_instance(instance)
    designs = list(designs) if designs else inst.design_names
    for d in designs:
        inst.design(d)  # unknown names fail before any solving
    options = options or SolverOptions()
    alone = standalone_by_variant(inst, designs, options)
    tasks = [(inst, d, options, alone[variant_key(inst, d)]) for d in designs]
    return (executor or Executor(workers=1)).map(_solve_task, tasks, label="designs")


def compare_designs(instance: InstanceLike, designs: list[str] | None = None, *, workers: int | None = 1,
                    executor: Executor | None = None, options: SolverOptions | None = None) -> Comparison:
    """Solve several designs (default: all, silo included) and put them side by side."""
    inst = load_instance(instance)
    results = solve_designs(inst, designs, executor=executor or Executor(workers=workers), options=options)
    return comparison_of(inst, results)


def comparison_of(inst: Instance, results: list[Result]) -> Comparison:
    total = len(inst.spec.members)
    return Comparison(instance=inst.name, rows=[ComparisonRow.of(r.plan, total) for r in results],
                      plans=[r.plan for r in results],
                      settings={r.design: describe_design(r.design, inst.design(r.design)[1], total) for r in results},
                      solve_seconds={r.design: round(r.solve_seconds, 3) for r in results})


def compare(instance: InstanceLike, designs: list[str] | None = None, *, workers: int | None = 1,
            executor: Executor | None = None, options: SolverOptions | None = None) -> pd.DataFrame:
    """One row per design (the index) with status and the reported figures."""
    return compare_designs(instance, designs, workers=workers, executor=executor, options=options).table
