"""Derived tables: everything the model needs, computed once from (instance, design).

This is the "Derived quantities" section of the spec in code. The model builder only
reads :class:`ModelData`; it never looks at the instance file again.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from .schema import DEFAULT_OBJECTIVE, DEFAULT_TIMED_OBJECTIVE, Design, InstanceFile

RENTED = "rented"  # run option of a member without a fleet


@dataclass
class ModelData:
    instance: str
    design_name: str
    sharing: bool  # design.sharing == "open"
    pooled: bool  # design.funding == "pooled"
    members: list[str]
    workstreams: list[str]
    budget: dict[str, float]
    publishes: dict[str, bool]
    needs: dict[str, list[str]]
    compute: dict[tuple[str, str], float]  # compute[i,w]
    cost: dict[tuple[str, str], float]  # cost[i,w]
    adoption: dict[str, float]  # adoption[w], after the design's adoption_factor
    requires: dict[str, list[str]]
    replicas: dict[str, int]
    required: dict[str, bool]
    options: dict[tuple[str, str], list[str]]  # run options o of (i,w): accelerator types or RENTED
    hours: dict[tuple[str, str, str], float]  # fleet hours a run uses: compute[i,w] / throughput[h]
    capacity: dict[tuple[str, str], float]  # fleet[i][h] * fleet_hours
    units: dict[str, str] = field(default_factory=dict)
    objective: tuple[str, ...] = DEFAULT_OBJECTIVE  # lexicographic order of objective names
    fleet_hours: float = 2190.0  # hours an accelerator is available: over the horizon, or per period
    # The horizon (spec v2); periods None: nothing is timed. Periods are numbered t = 1..T.
    periods: list[str] | None = None  # labels
    duration: dict[str, int] = field(default_factory=dict)  # duration[w], periods (1 untimed)
    release: dict[str, int] = field(default_factory=dict)  # release[w]: earliest start period
    due: dict[tuple[str, str], int] = field(default_factory=dict)  # due[i,w] for w in needs[i]
    publish_lag: int = 0
    period_budget: dict[tuple[str, int], float] = field(default_factory=dict)  # (i,t) of list budgets

    @property
    def timed(self) -> bool:
        return self.periods is not None

    @property
    def T(self) -> int:  # noqa: N802 (the contract's name)
        return len(self.periods) if self.periods else 1

    @property
    def need_keys(self) -> list[tuple[str, str]]:
        return [(i, w) for i in self.members for w in self.needs[i]]

    @property
    def capacity_keys(self) -> list[tuple]:
        """Capacity rows: (i, h), or (i, h, t) for every period with a horizon."""
        if not self.timed:
            return list(self.capacity)
        return [(i, h, t) for i, h in self.capacity for t in range(1, self.T + 1)]

    @property
    def pay_keys(self) -> list[tuple]:
        """pay[i,w] under pooled funding, pay[i,w,t] when some budget is a list (spec, "Horizon")."""
        per_period = range(1, self.T + 1) if self.period_budget else [None]
        return [(i, w) if t is None else (i, w, t) for i in self.members for w in self.workstreams for t in per_period]

    def per_period(self, i: str) -> bool:
        """Is member i's budget a list, one limit per period?"""
        return (i, 1) in self.period_budget

    def starts(self, w: str) -> range:
        """Periods s a run of w may start in: release[w] <= s and s + duration[w] - 1 <= T."""
        return range(self.release.get(w, 1), self.T - self.duration.get(w, 1) + 2)

    def end(self, w: str, s: int) -> int:
        return s + self.duration.get(w, 1) - 1

    def active(self, w: str, s: int, t: int) -> bool:
        """Is a run of w that starts in s under way in period t?"""
        return s <= t <= self.end(w, s)

    def ready_periods(self, w: str) -> range:
        """Periods an adoption of w may be ready in: from the earliest end of a run plus the lag."""
        return range(self.release.get(w, 1) + self.duration.get(w, 1) - 1 + self.publish_lag, self.T + 1)

    def label(self, t: int) -> str:
        return self.periods[t - 1]

    @property
    def run_keys(self) -> list[tuple[str, str, str]]:
        return [(i, w, o) for i in self.members for w in self.workstreams for o in self.options[i, w]]

    def runners(self, w: str, exclude: str | None = None, publishing_only: bool = False) -> list[tuple[str, str]]:
        """(member, option) pairs able to run w."""
        return [(j, o) for j in self.members if j != exclude
                and (not publishing_only or self.publishes[j]) for o in self.options[j, w]]

    def prerequisite_closure(self, roots: list[str]) -> set[str]:
        """Every workstream reachable from ``roots`` through ``requires`` (roots excluded)."""
        seen: set[str] = set()
        stack = [v for w in roots for v in self.requires[w]]
        while stack:
            v = stack.pop()
            if v not in seen:
                seen.add(v)
                stack.extend(self.requires[v])
        return seen

    def may_have(self, i: str) -> set[str]:
        """Workstreams member i can have a reason to have under lead funding: its needs, their
        prerequisites, and the prerequisites of anything it could run (for others)."""
        runnable = [w for w in self.workstreams if self.options[i, w]]
        return set(self.needs[i]) | self.prerequisite_closure(list(self.needs[i]) + runnable)

    def without_idle_runs(self) -> "ModelData":
        """Without sharing, the run options no optimal plan uses dropped (docs/model.md, "Reductions"):
        what the model is built from; the contract's options (and the checker) stay in ``self``.

        A member that shares nothing has no reason to run a workstream outside its needs and their
        prerequisites: such a run adds compute (always > 0) and its cost to the plan and helps no
        one, so dropping it keeps any plan feasible and lowers the first objective it adds to.
        Kept where it adds to no objective of the list (then it is an equally good alternative,
        which the uniqueness check must see). This keeps the silo of many members linear in size.
        """
        if self.sharing:
            return self
        options = dict(self.options)
        for i in self.members:
            wanted = set(self.needs[i]) | self.prerequisite_closure(self.needs[i])
            for w in self.workstreams:
                if w not in wanted and options[i, w] and self.run_costs_something(i, w):
                    options[i, w] = []
        return replace(self, options=options, hours={k: v for k, v in self.hours.items() if k[2] in options[k[:2]]})

    def run_costs_something(self, i: str, w: str) -> bool:
        """Does running w add to some objective of the list (time counts needs only)?"""
        return "compute" in self.objective or ("money" in self.objective and self.cost[i, w] > 0)

    def adoption_costs_something(self, i: str, w: str) -> bool:
        """Does adopting w add to some objective of the list? (Then an adoption without a
        reason makes a plan strictly worse, not an equally good alternative.)"""
        # time counts needs only, and a need is always a reason to have w
        per_objective = {"compute": self.compute[i, w], "money": self.cost[i, w], "time": 0.0}
        return self.adoption[w] > 0 and any(per_objective[name] > 0 for name in self.objective)

    @property
    def get_keys(self) -> list[tuple[str, str]]:
        """(i,w) where the contract allows adopting (sharing open, some publisher j != i can run w),
        less the adoptions no optimal plan makes (docs/model.md, "Reductions").

        Only under lead funding: there an adoption outside :meth:`may_have` only spends, so
        dropping it from any plan keeps the plan feasible and lowers the first objective it adds
        to. Under pooled funding having w is also what lets a member pay towards w's runs, so
        every allowed adoption is kept.
        """
        if not self.sharing:
            return []
        # publishing runs of w by anyone: some j != i can run w when i's own do not make them all
        # (counted once, not by scanning every member per (i, w): that was members² x workstreams)
        published = {w: len(self.runners(w, publishing_only=True)) for w in self.workstreams}
        keys = []
        for i in self.members:
            wanted = None if self.pooled else self.may_have(i)
            keys += [(i, w) for w in self.workstreams
                     if published[w] > (len(self.options[i, w]) if self.publishes[i] else 0)
                     and len(self.ready_periods(w))
                     and (wanted is None or w in wanted or not self.adoption_costs_something(i, w))]
        return keys

    def plan_compute(self, runs, gets) -> float:
        """Total compute of a plan (runs (i,w,o), gets (i,w)); fsum, so the result does not depend
        on iteration order (plans are sets, whose order varies between processes)."""
        return math.fsum([self.compute[i, w] for i, w, _ in runs]
                         + [self.adoption[w] * self.compute[i, w] for i, w in gets])

    def duplicated_compute(self, runs) -> float:
        """Every run (i,w,o) of a workstream but its cheapest: the compute spent twice."""
        by: dict[str, list[float]] = {}
        for i, w, _ in runs:
            by.setdefault(w, []).append(self.compute[i, w])
        return sum((sum(c) - min(c) for c in by.values()), 0.0)

    def plan_money(self, runs, gets) -> float:
        """Total money of a plan: what its runs and adoptions cost, whoever pays."""
        return math.fsum([self.cost[i, w] for i, w, _ in runs]
                         + [self.adoption[w] * self.cost[i, w] for i, w in gets])

    def ready(self, runs, gets, when) -> dict[tuple[str, str], int]:
        """The period each (i,w) a timed plan has is ready in: a run's end, an adoption's period.
        ``when`` maps a run (i,w,o) to its start and an adoption (i,w) to its ready period."""
        out = {(i, w): self.end(w, when[i, w, o]) for i, w, o in runs}
        out.update({(i, w): when[i, w] for i, w in gets})
        return out

    def plan_time(self, runs, gets, when) -> int:
        """The `time` objective: the sum over members' needs of the period each is ready in."""
        ready = self.ready(runs, gets, when)
        return sum(ready.get((i, w), 0) for i in self.members for w in self.needs[i])

    def plan_objectives(self, runs, gets, when=None) -> dict[str, float]:
        """The value of every objective of ``self.objective`` for a plan (``when``: its timing)."""
        value = {"compute": lambda: self.plan_compute(runs, gets), "money": lambda: self.plan_money(runs, gets),
                 "time": lambda: float(self.plan_time(runs, gets, when))}
        return {name: value[name]() for name in self.objective}


