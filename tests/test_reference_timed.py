"""The timed reference (tests/reference_timed.py) against hand arithmetic, and against itself:
pruned enumeration = full enumeration, per-period max-flow = the supply-demand theorem = v1's
check for number budgets, and a one-period horizon = the untimed reference.

These test the reference, not the project (nothing here imports optimizer/)."""
from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import reference
import reference_timed as rt
from timed_instances import timed_instances

TWO_TYPES = {"A": {"throughput": 1.0}, "B": {"throughput": 1.0}}


def plans(answer) -> set:
    """Every optimal plan as (sorted runs with start labels, sorted adoptions with ready labels)."""
    return {(tuple(sorted(r)), tuple(sorted(g))) for r, g in answer.labelled()}


# --- finish-to-start prerequisites -----------------------------------------------------------------

def prerequisite_doc(periods=2, duration_x=1) -> dict:
    return {"name": "prerequisites", "horizon": {"periods": periods, "hours": 1000},
            "accelerators": TWO_TYPES,
            "members": {"a": {"budget": 1000, "fleet": {"B": 1}, "needs": ["y"]},
                        "b": {"budget": 1000, "fleet": {"A": 1}, "needs": ["y"]}},
            "workstreams": {"x": {"compute": 100, "accelerators": ["A"], "duration": duration_x},
                            "y": {"compute": 50, "accelerators": ["A"], "requires": ["x"]}}}


def test_finish_to_start_prerequisites():
    """Only b (type A) can run x and y; y requires x; both need y; T = 2, price 2, adoption 0.1.
    b's run of y starting in s needs x ready by the end of s - 1: x starts in 1, y in 2 (y ready
    at 2). a adopts y, ready at 2 (y's run ends in 2), and must have x ready by the end of 2: it
    adopts x ready at 1 or at 2 (both tie; time counts only needs). compute = 100 + 50 + 0.1 x
    150 = 165, money = 2 x 165 = 330, time = 2 (b's y) + 2 (a's y) = 4, last ready "2"."""
    ans = rt.solve(prerequisite_doc())
    assert ans.status == "optimal"
    assert ans.values == {"compute": pytest.approx(165), "money": pytest.approx(330), "time": 4}
    runs = (("b", "x", "A", "1"), ("b", "y", "A", "2"))
    assert plans(ans) == {(runs, (("a", "x", "1"), ("a", "y", "2"))),
                          (runs, (("a", "x", "2"), ("a", "y", "2")))}
    assert ans.unique is False and ans.time_to_needs == 4 and ans.last_ready == "2"


def test_prerequisite_of_an_adoption_may_be_ready_in_the_same_period_not_later():
    """T = 3, default order [compute, time, money]: b must run x before y (x in 1, y in 2 or 3;
    or x in 2, y in 3). The time objective puts b's y at 2 and a's y at 2 (so b's x in 1), and a's
    x is ready at 1 or 2 as with T = 2; x ready at 3 after y at 2 would break 'ready by the end
    of a': still exactly 2 plans."""
    doc = prerequisite_doc(periods=3)
    ans = rt.solve(doc)
    assert ans.values["time"] == 4
    assert all(dict(((i, w), a) for i, w, a in b.gets)[("a", "x")] <= 2 for b in ans.optimal)
    assert len(ans.optimal) == 2


def test_a_prerequisite_that_takes_too_long_is_infeasible():
    """x takes 2 periods (1-2), so y could start in 3 at the earliest, beyond T = 2."""
    assert rt.solve(prerequisite_doc(duration_x=2)).status == "infeasible"
    ans = rt.solve(prerequisite_doc(periods=3, duration_x=2))
    assert ans.status == "optimal" and ans.values["time"] == 6  # y ready at 3 for both


# --- publish lag and a deadline that forces a second run ---------------------------------------------

def lag_doc(lag: int, a_fleet: str = "B", due: dict | None = None, objective=None) -> dict:
    doc = {"name": "lag", "horizon": {"periods": ["P1", "P2"], "hours": 1000},
           "defaults": {"publish_lag": lag}, "accelerators": TWO_TYPES,
           "members": {"a": {"budget": 1000, "fleet": {a_fleet: 1}, "needs": ["x"]},
                       "b": {"budget": 1000, "fleet": {"A": 1}, "needs": ["x"]}},
           "workstreams": {"x": {"compute": 100, "accelerators": ["A"]}}}
    for who, label in (due or {}).items():
        doc["members"][who]["due"] = {"x": label}
    if objective:
        doc["objective"] = objective
    return doc


