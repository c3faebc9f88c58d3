"""A plainly written exhaustive-search solver of the timed contract (docs: spec "Horizon", v2),
independent of ``optimizer/``.

It reads the raw instance mapping with a ``horizon:`` section, applies a design exactly as
tests/reference.py does (overrides deep-merged, members, sharing, adoption factor, funding,
objective), enumerates every timed plan — for each member and workstream: nothing, adopt with a
ready period a, or run on option o starting in period s — keeps the plans that meet every rule
of the Horizon section, and returns the lexicographic optimum and every plan that ties with it.
Periods are numbered 1..T inside; labels only at the edges (``labelled``).

Only for tiny instances (a few thousand plans). The enumeration leaves out choices that no
feasible plan can contain whatever the other cells say (``choices``, ``prune=True``: a run
that cannot end by the need's due date, an adoption ready before any run of w could end, ...);
``tests/test_reference_timed.py`` checks that pruning never changes an answer.

Nothing here imports the project: a bug there cannot hide here.

Readings of the spec where it leaves room (each one a place the model must agree on):
1. Finish-to-start is strict: a run that starts in period 1 can have no prerequisites (they
   would have to be ready by the end of period 0). An adoption's prerequisites may be ready in
   the adoption's own ready period (<= a), whether adopted or run.
2. Own runs have no lag: i has w ready at the end of its own run's last period; publish_lag
   only delays adopters. Prerequisites of j's run are j's own readiness, not the adopter's.
3. An adoption's ready period a is a free decision in [e_j + lag, T] (and <= due if a need);
   the time objective counts only needs, so an adoption that is not a need (a prerequisite, or
   adopted to fund under pooled) ties across its feasible ready periods, and so do runs that
   are not needs across their starts: such plans are not unique (identity = runs with starts,
   adoptions with ready periods).
4. Replicas and required count runs anywhere in the horizon, with no timing relation to anyone's
   readiness or due date (a replica may end after the adopter is ready, or after its due).
5. Capacity is per period only (constraint 7 is replaced, not kept beside it); a run of
   duration d on h uses compute/throughput/d hours in each of its d periods.
6. horizon.hours defaults to defaults.hours / T after the design's overrides are merged.
7. A list budget under lead: period t bounds i's runs' cost/duration for each run active in t
   plus i's adoption costs with ready period t. A number budget: the whole horizon, as in v1.
8. Pooled, every budget a number: exactly v1's 6' (timing plays no part). Pooled with any list
   budget: per-period pay; a number-budget member's total pay plus all its adoption costs is
   bounded by its budget, and it may pay in any period for any w it has (also before its own
   adoption of w is ready); a list-budget member pays in period t only from budget[t] minus its
   adoption costs in t.
9. A workstream that cannot fit (release + duration - 1 > T) just has no run options (not an
   error); timed_instances() never draws one, so the model may also reject it.
10. Silo (and silo_compute) is timed: each member alone, lead funding, its own fleet per period
    and its own (number or list) budget, the design's objective order.
11. time = sum of ready period indices (1..T) of needs of the design's members; 0 without needs;
    last_ready = label of the max ready period over needs, None without needs; a need's due in
    the schedule is its due label, the last period's label when not given.
12. Releases and due dates given as ints with periods: N are read as their strings.
"""
from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass, field

from reference import DEFAULTS, deep_merge, lexicographic, member_numbers, pooled_fundable, within

INF = math.inf


@dataclass
class TimedProblem:
    """The contract's derived quantities for one design of a timed instance."""

    members: list[str]
    workstreams: list[str]
    sharing: bool
    pooled: bool
    objective: list[str]
    periods: list[str]  # labels, period t is periods[t - 1]
    lag: int  # defaults.publish_lag
    budget: dict  # i -> float (whole horizon) or list of T floats (per period)
    publishes: dict
    needs: dict
    due: dict  # (i, w) -> period index of the due date, for w in needs[i]
    compute: dict
    cost: dict
    adoption: dict
    requires: dict
    replicas: dict
    required: dict
    duration: dict  # w -> periods one run takes
    release: dict  # w -> earliest start period index
    options: dict  # (i, w) -> list of options ("rented" or accelerator types)
    hours: dict  # (i, w, h) -> fleet hours of one whole run (spread evenly over its periods)
    capacity: dict  # (i, h) -> fleet[i][h] * horizon hours: hours per period

    @property
    def T(self) -> int:
        return len(self.periods)

    def label(self, t: int) -> str:
        return self.periods[t - 1]

    def index(self, label) -> int:
        return self.periods.index(str(label)) + 1

    def end(self, w: str, s: int) -> int:
        return s + self.duration[w] - 1


