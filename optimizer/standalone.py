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

import pyomo.core as pyo

from .highs import Solution, SolverOptions
from .instance import Instance
from .model import Layer
from .schema import Design
from .solver import solve_data
from .status import Status, has_plan
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
    runs: dict[str, list] = {i: [] for i in data.members}
    for r in joint.runs:
        runs[r[0]].append(r)
    return {i: out.get(i, data.plan_compute(runs[i], [])) for i in data.members}


class GivingUp(Layer):
    """The joint silo in which every member may give up all its needs (``gives_up[i]``), minimising
    how many do. The members' blocks are independent, so exactly those that cannot manage alone
    give up: one solve says who, however many members there are."""

    name = "giving-up"
    objective = staticmethod(lambda m, d: sum(m.gives_up[i] for i in m.gives_up))

    def declare(self, m: pyo.ConcreteModel, d: ModelData) -> None:
        m.gives_up = pyo.Var(needy(d), domain=pyo.Binary)
        m.unmet = pyo.Expression(d.need_keys, rule=lambda m, i, w: m.gives_up[i])  # every need at once


def cannot_manage_alone(data: ModelData, options: SolverOptions) -> list[str] | None:
    """The members that cannot meet their needs alone (one solve of :class:`GivingUp`); None if
    that solve stopped before it found a plan (then members are solved one by one)."""
    sol = solve_data(silo_of(data, needy(data)), options, layer=GivingUp())
    if sol.status != Status.OPTIMAL:
        return None
    having = {(i, w) for i, w, _ in sol.runs}
    return [i for i in needy(data) if any((i, w) not in having for w in data.needs[i])]


def standalone_optima(data: ModelData, options: SolverOptions | None = None) -> dict[str, float | None]:
    """Each member's standalone optimum; None = infeasible alone.

    One joint solve (:func:`joint_standalone`); only when that joint problem is infeasible, one
    solve that finds who cannot manage alone (:func:`cannot_manage_alone`) and one joint solve of
    the others.
    """
    # standalone plans are not reported, only their compute: no uniqueness check
    options = replace(options or SolverOptions(), check_unique=False)
    joint = joint_standalone(data, lambda silo: solve_data(silo, options))
    if joint is not None:
        return dict(joint)
    out: dict[str, float | None] = {i: 0.0 for i in data.members}
    failing = cannot_manage_alone(data, options)
    if failing is not None:
        able = silo_of(data, [i for i in data.members if i not in failing])
        rest = joint_standalone(able, lambda silo: solve_data(silo, options))
        if rest is not None:
            return {**out, **rest, **dict.fromkeys(failing)}
    for i in needy(data):  # a limit stopped one of those solves: one by one
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