def test_publish_lag():
    """Only b runs x (compute 100); a adopts (10). Lag 0: b runs in P1, a adopts ready in P1:
    time 1 + 1 = 2. Lag 1: a's adoption is ready at >= 1 + 1 = P2, so b must run in P1 for a to
    adopt by P2 (T = 2): time 1 + 2 = 3, last ready P2. compute 110 either way, one plan each."""
    ans = rt.solve(lag_doc(0))
    assert ans.values["compute"] == pytest.approx(110) and ans.values["time"] == 2
    assert plans(ans) == {((("b", "x", "A", "P1"),), (("a", "x", "P1"),))}
    ans = rt.solve(lag_doc(1))
    assert ans.values["compute"] == pytest.approx(110) and ans.values["time"] == 3
    assert plans(ans) == {((("b", "x", "A", "P1"),), (("a", "x", "P2"),))}
    assert ans.last_ready == "P2" and ans.unique


def test_a_deadline_forces_a_second_run():
    """Lag 1, both can run x (type A), compute 100, adoption 10. An adoption is ready in P2 at the
    earliest.
    - a's x due in P1: a must run it (in P1); b adopts, ready P2: compute 110, time 1 + 2 = 3.
    - a's and b's x due in P1: neither can adopt in time, both run in P1: compute 200, time 2,
      one plan. If a cannot run x (fleet B): infeasible.
    - no due dates: one runs, the other adopts (compute 110, time 3; two plans: who runs) —
      unless time comes first: then both run in P1 (time 2, compute 200)."""
    ans = rt.solve(lag_doc(1, a_fleet="A", due={"a": "P1"}))
    assert ans.values["compute"] == pytest.approx(110) and ans.values["time"] == 3
    assert plans(ans) == {((("a", "x", "A", "P1"),), (("b", "x", "P2"),))}
    ans = rt.solve(lag_doc(1, a_fleet="A", due={"a": "P1", "b": "P1"}))
    assert ans.values["compute"] == pytest.approx(200) and ans.values["time"] == 2
    assert plans(ans) == {((("a", "x", "A", "P1"), ("b", "x", "A", "P1")), ())}
    assert rt.solve(lag_doc(1, a_fleet="B", due={"a": "P1", "b": "P1"})).status == "infeasible"
    ans = rt.solve(lag_doc(1, a_fleet="A"))
    assert ans.values["compute"] == pytest.approx(110) and len(ans.optimal) == 2
    first = rt.solve(lag_doc(1, a_fleet="A", objective=["time", "compute", "money"]))
    assert first.values["time"] == 2 and first.values["compute"] == pytest.approx(200)
    # silo: each alone runs x in P1: 100 + 100, whatever the lag
    assert rt.silo_compute(lag_doc(1, a_fleet="A")) == (200, 200)
    assert rt.silo_compute(lag_doc(1, a_fleet="B")) is None  # a cannot run x alone


# --- per-period capacity -----------------------------------------------------------------------------

def capacity_doc(hours: float) -> dict:
    return {"name": "capacity", "horizon": {"periods": 3, "hours": hours},
            "accelerators": {"A": {"throughput": 1.0}},
            "members": {"m": {"budget": 1000, "fleet": {"A": 1}, "needs": ["x", "y"]}},
            "workstreams": {"x": {"compute": 20, "duration": 2}, "y": {"compute": 10}}}


def test_per_period_capacity_forces_a_later_start():
    """One A, 10 hours per period (30 over the horizon, enough for 20 + 10 in total). x takes 2
    periods at 20 / 2 = 10 hours each, y 10 hours in one period: they cannot overlap. y in 1 then
    x in 2-3: time 1 + 3 = 4; x in 1-2 then y in 3: 2 + 3 = 5. So y starts in 1, x in 2 (one
    plan). With 20 hours per period they overlap: x in 1-2 and y in 1, time 2 + 1 = 3."""
    ans = rt.solve(capacity_doc(10))
    assert ans.values == {"compute": 30, "money": 60, "time": 4}
    assert plans(ans) == {((("m", "x", "A", "2"), ("m", "y", "A", "1")), ())}
    assert ans.last_ready == "3"
    ans = rt.solve(capacity_doc(20))
    assert ans.values["time"] == 3
    assert plans(ans) == {((("m", "x", "A", "1"), ("m", "y", "A", "1")), ())}
    assert rt.solve(capacity_doc(9.5)).status == "infeasible"  # y alone needs 10 in one period


def test_default_hours_per_period_is_defaults_hours_over_T():
    """No horizon.hours: defaults.hours 30 / T 3 = 10 per period, as in the first case above."""
    doc = capacity_doc(10)
    del doc["horizon"]["hours"]
    doc["defaults"] = {"hours": 30}
    assert rt.solve(doc).values["time"] == 4


