"""The consortium MIP as a matrix built with numpy and handed to highspy with ``passModel``: the
baseline the Pyomo model is measured against (issue 16, items 2 and 5).

:func:`build` turns a :class:`~optimizer.tables.ModelData` into the same MIP that
:func:`optimizer.model.build_model` gives HiGHS for the first objective stage: the same columns
(run, get, pay, published, run_count), rows, coefficients, bounds and integrality, the level
rows of the later objectives at their "no bound yet" value, and the first objective of
``d.objective`` as the cost vector. It starts where ``build_model`` starts (the unscaled
ModelData), takes the same steps with the project's own functions — :class:`Scale`,
``without_idle_runs``, :func:`~optimizer.model.coefficients`, ``d.get_keys``, the aggregate
choices of :mod:`optimizer.model` (so ``model.AGGREGATES`` is honoured: "auto", "always",
"never") — and then writes each row group as numpy index arrays instead of Pyomo expressions.
:meth:`Matrix.pass_to` hands the column-wise (CSC) arrays to HiGHS in one ``passModel`` call.

Covered: untimed instances and every design knob they have (sharing, funding lead or pooled,
adoption_factor, members, overrides, publishes, estimates, fleets and accelerator lists,
prerequisites, replicas and required workstreams, objective lists of compute and money).
Not covered (``build`` refuses or simply has no such thing):

* a ``horizon`` (``optimizer.timed``: per-period variables and rows) and list budgets;
* the layers: the elastic diagnosis model, the coalition model of the cost game;
* ``mutable=True`` (sweeps: capacity rows that cannot bind are kept, the pooled big-M is the
  total cost alone) and re-solves;
* later objective stages, the uniqueness check, pinned plans, the canonical payment LP and
  the standalone optima: only the first stage's MIP is built.

Row and column names. Every column and row has the key the Pyomo model gives it,
``(component name, index tuple)``: ``("run", (i, w, o))``, ``("needs", (i, w))``,
``("budget", (i,))``, ``("objective_level", ("compute",))``; :meth:`Matrix.col_keys` and
:meth:`Matrix.row_keys` list them in column and row order (built on demand, not part of the
build). Rows the Pyomo model finds infeasible before any solve (a need nobody can meet) are
left out the same way and listed in ``Matrix.infeasible_rows`` like ``m.infeasible_rows``.

Each row is normalised as Pyomo normalises it, so the two matrices agree entry by entry, sign
included: ``a <= b`` with variables on both sides is ``a - b <= 0``, with a constant on one side
the other side is the body (``0 <= has[i,v]`` keeps lower bound 0 and ``+1`` entries); entries
of one variable in a row are summed (run[i,w,o] in ``replicas*has - runs``: ``replicas - 1``).
``tests/test_direct_matrix.py`` checks all of it against the matrix HiGHS gets from Pyomo.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import highspy
import numpy as np

from optimizer import model
from optimizer.model import coefficients
from optimizer.objectives import NO_LEVEL, OBJECTIVES
from optimizer.scaling import Scale
from optimizer.tables import ModelData

INF = highspy.kHighsInf
Labels = Callable[[], list]  # the index tuples of a block of rows or columns, made on demand


class Ragged:
    """Items grouped by an integer key 0..size-1, as a CSR index: the columns of has[i,w] by
    pair i*|W| + w, the runs of w by w. ``expand`` lists the items of many groups at once."""

    def __init__(self, group: np.ndarray, item: np.ndarray, size: int):
        order = np.argsort(group, kind="stable")
        self.item = item[order]
        self.ptr = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.bincount(group, minlength=size), out=self.ptr[1:])

    def count(self, groups: np.ndarray) -> np.ndarray:
        return self.ptr[groups + 1] - self.ptr[groups]

    def expand(self, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in ``groups``, item) for every item of every group of ``groups``."""
        n = self.count(groups)
        owner = np.repeat(np.arange(len(groups)), n)
        first = np.repeat(self.ptr[groups] - (np.cumsum(n) - n), n)
        return owner, self.item[first + np.arange(len(owner))]


