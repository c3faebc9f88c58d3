"""The one way this project talks to HiGHS: a session over Pyomo's persistent interface.

A model is handed to HiGHS once by Pyomo's persistent HiGHS interface (``pyomo.contrib.solver``
"highs": in memory, no LP/MPS file round trip). After that hand-over, :class:`HighsSession` talks
to the ``highspy.Highs`` object directly: it runs HiGHS, reads status and column values, and
re-solves by changing only what changed (a bound, a right-hand side, a coefficient, the cost
vector) with highspy's modification calls, keyed by the rows and columns the interface assigned.
:func:`_interface_state` is the only code that reads the interface's private state;
:mod:`optimizer.solver` builds the lexicographic stages, the uniqueness check and the re-solves on
top of the session.
"""
from __future__ import annotations

import contextlib
import logging
import math
from dataclasses import dataclass, field, replace
from typing import Iterable

import highspy
import numpy as np
import pyomo.core as pyo  # the modelling layer only: pyomo.environ would also load every plugin (~0.25 s)
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs
from pyomo.core.expr.visitor import identify_variables

from .dependents import Costs, Dependents
from .status import Status

# HiGHS' own default (1e-4) could stop 0.01% above the optimum
DEFAULT_MIP_GAP = 1e-6


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
    """Pyomo's interface logs warnings of its own (e.g. for HiGHS' 'interrupted' status) while it
    hands a model over; the session reports what matters itself."""
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


def _interruptible_run(highs: highspy.Highs) -> highspy.HighsStatus:
    """HiGHS' run(), such that Ctrl-C always wins.

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


# HiGHS' model status -> the termination condition Pyomo's interface reports for it (its names reach
# the results: a Solution's `termination`)
_TERMINATION = {getattr(highspy.HighsModelStatus, status): getattr(TerminationCondition, condition)
                for condition, statuses in (
                    ("unknown", "kNotset kModelEmpty kUnknown"),
                    ("error", "kLoadError kModelError kPresolveError kSolveError kPostsolveError"),
                    ("convergenceCriteriaSatisfied", "kOptimal"), ("provenInfeasible", "kInfeasible"),
                    ("infeasibleOrUnbounded", "kUnboundedOrInfeasible"), ("unbounded", "kUnbounded"),
                    ("objectiveLimit", "kObjectiveBound kObjectiveTarget"), ("maxTimeLimit", "kTimeLimit"),
                    ("iterationLimit", "kIterationLimit kSolutionLimit"))
                for status in statuses.split() if hasattr(highspy.HighsModelStatus, status)}


@dataclass
class Outcome:
    """What one HiGHS run ended with, in the terms of Pyomo's results object."""

    termination_condition: TerminationCondition
    incumbent_objective: float | None  # the plan's objective value; None: no plan
    objective_bound: float | None
    nodes: int  # branch-and-bound nodes (0 for an LP)
    values: list[float] | None  # value of every HiGHS column; None: no plan


def _interface_state(opt: Highs, mutable: bool = False) -> tuple:
    """The one function that reads the private state of Pyomo's persistent HiGHS interface
    (``pyomo.contrib.solver.solvers.highs.Highs``, as of Pyomo 6.10):

    * ``_solver_model``: the ``highspy.Highs`` object the model was handed to;
    * ``_pyomo_var_to_solver_var_map`` (``id`` of a VarData -> HiGHS column) and
      ``_pyomo_con_to_solver_con_map`` (ConstraintData -> HiGHS row): the indices it assigned
      (live dicts: they follow rows and columns the interface adds later);
    * with ``mutable``: where it found mutable Params at the hand-over, in the order its own
      ``update_parameters()`` passes them on: ``_mutable_helpers`` (per row, a coefficient helper
      with ``pyomo_con``, ``pyomo_var_id``, ``expr``, or the row's bounds with ``con``,
      ``lower_expr``, ``upper_expr``) and ``_mutable_bounds`` (a column's bounds: ``pyomo_var_id``,
      ``lower_expr``, ``upper_expr``).

    Returns ``(highs, columns, rows, coefficients, row_bounds, column_bounds)``, the last three
    lists of ``(row, column, expr)``, ``(row, lower, upper)`` and ``(column, lower, upper)``
    (empty without ``mutable``). A Pyomo release that renames any of these fails here, loudly
    (tests/test_highs_session.py), rather than leaving HiGHS with other numbers than the model.
    """
    highs, columns, rows = opt._solver_model, opt._pyomo_var_to_solver_var_map, opt._pyomo_con_to_solver_con_map
    coefficients, row_bounds, column_bounds = [], [], []
    if mutable:
        for helpers in opt._mutable_helpers.values():
            for helper in helpers:
                if hasattr(helper, "pyomo_var_id"):  # a coefficient
                    coefficients.append((rows[helper.pyomo_con], columns[helper.pyomo_var_id], helper.expr))
                else:  # the row's bounds
                    row_bounds.append((rows[helper.con], helper.lower_expr, helper.upper_expr))
        for var_id, (_, helper) in opt._mutable_bounds.items():
            column_bounds.append((columns[var_id], helper.lower_expr, helper.upper_expr))
    return highs, columns, rows, coefficients, row_bounds, column_bounds