# --- per-period budgets ------------------------------------------------------------------------------

def budget_doc(budget) -> dict:
    return {"name": "budget", "horizon": {"periods": 3},
            "members": {"m": {"budget": budget, "price": 1, "needs": ["x", "y"]}},
            "workstreams": {"x": {"compute": 20, "duration": 2}, "y": {"compute": 10}}}


def test_per_period_budgets():
    """m rents, price 1: x costs 20 over 2 periods (10 each), y 10 in its one period.
    Budget 30 for the horizon: both start in 1 (time 2 + 1 = 3).
    Budget [10, 20, 0]: nothing in period 3, so x runs 1-2 (10, 10); y cannot join it in 1
    (10 + 10 > 10) but can in 2 (10 + 10 = 20): time 2 + 2 = 4, one plan.
    Budget [10, 0, 20]: 30 in all, but x spends 10 in period 2 whenever it runs: infeasible."""
    ans = rt.solve(budget_doc(30))
    assert ans.values == {"compute": 30, "money": 30, "time": 3}
    ans = rt.solve(budget_doc([10, 20, 0]))
    assert ans.values == {"compute": 30, "money": 30, "time": 4}
    assert plans(ans) == {((("m", "x", "rented", "1"), ("m", "y", "rented", "2")), ())}
    assert rt.solve(budget_doc([10, 0, 20])).status == "infeasible"


def test_an_adoption_is_paid_in_its_ready_period():
    """b runs x in 1 (cost 100, number budget); a adopts (cost 0.1 x 100 = 10) with budget
    [0, 10]: it cannot be ready in 1 (0 < 10), so it is ready in 2: time 1 + 2 = 3."""
    doc = {"name": "adoption cost", "horizon": {"periods": 2}, "accelerators": TWO_TYPES,
           "members": {"a": {"budget": [0, 10], "price": 1, "fleet": {"B": 1}, "needs": ["x"]},
                       "b": {"budget": 100, "price": 1, "fleet": {"A": 1}, "needs": ["x"]}},
           "workstreams": {"x": {"compute": 100, "accelerators": ["A"]}}}
    ans = rt.solve(doc)
    assert ans.values == {"compute": 110, "money": 110, "time": 3}
    assert plans(ans) == {((("b", "x", "A", "1"),), (("a", "x", "2"),))}
    doc["members"]["a"]["budget"] = [9.99, 9.99]
    assert rt.solve(doc).status == "infeasible"


# --- pooled funding over time ------------------------------------------------------------------------

def pooled_doc(a_budget, b_budget) -> dict:
    return {"name": "pooled over time", "horizon": {"periods": 2},
            "accelerators": TWO_TYPES,
            "members": {"r": {"budget": [0, 0], "price": 1},
                        "a": {"budget": a_budget, "price": 1, "fleet": {"B": 1}, "needs": ["x"]},
                        "b": {"budget": b_budget, "price": 1, "fleet": {"B": 1}}},
            "workstreams": {"x": {"compute": 20, "duration": 2, "adoption": 0.25, "accelerators": ["A"]}},
            "designs": {"pooled": {"funding": "pooled"}}}


def test_pooled_funding_over_time():
    """Only r (rents, budget [0, 0]) can run x: 2 periods, cost 20 = 10 in period 1 + 10 in 2.
    a needs x and adopts it (adoption 0.25: compute 5, cost 5, in its ready period 2, the run's
    end). Lead funding: r pays 20 from 0, infeasible.
    Pooled, a [10, 10], b 10 (a number): a pays 10 in 1 and 10 - 5 = 5 in 2; the other 5 of
    period 2 must come from b, which has to adopt x to pay (cost 5, ready 2), leaving 10 - 5 = 5:
    feasible. compute = 20 + 5 + 5 = 30 = money, time 2, one plan.
    b [10, 0] instead: b's adoption (ready 2, the run ends in 2) costs 5 in period 2 > 0:
    infeasible. b [0, 10]: as with the number: feasible.
    a [5, 10], b 10: period 1 needs 10 - 5 = 5 more, period 2 10 - 5 = 5 more, b has 5 in all:
    infeasible, although each period alone could be covered by b's 5 (per-period Gale would
    wrongly say yes). b 15 (room 10): feasible."""
    assert rt.solve(pooled_doc([10, 10], 10)).status == "infeasible"  # lead
    ans = rt.solve(pooled_doc([10, 10], 10), "pooled")
    assert ans.values == {"compute": 30, "money": 30, "time": 2}
    assert plans(ans) == {((("r", "x", "rented", "1"),), (("a", "x", "2"), ("b", "x", "2")))}
    assert rt.solve(pooled_doc([10, 10], [10, 0]), "pooled").status == "infeasible"
    assert rt.solve(pooled_doc([10, 10], [0, 10]), "pooled").values["compute"] == 30
    assert rt.solve(pooled_doc([5, 10], 10), "pooled").status == "infeasible"
    assert rt.solve(pooled_doc([5, 10], 15), "pooled").values["compute"] == 30


