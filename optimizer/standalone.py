"""The silo baseline: what each member would need alone (design ``silo`` restricted to it), and
``silo_compute``, their sum, against which savings are measured.

Without sharing the members' problems are independent blocks (own budget, own fleet, no
adoption), so one solve of all of them together gives every standalone optimum: member i's
part of the joint optimum is optimal for i alone (:func:`joint_standalone`). How that joint
problem is solved is the caller's: a fresh model for a single solve (:func:`standalone_optima`),
a persistent model re-solved per sample for a sweep (:mod:`optimizer.sweep`).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from .highs import Solution, SolverOptions
from .instance import Instance
from .schema import Design
from .solver import solve_data
from .status import has_plan
from .tables import ModelData, derive, objective_order, silo_of


def needy(data: ModelData) -> list[str]:
    """The members that need something: the others spend nothing alone."""
    return [i for i in data.members if data.needs[i]]


def joint_standalone(data: ModelData, solve: Callable[[ModelData], Solution]) -> dict[str, float] | None:
    """Every member's standalone optimum from one ``solve`` of their joint silo problem
    (``silo_of(data, needy members)``); None when that problem has no plan, i.e. some member
    cannot manage alone. A member that needs nothing spends nothing alone, and is left out of
    the joint solve."""
    out = {i: 0.0 for i in data.members if not data.needs[i]}
    if len(out) == len(data.members):
        return out
    joint = solve(silo_of(data, needy(data)))
    if not has_plan(joint.status):
        return None
    return {i: out.get(i, data.plan_compute([r for r in joint.runs if r[0] == i], [])) for i in data.members}


def standalone_optima(data: ModelData, options: SolverOptions | None = None) -> dict[str, float | None]:
    """Each member's standalone optimum; None = infeasible alone.

    One joint solve (:func:`joint_standalone`); only when that joint problem is infeasible are
    members solved one by one, to say which cannot manage alone.
    """
    # standalone plans are not reported, only their compute: no uniqueness check
    options = replace(options or SolverOptions(), check_unique=False)
    joint = joint_standalone(data, lambda silo: solve_data(silo, options))
    if joint is not None:
        return dict(joint)
    out: dict[str, float | None] = {i: 0.0 for i in data.members}
    for i in needy(data):
        sol = solve_data(silo_of(data, [i]), options)
        out[i] = data.plan_compute(sol.runs, []) if has_plan(sol.status) else None
    return out


def silo_compute(standalone: dict[str, float | None], members: list[str]) -> float | None:
    """The silo baseline of ``members``: the sum of their standalone optima (unrounded), None when
    one of them cannot manage alone."""
    if any(standalone.get(i) is None for i in members):
        return None
    return sum(standalone[i] for i in members)


def variant_key(inst: Instance, design: str) -> tuple:
    """Designs with the same instance variant and objective order share their standalone optima."""
    variant, settings = inst.design(design)
    return (design if design in inst.variants else "", objective_order(variant, settings))


def standalone_by_variant(inst: Instance, designs: list[str], options: SolverOptions | None = None) -> dict[tuple, dict]:
    """Standalone optima of every member, once per distinct (instance variant, objective order)
    among ``designs``.

    Standalone problems ignore sharing, adoption factors and funding, so only a design's
    ``overrides`` and ``objective`` can change them.
    """
    out: dict[tuple, dict] = {}
    for d in designs:
        key = variant_key(inst, d)
        if key not in out:
            variant, _ = inst.design(d)
            silo = Design(sharing="none", objective=list(key[1]))
            out[key] = standalone_optima(derive(variant, silo, "silo"), options)
    return out
