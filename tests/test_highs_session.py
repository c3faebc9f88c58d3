"""The session's re-solves keep HiGHS' copy of the model equal to the Pyomo model.

After the hand-over, :class:`optimizer.highs.HighsSession` passes only what changed (a Param's
coefficients and bounds, variable bounds, the cost vector) with highspy's modification calls.
Whatever a sweep or the cost game changed, HiGHS must then hold exactly what a fresh hand-over of
the same Pyomo model would: the same matrix, bounds, costs and integrality.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer.game import CoalitionGame
from optimizer.highs import HighsSession, SolverOptions, _interface_state
from optimizer.instance import load_instance
from optimizer.solver import PersistentProblem
from optimizer.tables import derive
from optimizer.uncertainty import apply, centre, dimensions, draw

FLAGSHIP = Path(__file__).resolve().parents[1] / "instances" / "open-moe-consortium.yaml"


def model_of(highs) -> dict:
    """What HiGHS holds: matrix entries {(row, column): value} (zeros are no entries), bounds,
    costs, integrality."""
    lp = highs.getLp()
    a = lp.a_matrix_
    start, index, value = np.asarray(a.start_), np.asarray(a.index_), np.asarray(a.value_)
    colwise = a.format_ == type(a.format_).kColwise
    outer = lp.num_col_ if colwise else lp.num_row_
    entries = {}
    for j in range(outer):
        for el in range(start[j], start[j + 1]):
            if value[el] != 0:
                entries[(index[el], j) if colwise else (j, index[el])] = float(value[el])
    return {"matrix": entries, "col_cost": list(lp.col_cost_), "col_lower": list(lp.col_lower_),
            "col_upper": list(lp.col_upper_), "row_lower": list(lp.row_lower_), "row_upper": list(lp.row_upper_),
            "integrality": [int(x) for x in lp.integrality_], "offset": lp.offset_, "sense": str(lp.sense_)}


def assert_same_as_a_fresh_hand_over(session: HighsSession) -> None:
    fresh = HighsSession(session.model, SolverOptions())
    assert model_of(session.highs) == model_of(fresh.highs)


def test_interface_state_is_what_the_interface_assigned():
    """The one reader of the interface's private state: a column for every HiGHS column, a row for
    every row, and (mutable model) the places its Params enter (tests it loudly on a new Pyomo)."""
    inst = load_instance(FLAGSHIP)
    variant, settings = inst.design("consortium")
    problem = PersistentProblem(derive(variant, settings, "consortium"))
    highs, columns, rows, coefficients, row_bounds, column_bounds = _interface_state(problem.session.opt, mutable=True)
    assert highs is problem.session.highs
    assert sorted(columns.values()) == list(range(highs.getNumCol()))
    assert sorted(rows.values()) == list(range(highs.getNumRow()))
    assert coefficients and row_bounds and column_bounds == []
    assert all(0 <= r < highs.getNumRow() and 0 <= c < highs.getNumCol() for r, c, _ in coefficients)


@pytest.mark.parametrize("design", ["consortium", "pooled-funding"])
def test_sweep_re_solves_leave_the_model_a_fresh_hand_over_would_give(design):
    """A persistent sweep model after several samples (numbers pushed, stages solved, levels set):
    HiGHS holds what a new hand-over of the model reads, with the last stage's objective active."""
    inst = load_instance(FLAGSHIP)
    variant, settings = inst.design(design)
    dims = dimensions(inst.spec)
    problem = PersistentProblem(derive(apply(variant, dims, centre(dims)), settings, design))
    planned = 0
    for x in draw(dims, 4, 5):
        planned += bool(problem.solve(derive(apply(variant, dims, x), settings, design)).runs)
        assert_same_as_a_fresh_hand_over(problem.session)
    assert planned  # some samples solved through every stage (others are infeasible)
    problem.session.forget()
    problem.session.push(problem.model.num.set(derive(variant, settings, design)))  # pushed, not solved
    assert_same_as_a_fresh_hand_over(problem.session)


def test_coalitions_leave_the_model_a_fresh_hand_over_would_give():
    """The cost game's model after coalitions that add and drop members (bounds, need switches and
    replica caps changed for the members that moved)."""
    game = CoalitionGame(load_instance(FLAGSHIP))
    for mask in (game.grand, 0b000000000101, 0b101010101010, 0b000000000001, game.grand ^ 0b100):
        game.value(mask)
        assert_same_as_a_fresh_hand_over(game._session)


def test_a_coalition_value_does_not_depend_on_the_coalitions_before():
    """c(S) from a game that solved other coalitions first equals c(S) from a new game."""
    inst = load_instance(FLAGSHIP)
    masks = [0b110011001100, 0b000000000011, 0b011111111111]
    warm = CoalitionGame(inst)
    warm.values([warm.grand, 0b1, 0b101010101010])
    for mask in masks:
        assert warm.value(mask) == CoalitionGame(inst).value(mask)