class Columns:
    """Column numbers and per-column numbers of one (scaled) ModelData: runs, then adoptions,
    then pay[i,w] (pooled funding), published[w] and run_count[w] (the aggregates)."""

    def __init__(self, d: ModelData, num: dict[str, dict]):
        self.d, self.num = d, num
        self.members, self.workstreams = d.members, d.workstreams
        self.k = k = len(d.workstreams)
        self.pairs = len(d.members) * k  # pair id of (i, w): i * k + w
        self.member = {i: n for n, i in enumerate(d.members)}
        self.work = {w: n for n, w in enumerate(d.workstreams)}
        self.run_keys, self.get_keys = d.run_keys, d.get_keys
        self.run_i = self._ids((i for i, _, _ in self.run_keys), self.member, len(self.run_keys))
        self.run_w = self._ids((w for _, w, _ in self.run_keys), self.work, len(self.run_keys))
        self.get_i = self._ids((i for i, _ in self.get_keys), self.member, len(self.get_keys))
        self.get_w = self._ids((w for _, w in self.get_keys), self.work, len(self.get_keys))
        self.run = np.arange(len(self.run_keys))
        self.get = len(self.run_keys) + np.arange(len(self.get_keys))
        self.count = len(self.run) + len(self.get)
        self.blocks: list[tuple[str, Labels, int]] = [
            ("run", lambda: self.run_keys, len(self.run)), ("get", lambda: self.get_keys, len(self.get))]
        self.continuous = self.count  # the binaries (run, get) end here; pay and the aggregates follow
        self.pay = self._add("pay", self.pair_labels(np.arange(self.pairs)), self.pairs) if d.pooled else None
        self.aggregates = self.count  # the aggregates (integer: sums of binaries) start here
        self.published = self._aggregate("published", model.published_workstreams(d, self.get_keys))
        counted = model.counted_workstreams(d, model.replica_keys(d)) if d.sharing else []
        self.run_count = self._aggregate("run_count", counted)
        run_pair = self.run_i * k + self.run_w
        self.has = Ragged(np.concatenate([run_pair, self.get_i * k + self.get_w]),
                          np.concatenate([self.run, self.get]), self.pairs)
        self.own_runs = Ragged(run_pair, self.run, self.pairs)
        self.runners = Ragged(self.run_w, self.run, k)
        publishing = np.array([d.publishes[i] for i in d.members], dtype=bool)[self.run_i]
        self.publishing_runners = Ragged(self.run_w[publishing], self.run[publishing], k)

    @staticmethod
    def _ids(names, index: dict, n: int) -> np.ndarray:
        return np.fromiter((index[x] for x in names), np.int64, n)

    def _add(self, name: str, labels: Labels, n: int) -> np.ndarray:
        cols = self.count + np.arange(n)
        self.count += n
        self.blocks.append((name, labels, n))
        return cols

    def _aggregate(self, name: str, workstreams: list[str]) -> np.ndarray:
        """Column of ``name[w]`` by workstream number, -1 where w has none."""
        out = np.full(self.k, -1, dtype=np.int64)
        out[[self.work[w] for w in workstreams]] = self._add(name, lambda: [(w,) for w in workstreams],
                                                             len(workstreams))
        return out

    def pair_ids(self, keys) -> np.ndarray:
        return np.fromiter((self.member[i] * self.k + self.work[w] for i, w in keys), np.int64, len(keys))

    def workstream_labels(self, ws: np.ndarray) -> Labels:
        return lambda: [(self.workstreams[w],) for w in ws.tolist()]

    def pair_labels(self, pairs: np.ndarray) -> Labels:
        return lambda: [(self.members[p // self.k], self.workstreams[p % self.k]) for p in pairs.tolist()]

    def run_numbers(self, table: str) -> np.ndarray:
        values = self.num[table]
        return np.fromiter((values[i, w] for i, w, _ in self.run_keys), float, len(self.run_keys))

    def get_numbers(self, table: str) -> np.ndarray:
        values = self.num[table]
        return np.fromiter((values[key] for key in self.get_keys), float, len(self.get_keys))

    def keys(self) -> list[tuple]:
        return [(name, key) for name, labels, _ in self.blocks for key in labels()]


class Rows:
    """Row blocks as they are made: bounds, entries (row within the block, column, value), names."""

    def __init__(self):
        self.count = 0
        self.lower, self.upper, self.row, self.col, self.value = [], [], [], [], []
        self.blocks: list[tuple[str, Labels, int]] = []
        self.infeasible: list[tuple] = []  # as model.infeasible_rows: index tuples, in group order

    def add(self, name: str, labels: Labels, n: int, lower, upper, *entries) -> None:
        """``n`` rows ``name[...]``; ``entries``: (row in block, column, value) array triples."""
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=float), n))
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=float), n))
        for row, col, value in entries:
            self.row.append(self.count + row)
            self.col.append(col)
            self.value.append(np.broadcast_to(np.asarray(value, dtype=float), len(row)))
        self.blocks.append((name, labels, n))
        self.count += n

    def keys(self) -> list[tuple]:
        return [(name, key) for name, labels, _ in self.blocks for key in labels()]


