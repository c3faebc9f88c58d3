"""Fair cost sharing over the cost game of :mod:`optimizer.game`.

Methods (costs: a member's share of c(N), lower is better for it):

* ``shapley`` — exact from all 2^n coalitions up to ``EXACT_LIMIT`` members; above that,
  Monte Carlo over random member orders with a standard error per member.
* ``least-core`` — min ε s.t. x(N) = c(N), x(S) <= c(S) + ε for all proper S; solved by
  constraint generation: start from the singletons, add the most violated coalition
  found by an exact search over all coalitions, until none is violated.
* ``nucleolus`` — the lexicographic refinement of the least core: a sequence of LPs; at
  each stage coalitions whose constraint has a positive dual are tight in every optimal
  solution, so their excess is fixed; coalitions whose incidence vector is spanned by the
  fixed ones are dropped; stop when the fixed coalitions span R^n (then x is unique).
* ``proportional`` — c(N) split in proportion to standalone costs c({i}).

An allocation is in the core when no coalition S pays more than c(S) (tolerance 1e-6
relative); otherwise the most objecting coalition and its excess are reported.
:func:`share_costs` returns a :class:`~optimizer.costsharing.CostSharing` (the typed result).
"""
from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import highspy
import numpy as np

from .costsharing import CONFIDENCE_Z, Allocation, CostSharing, Objection, Share
from .execution import Executor
from .formatting import clean, noun
from .game import CoalitionGame, all_masks, coalition_values, factorial_weights, members_of, popcount
from .instance import Instance, load_instance
from .scaling import power_of_two_unit
from .errors import UsageError
from .solver import SolverOptions, solve_data
from .status import has_plan
from .tables import member_price

METHODS = ("shapley", "least-core", "nucleolus", "proportional")
EXACT_LIMIT = 12
TOL = 1e-6


# --- pure functions of explicit games: {mask: c(mask)} over n players ---------------------------

def incidence(n: int) -> np.ndarray:
    """Row S (a mask) of the 2^n x n 0/1 matrix of coalition membership."""
    masks = np.arange(1 << n)
    return ((masks[:, None] >> np.arange(n)[None, :]) & 1).astype(float)


def shapley_exact(values: dict[int, float], n: int) -> list[float]:
    """phi_i = sum over S not containing i of w(|S|) (c(S + i) - c(S))."""
    weights = factorial_weights(n)
    phi = [0.0] * n
    for mask in all_masks(n):
        size = popcount(mask)
        if size == n:
            continue
        base = values[mask]
        for i in range(n):
            if not mask >> i & 1:
                phi[i] += weights[size] * (values[mask | 1 << i] - base)
    return phi


