"""The direct matrix builder (benchmarks/direct_matrix.py) against the Pyomo model, entry by entry.

For each case the Pyomo model is built (``optimizer.model.build_model``) and handed to HiGHS
through :class:`~optimizer.highs.HighsSession`, and the matrix HiGHS then holds is read back with
``getLp()``; the direct matrix is passed to a second HiGHS with ``passModel`` and read back the
same way. So both sides are compared after HiGHS' own intake (which drops zero entries).

How rows and columns are matched: the two orders differ, so each HiGHS column and row is named.
Pyomo's persistent interface keeps which HiGHS column each Pyomo variable became
(``_pyomo_var_to_solver_var_map``, by ``id(var)``) and which Pyomo constraint each HiGHS row is
(``_solver_con_to_pyomo_con_map``); a variable or constraint is named ``(component name, index
tuple)`` — ``("run", (i, w, o))``, ``("budget", (i,))`` — which is how direct_matrix names its own
columns and rows (``Matrix.col_keys()``, ``row_keys()``). With both named, the test asserts equal
sets of names, then for every column its bounds, integrality and cost, for every row its bounds,
and that the sets of (row name, column name, value) are equal, values to 1e-9 relative. Last it
asserts the same order of columns and rows as well (direct_matrix orders its columns as Pyomo's
interface does), which the benchmark relies on for HiGHS to do the same work on both sides.

Cases: every design of every shipped untimed instance; tiny synthetic instances
(benchmarks/synthetic.py, several seeds, with knobs the generator does not set: a member that
does not publish, a required workstream, a free adoption, a zero budget, the money-first order)
under five designs; each with the aggregates of rows 4 and 5 forced both ways and left to
"auto". A few are also solved on both sides: the same optimum.
"""
from __future__ import annotations

import sys
from pathlib import Path

import highspy
import numpy as np
import pyomo.core as pyo
import pytest

from optimizer import model
from optimizer.highs import HighsSession, SolverOptions
from optimizer.instance import load_instance
from optimizer.schema import BUILTIN_DESIGNS, Design
from optimizer.solver import solve_stages
from optimizer.tables import derive

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import direct_matrix  # noqa: E402
from synthetic import instance  # noqa: E402

FORMS = ("never", "always", "auto")
UNTIMED = [p for p in sorted((ROOT / "instances").glob("*.yaml")) if load_instance(p).spec.horizon is None]
DESIGNS = {**BUILTIN_DESIGNS, "pooled": Design(funding="pooled"), "forks": Design(adoption_factor=4),
           "pooled-core": Design(funding="pooled", members=["m0000", "m0001", "m0002"])}


@pytest.fixture(params=FORMS)
def form(request, monkeypatch):
    monkeypatch.setattr(model, "AGGREGATES", request.param)
    return request.param


def named(c) -> tuple:
    index = c.index()
    return c.parent_component().local_name, index if isinstance(index, tuple) else (index,)


def entries(lp: highspy.HighsLp, rows: list, cols: list) -> dict:
    """{(row name, column name): value} of a HiGHS matrix, whichever way HiGHS stores it."""
    a = lp.a_matrix_
    start, index, value = np.asarray(a.start_), np.asarray(a.index_), np.asarray(a.value_)
    outer = np.repeat(np.arange(len(start) - 1), np.diff(start)).tolist()
    pairs = zip(index.tolist(), outer) if a.format_ == highspy.MatrixFormat.kColwise else zip(outer, index.tolist())
    out = {(rows[r], cols[c]): v for (r, c), v in zip(pairs, value.tolist())}
    assert len(out) == len(value), "one entry per (row, column)"
    return out


def pyomo_side(data):
    """The Pyomo model, its HiGHS session and the names of HiGHS' columns and rows."""
    m = model.build_model(data)
    session = HighsSession(m, SolverOptions(check_unique=False))
    col_of = session.opt._pyomo_var_to_solver_var_map
    cols = {col_of[id(v)]: named(v) for v in m.component_data_objects(pyo.Var) if id(v) in col_of}
    rows = {r: named(c) for r, c in session.opt._solver_con_to_pyomo_con_map.items()}
    return m, session, [cols[c] for c in range(len(cols))], [rows[r] for r in range(len(rows))]


def direct_side(data):
    matrix = direct_matrix.build(data)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert matrix.pass_to(h) == highspy.HighsStatus.kOk
    return matrix, h


def by_name(names: list, *arrays) -> dict:
    """{(name, k): arrays[k][position of name]}: per-column or per-row numbers, by name."""
    return {(name, k): float(a[n]) for k, a in enumerate(arrays) for n, name in enumerate(names)}


