"""The one way this project talks to HiGHS: a session over Pyomo's persistent interface.

We use Pyomo's persistent HiGHS interface (``pyomo.contrib.solver`` "highs"): it passes the
model to highspy in memory (no LP/MPS file round trip). :class:`HighsSession` is the only code
that reads the interface's private handle to highspy (run time, node counts, forgetting a
previous search, Ctrl-C); :mod:`optimizer.solver` builds the lexicographic stages, the
uniqueness check and the re-solves on top of it.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import math
import time
from dataclasses import dataclass, field, replace

import highspy
import pyomo.core as pyo  # the modelling layer only: pyomo.environ would also load every plugin (~0.25 s)
from pyomo.contrib.solver.solvers.highs import Highs

from .status import Status

# HiGHS' own default (1e-4) could stop 0.01% above the optimum
DEFAULT_MIP_GAP = 1e-6
# Pyomo's persistent interface re-scans the model before each solve; between objective stages
# we tell it exactly what changed instead (set_objective, update_parameters).
NO_AUTO_UPDATES = {flag: False for flag in (
    "check_for_new_or_removed_constraints", "check_for_new_or_removed_vars", "check_for_new_or_removed_params",
    "check_for_new_objective", "update_constraints", "update_vars", "update_parameters",
    "update_named_expressions", "update_objective")}


@dataclass(frozen=True)
class SolverOptions:
    """How HiGHS solves: the one options object the command line and the API hand down to every
    solve (``optimizer.solve(inst, options=SolverOptions(time_limit=10))``; None anywhere means
    ``SolverOptions()``). Studies that run many solves at once (``sweep``, the cost game of
    ``allocate``) give each HiGHS one thread unless ``threads`` says otherwise."""

    time_limit: float | None = None  # seconds, per MIP solve (each objective stage is one)
    mip_gap: float = DEFAULT_MIP_GAP  # relative gap at which HiGHS may stop and call it optimal
    threads: int | None = None  # HiGHS threads; None = HiGHS' choice
    random_seed: int = 0  # HiGHS' random seed; a unique plan does not depend on it
    check_unique: bool = True  # one more solve: is the reported plan the only optimal one?

    def as_dict(self) -> dict:
        return {"time_limit": self.time_limit, "mip_gap": self.mip_gap, "threads": self.threads,
                "random_seed": self.random_seed}

    def one_thread_each(self) -> SolverOptions:
        """These options for one of many solves running side by side: one HiGHS thread unless
        ``threads`` was given."""
        return self if self.threads is not None else replace(self, threads=1)


@dataclass
class Solution:
    """What one MIP solve produced, in model terms (no pandas yet)."""

    status: Status
    objective: float | None
    bound: float | None
    mip_gap: float | None
    runs: list[tuple[str, str, str]] = field(default_factory=list)
    gets: list[tuple[str, str]] = field(default_factory=list)
    pay: dict[tuple, float] = field(default_factory=dict)  # (i,w), or (i,w,t) with per-period budgets
    when: dict[tuple, int] = field(default_factory=dict)  # horizon: run (i,w,o) -> start, get (i,w) -> ready
    seconds: float = 0.0
    highs_seconds: float = 0.0  # inside HiGHS (the rest of `seconds` is hand-over): sweeps and benchmarks/ read it
    build_seconds: float = 0.0
    variables: int = 0
    constraints: int = 0
    termination: str = ""
    slacks: dict[str, dict] = field(default_factory=dict)  # elastic model only
    objectives: dict[str, float] = field(default_factory=dict)  # value of each objective, in order
    unique: bool | None = None  # the plan is the only one with these objective values (None: not known)
    alternative: tuple[list, list, dict] | None = None  # (runs, gets, when) of another as good plan
    trouble: str | None = None  # why the solver's plan failed the checker (then status no_solution)


@contextlib.contextmanager
def quiet_pyomo():
    """Pyomo logs a warning for HiGHS' 'interrupted' status; we report it ourselves."""
    log = logging.getLogger("pyomo.contrib.solver")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def highs_version() -> str:
    """The installed HiGHS version, read from the package metadata: creating a ``Highs()`` object
    would print HiGHS' banner on stdout."""
    from importlib.metadata import version
    return version("highspy")