def test_replicas_count_over_the_whole_horizon():
    """x wants 2 replicas; a and b (both type A) run it, in different periods if capacity says
    so: one A with 10 hours per period and x 10 hours: each runs once. a needs x by 1 and b by 2:
    a runs in 1, b in 1 or 2 (b's own run is its readiness: time prefers 1). compute 20."""
    doc = {"name": "replicas", "horizon": {"periods": 2, "hours": 10},
           "accelerators": {"A": {"throughput": 1.0}},
           "members": {"a": {"budget": 100, "fleet": {"A": 1}, "needs": ["x"], "due": {"x": 1}},
                       "b": {"budget": 100, "fleet": {"A": 1}, "needs": ["x"]}},
           "workstreams": {"x": {"compute": 10, "replicas": 2}}}
    ans = rt.solve(doc)
    assert ans.values == {"compute": 20, "money": 40, "time": 2}
    assert plans(ans) == {((("a", "x", "A", "1"), ("b", "x", "A", "1")), ())}
    doc["objective"] = ["compute", "money"]  # time not asked: b may run in 1 or 2
    assert len(rt.solve(doc).optimal) == 2


# --- the reference against itself ----------------------------------------------------------------------

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@SETTINGS
@given(timed_instances())
def test_pruning_never_changes_the_answer(doc):
    for design in ("consortium", "silo", "variant"):
        p = rt.problem(doc, design)
        assume(rt.plan_count(p, prune=False) <= 20000)
        full = rt.optimal_plans(p, prune=False)
        pruned = rt.optimal_plans(p, prune=True)
        assert {(b.runs, b.gets) for b in full} == {(b.runs, b.gets) for b in pruned}, design


@SETTINGS
@given(timed_instances(), st.randoms(use_true_random=False))
def test_pooled_flow_check_equals_gale_and_v1(doc, rnd):
    """On random plans of pooled designs: max-flow = every-subset supply-demand test, and for
    number budgets both = v1's whole-horizon check (tests/reference.py)."""
    for design in ("consortium", "variant"):
        p = rt.problem(doc, design)
        plans_ = list(rt.all_plans(p))
        for runs, gets in rnd.sample(plans_, min(80, len(plans_))):
            flow = rt.pooled_fundable_by_flow(p, runs, gets)
            assert flow == rt.pooled_fundable_by_gale(p, runs, gets), (design, runs, gets)
            if all(not isinstance(b, list) for b in p.budget.values()):
                has = {(i, w) for i, w, _, _ in runs} | {(i, w) for i, w, _ in gets}
                spend = {i: sum(rt.adoption_cost(p, j, w) for j, w, _ in gets if j == i) for i in p.members}
                assert flow == reference.pooled_fundable(p, has, [(i, w, o) for i, w, o, _ in runs], spend)


def untimed_to_one_period(doc: dict) -> dict:
    """A v1 instance as a horizon of one period with the same hours: nothing can move in time."""
    doc = copy.deepcopy(doc)
    doc["horizon"] = {"periods": 1}
    for ws in doc["workstreams"].values():
        ws.pop("requires", None)  # finish-to-start: in one period a run cannot follow another
    if "objective" not in doc:
        doc["objective"] = ["compute", "money"]
    return doc


def test_one_period_horizon_is_the_untimed_contract():
    from test_exact import instances, small_enough

    @settings(max_examples=80, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(instances())
    def check(doc):
        assume(small_enough(doc))
        timed = untimed_to_one_period(doc)
        doc = {**doc, "workstreams": timed["workstreams"]}
        for design in ("consortium", "silo", "variant"):
            want = reference.solve(doc, design)
            got = rt.solve(timed, design)
            assert got.status == want.status, design
            if want.status != "optimal":
                continue
            assert {(frozenset((i, w, o) for i, w, o, _ in b.runs), frozenset((i, w) for i, w, _ in b.gets))
                    for b in got.optimal} == {(b.runs, b.gets) for b in want.optimal}, design
            assert reference.silo_compute(doc, design) == rt.silo_compute(timed, design)

    check()