def _solve_lp(cost: np.ndarray, rows: list[tuple[np.ndarray, float, float]], lower: np.ndarray,
              upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """min cost.x s.t. lo <= a.x <= hi for (a, lo, hi) in rows; returns (x, row duals)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    n = len(cost)
    h.addVars(n, lower, upper)
    h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
    for a, lo, hi in rows:
        idx = np.nonzero(a)[0].astype(np.int32)
        h.addRow(lo, hi, len(idx), idx, a[idx])
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"allocation LP: {h.modelStatusToString(h.getModelStatus())}")
    sol = h.getSolution()
    return np.array(sol.col_value), np.array(sol.row_dual)


def least_core(values: dict[int, float], n: int) -> tuple[list[float], float, int]:
    """(x, epsilon, coalitions used) by constraint generation with exact separation."""
    grand = (1 << n) - 1
    M = incidence(n)
    unit = power_of_two_unit(values.values())  # the LP in numbers near 1, whatever the compute unit
    c = np.array([values[m] for m in all_masks(n)]) / unit
    proper = np.array([0 < m < grand for m in all_masks(n)])
    active = [1 << i for i in range(n)]
    inf = highspy.kHighsInf
    lower = np.full(n + 1, -inf)
    upper = np.full(n + 1, inf)
    cost = np.zeros(n + 1)
    cost[n] = 1.0  # variables: x_0..x_{n-1}, epsilon
    while True:
        rows = [(np.append(np.ones(n), 0.0), c[grand], c[grand])]
        rows += [(np.append(M[s], -1.0), -inf, c[s]) for s in active]
        sol, _ = _solve_lp(cost, rows, lower, upper)
        x, eps = sol[:n], sol[n]
        excess = M @ x - c - eps
        excess[~proper] = -inf
        worst = int(np.argmax(excess))
        if excess[worst] <= TOL * max(1.0, abs(c[grand])) or worst in active:
            return list(x * unit), float(eps * unit), len(active)
        active.append(worst)


def nucleolus(values: dict[int, float], n: int) -> list[float]:
    """The nucleolus of the cost game (minimises the largest excesses lexicographically)."""
    grand = (1 << n) - 1
    M = incidence(n)
    unit = power_of_two_unit(values.values())
    c = np.array([values[m] for m in all_masks(n)]) / unit
    inf = highspy.kHighsInf
    fixed: dict[int, float] = {}  # coalition -> its settled excess
    free = [s for s in all_masks(n) if 0 < s < grand]
    span = [np.ones(n)]  # incidence vectors whose totals are settled (grand coalition first)
    cost = np.zeros(n + 1)
    cost[n] = 1.0
    x = np.zeros(n)
    while free:
        rows = [(np.append(np.ones(n), 0.0), c[grand], c[grand])]
        rows += [(np.append(M[s], 0.0), c[s] + e, c[s] + e) for s, e in fixed.items()]
        first_free = len(rows)
        rows += [(np.append(M[s], -1.0), -inf, c[s]) for s in free]
        sol, duals = _solve_lp(cost, rows, np.full(n + 1, -inf), np.full(n + 1, inf))
        x, eps = sol[:n], sol[n]
        tight = [s for k, s in enumerate(free) if abs(duals[first_free + k]) > 1e-9]
        if not tight:  # degenerate duals: settle the coalitions that are tight at this point
            tight = [s for s in free if abs(M[s] @ x - c[s] - eps) <= 1e-9 * max(1.0, abs(c[s]))]
        for s in tight:
            fixed[s] = eps
            span.append(M[s])
        rank = np.linalg.matrix_rank(np.array(span))
        if rank >= n:
            break
        basis = np.array(span)
        free = [s for s in free if s not in fixed
                and np.linalg.matrix_rank(np.vstack([basis, M[s]])) > rank]
    return list(x * unit)


def core_objection(x: list[float], values: dict[int, float], n: int) -> tuple[int, float] | None:
    """The coalition with the largest excess x(S) - c(S) among known values, if positive."""
    grand = (1 << n) - 1
    xs = np.asarray(x)
    worst, worst_excess = None, TOL * max(abs(v) for v in values.values())  # relative: any compute unit
    for mask, v in values.items():
        if 0 < mask < grand:
            excess = float(xs[[i for i in range(n) if mask >> i & 1]].sum() - v)
            if excess > worst_excess:
                worst, worst_excess = mask, excess
    return None if worst is None else (worst, worst_excess)


# --- the command's entry point ------------------------------------------------------------------

def share_costs(instance, methods: str | list[str] = "shapley", design: str = "consortium", *,
                samples: int = 2000, seed: int = 0, unmet_penalty: float = 3.0, workers: int | None = None,
                executor: Executor | None = None, options: SolverOptions | None = None) -> CostSharing:
    """Split the grand coalition's compute c(N) among the members of a design, once per
    method in ``methods`` (one name or a list); coalition values are solved once and shared
    by all methods asked for. Coalitions are solved on ``workers`` processes (default: every
    core; or pass an ``executor``), with the same values whatever their number.

    ``options`` are the design's own plan's; coalition values take their time limit, threads
    (default 1 each) and seed, but are always solved to gap 0 (:class:`~optimizer.game.CoalitionGame`)."""
    methods = [methods] if isinstance(methods, str) else list(methods)
    for method in methods:
        if method not in METHODS:
            raise UsageError(f"unknown method {method!r} (expected one of: {', '.join(METHODS)})")
    inst: Instance = load_instance(instance)
    options = options or SolverOptions()
    executor = executor or Executor(workers=workers)
    game = CoalitionGame(inst, design, unmet_penalty, options)
    n = game.n
    if n > EXACT_LIMIT and set(methods) & {"least-core", "nucleolus"}:
        raise UsageError(f"least-core and nucleolus are computed exactly up to {EXACT_LIMIT} members; "
                         f"this design has {n}")
    singles = [1 << i for i in range(n)]
    # exact games: every coalition (Shapley needs them, and the core check is then exact)
    wanted = list(all_masks(n)) if n <= EXACT_LIMIT else singles + [game.grand]
    coalition_values(game, inst, design, wanted, executor)
    plan = _grand_coalition_against_plan(game, options)
    variant = inst.design(design)[0]
    return CostSharing(instance=inst.name, design=design, units=dict(inst.spec.units), unmet_penalty=unmet_penalty,
                       allocations=[_allocate_one(game, inst, design, m, samples, seed, executor, plan)
                                    for m in methods], prices={i: member_price(variant, i) for i in game.members})


def allocate(instance, methods: str | list[str] = "shapley", design: str = "consortium",
             **kw: Any) -> Allocation | list[Allocation]:
    """:func:`share_costs`'s allocations (same keywords): one Allocation for one method name, else a list."""
    allocations = share_costs(instance, methods, design, **kw).allocations
    return allocations[0] if isinstance(methods, str) else allocations


def _grand_coalition_against_plan(game: CoalitionGame, options: SolverOptions) -> tuple[float | None, list[str]]:
    """The design's own total_compute, and why c(N) differs from it when it does.

    c(N) may leave a need unmet (or a required run short) at the penalty when that is cheaper
    than meeting it, or when the design has no feasible plan at all; the design's plan meets
    every need."""
    plan = solve_data(game.data, replace(options, check_unique=False))  # only its total is reported
    grand = game.cache[game.grand]
    if not has_plan(plan.status):
        return None, [f"the design has no feasible plan ({plan.status}); c(N) = {grand:.6g} prices what the "
                      f"members cannot do together at the penalty"]
    total = clean(game.data.plan_compute(plan.runs, plan.gets))
    if abs(total - grand) <= 1e-6 * abs(total):
        return total, []
    return total, [f"c(N) = {grand:.6g} is below the design's total_compute {total:.6g}: leaving some needs "
                   f"unmet (or required runs short) at {game.unmet_penalty:g} x their compute is cheaper than "
                   f"meeting them, which the design's plan must do"]


def _allocate_one(game: CoalitionGame, inst: Instance, design: str, method: str, samples: int, seed: int,
                  executor: Executor | None, plan: tuple[float | None, list[str]]) -> Allocation:
    n, names = game.n, game.members
    values = dict(game.cache)
    grand = values[game.grand]
    standalone = [values[1 << i] for i in range(n)]
    std_error: list[float | None] = [None] * n
    notes = [f"c(S) prices an unmet need at {game.unmet_penalty:g} x its compute"]
    if method == "shapley" and n <= EXACT_LIMIT:
        x = shapley_exact(values, n)
    elif method == "shapley":
        x, std_error = _shapley_monte_carlo(game, inst, design, samples, seed, executor)
        values = dict(game.cache)
        notes.append(f"Monte Carlo over {samples} member {noun(samples, 'order')} (seed {seed}); "
                     f"95% interval = allocated ± {CONFIDENCE_Z} x std_error")
    elif method == "least-core":
        x, eps, used = least_core(values, n)
        notes.append(f"least-core epsilon {eps:.6g} after {used} generated coalition constraints")
    elif method == "nucleolus":
        x = nucleolus(values, n)
    else:
        total = sum(standalone)
        x = [grand * s / total if total else grand / n for s in standalone]
    x = [float(v) for v in x]
    objection = core_objection(x, values, n)
    if len(values) < (1 << n):
        notes.append(f"core checked against the {len(values) - 1} coalitions solved, not all {2 ** n - 1}")
    design_total, why = plan
    shares = [Share(member=m, standalone=clean(s), allocated=clean(a, like=s), savings=clean(s - a, like=s),
                    std_error=None if e is None else clean(float(e), like=s))
              for m, s, a, e in zip(names, standalone, x, std_error)]
    return Allocation(
        method=method, grand_coalition=grand, in_core=objection is None, shares=shares,
        objection=None if objection is None else Objection(
            coalition=members_of(objection[0], names), pays=clean(sum(x[i] for i in range(n) if objection[0] >> i & 1)),
            alone=values[objection[0]], excess=clean(objection[1], like=values[objection[0]])),
        notes=notes + why, coalitions_solved=len(game.cache) - 1, design_total_compute=design_total)


def _shapley_monte_carlo(game: CoalitionGame, inst: Instance, design: str, samples: int, seed: int,
                         executor: Executor | None) -> tuple[list[float], list[float]]:
    """Average marginal costs over ``samples`` random member orders (antithetic pairs)."""
    n = game.n
    rng = random.Random(seed)
    orders = []
    while len(orders) < samples:
        order = list(range(n))
        rng.shuffle(order)
        orders.append(order)
        if len(orders) < samples:
            orders.append(order[::-1])  # antithetic: reversed order lowers the variance
    prefixes = set()
    for order in orders:
        mask = 0
        for i in order:
            mask |= 1 << i
            prefixes.add(mask)
    values = coalition_values(game, inst, design, prefixes, executor)
    marginals = np.zeros((len(orders), n))
    for k, order in enumerate(orders):
        mask, prev = 0, 0.0
        for i in order:
            mask |= 1 << i
            marginals[k, i] = values[mask] - prev
            prev = values[mask]
    mean = marginals.mean(axis=0)
    se = marginals.std(axis=0, ddof=1) / np.sqrt(len(orders)) if len(orders) > 1 else np.zeros(n)
    return list(mean), list(se)
