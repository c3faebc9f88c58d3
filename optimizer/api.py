"""The Python API: the CLI is a thin shell over these functions."""
from __future__ import annotations

import os
from typing import Any, Mapping

from .instance import Instance, load_instance
from .results import Result, build_result
from .solver import DEFAULT_MIP_GAP, SolverOptions, highs_version, solve_data
from .tables import ModelData, derive, standalone


def _options(time_limit: float | None, mip_gap: float | None, threads: int | None) -> SolverOptions:
    return SolverOptions(time_limit=time_limit, mip_gap=DEFAULT_MIP_GAP if mip_gap is None else mip_gap,
                         threads=threads)


def standalone_optima(data: ModelData, options: SolverOptions) -> dict[str, float | None]:
    """Each member's standalone optimum (design 'silo' for that member alone); None = infeasible alone.

    A member that needs nothing spends nothing alone; no solve is needed for it.
    """
    out: dict[str, float | None] = {}
    for i in data.members:
        if not data.needs[i]:
            out[i] = 0.0
            continue
        sol = solve_data(standalone(data, i), options)
        out[i] = sol.objective if sol.status in ("optimal", "feasible") else None
    return out


def solve(instance: Instance | str | os.PathLike | Mapping[str, Any], design: str = "consortium", *,
          time_limit: float | None = None, mip_gap: float | None = None,
          threads: int | None = None) -> Result:
    """Solve one design of an instance: the optimal plan, its figures and the silo baseline."""
    inst = load_instance(instance)
    variant, settings = inst.design(design)
    data = derive(variant, settings, design)
    options = _options(time_limit, mip_gap, threads)
    sol = solve_data(data, options)
    alone = standalone_optima(data, options)
    info = {"name": "highs", "version": highs_version(), "options": options.as_dict()}
    result = build_result(data, sol, alone, info)
    result.instance_hash = inst.content_hash
    return result
