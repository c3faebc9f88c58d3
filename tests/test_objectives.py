"""The objective list (spec v2, "Objectives"): hand-worked plans where money breaks a compute
tie, an order that changes the plan, validation, and the cost game under another order.

Conventions: adoption fraction 0.1 (the default); "a runs x" costs compute[a,x] and
cost[a,x] = compute * price; "b adopts x" costs 0.1 of b's own compute and cost of x.
"""
from __future__ import annotations

import pytest

import optimizer
from optimizer.errors import InputError
from optimizer.game import CoalitionGame
from optimizer.instance import parse_instance


def plan(r):
    return (sorted((x.member, x.workstream, x.accelerator) for x in r.runs.reset_index().itertuples()),
            sorted((x.member, x.workstream) for x in r.adoptions.reset_index().itertuples()))


def test_money_breaks_a_compute_tie():
    """a (price 3) and b (price 2) rent and both need x (compute 100).
    Either runs x and the other adopts: compute 100 + 0.1 * 100 = 110 both ways.
    a runs: money 100 * 3 + 0.1 * 100 * 2 = 320; b runs: 100 * 2 + 0.1 * 100 * 3 = 230.
    So b runs, a adopts, and no other plan reaches (110, 230)."""
    r = optimizer.solve({"name": "tie", "members": {"a": {"budget": 1e6, "price": 3, "needs": ["x"]},
                                                    "b": {"budget": 1e6, "price": 2, "needs": ["x"]}},
                         "workstreams": {"x": {"compute": 100}}})
    assert r.status == "optimal"
    assert r.objectives == {"compute": pytest.approx(110), "money": pytest.approx(230)}
    assert plan(r) == ([("b", "x", "rented")], [("a", "x")])
    assert r.unique is True and r.alternative is None
    assert r.to_dict()["objectives"] == {"compute": 110.0, "money": 230.0}
    assert r.to_dict()["objective"] == 110.0


def test_big_lab_with_idle_fleet_runs_instead_of_small_dear_renter():
    """big owns 100 H100 (219,000 hours, price 1.5); small rents at price 4. Both need x, y, z
    (compute 100 each). Every plan runs each workstream once and the other adopts:
    compute 3 * (100 + 10) = 330 whoever runs.
    big runs all three: money 3 * 150 + 3 * (0.1 * 400) = 450 + 120 = 570;
    small runs all three: 3 * 400 + 3 * (0.1 * 150) = 1,200 + 45 = 1,245; mixes lie between
    (each workstream moved to small adds 400 + 15 - 150 - 40 = 225). So big runs everything."""
    r = optimizer.solve({
        "name": "idle fleet", "accelerators": {"H100": {"throughput": 1.0}},
        "members": {"big": {"budget": 1e6, "price": 1.5, "fleet": {"H100": 100}, "needs": ["x", "y", "z"]},
                    "small": {"budget": 1e6, "price": 4, "needs": ["x", "y", "z"]}},
        "workstreams": {"x": {"compute": 100}, "y": {"compute": 100}, "z": {"compute": 100}}})
    assert r.objectives == {"compute": pytest.approx(330), "money": pytest.approx(570)}
    assert sorted(r.runs.index.get_level_values("member")) == ["big", "big", "big"]
    assert r.unique is True


TWO_WAYS = """
name: two ways to get x
members:
  a: {budget: 1000, price: 1, needs: [x]}
  b:
    budget: 1000
    needs: [x]
    estimates: {x: {compute: 80, cost: 400}}
workstreams:
  x: {compute: 100}
designs:
  cheap: {objective: [money, compute]}
"""


def test_money_first_changes_the_plan():
    """a runs x for compute 100 and money 100; b runs it for compute 80 and money 400.
    b runs, a adopts: compute 80 + 0.1 * 100 = 90, money 400 + 0.1 * 100 = 410.
    a runs, b adopts: compute 100 + 0.1 * 80 = 108, money 100 + 0.1 * 400 = 140.
    [compute, money] picks b (90 < 108); [money, compute] picks a (140 < 410); a design's
    `objective` replaces the instance's."""
    inst = parse_instance(TWO_WAYS)
    first = optimizer.solve(inst)
    cheap = optimizer.solve(inst, "cheap")
    assert plan(first) == ([("b", "x", "rented")], [("a", "x")])
    assert first.objectives == {"compute": pytest.approx(90), "money": pytest.approx(410)}
    assert plan(cheap) == ([("a", "x", "rented")], [("b", "x")])
    assert cheap.objectives == {"money": pytest.approx(140), "compute": pytest.approx(108)}
    assert list(cheap.objectives) == ["money", "compute"] and cheap.objective == pytest.approx(140)
    # the silo uses the same order: alone each member has one way to get x
    assert cheap.silo_compute == pytest.approx(180) and cheap.savings == pytest.approx(72)


def test_top_level_objective_applies_to_every_design():
    inst = parse_instance(TWO_WAYS + "objective: [money]\n")
    r = optimizer.solve(inst)
    assert list(r.objectives) == ["money"] and r.objective == pytest.approx(140)
    assert r.total_compute == pytest.approx(108)


def test_cost_game_follows_the_objective_order():
    """c(S) is the compute of S's lexicographically best plan: alone a = 100, b = 80;
    together 90 under [compute, money] (b runs) but 108 under [money, compute] (a runs)."""
    inst = parse_instance(TWO_WAYS)
    by_compute = CoalitionGame(inst, "consortium")
    by_money = CoalitionGame(inst, "cheap")
    assert by_compute.values([1, 2, 3]) == {1: 100.0, 2: 80.0, 3: 90.0}
    assert by_money.values([1, 2, 3]) == {1: 100.0, 2: 80.0, 3: 108.0}


@pytest.mark.parametrize(("line", "message"), [
    ("objective: [compute, compute]", "objective 'compute' is listed twice"),
    ("objective: [time]", "objective 'time' needs a 'horizon:' section"),
    ("objective: []", "got an empty list (expected at least 1 entry)"),
    ("objective: [speed]", "got 'speed' (expected one of 'compute', 'money' or 'time')"),
    ("objective: money", "got 'money' (expected a list)"),
])
def test_bad_objective_lists(line: str, message: str):
    text = "name: t\nmembers: {a: {budget: 1}}\nworkstreams: {x: {compute: 1}}\n" + line + "\n"
    with pytest.raises(InputError) as err:
        parse_instance(text, "t.yaml")
    assert message in str(err.value)
    assert str(err.value).startswith("t.yaml:4:")


def test_bad_objective_in_a_design():
    text = ("name: t\nmembers: {a: {budget: 1}}\nworkstreams: {x: {compute: 1}}\n"
            "designs:\n  d: {objective: [money, money]}\n")
    with pytest.raises(InputError) as err:
        parse_instance(text, "t.yaml")
    assert "t.yaml:5:" in str(err.value) and "designs.d.objective" in str(err.value)