def period_labels(horizon: dict) -> list[str]:
    periods = horizon["periods"]
    if isinstance(periods, int):
        return [str(t) for t in range(1, periods + 1)]
    return [str(x) for x in periods]


def problem(doc: dict, design: str = "consortium") -> TimedProblem:
    spec = {"consortium": {}, "silo": {"sharing": "none"}}.get(design)
    if spec is None:
        spec = doc["designs"][design]
    base = {k: v for k, v in doc.items() if k != "designs"}
    inst = deep_merge(base, spec["overrides"]) if spec.get("overrides") else base
    defaults = {**DEFAULTS, "publish_lag": 0, **inst.get("defaults", {})}
    horizon = inst["horizon"]
    labels = period_labels(horizon)
    T = len(labels)
    per_period = horizon.get("hours", defaults["hours"] / T)
    members = [i for i in inst["members"] if not spec.get("members") or i in spec["members"]]
    works = list(inst["workstreams"])
    factor = spec.get("adoption_factor", 1.0)
    p = TimedProblem(
        members=members, workstreams=works, sharing=spec.get("sharing", "open") == "open",
        pooled=spec.get("funding", "lead") == "pooled",
        objective=list(spec.get("objective") or inst.get("objective") or ["compute", "time", "money"]),
        periods=labels, lag=int(defaults["publish_lag"]), budget={}, publishes={}, needs={}, due={},
        compute={}, cost={}, adoption={}, requires={}, replicas={}, required={}, duration={}, release={},
        options={}, hours={}, capacity={})
    for w in works:
        ws = inst["workstreams"][w]
        p.adoption[w] = min(1.0, ws.get("adoption", defaults["adoption"]) * factor)
        p.requires[w] = list(ws.get("requires", []))
        p.replicas[w] = ws.get("replicas", 1)
        p.required[w] = ws.get("required", False)
        p.duration[w] = ws.get("duration", 1)
        p.release[w] = p.index(ws["release"]) if "release" in ws else 1
    for i in members:
        m = inst["members"][i]
        b = m["budget"]
        p.budget[i] = [float(x) for x in b] if isinstance(b, list) else float(b)
        p.publishes[i] = m.get("publishes", True)
        p.needs[i] = list(m.get("needs", []))
        due = m.get("due", {})
        for w in p.needs[i]:
            p.due[i, w] = p.index(due[w]) if w in due else T
        member_numbers(p, inst, i, defaults, per_period)
    return p


def alone(p: TimedProblem, i: str) -> TimedProblem:
    """Member i standalone (design silo for i alone): own fleet, own budget, no sharing."""
    return TimedProblem(**{**p.__dict__, "members": [i], "sharing": False, "pooled": False})


# --- plans and their rules -------------------------------------------------------------------------

@dataclass
class Plan:
    runs: frozenset  # (i, w, o, s): i runs w on option o starting in period s
    gets: frozenset  # (i, w, a): i adopts w, ready at the end of period a
    values: dict = field(default_factory=dict)  # compute, money, time
    ready: dict = field(default_factory=dict)  # (i, w) -> ready period of everything i has
    last_ready: str | None = None  # label of the latest ready period of any need


def readiness(p: TimedProblem, runs, gets) -> dict:
    ready = {(i, w): p.end(w, s) for i, w, _, s in runs}
    ready.update({(i, w): a for i, w, a in gets})
    return ready


def run_spend(p: TimedProblem, i: str, w: str, s: int, t: int) -> float:
    """Money a run of w by i starting in s spends in period t: its cost evenly over its periods."""
    return p.cost[i, w] / p.duration[w] if s <= t <= p.end(w, s) else 0.0


def adoption_cost(p: TimedProblem, i: str, w: str) -> float:
    return p.adoption[w] * p.cost[i, w]