def at_most_once(rows: Rows, x: Columns) -> None:
    """(1) has[i,w] <= 1 where i has two or more ways to have w (``model.add_at_most_once``)."""
    pairs = np.flatnonzero(x.has.count(np.arange(x.pairs)) > 1)
    owner, col = x.has.expand(pairs)
    rows.add("at_most_once", x.pair_labels(pairs), len(pairs), -INF, 1.0, (owner, col, 1.0))


def needs(rows: Rows, x: Columns) -> None:
    """(2) has[i,w] = 1; a need with no way to have it is an infeasible row, not written."""
    keys = x.d.need_keys
    pairs = x.pair_ids(keys)
    met = x.has.count(pairs) > 0
    rows.infeasible += [key for key, ok in zip(keys, met.tolist()) if not ok]
    pairs = pairs[met]
    owner, col = x.has.expand(pairs)
    rows.add("needs", x.pair_labels(pairs), len(pairs), 1.0, 1.0, (owner, col, 1.0))


def prerequisites(rows: Rows, x: Columns) -> None:
    """(3) has[i,w] - has[i,v] <= 0; where has[i,w] has no variable, 0 <= has[i,v] (Pyomo keeps
    the constant side as the bound); neither: always true, not written."""
    d = x.d
    links = np.array([(x.work[w], x.work[v]) for w in d.workstreams for v in d.requires[w]], dtype=np.int64)
    if not len(links):
        return
    member = np.repeat(np.arange(len(d.members)), len(links)) * x.k  # keys: i, then (w, v) in order
    pw, pv = member + np.tile(links[:, 0], len(d.members)), member + np.tile(links[:, 1], len(d.members))
    has_w = x.has.count(pw) > 0
    keep = has_w | (x.has.count(pv) > 0)
    pw, pv, has_w = pw[keep], pv[keep], has_w[keep]
    o1, c1 = x.has.expand(pw)
    o2, c2 = x.has.expand(pv)
    labels = lambda: [(x.members[a // x.k], x.workstreams[a % x.k], x.workstreams[b % x.k])  # noqa: E731
                      for a, b in zip(pw.tolist(), pv.tolist())]
    rows.add("prerequisites", labels, len(pw), np.where(has_w, -INF, 0.0), np.where(has_w, 0.0, INF),
             (o1, c1, 1.0), (o2, c2, np.where(has_w, -1.0, 1.0)[o2]))


def adoption_source(rows: Rows, x: Columns) -> None:
    """(4) get[i,w] - (publishing runs of others) <= 0, or against the aggregate:
    get[i,w] + [i publishes] own runs - published[w] <= 0, published[w] - publishing runs = 0."""
    ws = np.flatnonzero(x.published >= 0)
    owner, col = x.publishing_runners.expand(ws)
    rows.add("published_runs", x.workstream_labels(ws), len(ws), 0.0, 0.0,
             (np.arange(len(ws)), x.published[ws], 1.0), (owner, col, -1.0))
    g = np.arange(len(x.get))
    pooled = x.published[x.get_w] >= 0
    publishes = np.array([x.d.publishes[i] for i in x.members], dtype=bool)[x.get_i]
    own = g[pooled & publishes]
    o_own, c_own = x.own_runs.expand(x.get_i[own] * x.k + x.get_w[own])
    direct = g[~pooled]
    o_dir, c_dir = x.publishing_runners.expand(x.get_w[direct])
    others = x.run_i[c_dir] != x.get_i[direct][o_dir]
    rows.add("adoption_source", lambda: x.get_keys, len(g), -INF, 0.0, (g, x.get, 1.0),
             (own[o_own], c_own, 1.0), (g[pooled], x.published[x.get_w[pooled]], -1.0),
             (direct[o_dir[others]], c_dir[others], -1.0))


def replicas(rows: Rows, x: Columns) -> None:
    """(5) replicas[w] * has[i,w] - runs of w (or run_count[w]) <= 0 for replicas >= 2, the
    aggregate's run_count[w] - runs of w = 0, and runs of w >= replicas[w] where required.
    Without sharing: none (``model.add_replicas``)."""
    d = x.d
    if not d.sharing:
        return
    ws = np.flatnonzero(x.run_count >= 0)
    owner, col = x.runners.expand(ws)
    rows.add("run_counts", x.workstream_labels(ws), len(ws), 0.0, 0.0,
             (np.arange(len(ws)), x.run_count[ws], 1.0), (owner, col, -1.0))
    keys = model.replica_keys(d)
    pairs = x.pair_ids(keys)
    w = pairs % x.k
    r = np.array([d.replicas[v] for v in x.workstreams], dtype=float)[w]
    has = x.has.count(pairs) > 0
    counted = x.run_count[w] >= 0
    keep = has | counted | (x.runners.count(w) > 0)  # else 0 >= 0: always true
    pairs, w, r, has, counted = pairs[keep], w[keep], r[keep], has[keep], counted[keep]
    o_has, c_has = x.has.expand(pairs)
    n = np.arange(len(pairs))
    o_runs, c_runs = x.runners.expand(w[~counted])
    sign = np.where(has, -1.0, 1.0)  # without has[i,w] the row is 0 <= runs of w
    rows.add("replicas", x.pair_labels(pairs), len(pairs), np.where(has, -INF, 0.0), np.where(has, 0.0, INF),
             (o_has, c_has, r[o_has]), (n[counted], x.run_count[w[counted]], sign[counted]),
             (n[~counted][o_runs], c_runs, sign[~counted][o_runs]))
    required = [x.work[v] for v in model.required(d)]
    need = np.array([d.replicas[x.workstreams[v]] for v in required], dtype=float)
    runnable = x.runners.count(np.array(required, dtype=np.int64)) > 0
    rows.infeasible += [(x.workstreams[v],) for v, ok, rv in zip(required, runnable.tolist(), need.tolist())
                        if not ok and rv > 0]
    ws = np.array(required, dtype=np.int64)[runnable]
    owner, col = x.runners.expand(ws)
    rows.add("required", x.workstream_labels(ws), len(ws), need[runnable], INF,
             (owner, col, 1.0))


def capacity(rows: Rows, x: Columns) -> None:
    """(7) sum of hours * run on fleet (i, h) <= capacity[i,h], for rows that can bind (fixed
    numbers: the rows where even every run fits are left out, as in ``model.add_capacity``)."""
    d = x.d
    keys = list(d.capacity)
    index = {key: n for n, key in enumerate(keys)}
    row_of = np.fromiter((index.get((i, o), -1) for i, _, o in x.run_keys), np.int64, len(x.run_keys))
    on = np.flatnonzero(row_of >= 0)
    hours = np.fromiter((x.num["hours"][x.run_keys[c]] for c in on.tolist()), float, len(on))
    # bincount adds in run order, i.e. in workstream order per row: the same float sum as the model's
    total = np.bincount(row_of[on], weights=hours, minlength=len(keys))
    used = np.bincount(row_of[on], minlength=len(keys)) > 0
    limit = np.array([x.num["capacity"][key] for key in keys], dtype=float)
    kept = used & ~(total <= limit)
    new = np.cumsum(kept) - 1
    binds = kept[row_of[on]]
    rows.add("capacity", lambda: [keys[n] for n in np.flatnonzero(kept).tolist()], int(kept.sum()), -INF,
             limit[kept], (new[row_of[on][binds]], x.run[on][binds], hours[binds]))


def budget_lead(rows: Rows, x: Columns) -> None:
    """(6) cost of i's runs + adoption cost of i's adoptions <= budget[i]; a member with neither
    spends nothing whatever happens: no row."""
    m = len(x.members)
    kept = (np.bincount(x.run_i, minlength=m) + np.bincount(x.get_i, minlength=m)) > 0
    new = np.cumsum(kept) - 1
    budget = np.array([x.num["budget"][i] for i in x.members], dtype=float)
    rows.add("budget", lambda: [(x.members[i],) for i in np.flatnonzero(kept).tolist()], int(kept.sum()),
             -INF, budget[kept], (new[x.run_i], x.run, x.run_numbers("cost")),
             (new[x.get_i], x.get, x.get_numbers("get_cost")))


def budget_pooled(rows: Rows, x: Columns) -> None:
    """(6') pay[i,w] - M[i,w] has[i,w] <= 0 with M = min(budget[i], cost of every run of w);
    sum_i pay[i,w] - cost of w's runs = 0; sum_w pay[i,w] + adoption costs <= budget[i]."""
    num, k = x.num, x.k
    budget = np.array([num["budget"][i] for i in x.members], dtype=float)
    total = np.array([num["run_cost_total"][w] for w in x.workstreams], dtype=float)
    pairs = np.arange(x.pairs)
    big_m = np.minimum(budget[pairs // k], total[pairs % k])
    owner, col = x.has.expand(pairs)
    rows.add("pay_only_if_has", x.pair_labels(pairs), x.pairs, -INF, 0.0, (pairs, x.pay, 1.0),
             (owner, col, -big_m[owner]))
    rows.add("pay_covers_runs", lambda: [(w,) for w in x.workstreams], k, 0.0, 0.0, (pairs % k, x.pay, 1.0),
             (x.run_w, x.run, -x.run_numbers("cost")))
    rows.add("budget", lambda: [(i,) for i in x.members], len(x.members), -INF, budget,
             (pairs // k, x.pay, 1.0), (x.get_i, x.get, x.get_numbers("get_cost")))


def objective(x: Columns, name: str) -> np.ndarray:
    """Objective ``name`` (compute or money) over the run and get columns."""
    _, table = OBJECTIVES[name]
    return np.concatenate([x.run_numbers(table), x.get_numbers(f"get_{table}")])


def objective_levels(rows: Rows, x: Columns) -> None:
    """The level row f_k <= NO_LEVEL of every objective but the last (``add_objectives``): a
    later stage only changes its bound and the cost vector. An objective over no variable has none."""
    names = list(x.d.objective[:-1]) if len(x.run) + len(x.get) else []
    for n, name in enumerate(names):
        f = objective(x, name)
        rows.add("objective_level", lambda name=name: [(name,)], 1, -INF, NO_LEVEL,
                 (np.zeros(len(f), dtype=np.int64), np.concatenate([x.run, x.get]), f))


GROUPS = (at_most_once, needs, prerequisites, adoption_source, replicas, capacity)


@dataclass
class Matrix:
    """The MIP in HiGHS' column-wise arrays (``start``, ``index``, ``value``)."""

    col_cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray  # int32: 1 integer (run, get, the aggregates), 0 continuous (pay)
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray  # int32, num_col + 1
    index: np.ndarray  # int32 row of each entry
    value: np.ndarray
    scale: Scale  # what one model unit is in the user's units (as ``m.scale``)
    infeasible_rows: list[tuple] = field(default_factory=list)
    _cols: Columns | None = None
    _rows: Rows | None = None
    _order: np.ndarray | None = None  # Columns' number of each column

    @property
    def num_col(self) -> int:
        return len(self.col_cost)

    @property
    def num_row(self) -> int:
        return len(self.row_lower)

    @property
    def num_nz(self) -> int:
        return len(self.value)

    def col_keys(self) -> list[tuple]:
        keys = self._cols.keys()
        return [keys[c] for c in self._order.tolist()]

    def row_keys(self) -> list[tuple]:
        return self._rows.keys()

    def pass_to(self, h: highspy.Highs) -> highspy.HighsStatus:
        """Hand the whole model to HiGHS in one call (the low-level ``passModel``)."""
        return h.passModel(self.num_col, self.num_row, self.num_nz, int(highspy.MatrixFormat.kColwise),
                           int(highspy.ObjSense.kMinimize), 0.0, self.col_cost, self.col_lower, self.col_upper,
                           self.row_lower, self.row_upper, self.start, self.index, self.value, self.integrality)


def build(data: ModelData) -> Matrix:
    """The first objective stage of ``build_model(data)`` as a :class:`Matrix`."""
    if data.timed or data.period_budget:
        raise NotImplementedError("direct_matrix covers untimed instances only")
    if any(OBJECTIVES[name][1] is None for name in data.objective):
        raise NotImplementedError("direct_matrix covers the objectives compute and money only")
    scale = Scale.of(data)
    d = scale.apply(data).without_idle_runs()  # as build_model: model units, idle runs dropped
    x = Columns(d, coefficients(d))
    rows = Rows()
    for add in GROUPS:
        add(rows, x)
    (budget_pooled if d.pooled else budget_lead)(rows, x)
    objective_levels(rows, x)
    return assemble(x, rows, objective(x, d.objective[0]), scale)


def pyomo_column_order(col: np.ndarray, row: np.ndarray, n_col: int) -> np.ndarray:
    """Old column number of each new one, in the order Pyomo's interface makes columns: as the
    variables first appear, row by row, each row's terms in expression order (the order the
    groups add their entries in); a column in no row comes last, as the objective adds it.
    So HiGHS gets the very problem the Pyomo path gives it, not a permutation of it (a permuted
    MIP can take another search path and time)."""
    seen = col[np.lexsort((np.arange(len(col)), row))]
    first = np.full(n_col, len(col), dtype=np.int64) + np.arange(n_col)
    cols, at = np.unique(seen, return_index=True)
    first[cols] = at
    return np.argsort(first, kind="stable")


def assemble(x: Columns, rows: Rows, cost: np.ndarray, scale: Scale) -> Matrix:
    """The entries of every row block as one column-wise matrix, columns in Pyomo's order."""
    n_col, n_row = x.count, rows.count
    col = np.concatenate(rows.col) if rows.col else np.zeros(0, dtype=np.int64)
    row = np.concatenate(rows.row) if rows.row else np.zeros(0, dtype=np.int64)
    value = np.concatenate(rows.value) if rows.value else np.zeros(0)
    old = pyomo_column_order(col, row, n_col)
    new = np.empty(n_col, dtype=np.int64)
    new[old] = np.arange(n_col)
    # one entry per (row, column), in column-major order: Pyomo's linear form sums a variable's
    # terms in a row, and HiGHS drops zero entries (a zero big-M, a zero cost)
    cells, where = np.unique(new[col] * max(n_row, 1) + row, return_inverse=True)
    value = np.bincount(where, weights=value, minlength=len(cells))
    nonzero = value != 0
    cells, value = cells[nonzero], value[nonzero]
    col, row = cells // max(n_row, 1), cells % max(n_row, 1)
    start = np.zeros(n_col + 1, dtype=np.int32)
    np.cumsum(np.bincount(col, minlength=n_col), out=start[1:])
    binary = np.arange(n_col) < x.continuous  # run and get; pay and the aggregates are >= 0
    integer = binary | (np.arange(n_col) >= x.aggregates)
    full_cost = np.zeros(n_col)
    full_cost[:x.continuous] = cost
    return Matrix(full_cost[old], np.zeros(n_col), np.where(binary, 1.0, INF)[old],
                  integer[old].astype(np.int32),
                  np.concatenate(rows.lower) if rows.lower else np.zeros(0),
                  np.concatenate(rows.upper) if rows.upper else np.zeros(0),
                  start, row.astype(np.int32), value, scale, rows.infeasible, x, rows, old)