INF = highspy.kHighsInf


class HighsSession:
    """One Pyomo model handed to HiGHS once, then solved and re-solved through highspy directly:
    plain solves, the lexicographic stages, the uniqueness check, sweeps' persistent re-solves
    and the cost game's coalitions all go through it.

    The hand-over is Pyomo's persistent interface (``set_instance``: it builds the matrix from the
    model and assigns every variable a column, every constraint a row). After it the session owns
    HiGHS' copy of the model: every change goes through the session, which passes exactly what
    changed with highspy's modification calls, and keeps the Pyomo model saying the same:

    * a mutable Param: :meth:`set_params` (or change it in Pyomo, then :meth:`push` it): the
      coefficients, row bounds, column bounds and costs that depend on it, nothing else;
    * a variable's upper bound: :meth:`set_upper_bounds` (Pyomo's ``setub`` and ``changeColsBounds``);
    * the objective: :meth:`activate` / :meth:`set_objective` (a cached cost vector);
    * new rows: :meth:`add_rows` (through the interface, which assigns their rows).

    Rule: never change a handed-over model's numbers or bounds behind the session's back, and never
    call the interface's ``update()``, ``update_parameters()`` or ``solve()`` on it: the interface
    does not know which objective is active, and a change it did not pass would leave HiGHS
    solving other numbers than the Pyomo model says (tests/test_highs_session.py checks that a
    re-solved session's matrix, bounds and costs equal a fresh hand-over of the same model).
    """

    def __init__(self, m: pyo.ConcreteModel, options: SolverOptions):
        self.model = m
        self.opt = Highs()
        with quiet_pyomo():
            self.opt.set_instance(m)
        self.highs, self._columns, self._rows, *_ = _interface_state(self.opt)
        _set_options(self.highs, options)
        self._objective = next(m.component_data_objects(pyo.Objective, active=True), None)  # the one HiGHS has
        self._costs: dict[int, Costs] = {}  # id(objective) -> its cost vector
        self._dependents: Dependents | None = None  # built on the first push
        self._loading: list | None = None  # (VarData, column) of every variable HiGHS has
        self.variables, self.constraints = m.nvariables(), m.nconstraints()  # counted once: O(model) each

    def seconds(self) -> float:
        """HiGHS' clock: it runs on across re-solves, so callers take differences."""
        return self.highs.getRunTime()

    def nodes(self) -> int:
        return max(0, self.highs.getInfo().mip_node_count)

    def forget(self) -> None:
        """Drop the previous basis and incumbent, so that a re-solve does not depend on which
        problems this session happened to solve before (ties would break differently)."""
        self.highs.clearSolver()

    # --- solving and reading back --------------------------------------------------------------
    def solve(self) -> Outcome:
        """One HiGHS run on the model as it stands; status and values read straight from highspy."""
        h = self.highs
        _interruptible_run(h)
        info = h.getInfo()
        termination = _TERMINATION.get(h.getModelStatus(), TerminationCondition.unknown)
        feasible = info.primal_solution_status == 2  # HiGHS: 0 none, 1 infeasible, 2 feasible
        incumbent = info.objective_function_value if feasible else None
        if info.mip_node_count == -1:  # an LP: the bound is the optimum
            bound = incumbent if termination == TerminationCondition.convergenceCriteriaSatisfied else None
        else:
            bound = info.mip_dual_bound
        solution = h.getSolution() if feasible else None
        values = solution.col_value if solution is not None and solution.value_valid else None
        return Outcome(termination, incumbent, bound, max(0, info.mip_node_count), values)

    def load(self, outcome: Outcome) -> None:
        """Set every model variable HiGHS has to its value in ``outcome`` (Pyomo's ``load_vars``)."""
        if self._loading is None or len(self._loading) != len(self._columns):
            columns = self._columns
            self._loading = [(v, columns[id(v)]) for v in self.model.component_data_objects(pyo.Var)
                             if id(v) in columns]
        values = outcome.values
        for v, j in self._loading:
            v.set_value(values[j], skip_validation=True)

    def columns(self, variables: Iterable) -> list[int]:
        """The HiGHS columns of these Pyomo variables (to read an :class:`Outcome`'s values)."""
        columns = self._columns
        return [columns[id(v)] for v in variables]

    # --- changing the model --------------------------------------------------------------------
    def set_params(self, values: Iterable[tuple]) -> None:
        """Give these mutable Params their values (pairs of ParamData and number), in Pyomo and in
        HiGHS; only those whose value changes are touched."""
        changed = []
        for p, v in values:
            if p.value != v:
                p.set_value(v)
                changed.append(p)
        if changed:
            self.push(changed)

    def push(self, params: Iterable) -> None:
        """Pass to HiGHS what depends on these mutable Params, whose values the caller has just
        changed in Pyomo: those coefficients (``changeCoeff``, in the order Pyomo's
        ``update_parameters`` would pass them: a coefficient set to zero leaves the matrix and
        comes back at the end of its column), row bounds (``changeRowsBounds``), column bounds
        (``changeColsBounds``) and costs (``changeColsCost``; an inactive objective's at its next
        activation), and nothing else."""
        if self._dependents is None:
            self._dependents = Dependents(*_interface_state(self.opt, mutable=True)[3:])
            if self._objective is not None:
                self._costs_of(self._objective)  # its costs depend on Params too
        deps = self._dependents
        touched: tuple[set, set, set] = (set(), set(), set())
        costs: dict[int, set] = {}
        now: dict[int, float] = {}  # id(Param) -> its value: most entries are a single Param
        for p in params:
            key = id(p)
            now[key] = p.value
            uses = deps.uses.get(key)
            if uses is not None:
                for table in range(3):
                    touched[table].update(uses[table])
            for obj, c in self._costs.items():
                if key in c.uses:
                    costs.setdefault(obj, set()).update(c.uses[key])
        h, value = self.highs, pyo.value

        def of(expr):
            x = now.get(id(expr))
            return value(expr) if x is None else x
        coefficients, row_bounds, column_bounds = deps.tables
        change = h.changeCoeff
        for k in sorted(touched[0]):
            row, col, expr = coefficients[k]
            change(row, col, of(expr))
        for entries, touch, change_bounds in ((row_bounds, touched[1], h.changeRowsBounds),
                                              (column_bounds, touched[2], h.changeColsBounds)):
            if touch:
                chosen = [entries[k] for k in sorted(touch)]
                change_bounds(len(chosen), np.array([e[0] for e in chosen], dtype=np.int32),
                              np.array([of(e[1]) for e in chosen], dtype=np.double),
                              np.array([of(e[2]) for e in chosen], dtype=np.double))
        for obj, positions in costs.items():
            c = self._costs[obj]
            k = sorted(positions)
            cols = c.columns[k]
            c.costs[cols] = [of(c.coefficients[j]) for j in k]
            if self._objective is not None and id(self._objective) == obj:
                h.changeColsCost(len(k), cols, c.costs[cols])

    def set_upper_bounds(self, variables: Iterable, upper: Iterable) -> None:
        """Give these variables these upper bounds (None: none), in Pyomo and in HiGHS (one
        ``changeColsBounds``; HiGHS gets the bounds Pyomo's interface would: the variable's
        bounds within its domain)."""
        cols, lows, ups = [], [], []
        columns = self._columns
        for v, u in zip(variables, upper):
            v.setub(u)
            lo, up = v.bounds
            cols.append(columns[id(v)])
            lows.append(-INF if lo is None else lo)
            ups.append(INF if up is None else up)
        if cols:
            self.highs.changeColsBounds(len(cols), np.array(cols, dtype=np.int32),
                                        np.array(lows, dtype=np.double), np.array(ups, dtype=np.double))

    def add_rows(self, constraints: list) -> None:
        """Hand these new Pyomo constraints over (the interface builds and numbers their rows)."""
        with quiet_pyomo():
            self.opt.add_constraints(constraints)
        self._dependents = None  # rebuilt, with the new rows, on the next push
        self._loading = None

    def _costs_of(self, obj) -> Costs:
        n = self.highs.getNumCol()
        c = self._costs.get(id(obj))
        if c is None or c.n != n:
            if any(id(v) not in self._columns for v in identify_variables(obj.expr)):
                with quiet_pyomo():  # a variable only this objective has: the interface adds its column
                    self.opt.set_objective(obj)
                self._loading = None
                n = self.highs.getNumCol()
            c = self._costs[id(obj)] = Costs(obj, self._columns, n)
        return c

    def set_objective(self, obj) -> None:
        """Make Pyomo objective ``obj`` the one HiGHS minimises: its sense, whole cost vector and
        constant (what Pyomo's ``set_objective`` passes), from the cache."""
        c = self._costs_of(obj)
        h = self.highs
        h.changeObjectiveSense(c.sense)
        h.changeColsCost(c.n, np.arange(c.n, dtype=np.int32), c.costs)
        h.changeObjectiveOffset(pyo.value(c.constant))
        self._objective = obj

    def activate(self, name: str) -> None:
        """Make objective ``name`` the one HiGHS minimises (and the model's only active one)."""
        m = self.model
        for k in m.stage_order:
            getattr(m, f"objective_{k}").deactivate()
        obj = getattr(m, f"objective_{name}")
        obj.activate()
        self.set_objective(obj)


def _set_options(highs: highspy.Highs, options: SolverOptions) -> None:
    """Our options, set once (they stay until changed): the ones Pyomo's interface passed before
    each of its solves, and no output."""
    if options.threads is not None:
        highs.setOptionValue("threads", int(options.threads))
    if options.time_limit is not None:
        highs.setOptionValue("time_limit", float(options.time_limit))
    highs.setOptionValue("mip_rel_gap", float(options.mip_gap))
    highs.setOptionValue("random_seed", int(options.random_seed))
    highs.setOptionValue("output_flag", False)
    highs.HandleKeyboardInterrupt = True  # HiGHS' interrupt callbacks: what lets cancelSolve() stop a run