def assert_same_matrix(data):
    """The whole comparison for one ModelData; returns both sides for a solve."""
    m, session, p_cols, p_rows = pyomo_side(data)
    matrix, h = direct_side(data)
    d_cols, d_rows = matrix.col_keys(), matrix.row_keys()
    p, d = session.highs.getLp(), h.getLp()
    assert (p.num_col_, p.num_row_) == (d.num_col_, d.num_row_) == (len(d_cols), len(d_rows))
    assert sorted(p_cols) == sorted(d_cols)
    assert sorted(p_rows) == sorted(d_rows)
    integer = [[int(t) for t in lp.integrality_] or [0] * lp.num_col_ for lp in (p, d)]  # [] = all continuous
    assert by_name(p_cols, p.col_lower_, p.col_upper_, p.col_cost_, integer[0]) == pytest.approx(
        by_name(d_cols, d.col_lower_, d.col_upper_, d.col_cost_, integer[1]), rel=1e-9, abs=0)
    assert by_name(p_rows, p.row_lower_, p.row_upper_) == pytest.approx(
        by_name(d_rows, d.row_lower_, d.row_upper_), rel=1e-9, abs=0)
    p_entries, d_entries = entries(p, p_rows, p_cols), entries(d, d_rows, d_cols)
    assert p_entries.keys() == d_entries.keys()
    assert p_entries == pytest.approx(d_entries, rel=1e-9, abs=0)
    assert sorted(m.infeasible_rows) == sorted(matrix.infeasible_rows)
    # stricter than the matrix needs: the same order too, so HiGHS gets the very same problem in
    # benchmarks/bench_scaling.py (a permuted MIP can take another search path)
    assert (p_cols, p_rows) == (d_cols, d_rows)
    return session, h


def tweaked(members: int, workstreams: int, seed: int) -> dict:
    """A synthetic instance with the knobs the generator leaves at their defaults set somewhere."""
    inst = instance(members, workstreams, seed=seed)
    names, works = list(inst["members"]), list(inst["workstreams"])
    inst["members"][names[-1]]["publishes"] = False
    inst["members"][names[-2]]["budget"] = 0.0
    inst["members"][names[0]]["estimates"] = {works[1]: {"compute": 1.0, "cost": 0.0}}
    inst["workstreams"][works[-1]].update(required=True, replicas=2)
    inst["workstreams"][works[0]]["adoption"] = 0.0
    if seed % 2:
        inst["objective"] = ["money", "compute"]
    return inst


def designs(inst):
    return [(name, derive(*inst.design(name), name)) for name in inst.design_names]


@pytest.mark.parametrize("path", UNTIMED, ids=lambda p: p.stem)
def test_shipped_instances(path, form):
    inst = load_instance(path)
    for name, data in designs(inst):
        assert_same_matrix(data)


@pytest.mark.parametrize("seed", range(6))
def test_synthetic_instances(seed, form):
    inst = load_instance(tweaked(4 + seed % 3, 10 + seed, seed))
    for name, design in DESIGNS.items():
        assert_same_matrix(derive(inst.spec, design, name))


def test_rows_that_cannot_hold_are_left_out_alike(form):
    """A need and a required workstream nobody can run (it takes H100s, no fleet has any): no
    row for either, and both recorded as infeasible rows, on both sides."""
    mapping = tweaked(4, 8, 1)
    first = next(iter(mapping["workstreams"]))
    mapping["workstreams"][first].update(accelerators=["H100"], required=True)
    for member in mapping["members"].values():
        member["fleet"] = {"H800": 50}
    last = list(mapping["members"])[-1]
    mapping["members"][last]["needs"] = sorted(set(mapping["members"][last]["needs"]) | {first})
    data = derive(load_instance(mapping).spec, BUILTIN_DESIGNS["consortium"], "consortium")
    assert_same_matrix(data)
    assert sorted(direct_matrix.build(data).infeasible_rows) == sorted([(first,), (last, first)])


@pytest.mark.parametrize("case", ["open-moe-consortium:consortium", "open-moe-consortium:pooled-funding",
                                  "teaching-pooled:pooled", "synthetic:consortium", "synthetic:pooled"])
def test_same_optimum(case):
    """Solved on both sides (first stage), the same optimum, in model units."""
    file, design = case.split(":")
    if file == "synthetic":
        data = derive(load_instance(instance(8, 20, seed=1)).spec, DESIGNS[design], design)
    else:
        inst = load_instance(ROOT / "instances" / f"{file}.yaml")
        data = derive(*inst.design(design), design)
    session, h = assert_same_matrix(data)
    stages = solve_stages(session, stages=1)
    for option, value in SolverOptions().as_dict().items():
        if value is not None:
            h.setOptionValue({"mip_gap": "mip_rel_gap"}.get(option, option), value)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert stages.status.value == "optimal"
    first = data.objective[0]
    assert h.getInfo().objective_function_value == pytest.approx(stages.values[first], rel=1e-6)