def max_flow(capacity: dict, source, sink, tol: float) -> float:
    """Edmonds-Karp on a small graph given as {(u, v): capacity} (floats; residuals <= tol are 0)."""
    residual: dict = {}
    adjacent: dict = {}
    for (u, v), c in capacity.items():
        residual[u, v] = residual.get((u, v), 0.0) + c
        residual.setdefault((v, u), 0.0)
        adjacent.setdefault(u, set()).add(v)
        adjacent.setdefault(v, set()).add(u)
    flow = 0.0
    while True:
        parent = {source: None}
        queue = deque([source])
        while queue and sink not in parent:
            u = queue.popleft()
            for v in sorted(adjacent.get(u, ()), key=repr):
                if v not in parent and residual[u, v] > tol:
                    parent[v] = u
                    queue.append(v)
        if sink not in parent:
            return flow
        path, v = [], sink
        while parent[v] is not None:
            path.append((parent[v], v))
            v = parent[v]
        push = min(residual[e] for e in path)
        for u, v in path:
            residual[u, v] -= push
            residual[v, u] += push
        flow += push


def pay_network(p: TimedProblem, runs, gets):
    """The per-period pooled funding problem as a bipartite supply/demand network, or None when
    some member's own adoption costs already exceed its budget (pay >= 0 cannot help).

    Supplies: a member with a number budget gives at most budget - all its adoption costs over
    the whole horizon (node ("n", i)); a member with a list budget gives at most budget[t] - its
    adoption costs in t in period t (node ("l", i, t)). Demands: workstream w needs in period t
    what its runs spend in t (node ("d", w, t)). A supply may give to a demand (w, t) only when
    its member has w (and, for a list budget, only in its own period t)."""
    has = {(i, w) for i, w, _, _ in runs} | {(i, w) for i, w, _ in gets}
    supply, edges = {}, []
    demand = {}
    for i, w, _, s in runs:
        for t in range(s, p.end(w, s) + 1):
            demand["d", w, t] = demand.get(("d", w, t), 0.0) + run_spend(p, i, w, s, t)
    for i in p.members:
        b = p.budget[i]
        if isinstance(b, list):
            for t in range(1, p.T + 1):
                spent = math.fsum(adoption_cost(p, j, w) for j, w, a in gets if j == i and a == t)
                if not within(spent, b[t - 1]):
                    return None
                supply["l", i, t] = max(0.0, b[t - 1] - spent)
                edges += [(("l", i, t), d) for d in demand if d[2] == t and (i, d[1]) in has]
        else:
            spent = math.fsum(adoption_cost(p, j, w) for j, w, a in gets if j == i)
            if not within(spent, b):
                return None
            supply["n", i] = max(0.0, b - spent)
            edges += [(("n", i), d) for d in demand if (i, d[1]) in has]
    return supply, demand, edges


def pooled_fundable_by_flow(p: TimedProblem, runs, gets) -> bool:
    net = pay_network(p, runs, gets)
    if net is None:
        return False
    supply, demand, edges = net
    total = math.fsum(demand.values())
    if total == 0.0:
        return True
    cap = {("s", k): v for k, v in supply.items()}
    cap.update({(k, "t"): v for k, v in demand.items()})
    cap.update({e: INF for e in edges})
    flow = max_flow(cap, "s", "t", tol=1e-12 * max(1.0, total))
    return within(total, flow)


def pooled_fundable_by_gale(p: TimedProblem, runs, gets) -> bool:
    """The same question by the supply-demand theorem: feasible iff every set D of demand nodes
    needs no more than the supplies adjacent to D can give (every subset: for tests only)."""
    net = pay_network(p, runs, gets)
    if net is None:
        return False
    supply, demand, edges = net
    nodes = sorted(demand, key=repr)
    for k in range(1, len(nodes) + 1):
        for D in itertools.combinations(nodes, k):
            givers = {u for u, d in edges if d in D}
            if not within(math.fsum(demand[d] for d in D), math.fsum(supply[u] for u in givers)):
                return False
    return True


