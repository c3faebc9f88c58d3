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
import pyomo.core as pyo  # the modelling layer only: pyomo.environ would also load every plugin (~0.25 s)
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


def _new_solver(options: SolverOptions, only_numbers_change: bool = False) -> Highs:
    opt = Highs()
    cfg = opt.config
    cfg.load_solutions = False
    cfg.raise_exception_on_nonoptimal_result = False
    cfg.time_limit = options.time_limit
    cfg.rel_gap = options.mip_gap
    cfg.threads = options.threads
    cfg.solver_options["random_seed"] = 0
    cfg.solver_options["output_flag"] = False
    if only_numbers_change:  # persistent re-solves: skip Pyomo's scans for structural changes
        au = cfg.auto_updates
        for flag in ("check_for_new_or_removed_constraints", "check_for_new_or_removed_vars",
                     "check_for_new_or_removed_params", "check_for_new_objective", "update_constraints",
                     "update_named_expressions", "update_objective"):
            setattr(au, flag, False)
        au.update_vars = True
        au.update_parameters = True
    return opt


def _hand_over(opt: Highs, m: pyo.ConcreteModel) -> None:
    with _quiet_pyomo():
        opt.set_instance(m)
    # Pyomo calls the blocking C++ run(); highspy's solve() runs HiGHS in a worker thread
    # and turns Ctrl-C into cancelSolve(), so an interrupt stops the search promptly.
    highs = opt._solver_model
    highs.run = highs.solve


def _run(opt: Highs, m: pyo.ConcreteModel, data: ModelData, t0: float, build: float) -> Solution:
    """Solve the handed-over model and read back status, plan and timings."""
    highs = opt._solver_model
    clock = highs.getRunTime()  # HiGHS' clock runs on across re-solves of a persistent model
    with _quiet_pyomo():
        res = opt.solve(m)
    if highs.getModelStatus() == highspy.HighsModelStatus.kInterrupt:
        raise KeyboardInterrupt
    highs_seconds = highs.getRunTime() - clock
    TIMINGS["highs"] += highs_seconds
    tc = res.termination_condition
    objective, bound = res.incumbent_objective, res.objective_bound
    if tc == TerminationCondition.convergenceCriteriaSatisfied:
        status = "optimal"
    elif tc in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
        status = "infeasible"
    elif objective is not None:
        status = "feasible"
    else:
        status = "no_solution"
    sol = Solution(status, objective, bound, _gap(objective, bound), seconds=time.perf_counter() - t0 - build,
                   build_seconds=build, variables=m.nvariables(), constraints=m.nconstraints(),
                   termination=str(tc.name), highs_seconds=highs_seconds)
    if objective is None or status == "infeasible":
        sol.objective = sol.bound = sol.mip_gap = None
        return sol
    res.solution_loader.load_vars()
    sol.runs = [k for k in m.RUN if m.run[k].value > 0.5]
    sol.gets = [k for k in m.GET if m.get[k].value > 0.5]
    if data.pooled:
        sol.pay = {k: max(0.0, m.pay[k].value) for k in m.PAY if m.pay[k].value > 1e-9}
    if m.variant == "elastic":
        for name in ("budget_short", "hours_short", "unmet", "runs_short"):
            if hasattr(m, name):
                var = getattr(m, name)
                sol.slacks[name] = {k: var[k].value for k in var if var[k].value > 1e-6}
    return sol


def solve_data(data: ModelData, options: SolverOptions = SolverOptions(), elastic: bool = False,
               plan: tuple[set, set] | None = None) -> Solution:
    """Build and solve one problem; never raises for infeasibility or limits.

    With ``elastic`` the diagnosis model is solved and its shortfalls returned in ``slacks``.
    With ``plan = (runs, gets)`` every run/get decision is pinned to that plan: the solve then
    only checks whether the plan still fits (and, under pooled funding, who pays).
    """
    t0 = time.perf_counter()
    m = build_model(data, "elastic" if elastic else "plain")
    if plan is not None and not _pin(m, *plan):
        return Solution("infeasible", None, None, None, termination="plan uses options that no longer exist")
    build = time.perf_counter() - t0
    if m.infeasible_rows:
        return Solution("infeasible", None, None, None, build_seconds=build, variables=m.nvariables(),
                        constraints=m.nconstraints(), termination="trivially infeasible row")
    if m.nvariables() == 0:  # nothing to decide: HiGHS would call an empty model "unknown"
        return Solution("optimal", 0.0, 0.0, 0.0, build_seconds=build, termination="empty model")
    opt = _new_solver(options)
    _hand_over(opt, m)
    return _run(opt, m, data, t0, build)


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
    again, the numbers live in mutable Params that Pyomo's persistent interface passes to
    HiGHS as coefficient and bound changes.
    """

    def __init__(self, data: ModelData, options: SolverOptions = SolverOptions(),
                 plan: tuple[set, set] | None = None):
        self.data = data
        self.model = build_model(data, "plain", mutable=True)
        if plan is not None:
            _pin(self.model, *plan)
        self.trivial = None
        if self.model.infeasible_rows:
            self.trivial = Solution("infeasible", None, None, None, termination="trivially infeasible row")
        elif self.model.nvariables() == 0:
            self.trivial = Solution("optimal", 0.0, 0.0, 0.0, termination="empty model")
        else:
            self.opt = _new_solver(options, only_numbers_change=True)
            _hand_over(self.opt, self.model)

    def solve(self, data: ModelData) -> Solution:
        """Solve with ``data``'s numbers; its structure must equal the one built."""
        if data.run_keys != self.data.run_keys or data.needs != self.data.needs:
            raise ValueError("PersistentProblem.solve: the structure changed; build a new problem")
        if self.trivial is not None:
            return self.trivial
        t0 = time.perf_counter()
        self.model.num.set(data)
        # forget the previous basis and incumbent: the plan must not depend on which samples
        # this process happened to solve before (ties would otherwise break differently)
        self.opt._solver_model.clearSolver()
        return _run(self.opt, self.model, data, t0, 0.0)
