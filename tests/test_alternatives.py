"""A tie found without solving (optimizer/alternatives.py): a run moved to another of its
member's accelerators changes no objective, so a plan with such a move is one of several.

Both accelerators below have throughput 1, so a run of compute C uses C hours on either; a
fleet of n accelerators has n * 2,190 hours (the default year of hours).
"""
from __future__ import annotations

import optimizer
from optimizer.alternatives import moved_run, swapped_roles
from optimizer.api import derive
from optimizer.instance import load_instance

TWO_FLEETS = {
    "name": "two fleets",
    "accelerators": {"H100": {"throughput": 1.0}, "H800": {"throughput": 1.0}},
    "members": {"a": {"budget": 1e6, "price": 2, "fleet": {"H100": 20, "H800": 10}, "needs": ["x"]}},
    "workstreams": {"x": {"compute": 20_000}},
}


def data_of(doc):
    variant, settings = load_instance(doc).design("consortium")
    return derive(variant, settings, "consortium")


def test_a_run_that_fits_on_the_other_fleet_is_a_tie():
    """x (20,000 hours) fits on a's H100 (43,800 hours) and on its H800 (21,900 hours): two
    plans, both compute 20,000 and money 40,000. Whichever HiGHS reports, the other is the
    alternative, found without the uniqueness MIP."""
    r = optimizer.solve(TWO_FLEETS)
    assert r.status == "optimal" and r.objectives == {"compute": 20_000, "money": 40_000}
    assert r.unique is False
    (ran,) = r.runs.reset_index()["accelerator"]
    other = {"H100": "H800", "H800": "H100"}[ran]
    assert r.alternative["runs_added"] == [{"member": "a", "workstream": "x", "accelerator": other}]
    assert r.alternative["runs_removed"] == [{"member": "a", "workstream": "x", "accelerator": ran}]
    assert r.alternative["adoptions_added"] == r.alternative["adoptions_removed"] == []


def test_no_move_when_the_other_fleet_is_too_small():
    """x now needs 30,000 hours: only the H100 fleet (43,800) holds it, the H800 (21,900) does
    not. moved_run finds nothing, and the uniqueness MIP says the plan is the only one."""
    doc = {**TWO_FLEETS, "workstreams": {"x": {"compute": 30_000}}}
    d = data_of(doc)
    assert moved_run(d, [("a", "x", "H100")], []) is None
    r = optimizer.solve(doc)
    assert list(r.runs.reset_index()["accelerator"]) == ["H100"]
    assert r.unique is True and r.alternative is None


def test_a_move_must_leave_room_for_the_runs_already_there():
    """a needs x (20,000 hours) and y (15,000). In the plan y is on H100 and x on H800 (20,000 of
    its 21,900 hours). Moving y to H800 would need 35,000 there: no. Moving x to H100 needs
    15,000 + 20,000 = 35,000 of its 43,800: yes, so that is the tie returned."""
    doc = {**TWO_FLEETS, "members": {"a": {**TWO_FLEETS["members"]["a"], "needs": ["x", "y"]}},
           "workstreams": {"x": {"compute": 20_000}, "y": {"compute": 15_000}}}
    d = data_of(doc)
    assert moved_run(d, [("a", "y", "H100"), ("a", "x", "H800")], []) == (
        [("a", "y", "H100"), ("a", "x", "H100")], [], {})
    # a moved plan must pass the contract's checker: under a budget of 30,000 (the runs cost
    # 35,000 * 2) the plan itself is not feasible, and neither is any move of it
    poor = {**doc, "members": {"a": {**doc["members"]["a"], "budget": 30_000}}}
    assert moved_run(data_of(poor), [("a", "y", "H100"), ("a", "x", "H800")], []) is None


def test_equal_runner_and_adopter_trade_places():
    """a and b rent at price 2 and need x (compute 100); budgets 1,000. One runs x (compute 100,
    money 200) and the other adopts (0.1 of its own: compute 10, money 20): compute 110 and money
    220 whichever runs. The reported plan is one of the two; the swap names the other."""
    doc = {"name": "equal pair",
           "members": {"a": {"budget": 1000, "price": 2, "needs": ["x"]},
                       "b": {"budget": 1000, "price": 2, "needs": ["x"]}},
           "workstreams": {"x": {"compute": 100}}}
    r = optimizer.solve(doc)
    assert r.objectives == {"compute": 110, "money": 220} and r.unique is False
    (runner,) = r.runs.reset_index()["member"]
    adopter = {"a": "b", "b": "a"}[runner]
    assert r.alternative == {
        "runs_added": [{"member": adopter, "workstream": "x", "accelerator": "rented"}],
        "runs_removed": [{"member": runner, "workstream": "x", "accelerator": "rented"}],
        "adoptions_added": [{"member": runner, "workstream": "x"}],
        "adoptions_removed": [{"member": adopter, "workstream": "x"}]}


def test_no_swap_the_adopter_cannot_pay_for():
    """As above, but b's budget is 150: b can adopt x (20) but not run it (200). a runs, b adopts,
    and that is the only plan (the uniqueness MIP says so once no tie is found)."""
    doc = {"name": "poor adopter",
           "members": {"a": {"budget": 1000, "price": 2, "needs": ["x"]},
                       "b": {"budget": 150, "price": 2, "needs": ["x"]}},
           "workstreams": {"x": {"compute": 100}}}
    d = data_of(doc)
    assert swapped_roles(d, [("a", "x", "rented")], [("b", "x")]) is None
    r = optimizer.solve(doc)
    assert list(r.runs.reset_index()["member"]) == ["a"] and r.unique is True