def feasible(p: TimedProblem, runs, gets) -> bool:
    """Every rule of the Horizon section for one timed plan."""
    cells = [(i, w) for i, w, _, _ in runs] + [(i, w) for i, w, _ in gets]
    if len(cells) != len(set(cells)):
        return False  # at most one run or adoption per member and workstream (has <= 1)
    # Runs: a real option, release <= s, end <= T.
    for i, w, o, s in runs:
        if o not in p.options[i, w] or s < p.release[w] or s < 1 or p.end(w, s) > p.T:
            return False
    # Adoptions: sharing open, a >= e_j + publish_lag for a run of w by a publishing j != i.
    for i, w, a in gets:
        if not p.sharing or not 1 <= a <= p.T:
            return False
        if not any(v == w and j != i and p.publishes[j] and a >= p.end(w, s) + p.lag for j, v, _, s in runs):
            return False
    ready = readiness(p, runs, gets)
    # Prerequisites: a run starting in s needs them ready by the end of s - 1; an adoption ready
    # at a needs them ready by the end of a.
    for i, w, _, s in runs:
        if any(ready.get((i, v), INF) > s - 1 for v in p.requires[w]):
            return False
    for i, w, a in gets:
        if any(ready.get((i, v), INF) > a for v in p.requires[w]):
            return False
    # Needs: ready by the end of the due period.
    for i in p.members:
        if any(ready.get((i, w), INF) > p.due[i, w] for w in p.needs[i]):
            return False
    # Replicas and required: runs over the whole horizon, only under sharing open (as in v1).
    if p.sharing:
        count = {w: sum(1 for _, v, _, _ in runs if v == w) for w in p.workstreams}
        for w in p.workstreams:
            if any((i, w) in ready for i in p.members) and count[w] < p.replicas[w]:
                return False
            if p.required[w] and count[w] < p.replicas[w]:
                return False
    # Capacity, per period t and type h: compute / throughput / duration hours for each active run.
    for t in range(1, p.T + 1):
        used = {}
        for i, w, o, s in runs:
            if (i, o) in p.capacity and s <= t <= p.end(w, s):
                used[i, o] = used.get((i, o), 0.0) + p.hours[i, w, o] / p.duration[w]
        if not all(within(u, p.capacity[k]) for k, u in used.items()):
            return False
    # Budget.
    if p.pooled:
        if all(not isinstance(p.budget[i], list) for i in p.members):
            # every budget a number: constraint 6' over the whole horizon, as in v1
            spend_adopt = {i: math.fsum(adoption_cost(p, j, w) for j, w, _ in gets if j == i) for i in p.members}
            has = {(i, w) for i, w in cells}
            return pooled_fundable(p, has, [(i, w, o) for i, w, o, _ in runs], spend_adopt)
        return pooled_fundable_by_flow(p, runs, gets)
    for i in p.members:
        b = p.budget[i]
        if isinstance(b, list):
            for t in range(1, p.T + 1):
                spent = math.fsum([run_spend(p, j, w, s, t) for j, w, _, s in runs if j == i]
                                  + [adoption_cost(p, j, w) for j, w, a in gets if j == i and a == t])
                if not within(spent, b[t - 1]):
                    return False
        else:
            spent = math.fsum([p.cost[j, w] for j, w, _, _ in runs if j == i]
                              + [adoption_cost(p, j, w) for j, w, _ in gets if j == i])
            if not within(spent, b):
                return False
    return True


def evaluate(p: TimedProblem, runs, gets) -> Plan:
    ready = readiness(p, runs, gets)
    needed = [ready[i, w] for i in p.members for w in p.needs[i] if (i, w) in ready]
    values = {"compute": math.fsum([p.compute[i, w] for i, w, _, _ in runs]
                                   + [p.adoption[w] * p.compute[i, w] for i, w, _ in gets]),
              "money": math.fsum([p.cost[i, w] for i, w, _, _ in runs]
                                 + [adoption_cost(p, i, w) for i, w, _ in gets]),
              "time": float(sum(needed))}
    return Plan(frozenset(runs), frozenset(gets), values, ready, p.label(max(needed)) if needed else None)


# --- enumeration -----------------------------------------------------------------------------------

