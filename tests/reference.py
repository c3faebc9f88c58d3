"""A plainly written exhaustive-search solver of the contract, independent of ``optimizer/``.

It reads the raw instance mapping (as a YAML file would give it), applies a design as the
contract says (overrides deep-merged, members, sharing, adoption factor, funding, objective),
enumerates every plan — for each member and workstream: nothing, adopt, or run on one of
its options — keeps the plans that meet constraints 1-7 (6' under pooled funding), and
returns the lexicographic optimum and every plan that ties with it. Only for tiny instances
(a few thousand plans). Also the cost game c(S) of docs/allocation.md and exact Shapley values.

Nothing here imports the project: a bug there cannot hide here.
"""
from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass, field
from typing import Any

TIE = 1e-9  # the contract's relative tolerance between lexicographic stages
FEAS = 1e-9  # relative slack on budget and capacity rows (the solver has its own tolerances)
DEFAULTS = {"hours": 2190.0, "adoption": 0.1, "price": 2.0}


def deep_merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for k, v in override.items():
            out[k] = deep_merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(override)


@dataclass
class Problem:
    """The contract's derived quantities for one design."""

    members: list[str]
    workstreams: list[str]
    sharing: bool
    pooled: bool
    objective: list[str]
    budget: dict
    publishes: dict
    needs: dict
    compute: dict
    cost: dict
    adoption: dict
    requires: dict
    replicas: dict
    required: dict
    options: dict  # (i, w) -> list of options ("rented" or accelerator types)
    hours: dict  # (i, w, h) -> fleet hours of one run
    capacity: dict  # (i, h) -> fleet[i][h] * hours


def problem(doc: dict, design: str = "consortium") -> Problem:
    spec = {"consortium": {}, "silo": {"sharing": "none"}}.get(design)
    if spec is None:
        spec = doc["designs"][design]
    base = {k: v for k, v in doc.items() if k != "designs"}
    inst = deep_merge(base, spec["overrides"]) if spec.get("overrides") else base
    defaults = {**DEFAULTS, **inst.get("defaults", {})}
    members = [i for i in inst["members"] if not spec.get("members") or i in spec["members"]]
    works = list(inst["workstreams"])
    factor = spec.get("adoption_factor", 1.0)
    p = Problem(members=members, workstreams=works, sharing=spec.get("sharing", "open") == "open",
                pooled=spec.get("funding", "lead") == "pooled",
                objective=list(spec.get("objective") or inst.get("objective") or ["compute", "money"]),
                budget={}, publishes={}, needs={}, compute={}, cost={}, adoption={}, requires={}, replicas={},
                required={}, options={}, hours={}, capacity={})
    for w in works:
        ws = inst["workstreams"][w]
        p.adoption[w] = min(1.0, ws.get("adoption", defaults["adoption"]) * factor)
        p.requires[w] = list(ws.get("requires", []))
        p.replicas[w] = ws.get("replicas", 1)
        p.required[w] = ws.get("required", False)
    for i in members:
        m = inst["members"][i]
        p.budget[i] = m["budget"]
        p.publishes[i] = m.get("publishes", True)
        p.needs[i] = list(m.get("needs", []))
        member_numbers(p, inst, i, defaults, defaults["hours"])
    return p


def member_numbers(p, inst: dict, i: str, defaults: dict, fleet_hours: float) -> None:
    """Member i's compute, cost, run options, fleet hours per run and capacities (the contract's
    "Derived quantities"), into ``p``; ``fleet_hours``: hours an accelerator is available."""
    m, accels = inst["members"][i], inst.get("accelerators", {})
    price = m.get("price", defaults["price"])
    fleet = m.get("fleet")
    for h, count in (fleet or {}).items():
        p.capacity[i, h] = count * fleet_hours
    for w in p.workstreams:
        ws = inst["workstreams"][w]
        est = m.get("estimates", {}).get(w, {})
        p.compute[i, w] = est.get("compute", ws["compute"])
        p.cost[i, w] = est.get("cost", p.compute[i, w] * price)
        if fleet is None:
            p.options[i, w] = ["rented"]
            continue
        ok = ws.get("accelerators", list(accels))
        p.options[i, w] = [h for h in fleet if h in ok and fleet[h] > 0
                           and fleet[h] >= ws.get("min_accelerators", 1)]
        for h in p.options[i, w]:
            p.hours[i, w, h] = p.compute[i, w] / accels[h]["throughput"]


