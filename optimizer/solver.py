"""Hand a built model to HiGHS and read back an honest status.

We use Pyomo's persistent HiGHS interface (``pyomo.contrib.solver`` "highs"): it passes
the model to highspy in memory (no LP/MPS file round trip) and enables highspy's
keyboard-interrupt handling, so Ctrl-C cancels the solve instead of killing the process
mid-write.
"""
from __future__ import annotations

import contextlib
import logging
import math
import time
from dataclasses import dataclass, field

import highspy
import pyomo.environ as pyo
from pyomo.contrib.solver.solvers.highs import Highs
from pyomo.contrib.solver.common.results import TerminationCondition

from .model import build_model
from .tables import ModelData

DEFAULT_MIP_GAP = 1e-6
TIMINGS = {"highs": 0.0}  # seconds spent inside HiGHS by this process (for overhead measurements)  # HiGHS' own default (1e-4) could stop 0.01% above the optimum


@dataclass(frozen=True)
class SolverOptions:
    time_limit: float | None = None  # seconds, per MIP solve
    mip_gap: float = DEFAULT_MIP_GAP  # relative gap at which HiGHS may stop and call it optimal
    threads: int | None = None  # HiGHS threads; None = HiGHS' choice

    def as_dict(self) -> dict:
        return {"time_limit": self.time_limit, "mip_gap": self.mip_gap, "threads": self.threads,
                "random_seed": 0}


@dataclass
class Solution:
    """What one MIP solve produced, in model terms (no pandas yet)."""

    status: str  # optimal | feasible | infeasible | no_solution
    objective: float | None
    bound: float | None
    mip_gap: float | None
    runs: list[tuple[str, str, str]] = field(default_factory=list)
    gets: list[tuple[str, str]] = field(default_factory=list)
    pay: dict[tuple[str, str], float] = field(default_factory=dict)
    seconds: float = 0.0
    build_seconds: float = 0.0
    variables: int = 0
    constraints: int = 0
    termination: str = ""
    highs_seconds: float = 0.0  # time inside HiGHS itself (the rest of `seconds` is hand-over)
    slacks: dict[str, dict] = field(default_factory=dict)  # elastic model only


@contextlib.contextmanager
def _quiet_pyomo():
    """Pyomo logs a warning for HiGHS' 'interrupted' status; we report it ourselves."""
    log = logging.getLogger("pyomo.contrib.solver")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def highs_version() -> str:
    h = highspy.Highs()
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


def _gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9) if objective != bound else 0.0


def solve_data(data: ModelData, options: SolverOptions = SolverOptions(), elastic: bool = False,
               plan: tuple[set, set] | None = None) -> Solution:
    """Build and solve one problem; never raises for infeasibility or limits.

    With ``elastic`` the diagnosis model is solved and its shortfalls returned in ``slacks``.
    With ``plan = (runs, gets)`` every run/get decision is pinned to that plan: the solve then
    only checks whether the plan still fits (and, under pooled funding, who pays).
    """
    t0 = time.perf_counter()
    m = build_model(data, "elastic" if elastic else "plain")
    if plan is not None:
        runs, gets = plan
        if not set(runs) <= set(m.RUN) or not set(gets) <= set(m.GET):
            return Solution("infeasible", None, None, None, termination="plan uses options that no longer exist")
        for k in m.RUN:  # bounds, not fix(): fixed vars would turn rows into constants
            m.run[k].setlb(1 if k in runs else 0)
            m.run[k].setub(1 if k in runs else 0)
        for k in m.GET:
            m.get[k].setlb(1 if k in gets else 0)
            m.get[k].setub(1 if k in gets else 0)
    build = time.perf_counter() - t0
    nvars = m.nvariables()
    ncons = m.nconstraints()
    if m.infeasible_rows:
        return Solution("infeasible", None, None, None, build_seconds=build, variables=nvars,
                        constraints=ncons, termination="trivially infeasible row")
    if nvars == 0:  # nothing to decide: HiGHS would call an empty model "unknown"
        return Solution("optimal", 0.0, 0.0, 0.0, build_seconds=build, termination="empty model")
    opt = Highs()
    opt.config.load_solutions = False
    opt.config.raise_exception_on_nonoptimal_result = False
    opt.config.time_limit = options.time_limit
    opt.config.rel_gap = options.mip_gap
    opt.config.threads = options.threads
    opt.config.solver_options["random_seed"] = 0
    opt.config.solver_options["output_flag"] = False
    opt.set_instance(m)
    highs = opt._solver_model
    # Pyomo calls the blocking C++ run(); highspy's solve() runs HiGHS in a worker thread
    # and turns Ctrl-C into cancelSolve(), so an interrupt stops the search promptly.
    highs.run = highs.solve
    with _quiet_pyomo():
        res = opt.solve(m)
    if highs.getModelStatus() == highspy.HighsModelStatus.kInterrupt:
        raise KeyboardInterrupt
    seconds = time.perf_counter() - t0 - build
    highs_seconds = highs.getRunTime()
    TIMINGS["highs"] += highs_seconds
    tc = res.termination_condition
    objective = res.incumbent_objective
    bound = res.objective_bound
    if tc == TerminationCondition.convergenceCriteriaSatisfied:
        status = "optimal"
    elif tc in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
        status = "infeasible"
    elif objective is not None:
        status = "feasible"
    else:
        status = "no_solution"
    sol = Solution(status, objective, bound, _gap(objective, bound), seconds=seconds, build_seconds=build,
                   variables=nvars, constraints=ncons, termination=str(tc.name), highs_seconds=highs_seconds)
    if objective is None or status == "infeasible":
        sol.objective = sol.bound = sol.mip_gap = None
        return sol
    res.solution_loader.load_vars()
    sol.runs = [k for k in m.RUN if pyo.value(m.run[k]) > 0.5]
    sol.gets = [k for k in m.GET if pyo.value(m.get[k]) > 0.5]
    if data.pooled:
        sol.pay = {k: max(0.0, pyo.value(m.pay[k])) for k in m.PAY if pyo.value(m.pay[k]) > 1e-9}
    if elastic:
        for name in ("budget_short", "hours_short", "unmet", "runs_short"):
            if hasattr(m, name):
                var = getattr(m, name)
                sol.slacks[name] = {k: pyo.value(var[k]) for k in var if pyo.value(var[k]) > 1e-6}
    return sol