def choices(p: TimedProblem, i: str, w: str, prune: bool = True) -> list:
    """What member i may do about w: None, ("get", a) or ("run", o, s).

    Without pruning: every a and s in 1..T. With pruning, only choices some feasible plan could
    contain, by rules that look at this cell alone:
    - a run starts at s >= release and ends by T; by the due date if w is a need of i; after the
      earliest end of every prerequisite (release + duration - 1: no run, hence no adoption, of v
      is ready earlier); under lead funding its cost fits i's budget (each period's share fits that
      period's amount); its hours per period fit the option's capacity per period;
    - an adoption is ready no earlier than the earliest end of w plus the lag, some publishing
      j != i has an option for w, every prerequisite can be ready by a, by the due date if a need,
      and its cost fits i's budget (of period a) under either funding (pay >= 0);
    - a need cannot be left out."""
    T = p.T
    earliest = {v: p.release[v] + p.duration[v] - 1 for v in p.workstreams}
    need = w in p.needs[i]
    out = [] if prune and need else [None]
    b = p.budget[i]
    if p.sharing:
        for a in range(1, T + 1):
            if prune:
                if not any(j != i and p.publishes[j] and p.options[j, w] for j in p.members):
                    break
                if a < earliest[w] + p.lag or any(earliest[v] > a for v in p.requires[w]):
                    continue
                if need and a > p.due[i, w]:
                    continue
                if not within(adoption_cost(p, i, w), b[a - 1] if isinstance(b, list) else b):
                    continue
            out.append(("get", a))
    for o in p.options[i, w]:
        for s in range(1, T + 1):
            if prune:
                e = p.end(w, s)
                if s < p.release[w] or e > T or any(earliest[v] > s - 1 for v in p.requires[w]):
                    continue
                if need and e > p.due[i, w]:
                    continue
                if not p.pooled:
                    if isinstance(b, list):
                        if not all(within(p.cost[i, w] / p.duration[w], b[t - 1]) for t in range(s, e + 1)):
                            continue
                    elif not within(p.cost[i, w], b):
                        continue
                if (i, o) in p.capacity and not within(p.hours[i, w, o] / p.duration[w], p.capacity[i, o]):
                    continue
            out.append(("run", o, s))
    return out


def plan_count(p: TimedProblem, prune: bool = True) -> int:
    return math.prod(len(choices(p, i, w, prune)) for i in p.members for w in p.workstreams)


def all_plans(p: TimedProblem, prune: bool = True):
    cells = [(i, w) for i in p.members for w in p.workstreams]
    for pick in itertools.product(*(choices(p, i, w, prune) for i, w in cells)):
        runs = frozenset((i, w, c[1], c[2]) for (i, w), c in zip(cells, pick) if c and c[0] == "run")
        gets = frozenset((i, w, c[1]) for (i, w), c in zip(cells, pick) if c and c[0] == "get")
        yield runs, gets


@dataclass
class Answer:
    status: str  # optimal | infeasible
    optimal: list[Plan]  # every timed plan tying for the lexicographic optimum
    problem: TimedProblem | None = None

    @property
    def values(self) -> dict | None:
        """The objective values of the optimal plans (those in the objective list are common to
        all of them; others, e.g. time when not in the list, are the first plan's)."""
        return self.optimal[0].values if self.optimal else None

    @property
    def unique(self) -> bool | None:
        return len(self.optimal) == 1 if self.optimal else None

    @property
    def time_to_needs(self) -> float | None:
        """The time objective's value, when every optimal plan has the same one (else None)."""
        times = {b.values["time"] for b in self.optimal}
        return times.pop() if len(times) == 1 else None

    @property
    def last_ready(self) -> str | None:
        """Label of the latest ready period of any need, when every optimal plan has the same one
        (None also when no member has a need)."""
        labels = {b.last_ready for b in self.optimal}
        return labels.pop() if len(labels) == 1 else None

    def labelled(self) -> list[tuple[frozenset, frozenset]]:
        """Every optimal plan as the project writes it: runs (member, workstream, accelerator,
        start label), adoptions (member, workstream, ready label)."""
        return [labelled(self.problem, b) for b in self.optimal]


def labelled(p: TimedProblem, plan: Plan) -> tuple[frozenset, frozenset]:
    return (frozenset((i, w, o, p.label(s)) for i, w, o, s in plan.runs),
            frozenset((i, w, p.label(a)) for i, w, a in plan.gets))


def optimal_plans(p: TimedProblem, prune: bool = True) -> list[Plan]:
    plans = [evaluate(p, r, g) for r, g in all_plans(p, prune) if feasible(p, r, g)]
    return lexicographic(plans, p.objective)


def solve(doc: dict, design: str = "consortium", prune: bool = True) -> Answer:
    p = problem(doc, design)
    best = optimal_plans(p, prune)
    return Answer("optimal" if best else "infeasible", best, p)


def silo_compute(doc: dict, design: str = "consortium") -> tuple[float, float] | None:
    """The range of silo_compute: the sum over the design's members of their standalone timed
    plans' compute (each alone on its own fleet and budget, the design's objective order). A
    range because with compute not first, tied standalone plans may differ in compute. None when
    some member cannot meet its needs alone."""
    p = problem(doc, design)
    low = high = 0.0
    for i in p.members:
        best = optimal_plans(alone(p, i))
        if not best:
            return None
        low += min(b.values["compute"] for b in best)
        high += max(b.values["compute"] for b in best)
    return low, high