@dataclass
class Plan:
    runs: frozenset  # (i, w, o)
    gets: frozenset  # (i, w)
    values: dict = field(default_factory=dict)


def within(x: float, limit: float) -> bool:
    return x <= limit + FEAS * max(1.0, abs(limit))


def pooled_fundable(p: Problem, has: set, runs, spend_adopt: dict) -> bool:
    """Can beneficiaries fund every run (6')? A transportation problem: workstream w needs its
    runs' cost, member i gives at most budget - adoption costs, only to w it has. By the
    supply-demand theorem (Gale) it is feasible iff for every set T of workstreams the members
    having some w in T can give at least what T needs."""
    need = {}
    for i, w, _ in runs:
        need[w] = need.get(w, 0.0) + p.cost[i, w]
    room = {i: p.budget[i] - spend_adopt[i] for i in p.members}
    if any(not within(0.0, room[i]) for i in p.members):
        return False
    ws = sorted(need)
    for k in range(1, len(ws) + 1):
        for t in itertools.combinations(ws, k):
            givers = {i for i in p.members if any((i, w) in has for w in t)}
            if not within(sum(need[w] for w in t), sum(max(room[i], 0.0) for i in givers)):
                return False
    return True


def feasible(p: Problem, runs, gets, unmet=frozenset(), replica_cap=None, required_short=None) -> bool:
    """Constraints 1-7 (6' when pooled) for one plan. ``unmet``/``replica_cap``/``required_short``
    are the cost game's relaxations (needs allowed unmet, replicas capped, required runs short)."""
    has = {(i, w) for i, w, _ in runs} | set(gets)
    count = {}
    for i, w, _ in runs:
        count[w] = count.get(w, 0) + 1
    for i in p.members:
        for w in p.needs[i]:
            if (i, w) not in has and (i, w) not in unmet:
                return False
        for w in p.workstreams:
            if (i, w) in has and any((i, v) not in has for v in p.requires[w]):
                return False
    for i, w in gets:
        if not any(v == w and j != i and p.publishes[j] for j, v, _ in runs):
            return False
    if p.sharing:
        for w in p.workstreams:
            r = p.replicas[w] if replica_cap is None else replica_cap[w]
            anyone = any((i, w) in has for i in p.members)
            short = 0 if required_short is None else required_short.get(w, 0)
            if anyone and count.get(w, 0) < r:
                return False
            if p.required[w] and count.get(w, 0) + short < r:
                return False
    spend_adopt = {i: sum(p.adoption[w] * p.cost[i, w] for j, w in gets if j == i) for i in p.members}
    if p.pooled:
        if not pooled_fundable(p, has, runs, spend_adopt):
            return False
    else:
        for i in p.members:
            spent = spend_adopt[i] + sum(p.cost[i, w] for j, w, _ in runs if j == i)
            if not within(spent, p.budget[i]):
                return False
    used = {}
    for i, w, o in runs:
        if (i, o) in p.capacity:
            used[i, o] = used.get((i, o), 0.0) + p.hours[i, w, o]
    return all(within(u, p.capacity[k]) for k, u in used.items())


def objective_values(p: Problem, runs, gets) -> dict:
    return {"compute": math.fsum([p.compute[i, w] for i, w, _ in runs]
                                 + [p.adoption[w] * p.compute[i, w] for i, w in gets]),
            "money": math.fsum([p.cost[i, w] for i, w, _ in runs]
                               + [p.adoption[w] * p.cost[i, w] for i, w in gets])}


def choices(p: Problem, i: str, w: str) -> list:
    out = [None]
    if p.sharing:
        out.append("get")
    return out + [("run", o) for o in p.options[i, w]]


def plan_count(p: Problem) -> int:
    return math.prod(len(choices(p, i, w)) for i in p.members for w in p.workstreams)


def all_plans(p: Problem):
    cells = [(i, w) for i in p.members for w in p.workstreams]
    for pick in itertools.product(*(choices(p, i, w) for i, w in cells)):
        runs = frozenset((i, w, c[1]) for (i, w), c in zip(cells, pick) if isinstance(c, tuple))
        gets = frozenset((i, w) for (i, w), c in zip(cells, pick) if c == "get")
        yield runs, gets


def lexicographic(candidates: list[Plan], order: list[str]) -> list[Plan]:
    """The plans that are lexicographically best, each objective within the tie tolerance of the
    best value among the plans left by the objectives before it."""
    for name in order:
        if not candidates:
            break
        best = min(c.values[name] for c in candidates)
        candidates = [c for c in candidates if c.values[name] <= best + TIE * max(1.0, abs(best))]
    return candidates


