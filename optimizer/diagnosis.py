"""Why a plan cannot work, in the user's terms.

Two layers:

1. :func:`presolve_findings` — checks that need no MIP: a needed (or required)
   workstream nobody can run, a replica count above the number of members able to run
   a workstream, and a member whose needs cost more than its budget even when it adopts
   everything it can. If any fires, the design is infeasible and the MIP is not built.
2. :func:`elastic_findings` — when the MIP itself is infeasible, an elastic copy of it
   (the base model with the :data:`ELASTIC` layer on top) is solved. Every budget gets a shortfall in money,
   every owned fleet type a shortfall in hours, every need an ``unmet`` switch and every
   required workstream a ``runs_short`` count. Penalties (documented in docs/model.md):

   * a budget shortfall costs ``shortfall / max(budget, mean budget)`` — raising a
     budget by its own size costs 1;
   * a fleet shortfall costs ``shortfall / max(capacity, mean capacity)`` likewise;
   * an unmet need or a missing required run costs ``UNMET_PENALTY`` (= 10, as much as
     raising a budget tenfold);
   * total compute enters with weight ``1e-6 / scale`` only to choose among equally small
     repairs.

   The smallest repair under these weights is reported: "lab-b needs 1.2M USD more
   budget", "lab-a's H100 fleet is 12,000 hours short", "tiny-lab's need 'x' cannot be
   met".
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import pyomo.core as pyo  # the modelling layer only: pyomo.environ would also load every plugin (~0.25 s)

from .formatting import noun
from .model import Layer, required
from .objectives import total_compute
from .schema import InstanceFile
from .tables import ModelData

UNMET_PENALTY = 10.0
LATE_PENALTY = 5.0  # a need ready after its due period: half as bad as not having it at all


@dataclass(frozen=True)
class Finding:
    kind: str  # no_runner | cannot_obtain | replicas | budget | capacity | unmet_need | required_runs | numerical
    message: str
    member: str | None = None
    workstream: str | None = None
    resource: str | None = None  # "budget", an accelerator type, or "runs"
    amount: float | None = None  # how much is missing, in ``unit``
    unit: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _num(x: float) -> str:
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.2f}M"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.4g}"


def wanted_closure(d: ModelData, i: str) -> list[str]:
    """needs[i] and all their prerequisites, in workstream order."""
    want = set(d.needs[i]) | d.prerequisite_closure(d.needs[i])
    return [w for w in d.workstreams if w in want]


def _why_nobody_runs(spec: InstanceFile, d: ModelData, w: str) -> Finding:
    ws = spec.workstreams[w]
    types = ws.accelerators if ws.accelerators is not None else list(spec.accelerators)
    fleets = [(spec.members[i].fleet.get(h, 0), h, i) for i in d.members if spec.members[i].fleet
              for h in types if spec.members[i].fleet.get(h, 0) > 0]
    kinds = "/".join(types) if types else "any accelerator"
    head = f"no member can run {w}: it needs {ws.min_accelerators} {kinds}"
    if not fleets:
        return Finding("no_runner", f"{head} and no member owns any of them (and no member rents)",
                       workstream=w, resource=kinds, amount=float(ws.min_accelerators), unit="accelerators")
    size, h, i = max(fleets)
    short = ws.min_accelerators - size
    return Finding("no_runner", f"{head} and the largest such fleet is {size} ({i}'s {h}), short by {short}; "
                   "no member rents", member=i, workstream=w, resource=h, amount=float(short), unit="accelerators")


def presolve_findings(spec: InstanceFile, d: ModelData) -> list[Finding]:
    """Reasons for infeasibility that are visible without solving anything."""
    out: list[Finding] = []
    money = d.units.get("money", "money")
    runners = {w: [j for j in d.members if d.options[j, w]] for w in d.workstreams}
    # publishing runners of w, at most two: enough to tell whether someone other than i publishes
    publishers = {w: [j for j in runners[w] if d.publishes[j]][:2] for w in d.workstreams}
    wanted = {w for i in d.members for w in wanted_closure(d, i)}
    if d.sharing:
        wanted |= {w for w in d.workstreams if d.required[w]}
    for w in d.workstreams:
        if w in wanted and not runners[w]:
            out.append(_why_nobody_runs(spec, d, w))
        elif d.sharing and w in wanted and len(runners[w]) < d.replicas[w]:
            out.append(Finding(
                "replicas", f"{w} asks for {d.replicas[w]} independent runs but only {len(runners[w])} "
                f"{noun(len(runners[w]), 'member')} can run it ({', '.join(runners[w])})", workstream=w, resource="runs",
                amount=d.replicas[w] - len(runners[w]), unit="runs"))
    for i in d.members:
        least = 0.0
        for w in wanted_closure(d, i):
            if not runners[w]:
                continue  # reported above; the budget bound covers what can be had at all
            adoptable = d.sharing and any(j != i for j in publishers[w])
            ways = []
            if adoptable:
                ways.append(d.adoption[w] * d.cost[i, w])
            if d.options[i, w]:
                ways.append(0.0 if d.pooled else d.cost[i, w])  # pooled: others may fund the run
            if not ways:
                why = ("it cannot run it and no other publishing member can" if d.sharing
                       else "it cannot run it alone")
                out.append(Finding("cannot_obtain", f"{i} needs {w} but {why}", member=i, workstream=w))
                least = float("nan")
                break
            least += min(ways)
        if least == least and least > d.budget[i] * (1 + 1e-9) + 1e-9:
            short = least - d.budget[i]
            how = "even adopting everything it can" if d.sharing else "running everything itself"
            out.append(Finding(
                "budget", f"{i} needs at least {_num(least)} {money} for its needs and their "
                f"prerequisites {how}, but its budget is {_num(d.budget[i])}: {_num(short)} {money} short",
                member=i, resource="budget", amount=round(short, 6), unit=money))
    return out + late_findings(d)


def earliest_ready(d: ModelData) -> dict[tuple[str, str], tuple[int, list[str]]]:
    """(i, w) -> the earliest period i can have w ready, budgets and fleet capacity aside, and the
    chain that sets it ("fp8-kernels (lab-a, Q1-Q1)", ...). A period after T: not within the horizon.

    A run of w by i starts at the earliest in max(release[w], the periods after i has every
    prerequisite); an adoption is ready at the earliest when some publishing j != i's earliest run
    has ended plus the publish lag, and i has the prerequisites by then."""
    memo: dict[tuple[str, str], tuple[int, list[str]]] = {}

    def prerequisites(i: str, w: str) -> tuple[int, list[str]]:
        return max((ready(i, v) for v in d.requires[w]), default=(0, []), key=lambda r: r[0])

    def run_end(j: str, w: str) -> tuple[int, list[str]]:
        if not d.options[j, w]:
            return d.T + 1, []
        before, chain = prerequisites(j, w)
        start = max(d.release[w], before + 1)
        end = d.end(w, start)
        span = d.label(start) if start <= d.T else f"period {start}"
        last = d.label(end) if end <= d.T else f"period {end}"
        return end, chain + [f"{w} run by {j} ({span}-{last})"]

    def ready(i: str, w: str) -> tuple[int, list[str]]:
        if (i, w) not in memo:
            ways = [run_end(i, w)]
            sources = [j for j in d.members if j != i and d.publishes[j]] if d.sharing else []
            for j in sources:
                end, chain = run_end(j, w)
                before, mine = prerequisites(i, w)
                ways.append((max(end + d.publish_lag, before), mine + chain + [f"adopted by {i}"]))
            memo[i, w] = min(ways, key=lambda r: r[0])
        return memo[i, w]

    return {(i, w): ready(i, w) for i, w in d.need_keys}


def late_findings(d: ModelData) -> list[Finding]:
    """Needs that cannot be ready by their due period whatever the money and fleets."""
    if not d.timed:
        return []
    out = []
    for (i, w), (period, chain) in earliest_ready(d).items():
        due = d.due[i, w]
        if period <= due:
            continue
        when = f"before {d.label(period)}" if period <= d.T else "within the horizon"
        fix = (f"a due period of {d.label(period)} or later" if period <= d.T else "a longer horizon")
        out.append(Finding("late", f"{i}'s need {w} cannot be ready {when} (earliest: {'; '.join(chain)}), "
                           f"but it is due by {d.label(due)}: {fix}, a shorter chain or an earlier release "
                           "would make it possible", member=i, workstream=w, resource="time",
                           amount=float(period - due), unit="periods"))
    return out


def elastic_objective(m: pyo.ConcreteModel, d: ModelData):
    budgets = [b for b in d.budget.values() if b > 0]
    mean_budget = sum(budgets) / len(budgets) if budgets else 1.0
    caps = list(d.capacity.values()) or [1.0]
    mean_cap = sum(caps) / len(caps)
    scale = sum(d.compute.values()) or 1.0
    period_budgets = [b for b in d.period_budget.values() if b > 0]
    mean_period_budget = sum(period_budgets) / len(period_budgets) if period_budgets else 1.0
    return (sum(m.budget_short[i] / max(d.budget[i], mean_budget) for i in d.members)
            + sum(m.period_budget_short[k] / max(d.period_budget[k], mean_period_budget) for k in m.period_budget_short)
            + sum(m.hours_short[k] / max(d.capacity[k[:2]], mean_cap, 1e-9) for k in m.hours_short)
            + LATE_PENALTY * sum(m.late[k] for k in m.late)
            + UNMET_PENALTY * sum(m.unmet[k] for k in m.unmet)
            + UNMET_PENALTY * sum(m.runs_short[k] for k in m.runs_short)
            + 1e-6 / scale * total_compute(m, d))


class Shortfalls(Layer):
    """The elastic layer: every need may go unmet, every required workstream run short, every
    budget and fleet capacity be exceeded, each at a price (:func:`elastic_objective`), so the
    model always has a plan and its cheapest repair says why the real one has none."""

    name = "elastic"
    objective = staticmethod(lambda m, d: elastic_objective(m, d))

    def declare(self, m: pyo.ConcreteModel, d: ModelData) -> None:
        m.unmet = pyo.Var(d.need_keys, domain=pyo.Binary)
        m.runs_short = pyo.Var(required(d), domain=pyo.NonNegativeIntegers)
        m.budget_short = pyo.Var(d.members, domain=pyo.NonNegativeReals)
        m.hours_short = pyo.Var(d.capacity_keys, domain=pyo.NonNegativeReals)
        m.period_budget_short = pyo.Var(list(d.period_budget), domain=pyo.NonNegativeReals)
        m.late = pyo.Var([(i, w) for i, w in d.need_keys if d.timed and d.due[i, w] < d.T], domain=pyo.Binary)


ELASTIC = Shortfalls()


def elastic_findings(spec: InstanceFile, d: ModelData, slacks: dict[str, dict]) -> list[Finding]:
    """Translate the elastic model's shortfalls into findings."""
    money = d.units.get("money", "money")
    out = []
    for i, short in sorted(slacks.get("budget_short", {}).items()):
        out.append(Finding("budget", f"{i} needs {_num(short)} {money} more budget "
                           f"(budget {_num(d.budget[i])}, the cheapest workable plan needs "
                           f"{_num(d.budget[i] + short)})", member=i, resource="budget",
                           amount=round(short, 6), unit=money))
    for (i, t), short in sorted(slacks.get("period_budget_short", {}).items()):
        out.append(Finding("budget", f"{i} needs {_num(short)} {money} more budget in {d.label(t)} "
                           f"(budget there {_num(d.period_budget[i, t])})", member=i, resource="budget",
                           amount=round(short, 6), unit=money))
    hours = d.fleet_hours
    for key, short in sorted(slacks.get("hours_short", {}).items()):
        i, h = key[:2]
        extra = short / hours
        span = (f"in {d.label(key[2])} (about {extra:,.1f} more {h} for its {hours:,.0f} hours)" if d.timed
                else f"(about {extra:,.1f} more {h} over the {hours:,.0f}-hour horizon)")
        out.append(Finding("capacity", f"{i}'s {h} fleet is {_num(short)} accelerator-hours short {span}",
                           member=i, resource=h, amount=round(short, 6), unit=f"{h}-hours"))
    for (i, w) in sorted(slacks.get("late", {})):
        out.append(Finding("late", f"{i}'s need {w} cannot be ready by its due period {d.label(d.due[i, w])} "
                           "within the budgets and fleets above", member=i, workstream=w, resource="time"))
    for (i, w) in sorted(slacks.get("unmet", {})):
        out.append(Finding("unmet_need", f"{i}'s need {w} cannot be met within any budget or fleet "
                           "change this diagnosis considers", member=i, workstream=w))
    for w, short in sorted(slacks.get("runs_short", {}).items()):
        out.append(Finding("required_runs", f"required workstream {w} is {round(short)} {noun(round(short), 'run')} short",
                           workstream=w, resource="runs", amount=round(short), unit="runs"))
    return out