def gap_of(objective: float | None, bound: float | None) -> float | None:
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
    cfg.solver_options["random_seed"] = options.random_seed
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


def _interruptible_run(highs: highspy.Highs) -> highspy.HighsStatus:
    """HiGHS' run() for Pyomo, such that Ctrl-C always wins.

    The C++ run() blocks the main thread until HiGHS ends (an interrupt waits for the whole
    search), and highspy's own solve() cancels on Ctrl-C but then returns like any solve, printing
    on stdout; an interrupt landing just as HiGHS finished was lost (2 of 13 tries). Here HiGHS runs
    in highspy's worker thread, an interrupt cancels it, and KeyboardInterrupt is raised once HiGHS
    has stopped, whatever status it stopped with.
    """
    highs.startSolve()
    interrupted = False
    while True:
        try:
            done, status = highs.wait(0.1)
        except KeyboardInterrupt:
            interrupted = True
            highs.cancelSolve()
            continue
        if done:
            break
    if interrupted or highs.getModelStatus() == highspy.HighsModelStatus.kInterrupt:
        raise KeyboardInterrupt
    return status


class HighsSession:
    """One Pyomo model handed to HiGHS once, then solved and re-solved through Pyomo's persistent
    interface (``pyomo.contrib.solver`` "highs"): plain solves, the lexicographic stages, the
    uniqueness check, sweeps' persistent re-solves and the cost game's coalitions all go through
    it.

    What the interface does not expose — the run time, node counts, forgetting the previous
    search, and a Ctrl-C that always wins — is reached through :attr:`highs`, the one place that
    reads the interface's private ``_solver_model``.
    """

    def __init__(self, m: pyo.ConcreteModel, options: SolverOptions, only_numbers_change: bool = False):
        self.model = m
        self.opt = _new_solver(options, only_numbers_change)
        with quiet_pyomo():
            self.opt.set_instance(m)
        highs = self.highs
        highs.run = functools.partial(_interruptible_run, highs)
        # Pyomo passes our options at each solve only; model changes between objective stages
        # (bounds of level rows, new rows) would otherwise log to stdout
        highs.setOptionValue("output_flag", False)

    @property
    def highs(self) -> highspy.Highs:
        return self.opt._solver_model

    def seconds(self) -> float:
        """HiGHS' clock: it runs on across re-solves, so callers take differences."""
        return self.highs.getRunTime()

    def nodes(self) -> int:
        return max(0, self.highs.getInfo().mip_node_count)

    def refresh_rows(self, rows) -> None:
        """Pass the current values of the mutable parameters in ``rows`` (Pyomo constraint data) to
        HiGHS, and nothing else: Pyomo's ``update_parameters`` re-evaluates every mutable
        parameter of the model, which in a sweep's model (every number a parameter) costs as much
        as HiGHS itself, when between objective stages only a level row changed."""
        opt = self.opt
        helpers = getattr(opt, "_mutable_helpers", None)
        if helpers is None:  # another Pyomo version: the general call is always right
            opt.update_parameters()
            return
        opt._sol = None
        if opt._last_results_object is not None:
            opt._last_results_object.solution_loader.invalidate()
        for row in rows:
            for helper in helpers.get(row, ()):
                helper.update()

    def forget(self) -> None:
        """Drop the previous basis and incumbent, so that a re-solve does not depend on which
        problems this session happened to solve before (ties would break differently)."""
        self.highs.clearSolver()

    def solve(self, only_what_we_said: bool = False):
        """One solve of the active objective; ``only_what_we_said``: Pyomo does not re-scan the
        model (the caller told the interface what changed)."""
        with quiet_pyomo():
            if only_what_we_said:
                return self.opt.solve(self.model, auto_updates=NO_AUTO_UPDATES)
            return self.opt.solve(self.model)

    def activate(self, name: str) -> None:
        """Make objective ``name`` the one HiGHS minimises."""
        m = self.model
        for k in m.stage_order:
            getattr(m, f"objective_{k}").deactivate()
        obj = getattr(m, f"objective_{name}")
        obj.activate()
        self.opt.set_objective(obj)
