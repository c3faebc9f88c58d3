"""Small instances whose optimum is worked out by hand in each test's docstring.

Conventions used in the arithmetic: price defaults to 2 money per compute unit,
adoption to 0.1, hours to 2190. "a runs x" costs compute[a,x]; "b adopts x" costs
adoption[x] * compute[b,x].
"""
from __future__ import annotations

import pytest

import optimizer


def renting(budget=1e9, **kw):
    return {"budget": budget, **kw}


def solve(inst, design="consortium"):
    return optimizer.solve(optimizer.load_instance(inst), design)


def plan(result):
    runs = sorted((r.member, r.workstream, r.accelerator) for r in result.runs.reset_index().itertuples())
    gets = sorted((a.member, a.workstream) for a in result.adoptions.reset_index().itertuples())
    return runs, gets


def test_two_labs_share_one_run():
    """a and b both need x (compute 100). Silo: 100 + 100 = 200.
    Consortium: one runs x (100), the other adopts (0.1 * 100 = 10): 110.
    Savings 90; adoption compute 10; one run, so nothing duplicated."""
    r = solve({"name": "t", "members": {"a": renting(needs=["x"]), "b": renting(needs=["x"])},
               "workstreams": {"x": {"compute": 100}}})
    assert r.status == "optimal"
    assert r.total_compute == pytest.approx(110)
    assert r.adoption_compute == pytest.approx(10)
    assert r.silo_compute == pytest.approx(200)
    assert r.savings == pytest.approx(90)
    assert r.duplicated_compute == 0
    assert len(r.runs) == 1 and len(r.adoptions) == 1
    # 8 rows of the model, plus the level row holding compute at its optimum while money is minimised
    assert r.model == {"variables": 4, "constraints": 9}
    # a and b are interchangeable: the other plan swaps who runs and who adopts
    assert r.unique is False
    (runner,) = r.runs.index.get_level_values("member")
    assert r.alternative["runs_removed"] == [{"member": runner, "workstream": "x", "accelerator": "rented"}]
    assert r.alternative["runs_added"][0]["member"] == ({"a", "b"} - {runner}).pop()


def test_only_publishers_can_be_adopted_from():
    """a does not publish, b does. Adopting needs a publishing runner j != i, so only
    'b runs, a adopts' shares: 100 + 10 = 110. If neither publishes, both run: 200,
    of which 100 is duplicated (the second run)."""
    base = {"name": "t", "workstreams": {"x": {"compute": 100}}}
    r = solve({**base, "members": {"a": renting(needs=["x"], publishes=False), "b": renting(needs=["x"])}})
    assert r.total_compute == pytest.approx(110)
    assert plan(r) == ([("b", "x", "rented")], [("a", "x")])
    r = solve({**base, "members": {"a": renting(needs=["x"], publishes=False),
                                   "b": renting(needs=["x"], publishes=False)}})
    assert r.total_compute == pytest.approx(200)
    assert r.duplicated_compute == pytest.approx(100)
    assert r.savings == pytest.approx(0)


def test_prerequisites_must_be_had_too():
    """a needs y, which requires x; b needs x. x = 100, y = 50.
    Consortium: b runs x (100), a adopts x (10) and runs y (50; letting b run y would
    cost 50 + 5): 160. Silo: a runs x and y (150), b runs x (100): 250. Savings 90."""
    r = solve({"name": "t", "members": {"a": renting(needs=["y"]), "b": renting(needs=["x"])},
               "workstreams": {"x": {"compute": 100}, "y": {"compute": 50, "requires": ["x"]}}})
    assert r.total_compute == pytest.approx(160)
    assert r.silo_compute == pytest.approx(250)
    assert plan(r) == ([("a", "y", "rented"), ("b", "x", "rented")], [("a", "x")])


def test_budget_decides_who_runs_and_silo_can_be_infeasible():
    """x: compute 100, cost 200 at the default price 2. a (budget 250) can run it;
    b (budget 30) cannot (200 > 30) but can adopt (0.1 * 200 = 20 <= 30).
    Consortium: a runs, b adopts: 110. Alone b cannot meet its need, so silo is null."""
    r = solve({"name": "t", "members": {"a": renting(250, needs=["x"]), "b": renting(30, needs=["x"])},
               "workstreams": {"x": {"compute": 100}}})
    assert r.total_compute == pytest.approx(110)
    assert plan(r) == ([("a", "x", "rented")], [("b", "x")])
    assert r.silo_compute is None and r.savings is None
    assert r.standalone_infeasible == ["b"]
    spent = r.members.spent.to_dict()
    assert spent == {"a": pytest.approx(200), "b": pytest.approx(20)}


