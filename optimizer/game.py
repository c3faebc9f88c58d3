"""The consortium's cost game: c(S) for every coalition S of a design's members.

c(S) is the optimal total compute when only the members of S take part (design
``members: S``), with two adjustments so that every c(S) is finite and meaningful:

* replicas are capped at the number of members of S able to run the workstream;
* a need that S cannot meet may stay unmet at ``unmet_penalty`` (default 3) times its
  compute, the price of meeting it some other way (e.g. buying it outside the consortium);
* a required workstream S cannot run often enough (no budget, no room on its fleets) may
  miss runs, each at ``unmet_penalty`` times the least compute any member has for it.

Coalitions are bitmasks over ``CoalitionGame.members`` (bit k = k-th member). The model is
built once for all members (the base model with the :class:`Coalitions` layer) and handed to HiGHS once;
each coalition only changes variable bounds (members outside S cannot run, adopt or pay)
and mutable parameters (need switches, replica caps): the session passes what changed from the
previous coalition to HiGHS as bound, right-hand-side and coefficient changes (highspy's
modification calls), instead of a rebuild.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Iterable

import pyomo.core as pyo

from .errors import LimitReached
from .execution import interactive, progress_bar
from .formatting import clean
from .instance import Instance
from .model import Layer, build_model, required
from .objectives import OBJECTIVES
from .solver import HighsSession, SolverOptions, solve_stages
from .status import Status
from .tables import ModelData, derive

DEFAULT_UNMET_PENALTY = 3.0


def members_of(mask: int, members: list[str]) -> list[str]:
    return [m for k, m in enumerate(members) if mask >> k & 1]


class Coalitions(Layer):
    """The cost-game layer: one model for every coalition. Members outside the coalition S have
    their needs switched off (``need_on``) and their variables bounded at 0 (by the game); a
    need of S it cannot meet is ``unmet`` at ``unmet_penalty`` times its compute (and money) in
    each objective, a required run it cannot make is ``runs_short`` at the least compute (money)
    any member has for it, and a workstream needs at most as many replicas as S has runners
    (``replicas_cap``)."""

    name = "coalition"

    def __init__(self, unmet_penalty: float):
        self.unmet_penalty = unmet_penalty

    def declare(self, m: pyo.ConcreteModel, d: ModelData) -> None:
        m.unmet = pyo.Var(d.need_keys, domain=pyo.Binary)
        m.need_on = pyo.Param(d.need_keys, mutable=True, initialize=1)
        m.runs_short = pyo.Var(required(d), domain=pyo.NonNegativeIntegers)
        if d.sharing:  # without sharing, replicas and `required` are ignored
            m.replicas_cap = pyo.Param(d.workstreams, mutable=True, initialize=d.replicas)

    def objective_terms(self, m: pyo.ConcreteModel, d: ModelData, name: str):
        table = OBJECTIVES[name][1]  # compute or cost per (member, workstream); time: periods
        # an unmet need counts as ready one period after the horizon, at the penalty
        values = getattr(d, table) if table else {(i, w): d.T + 1 for i in d.members for w in d.workstreams}
        return (sum(self.unmet_penalty * values[i, w] * m.unmet[i, w] for i, w in m.unmet)
                + sum(self.unmet_penalty * min(values[i, w] for i in d.members) * m.runs_short[w]
                      for w in m.runs_short))


class CoalitionGame:
    """Solves c(S) with one persistent model; cache values with :meth:`values`."""

    def __init__(self, inst: Instance, design: str = "consortium", unmet_penalty: float = DEFAULT_UNMET_PENALTY,
                 options: SolverOptions | None = None):
        variant, settings = inst.design(design)
        self.data = derive(variant, settings, design)
        self.members = list(self.data.members)
        self.n = len(self.members)
        self.unmet_penalty = unmet_penalty
        # mip_gap 0: allocations are differences of c(S), so each value must be exact; coalitions
        # are solved side by side, so one HiGHS thread each unless told otherwise
        self.options = replace((options or SolverOptions()).one_thread_each(), mip_gap=0.0, check_unique=False)
        self.able = {w: [k for k, j in enumerate(self.members) if self.data.options[j, w]]
                     for w in self.data.workstreams}
        self.cache: dict[int, float] = {0: 0.0}
        self.highs_seconds = 0.0  # inside HiGHS, over the coalitions this game solved (benchmarks/ reads it)
        self._model = None
        self._session = None

    def _setup(self) -> None:
        m = build_model(self.data, Coalitions(self.unmet_penalty))
        session = HighsSession(m, self.options)
        self._own_vars = {i: [] for i in self.members}  # member -> [(variable, its upper bound inside S)]
        for i, w, o in m.RUN:
            self._own_vars[i].append((m.run[i, w, o], 1))
        for i, w in m.GET:
            self._own_vars[i].append((m.get[i, w], 1))
        if hasattr(m, "pay"):
            for i, w in m.PAY:
                self._own_vars[i].append((m.pay[i, w], None))
        self._needs_of = {i: [m.need_on[i, w] for j, w in m.need_on if j == i] for i in self.members}
        # the columns c(S) is read from, in the order of the model's index sets
        self._read = [(list(index), session.columns(var[k] for k in index))
                      for var, index in ((m.run, m.RUN), (m.get, m.GET), (m.unmet, list(m.unmet)),
                                         (m.runs_short, list(m.runs_short)))]
        self._mask = self.grand  # the model as built: every member in
        self._model, self._session = m, session

    def _set_coalition(self, mask: int) -> None:
        """Bounds and parameters of coalition ``mask``, changed (in Pyomo and HiGHS) only for the
        members that joined or left since the previous coalition."""
        m, d, session = self._model, self.data, self._session
        flipped = [(k, i) for k, i in enumerate(self.members) if (mask ^ self._mask) >> k & 1]
        variables, upper, params = [], [], []
        for k, i in flipped:
            inside = mask >> k & 1
            for var, ub in self._own_vars[i]:
                variables.append(var)
                upper.append(ub if inside else 0)
            params += [(p, 1 if inside else 0) for p in self._needs_of[i]]
        session.set_upper_bounds(variables, upper)
        if hasattr(m, "replicas_cap"):  # without sharing, replicas and `required` are ignored
            params += [(m.replicas_cap[w], min(d.replicas[w], sum(1 for k in self.able[w] if mask >> k & 1)))
                       for w in d.workstreams]
        session.set_params(params)
        self._mask = mask

    def _solve(self, mask: int) -> float:
        if self._model is None:
            self._setup()
        d = self.data
        self._session.forget()  # history-independent: same c(S) whatever came before
        self._set_coalition(mask)
        # c(S) needs the stages up to compute's (all of them when compute is not in the list)
        order = list(d.objective)
        clock = self._session.seconds()
        stages = solve_stages(self._session, order.index("compute") + 1 if "compute" in order else None, load=False)
        self.highs_seconds += self._session.seconds() - clock
        if stages.status == Status.INFEASIBLE:  # cannot happen: nothing run, every need unmet, is a plan
            raise RuntimeError(f"coalition {members_of(mask, self.members)}: {stages.termination}")
        if stages.status != Status.OPTIMAL:
            gap = "no plan found" if stages.mip_gap is None else f"gap {stages.mip_gap:.3g}"
            raise LimitReached(f"coalition {', '.join(members_of(mask, self.members)) or '(none)'} was not solved "
                               f"to optimality within the time limit ({gap}); allocations need exact c(S): "
                               f"raise --time-limit")
        # c(S) is the compute of S's lexicographically best plan, unmet needs at their penalty
        x = stages.outcome.values
        (run_keys, run_cols), (get_keys, get_cols), (unmet_keys, unmet_cols), (short_keys, short_cols) = self._read
        runs = [k for k, j in zip(run_keys, run_cols) if x[j] > 0.5]
        gets = [k for k, j in zip(get_keys, get_cols) if x[j] > 0.5]
        unmet = math.fsum([d.compute[k] for k, j in zip(unmet_keys, unmet_cols) if x[j] > 0.5]
                          + [round(x[j]) * min(d.compute[i, w] for i in d.members)
                             for w, j in zip(short_keys, short_cols)])
        return clean(d.plan_compute(runs, gets) + self.unmet_penalty * unmet)

    def value(self, mask: int) -> float:
        if mask not in self.cache:
            self.cache[mask] = self._solve(mask)
        return self.cache[mask]

    def values(self, masks: Iterable[int]) -> dict[int, float]:
        return {mask: self.value(mask) for mask in masks}

    @property
    def grand(self) -> int:
        return (1 << self.n) - 1


def coalition_chunk(task: tuple, games: dict) -> dict[int, float]:
    """Executor task: values of a chunk of coalitions; ``games`` is the worker's state for the run
    (:mod:`optimizer.execution`), where the game is built once per worker."""
    inst, design, penalty, options, masks = task
    key = (inst.content_hash, design, penalty, options)
    if key not in games:
        games.clear()
        games[key] = CoalitionGame(inst, design, penalty, options)
    return games[key].values(masks)


def coalition_values(game: CoalitionGame, inst: Instance, design: str, masks: Iterable[int],
                     executor=None) -> dict[int, float]:
    """c(S) for every mask, using (and filling) ``game.cache``; solves in parallel when asked."""
    todo = sorted({m for m in masks if m not in game.cache})
    if todo:
        if executor is None or executor.workers == 1:
            with progress_bar(len(todo), "coalitions", interactive() if executor is None else executor.progress) as bar:
                for mask in todo:
                    game.value(mask)
                    bar.update(1)
        else:
            # interleaved chunks: each holds small and large coalitions, so workers finish together
            n_chunks = max(executor.workers * 8, 1)
            chunks = [todo[k::n_chunks] for k in range(min(n_chunks, len(todo)))]
            tasks = [(inst, design, game.unmet_penalty, game.options, chunk) for chunk in chunks]
            for part in executor.map(coalition_chunk, tasks, label="coalitions", state=dict,
                                     sizes=[len(c) for c in chunks]):
                game.cache.update(part)
    return {m: game.cache[m] for m in masks}


def all_masks(n: int) -> range:
    return range(1 << n)


def popcount(mask: int) -> int:
    return bin(mask).count("1")


def factorial_weights(n: int) -> list[float]:
    """w[s] = s! (n-s-1)! / n!: the Shapley weight of a coalition of size s joined by one more."""
    return [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