def member_price(spec: InstanceFile, member: str) -> float:
    """A member's price (money per compute unit): its own, else the defaults'."""
    price = spec.members[member].price
    return price if price is not None else spec.defaults.price


def derive(spec: InstanceFile, design: Design, design_name: str) -> ModelData:
    """The spec's derived quantities for one design of one instance."""
    members = [m for m in spec.members if design.members is None or m in design.members]
    workstreams = list(spec.workstreams)
    price = {i: member_price(spec, i) for i in members}
    horizon = spec.horizon
    periods = horizon.labels if horizon else None
    fleet_hours = spec.defaults.hours  # over the whole horizon untimed, per period timed
    if horizon:
        fleet_hours = horizon.hours if horizon.hours is not None else spec.defaults.hours / len(periods)
    compute, cost, options, hours, capacity = {}, {}, {}, {}, {}
    for i in members:
        m = spec.members[i]
        for h, count in (m.fleet or {}).items():
            capacity[i, h] = count * fleet_hours
        for w in workstreams:
            ws = spec.workstreams[w]
            est = m.estimates.get(w)
            compute[i, w] = est.compute if est and est.compute is not None else ws.compute
            cost[i, w] = est.cost if est and est.cost is not None else compute[i, w] * price[i]
            if m.fleet is None:
                options[i, w] = [RENTED]
                continue
            compatible = ws.accelerators if ws.accelerators is not None else list(spec.accelerators)
            options[i, w] = [h for h in m.fleet
                             if h in compatible and m.fleet[h] > 0 and m.fleet[h] >= ws.min_accelerators]
            for h in options[i, w]:
                hours[i, w, h] = compute[i, w] / spec.accelerators[h].throughput
    adoption = {}
    for w, ws in spec.workstreams.items():
        base = ws.adoption if ws.adoption is not None else spec.defaults.adoption
        adoption[w] = min(1.0, base * design.adoption_factor)
    budget = {i: spec.members[i].budget for i in members}
    period_budget = {(i, t): b for i in members if isinstance(budget[i], list) for t, b in enumerate(budget[i], 1)}
    budget = {i: math.fsum(b) if isinstance(b, list) else b for i, b in budget.items()}  # a list: its total
    timing = {}
    if horizon:
        last = len(periods)
        timing = dict(
            periods=periods, publish_lag=spec.defaults.publish_lag or 0, period_budget=period_budget,
            duration={w: ws.duration or 1 for w, ws in spec.workstreams.items()},
            release={w: horizon.index(ws.release) if ws.release is not None else 1
                     for w, ws in spec.workstreams.items()},
            due={(i, w): horizon.index(spec.members[i].due[w]) if w in spec.members[i].due else last
                 for i in members for w in spec.members[i].needs})
    return ModelData(
        instance=spec.name,
        design_name=design_name,
        sharing=design.sharing == "open",
        pooled=design.funding == "pooled",
        members=members,
        workstreams=workstreams,
        budget=budget,
        publishes={i: spec.members[i].publishes for i in members},
        needs={i: list(spec.members[i].needs) for i in members},
        compute=compute,
        cost=cost,
        adoption=adoption,
        requires={w: list(ws.requires) for w, ws in spec.workstreams.items()},
        replicas={w: ws.replicas for w, ws in spec.workstreams.items()},
        required={w: ws.required for w, ws in spec.workstreams.items()},
        options=options,
        hours=hours,
        capacity=capacity,
        units={"compute": spec.units.compute, "money": spec.units.money},
        objective=objective_order(spec, design),
        fleet_hours=fleet_hours,
        **timing,
    )


def objective_order(spec: InstanceFile, design: Design) -> tuple[str, ...]:
    """A design's objective list replaces the instance's; neither: the contract's default."""
    default = DEFAULT_TIMED_OBJECTIVE if spec.horizon else DEFAULT_OBJECTIVE
    return tuple(design.objective or spec.objective or default)


def silo_of(data: ModelData, members: list[str]) -> ModelData:
    """``members`` alone and without sharing: design 'silo' restricted to them. With one
    member this is the spec's standalone problem; with several, their independent blocks."""
    keep = set(members)
    only = lambda table: {k: v for k, v in table.items() if k[0] in keep}  # noqa: E731
    return replace(
        data, design_name="silo", sharing=False, pooled=False, members=list(members),
        budget={i: data.budget[i] for i in members}, publishes={i: data.publishes[i] for i in members},
        needs={i: data.needs[i] for i in members}, compute=only(data.compute), cost=only(data.cost),
        options=only(data.options), hours=only(data.hours), capacity=only(data.capacity),
        due=only(data.due), period_budget=only(data.period_budget))