def test_budget_too_small_even_to_adopt_is_infeasible():
    """b's budget 10 is below the adoption cost 20: no plan exists (status infeasible)."""
    r = solve({"name": "t", "members": {"a": renting(250, needs=["x"]), "b": renting(10, needs=["x"])},
               "workstreams": {"x": {"compute": 100}}})
    assert r.status == "infeasible"
    assert r.total_compute is None
    assert r.to_dict()["runs"] == [] and r.to_dict()["adoptions"] == []


CAPACITY = {
    "name": "capacity",
    "defaults": {"hours": 100},
    "accelerators": {"H100": {"throughput": 1.0}},
    "members": {
        "a": {"budget": 1e6, "fleet": {"H100": 1}, "needs": ["x", "y"]},
        "b": {"budget": 1e6, "needs": ["x", "y"], "estimates": {"x": {"compute": 100}, "y": {"compute": 90}}},
    },
    "workstreams": {"x": {"compute": 80}, "y": {"compute": 60}},
}


def test_fleet_capacity_forces_a_split():
    """a has 1 H100 for 100 hours: it can run x (80 h) or y (60 h), not both (140 h).
    b rents but is less efficient: x costs it 100, y 90.
      a runs y, b runs x: 60 + 100 + a adopts x (8) + b adopts y (9) = 177  <- optimum
      a runs x, b runs y: 80 + 90 + 6 + 10 = 186;  b runs both: 190 + 14 = 204.
    Without the capacity limit a would run both: 140 + 10 + 9 = 159."""
    r = solve(CAPACITY)
    assert r.total_compute == pytest.approx(177)
    assert plan(r) == ([("a", "y", "H100"), ("b", "x", "rented")], [("a", "x"), ("b", "y")])
    roomy = {**CAPACITY, "defaults": {"hours": 200}}
    assert solve(roomy).total_compute == pytest.approx(159)


def test_throughput_scales_fleet_hours():
    """Throughput 0.5 doubles the hours a run takes: 200 hours of a half-speed H100 hold
    exactly what 100 hours of a full one do, so the optimum is again 177."""
    slow = {**CAPACITY, "defaults": {"hours": 200}, "accelerators": {"H100": {"throughput": 0.5}}}
    assert solve(slow).total_compute == pytest.approx(177)


def test_min_accelerators_removes_run_options():
    """x needs at least 2 accelerators of one type; a owns 1, so a cannot run x at all
    (an owned fleet gives no 'rented' option). b must run x (100) and a adopts (8);
    a runs y (60), b adopts y (9): 177 again but with roles fixed by the rule."""
    inst = {**CAPACITY, "defaults": {"hours": 1000},
            "workstreams": {"x": {"compute": 80, "min_accelerators": 2}, "y": {"compute": 60}}}
    r = solve(inst)
    assert r.total_compute == pytest.approx(177)
    assert ("a", "x", "H100") not in plan(r)[0]


def test_replicas_and_duplicated_compute():
    """x wants 2 independent runs; a, b, c need it. Two run (200), one adopts (10): 210.
    Duplicated compute is the second run: 100. Silo 300, savings 90."""
    r = solve({"name": "t", "members": {k: renting(needs=["x"]) for k in "abc"},
               "workstreams": {"x": {"compute": 100, "replicas": 2}}})
    assert r.total_compute == pytest.approx(210)
    assert r.duplicated_compute == pytest.approx(100)
    assert r.savings == pytest.approx(90)


def test_required_workstream_runs_even_if_nobody_needs_it():
    """x is required, nobody needs it; a runs it at its own estimate 50 (b would use 100).
    Silo ignores 'required', so silo is 0 and savings are -50."""
    r = solve({"name": "t", "members": {"a": renting(estimates={"x": {"compute": 50}}), "b": renting()},
               "workstreams": {"x": {"compute": 100, "required": True}}})
    assert r.total_compute == pytest.approx(50)
    assert plan(r)[0] == [("a", "x", "rented")]
    assert r.silo_compute == 0 and r.savings == pytest.approx(-50)


def test_estimate_cost_overrides_price():
    """a's estimate sets x's cost to 50 (instead of 100 * 2 = 200), so a fits budget 60
    and runs it; b (budget 25) adopts for 0.1 * 200 = 20. Total 110."""
    r = solve({"name": "t", "members": {"a": renting(60, needs=["x"], estimates={"x": {"cost": 50}}),
                                        "b": renting(25, needs=["x"])},
               "workstreams": {"x": {"compute": 100}}})
    assert plan(r) == ([("a", "x", "rented")], [("b", "x")])
    assert r.members.spent.to_dict() == {"a": 50, "b": 20}
