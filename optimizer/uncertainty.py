"""Sampling the `uncertainty:` section and applying a sample to an instance.

Every uncertain input is a *dimension*: one multiplier drawn per sample. A section-wide
entry (``uncertainty.compute``) gives one dimension per id (workstream, member or type)
that has no entry of its own, or a single dimension for all of them with
``shared: true``; a per-id entry always gives its own dimension.

Samples are a scrambled Latin hypercube (``scipy.stats.qmc.LatinHypercube``) mapped through
each dimension's inverse CDF (``scipy.stats.triang`` / ``uniform``), so a seed reproduces
the same multipliers on any machine.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import qmc, triang, uniform

from .errors import UsageError
from .schema import Distribution, InstanceFile

KINDS = ("compute", "adoption", "budget", "throughput")
_SECTION = {"compute": "workstreams", "adoption": "workstreams", "budget": "members",
            "throughput": "accelerators"}


@dataclass(frozen=True)
class Dimension:
    kind: str  # compute | adoption | budget | throughput
    ids: tuple[str, ...]  # what the multiplier applies to
    dist: Distribution

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.ids[0]}" if len(self.ids) == 1 else f"{self.kind}:*"

    def ppf(self, u: np.ndarray) -> np.ndarray:
        d = self.dist
        if d.high == d.low:
            return np.full_like(u, d.low)
        if d.mode is None:
            return uniform.ppf(u, loc=d.low, scale=d.high - d.low)
        return triang.ppf(u, c=(d.mode - d.low) / (d.high - d.low), loc=d.low, scale=d.high - d.low)


def dimensions(spec: InstanceFile) -> list[Dimension]:
    """The uncertain inputs of an instance, in a fixed order."""
    unc = spec.uncertainty
    if unc is None:
        return []
    ids = {"workstreams": list(spec.workstreams), "members": list(spec.members),
           "accelerators": list(spec.accelerators)}
    own = {"workstreams": unc.workstreams, "members": unc.members, "accelerators": unc.accelerators}
    dims: list[Dimension] = []
    for kind in KINDS:
        section = _SECTION[kind]
        specific = {k: getattr(v, kind) for k, v in own[section].items() if getattr(v, kind) is not None}
        dims += [Dimension(kind, (k,), dist) for k, dist in specific.items()]
        overall: Distribution | None = getattr(unc, kind)
        if overall is None:
            continue
        rest = tuple(k for k in ids[section] if k not in specific)
        if overall.shared and rest:
            dims.append(Dimension(kind, rest, overall))
        else:
            dims += [Dimension(kind, (k,), overall) for k in rest]
    return dims


def draw(dims: list[Dimension], samples: int, seed: int) -> np.ndarray:
    """samples x len(dims) multipliers from a scrambled Latin hypercube."""
    if not dims:
        raise UsageError("the instance has no 'uncertainty:' section, so there is nothing to sweep "
                         "(see docs/sweeps.md)")
    u = qmc.LatinHypercube(d=len(dims), seed=seed).random(samples)
    return np.column_stack([dim.ppf(u[:, k]) for k, dim in enumerate(dims)])


def centre(dims: list[Dimension]) -> np.ndarray:
    """The multipliers at each distribution's mode: where the base plan is solved."""
    return np.array([d.dist.centre for d in dims])


def apply(spec: InstanceFile, dims: list[Dimension], multipliers: np.ndarray) -> InstanceFile:
    """A copy of ``spec`` with every estimate scaled by its sampled multiplier.

    A workstream's compute multiplier also scales members' ``estimates`` of it (compute and
    an explicit cost), since an explicit cost is money for that compute. Adoption fractions
    are capped at 1.
    """
    factor = {kind: {} for kind in KINDS}
    for dim, x in zip(dims, multipliers):
        for k in dim.ids:
            factor[dim.kind][k] = float(x)
    works = {}
    for w, ws in spec.workstreams.items():
        update = {"compute": ws.compute * factor["compute"].get(w, 1.0)}
        if w in factor["adoption"]:
            base = ws.adoption if ws.adoption is not None else spec.defaults.adoption
            update["adoption"] = min(1.0, base * factor["adoption"][w])
        works[w] = ws.model_copy(update=update)
    members = {}
    for i, m in spec.members.items():
        estimates = {}
        for w, est in m.estimates.items():
            f = factor["compute"].get(w, 1.0)
            estimates[w] = est.model_copy(update={
                "compute": None if est.compute is None else est.compute * f,
                "cost": None if est.cost is None else est.cost * f})
        f = factor["budget"].get(i, 1.0)  # a budget per period: every period's amount alike
        budget = [b * f for b in m.budget] if isinstance(m.budget, list) else m.budget * f
        members[i] = m.model_copy(update={"budget": budget, "estimates": estimates})
    accels = {h: a.model_copy(update={"throughput": a.throughput * factor["throughput"].get(h, 1.0)})
              for h, a in spec.accelerators.items()}
    return spec.model_copy(update={"workstreams": works, "members": members, "accelerators": accels})
