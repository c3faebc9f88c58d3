"""Solve a model and read back an honest status: the lexicographic stages, the uniqueness
check, the solution checker's verdict, and re-solves of one model with new numbers. HiGHS
itself is reached only through :class:`optimizer.highs.HighsSession`."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import pyomo.core as pyo  # the modelling layer only: pyomo.environ would also load every plugin (~0.25 s)
from pyomo.contrib.solver.common.results import TerminationCondition

from .alternatives import tie
from .check import violations
from .diagnosis import ELASTIC
from .model import Layer, build_model
from .objectives import NO_LEVEL, varies
from .payments import pay_model
from .scaling import Scale
from .tables import ModelData
from .status import Status

from .highs import (DEFAULT_MIP_GAP, HighsSession, Outcome, Solution, SolverOptions, gap_of,  # noqa: F401
                    highs_version, quiet_pyomo)

# The contract's tie tolerance: a later objective is minimised over plans whose earlier
# objectives are within this relative distance of the best value found for them.
TIE_TOLERANCE = 1e-9


# Objectives whose every value is a whole number (a sum of period indices).
INTEGRAL_OBJECTIVES = frozenset({"time"})


def level(value: float, name: str = "") -> float:
    """The bound an objective keeps in later stages: its best value plus the tie tolerance.

    A whole-number objective (``time``) is bounded half-way to the next whole number: HiGHS
    reports its value within its own tolerances (257 as 256.9999976), and a relative 1e-9 above
    that would cut off every plan of value 257, the optimum itself."""
    if name in INTEGRAL_OBJECTIVES:
        return math.floor(value + 0.5) + 0.5
    return value + TIE_TOLERANCE * max(1.0, abs(value))


@dataclass
class Stages:
    """What a lexicographic solve reached (see :func:`solve_stages`)."""

    status: Status
    values: dict[str, float]  # objective name -> value of the plan, for every stage solved
    bound: float | None  # the first objective's proven lower bound
    mip_gap: float | None  # the largest relative gap over the stages
    termination: str
    nodes: int = 0  # branch-and-bound nodes over the stages
    outcome: Outcome | None = None  # the HiGHS run whose plan is the result (None: no plan)


def solve_stages(session: HighsSession, stages: int | None = None, load: bool = True) -> Stages:
    """Minimise the session model's ``stage_order`` (its objective list, and with a horizon the hidden
    last stage ``earliest``) lexicographically and load the plan into its variables.

    Stage k minimises objective k subject to every earlier objective staying within
    :data:`TIE_TOLERANCE` of its stage's value (the level rows of :func:`objectives.add_objectives`).
    A later stage stopped by a limit before it found a plan leaves the previous stage's plan
    loaded (status ``feasible``). ``optimal`` only when every stage of the objective list was solved
    to the gap; the hidden stage only picks among those plans, so a limit there changes no status.
    Works on a fresh model and on a persistent one (the first stage undoes the previous solve's
    levels). ``stages`` stops after that many stages (a caller that only needs the first value).
    The plan is loaded into the model's variables once, after the last stage, unless ``load`` is
    False (the caller reads :attr:`Stages.outcome`'s column values itself).
    """
    m = session.model
    order = m.stage_order
    if len(order) > 1 and (
            not getattr(m, f"objective_{order[0]}").active
            or any(m.objective_level_bound[k].value != NO_LEVEL for k in m.objective_level_bound)):
        session.set_params((m.objective_level_bound[k], NO_LEVEL) for k in m.objective_level_bound)
        session.activate(order[0])
    values: dict[str, float] = {}
    gaps: list[float] = []
    bound = None
    nodes = 0
    proven = True
    termination = ""
    best = None
    for k, name in enumerate(order[:stages]):
        if k:
            previous = order[k - 1]
            if previous in m.objective_level_bound:  # one row bound changes
                session.set_params([(m.objective_level_bound[previous], level(values[previous], previous))])
            session.activate(name)
            # No warm start from the previous stage's plan: with HiGHS 1.16.0, setSolution() before
            # this re-solve gave a wrong objective value and plan (docs/model.md, "Objectives").
        res = session.solve()
        tc = res.termination_condition
        termination = str(tc.name)
        if res.incumbent_objective is None:
            if k == 0:
                infeasible = tc in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded)
                return Stages(Status.INFEASIBLE if infeasible else Status.NO_SOLUTION, {}, None, None, termination)
            # a later stage found nothing within its limits: keep the previous plan
            proven &= name not in m.objective_order
            break
        best = res
        nodes += res.nodes
        values[name] = res.incumbent_objective
        if name in m.objective_order:
            gap = gap_of(res.incumbent_objective, res.objective_bound)
            gaps.append(gap if gap is not None else float("inf"))
            proven &= tc == TerminationCondition.convergenceCriteriaSatisfied
        if k == 0:
            bound = res.objective_bound
    if load:
        session.load(best)
    gap = max(gaps) if gaps else None
    return Stages(Status.OPTIMAL if proven else Status.FEASIBLE, values, bound,
                  gap if gap is not None and math.isfinite(gap) else None, termination, nodes, best)


def _plan(m: pyo.ConcreteModel) -> tuple[list, list]:
    return [k for k in m.RUN if m.run[k].value > 0.5], [k for k in m.GET if m.get[k].value > 0.5]


def _when(m: pyo.ConcreteModel) -> dict[tuple, int]:
    """A timed plan's periods: run (i,w,o) -> its start, adoption (i,w) -> its ready period."""
    if not hasattr(m, "RUN_AT"):
        return {}
    out = {k[:3]: k[3] for k in m.RUN_AT if m.run_at[k].value > 0.5}
    out.update({k[:2]: k[2] for k in m.GET_AT if m.get_at[k].value > 0.5})
    return out


def _decisions(m: pyo.ConcreteModel) -> list[tuple]:
    """The binaries that tell plans apart: run and get, or with a horizon their timed versions."""
    if hasattr(m, "RUN_AT"):
        return [(m.run_at, m.RUN_AT), (m.get_at, m.GET_AT)]
    return [(m.run, m.RUN), (m.get, m.GET)]


UNIQUE_NODES = 10_000  # branch-and-bound nodes the uniqueness check may use at least


def check_unique(session: HighsSession, values: dict[str, float],
                 node_budget: int = UNIQUE_NODES) -> tuple[bool | None, tuple[list, list, dict] | None]:
    """Is the loaded plan the only plan whose objectives all reach ``values`` (within the tolerance)?

    One more MIP on the same model: every objective bounded at its level, a no-good row
    ``sum_{x in plan} (1 - x) + sum_{x not in plan} x >= 1`` over the run and get binaries (with a
    horizon, their timed versions: the same runs at other times are another plan), and
    the search stops at the first plan found. Infeasible: unique. A plan: not unique, and that
    plan is an alternative. A limit hit first (the time limit, or ``node_budget`` nodes): not
    known (None). Leaves the model changed: use it on a one-shot model only.
    """
    m = session.model
    if not len(m.RUN) and not len(m.GET):
        return True, None  # nobody can run or adopt anything: the empty plan is the only one
    order = m.objective_order
    last = getattr(m, f"objective_{order[-1]}").expr
    rows = []
    if varies(last):
        m.add_component("unique_level", pyo.Constraint(expr=last <= level(values[order[-1]], order[-1])))
        rows.append(m.unique_level)
    chosen = {(var.name, k) for var, index in _decisions(m) for k in index if var[k].value > 0.5}
    flips = sum(1 - var[k] if (var.name, k) in chosen else var[k] for var, index in _decisions(m) for k in index)
    m.add_component("no_good", pyo.Constraint(expr=flips >= 1))
    m.objective_feasibility = pyo.Objective(expr=0.0, sense=pyo.minimize)
    for k in m.stage_order:
        getattr(m, f"objective_{k}").deactivate()
    session.add_rows(rows + [m.no_good])
    session.set_objective(m.objective_feasibility)
    session.set_params((m.objective_level_bound[k], level(values[k], k)) for k in m.objective_level_bound)
    # Proving that no other plan exists can be harder than finding the optimum (a GAP with many
    # near-ties): a node budget, not a clock, so that the answer does not depend on the machine.
    session.highs.setOptionValue("mip_max_nodes", node_budget)
    try:
        res = session.solve()
    finally:
        session.highs.setOptionValue("mip_max_nodes", 2**31 - 1)  # HiGHS' default: no limit
    tc = res.termination_condition
    if tc in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
        return True, None
    if res.incumbent_objective is None:
        return None, None
    session.load(res)
    return False, (*_plan(m), _when(m))


class NumericalTrouble(RuntimeError):
    """HiGHS' account of a plan disagrees with the contract or with the plan itself."""


def plan_trouble(data: ModelData, sol: Solution, scale: Scale = Scale()) -> str | None:
    """Why the solver's plan cannot be reported, or None: every row of the contract
    (:mod:`optimizer.check`) and every objective value, recomputed from the data."""
    broken = violations(data, sol.runs, sol.gets, sol.pay if data.pooled else None, sol.when)
    if broken:
        more = f" (and {len(broken) - 3} more)" if len(broken) > 3 else ""
        return ("numerical trouble: the solver's plan breaks the contract: " + "; ".join(broken[:3]) + more
                + ". No plan is reported: the solver lost precision on this instance (docs/model.md, "
                "\"Numerics\"); a smaller spread between its largest and smallest numbers helps.")
    own = data.plan_objectives(sol.runs, sol.gets, sol.when)
    for name, value in sol.objectives.items():
        # relative, with an absolute floor of HiGHS' own tolerance in model units
        if abs(own[name] - value) > 1e-6 * max(abs(own[name]), 1e-3 * scale.objective(name)):
            return (f"numerical trouble: the solver reports {name} {value:.10g} for a plan whose {name} is "
                    f"{own[name]:.10g}. No plan is reported.")
    return None


def _untrusted(sol: Solution, trouble: str) -> Solution:
    """A solve whose plan failed the checker: no plan, status no_solution, the reason kept."""
    return Solution(Status.NO_SOLUTION, None, None, None, variables=sol.variables, constraints=sol.constraints,
                    build_seconds=sol.build_seconds, seconds=sol.seconds, highs_seconds=sol.highs_seconds,
                    termination=trouble, trouble=trouble)


def _run(session: HighsSession, data: ModelData, t0: float, build: float, check: bool = False) -> Solution:
    """Solve the handed-over model lexicographically and read back status, plan and timings."""
    m = session.model
    clock = session.seconds()
    stages = solve_stages(session)
    highs_seconds = session.seconds() - clock
    sol = Solution(stages.status, None, None, None, variables=session.variables, constraints=session.constraints,
                   build_seconds=build, termination=stages.termination)
    if stages.values:
        scale = m.scale  # stage values are in model units; the Solution is in the user's
        first = m.objective_order[0]
        sol.objectives = {k: v * scale.objective(k) for k, v in stages.values.items() if k in m.objective_order}
        sol.objective = sol.objectives[first]
        sol.bound = None if stages.bound is None else stages.bound * scale.objective(first)
        sol.mip_gap = stages.mip_gap
        sol.runs, sol.gets = _plan(m)
        sol.when = _when(m)
        if data.pooled:
            sol.pay = _pay(m)
        trouble = plan_trouble(data, sol, scale) if m.variant == "plain" else None
        if trouble:
            sol.highs_seconds = highs_seconds
            return _untrusted(sol, trouble)
        if m.variant == "elastic":
            sol.slacks = _shortfalls(m, data)
        if check and stages.status == Status.OPTIMAL:
            sol.alternative = tie(data, sol.runs, sol.gets, sol.pay if data.pooled else None)
            if sol.alternative is not None:  # a tie found without solving (optimizer/alternatives.py)
                sol.unique = False
            else:
                clock2 = session.seconds()
                budget = max(UNIQUE_NODES, 10 * stages.nodes)
                sol.unique, sol.alternative = check_unique(session, stages.values, budget)
                highs_seconds += session.seconds() - clock2
    sol.highs_seconds = highs_seconds
    sol.seconds = time.perf_counter() - t0 - build
    return sol


def solve_data(data: ModelData, options: SolverOptions = SolverOptions(), elastic: bool = False,
               plan: tuple[set, set] | None = None, layer: Layer | None = None) -> Solution:
    """Build and solve one problem; never raises for infeasibility or limits.

    With ``elastic`` the diagnosis model is solved and its shortfalls returned in ``slacks``;
    ``layer`` solves another variant of the model (:class:`~optimizer.model.Layer`).
    With ``plan = (runs, gets)`` every run/get decision is pinned to that plan: the solve then
    only checks whether the plan still fits (and, under pooled funding, who pays).
    """
    t0 = time.perf_counter()
    m = build_model(data, ELASTIC if elastic else layer)
    if plan is not None and not _pin(m, *plan):
        return Solution(Status.INFEASIBLE, None, None, None, termination="plan uses options that no longer exist")
    build = time.perf_counter() - t0
    if m.infeasible_rows:
        return Solution(Status.INFEASIBLE, None, None, None, build_seconds=build, variables=m.nvariables(),
                        constraints=m.nconstraints(), termination="trivially infeasible row")
    if m.nvariables() == 0:  # nothing to decide: HiGHS would call an empty model "unknown"
        return Solution(Status.OPTIMAL, 0.0, 0.0, 0.0, build_seconds=build, termination="empty model",
                        objectives=dict.fromkeys(data.objective, 0.0), unique=True)
    sol = _run(HighsSession(m, options), data, t0, build, check=options.check_unique and not elastic and plan is None)
    if data.pooled and not elastic and sol.runs:
        try:
            sol.pay = canonical_pay(data, sol.runs, sol.gets, options, sol.when)
        except NumericalTrouble as exc:
            return _untrusted(sol, str(exc))
        trouble = plan_trouble(data, sol)
        if trouble:
            return _untrusted(sol, trouble)
    return sol


def canonical_pay(data: ModelData, runs, gets, options: SolverOptions, when=None) -> dict[tuple, float]:
    """The pooled-funding payment split of a fixed plan that does not depend on the solver's path
    (:mod:`optimizer.payments`)."""
    m = pay_model(data, runs, gets, when)
    session = HighsSession(m, replace(options, check_unique=False))
    res = session.solve()
    if res.termination_condition != TerminationCondition.convergenceCriteriaSatisfied:
        raise NumericalTrouble(f"numerical trouble: no payment split for a plan the solver found feasible "
                               f"under pooled funding ({res.termination_condition.name})")
    session.load(res)
    return _pay(m)


def _pay(m: pyo.ConcreteModel) -> dict[tuple, float]:
    """The payments of a solved model, in the user's money (amounts below the solver's
    tolerance are none)."""
    unit = m.scale.money
    return {k: max(0.0, m.pay[k].value) * unit for k in m.PAY if m.pay[k].value > 1e-9}


def _shortfalls(m: pyo.ConcreteModel, data: ModelData) -> dict[str, dict]:
    """The elastic model's slacks in the user's units. A budget or capacity shortfall is what
    the plan uses beyond the user's own number (the model may hold a clipped one)."""
    scale, inner = m.scale, m.scale.apply(data)
    slacks: dict[str, dict] = {}
    for name in ("budget_short", "period_budget_short", "hours_short", "unmet", "late", "runs_short"):
        if hasattr(m, name):
            var = getattr(m, name)
            slacks[name] = {k: var[k].value for k in var if var[k].value > 1e-6}
    slacks["budget_short"] = {i: (inner.budget[i] + v) * scale.money - data.budget[i]
                              for i, v in slacks.get("budget_short", {}).items()}
    slacks["period_budget_short"] = {k: (inner.period_budget[k] + v) * scale.money - data.period_budget[k]
                                     for k, v in slacks.get("period_budget_short", {}).items()}
    # a capacity row is (i, h), or (i, h, t) per period: its number is capacity[i, h] either way
    slacks["hours_short"] = {k: (inner.capacity[k[:2]] + v) * scale.hours[k[:2]] - data.capacity[k[:2]]
                             for k, v in slacks.get("hours_short", {}).items()}
    return slacks


def _pin(m: pyo.ConcreteModel, runs, gets) -> bool:
    """Pin every run/get decision to a plan (False if the plan names options the model lacks).

    Bounds, not fix(): fixed variables would turn rows into constants."""
    if not set(runs) <= set(m.RUN) or not set(gets) <= set(m.GET):
        return False
    for var, index, chosen in ((m.run, m.RUN, runs), (m.get, m.GET, gets)):
        for k in index:
            value = 1 if k in chosen else 0
            var[k].setlb(value)
            var[k].setub(value)
    return True


class PersistentProblem:
    """One model kept in HiGHS and re-solved with new numbers of the same structure.

    Sweeps solve the same design hundreds of times with other compute, cost, adoption,
    budget and fleet-hour numbers: instead of rebuilding the Pyomo model and handing it over
    again, the numbers live in mutable Params, and the session passes the ones that changed to
    HiGHS as coefficient, bound and cost changes (:meth:`HighsSession.push`).
    """

    def __init__(self, data: ModelData, options: SolverOptions = SolverOptions(),
                 plan: tuple[set, set] | None = None):
        self.data = data
        self.model = build_model(data, mutable=True)
        if plan is not None:
            _pin(self.model, *plan)
        self.trivial = None
        if self.model.infeasible_rows:
            self.trivial = Solution(Status.INFEASIBLE, None, None, None, termination="trivially infeasible row")
        elif self.model.nvariables() == 0:
            self.trivial = Solution(Status.OPTIMAL, 0.0, 0.0, 0.0, termination="empty model",
                                    objectives=dict.fromkeys(data.objective, 0.0), unique=True)
        else:
            self.session = HighsSession(self.model, options)

    def solve(self, data: ModelData) -> Solution:
        """Solve with ``data``'s numbers; its structure must equal the one built."""
        if data.run_keys != self.data.run_keys or data.needs != self.data.needs:
            raise ValueError("PersistentProblem.solve: the structure changed; build a new problem")
        if self.trivial is not None:
            return self.trivial
        t0 = time.perf_counter()
        self.session.forget()  # the plan must not depend on which samples came before
        self.session.push(self.model.num.set(data))
        return _run(self.session, data, t0, 0.0)