@dataclass
class Answer:
    status: str  # optimal | infeasible
    optimal: list[Plan]  # every plan tying for the lexicographic optimum

    @property
    def values(self) -> dict | None:
        return self.optimal[0].values if self.optimal else None

    @property
    def unique(self) -> bool | None:
        return len(self.optimal) == 1 if self.optimal else None


def solve(doc: dict, design: str = "consortium") -> Answer:
    p = problem(doc, design)
    plans = [Plan(r, g, objective_values(p, r, g)) for r, g in all_plans(p) if feasible(p, r, g)]
    best = lexicographic(plans, p.objective)
    return Answer("optimal" if best else "infeasible", best)


def silo_agrees(got: float | None, silo: tuple[float, float] | None) -> bool:
    """Is the project's silo_compute ``got`` the reference's: None, or within its range (1e-6)?"""
    if silo is None:
        return got is None
    low, high = silo
    slack = 1e-6 * max(abs(low), abs(high))
    return got is not None and low - slack <= got <= high + slack


def silo_compute(doc: dict, design: str = "consortium") -> tuple[float, float] | None:
    """The range of silo_compute: the sum over members of their standalone plans' compute
    (design silo, each member alone, the same objective order). A range because with compute
    not in the objective list, tied standalone plans may differ in compute. None when some
    member cannot meet its needs alone."""
    p = problem(doc, design)
    low = high = 0.0
    for i in p.members:
        alone = Problem(**{**p.__dict__, "members": [i], "sharing": False, "pooled": False})
        plans = [Plan(r, g, objective_values(alone, r, g)) for r, g in all_plans(alone)
                 if feasible(alone, r, g)]
        best = lexicographic(plans, p.objective)
        if not best:
            return None
        low += min(b.values["compute"] for b in best)
        high += max(b.values["compute"] for b in best)
    return low, high


# --- the cost game (docs/allocation.md) -----------------------------------------------------------

def coalition_value(doc: dict, design: str, coalition: list[str], penalty: float = 3.0) -> float:
    """c(S): least compute of S alone (design members: S) with replicas capped at the members of
    S able to run w, needs allowed unmet at penalty x compute[i,w], and required runs allowed
    short at penalty x the least compute[i,w] over the design's members, each."""
    full = problem(doc, design)
    if not coalition:
        return 0.0
    p = Problem(**{**full.__dict__, "members": list(coalition)})
    cap = {w: min(p.replicas[w], sum(1 for i in coalition if p.options[i, w])) for w in p.workstreams}
    cheapest = {w: min(full.compute[i, w] for i in full.members) for w in p.workstreams}
    needs = [(i, w) for i in coalition for w in p.needs[i]]
    required = [w for w in p.workstreams if p.required[w] and p.sharing]
    best = math.inf
    for runs, gets in all_plans(p):
        has = {(i, w) for i, w, _ in runs} | set(gets)
        unmet = frozenset(k for k in needs if k not in has)
        count = {w: sum(1 for _, v, _ in runs if v == w) for w in required}
        short = {w: max(0, cap[w] - count[w]) for w in required}
        if not feasible(p, runs, gets, unmet, cap, short):
            continue
        value = (objective_values(p, runs, gets)["compute"] + penalty * sum(p.compute[k] for k in unmet)
                 + penalty * sum(short[w] * cheapest[w] for w in required))
        best = min(best, value)
    return best


def game(doc: dict, design: str = "consortium", penalty: float = 3.0) -> tuple[list[str], dict]:
    members = problem(doc, design).members
    values = {}
    for mask in range(1 << len(members)):
        values[mask] = coalition_value(doc, design, [m for k, m in enumerate(members) if mask >> k & 1], penalty)
    return members, values


def shapley(members: list[str], values: dict) -> list[float]:
    """Average marginal cost over every order of the members (the definition, no formula)."""
    n = len(members)
    total = [0.0] * n
    orders = list(itertools.permutations(range(n)))
    for order in orders:
        mask = 0
        for k in order:
            total[k] += values[mask | 1 << k] - values[mask]
            mask |= 1 << k
    return [t / len(orders) for t in total]


def in_core(x: list[float], values: dict, tol: float = 1e-6) -> bool:
    n = len(x)
    return all(sum(x[k] for k in range(n) if mask >> k & 1) <= values[mask] + tol * max(1.0, abs(values[mask]))
               for mask in range(1, 1 << n))
