"""Timed instances (spec v2, "Horizon") whose optimum is worked out by hand in each docstring.

Conventions: members rent unless a fleet is given; price 1 money per compute unit (so cost =
compute); adoption 0.1; periods are labelled 1..T unless given. The objective is the contract's
default with a horizon, [compute, time, money]: time = the sum over members' needs of the period
each is ready in. "x Q1-Q2" is a run of x starting in Q1 and ending in Q2.
"""
from __future__ import annotations

import pytest

import optimizer
from optimizer.errors import InputError


def instance(periods, members, workstreams, **top):
    return {"name": "timed", "horizon": {"periods": periods, **top.pop("horizon", {})},
            "defaults": {"price": 1.0, **top.pop("defaults", {})}, "members": members,
            "workstreams": workstreams, **top}


def solve(doc, design="consortium"):
    return optimizer.solve(doc, design, options=optimizer.SolverOptions(mip_gap=0.0))


def runs(r):
    return sorted((x.member, x.workstream, x.start, x.end) for x in r.plan.runs)


def adoptions(r):
    return sorted((a.member, a.workstream, a.ready) for a in r.plan.adoptions)


def ready(r):
    return {(s.member, s.workstream): s.ready for s in r.plan.schedule}


def test_prerequisites_finish_before_the_run_starts():
    """a needs y; y (compute 200, 2 periods) requires x (compute 100, 1 period); 3 periods.
    x can run in Q1 at the earliest; y may start only after x is ready: Q2-Q3. compute 300,
    time 3 (y ready in Q3). With only 2 periods y (2 periods) cannot start after x: infeasible,
    and the diagnosis says the need cannot be ready within the horizon."""
    doc = instance(["Q1", "Q2", "Q3"], {"a": {"budget": 1000, "needs": ["y"]}},
                   {"x": {"compute": 100}, "y": {"compute": 200, "duration": 2, "requires": ["x"]}})
    r = solve(doc)
    assert r.status == "optimal"
    assert runs(r) == [("a", "x", "Q1", "Q1"), ("a", "y", "Q2", "Q3")]
    assert r.objectives == {"compute": 300.0, "time": 3.0, "money": 300.0}
    assert r.plan.last_ready == "Q3" and r.plan.time_to_needs == 3
    doc["horizon"]["periods"] = ["Q1", "Q2"]
    r = solve(doc)
    assert r.status == "infeasible"
    assert any(f.kind == "late" and "within the horizon" in f.message for f in r.plan.diagnosis)


def test_publish_lag_delays_adoption():
    """a and b need x (compute 100, 1 period); 3 periods; publish_lag 1. One run in Q1 (100) and
    one adoption (10): 110. The adopter has x at the earliest in Q1 + 1 = Q2: time 1 + 2 = 3.
    Without a lag the adoption is ready in the run's own period: time 1 + 1 = 2."""
    doc = instance(3, {"a": {"budget": 1000, "needs": ["x"]}, "b": {"budget": 1000, "needs": ["x"]}},
                   {"x": {"compute": 100}}, defaults={"publish_lag": 1})
    r = solve(doc)
    assert r.objectives == {"compute": 110.0, "time": 3.0, "money": 110.0}
    (runner, _, start, _), = runs(r)
    (adopter, _, at), = adoptions(r)
    assert (start, at) == ("1", "2") and {runner, adopter} == {"a", "b"}
    doc["defaults"]["publish_lag"] = 0
    r = solve(doc)
    assert r.objectives["time"] == 2.0 and adoptions(r)[0][2] == "1"


def test_deadline_forces_a_second_run():
    """As above (publish_lag 1) but b needs x by period 1. An adoption is ready in period 2 at the
    earliest, so b runs x in period 1 and a adopts it (ready in 2): compute 110, time 1 + 2 = 3.
    With a due in 1 as well nobody can adopt in time: two runs, compute 200, duplicated 100,
    time 1 + 1 = 2; the silo does the same (200), so the consortium saves nothing."""
    doc = instance(3, {"a": {"budget": 1000, "needs": ["x"]},
                       "b": {"budget": 1000, "needs": ["x"], "due": {"x": 1}}},
                   {"x": {"compute": 100}}, defaults={"publish_lag": 1})
    r = solve(doc)
    assert runs(r) == [("b", "x", "1", "1")] and adoptions(r) == [("a", "x", "2")]
    assert r.objectives == {"compute": 110.0, "time": 3.0, "money": 110.0}
    doc["members"]["a"]["due"] = {"x": 1}
    r = solve(doc)
    assert runs(r) == [("a", "x", "1", "1"), ("b", "x", "1", "1")] and adoptions(r) == []
    assert r.total_compute == 200 and r.duplicated_compute == 100
    assert r.silo_compute == 200 and r.savings == 0


def test_capacity_per_period_forces_a_later_start():
    """a owns 1 H100 (throughput 1) at 100 hours a period and needs x and y (compute 100 each,
    1 period): each run fills a period, so one runs in 1 and the other in 2: time 1 + 2 = 3.
    Both due in 1: infeasible, and the fleet is 100 hours short in period 1.
    With durations 2 (50 hours a period each) both fit side by side in 1-2: time 2 + 2 = 4
    (one after the other would be 2 + 4 = 6)."""
    doc = instance(4, {"a": {"budget": 1000, "fleet": {"H100": 1}, "needs": ["x", "y"]}},
                   {"x": {"compute": 100}, "y": {"compute": 100}},
                   accelerators={"H100": {"throughput": 1.0}}, horizon={"hours": 100})
    r = solve(doc)
    assert r.objectives["time"] == 3.0 and sorted(ready(r).values()) == ["1", "2"]
    use = {(u.period, u.accelerator): u.utilisation for u in r.plan.period_use}
    assert use["1", "H100"] == 1.0 and use["2", "H100"] == 1.0 and use["3", "H100"] == 0.0
    assert r.plan.binding.fleets[0].accelerator == "H100"
    doc["members"]["a"]["due"] = {"x": 1, "y": 1}
    r = solve(doc)
    assert r.status == "infeasible"
    (f,) = [f for f in r.plan.diagnosis if f.kind == "capacity"]
    assert f.amount == pytest.approx(100) and "in 1" in f.message
    del doc["members"]["a"]["due"]
    doc["workstreams"]["x"]["duration"] = doc["workstreams"]["y"]["duration"] = 2
    r = solve(doc)
    assert runs(r) == [("a", "x", "1", "2"), ("a", "y", "1", "2")] and r.objectives["time"] == 4.0


def test_budget_per_period():
    """a needs x and y (compute 100 each, price 1, 1 period) with budget [100, 100]: 200 cannot be
    spent in period 1, so one runs in 1 and the other in 2: time 3. A number budget of 200
    bounds only the total: both run in 1, time 2. x of 2 periods costs 50 in each."""
    doc = instance(2, {"a": {"budget": [100, 100], "needs": ["x", "y"]}},
                   {"x": {"compute": 100}, "y": {"compute": 100}})
    r = solve(doc)
    assert r.objectives == {"compute": 200.0, "time": 3.0, "money": 200.0}
    assert r.members.loc["a", "budget"] == 200
    spent = {u.period: u.used for u in r.plan.period_use if u.accelerator is None}
    assert spent == {"1": 100.0, "2": 100.0}
    assert r.plan.binding.budgets == ["a"]
    doc["members"]["a"]["budget"] = 200
    assert solve(doc).objectives["time"] == 2.0
    doc["members"]["a"]["budget"] = [50, 150]
    doc["workstreams"] = {"x": {"compute": 100, "duration": 2}}
    doc["members"]["a"]["needs"] = ["x"]
    r = solve(doc)
    assert runs(r) == [("a", "x", "1", "2")]
    assert {u.period: u.used for u in r.plan.period_use if u.accelerator is None} == {"1": 50.0, "2": 50.0}


def test_pooled_funding_over_time():
    """Only b owns the A accelerators x needs; b has no money, a needs x and has money only in
    period 2: budget [0, 110]. Lead funding: b cannot pay its run: infeasible. Pooled: a pays b's
    run in the period it runs (100) and its own adoption (10) in its ready period. A run in 1
    would need a's money in 1 (0): the run is in 2, a adopts in 2 (lag 0): 110 in period 2,
    compute 110, time 2. With a number budget 110 a may pay in period 1: time 1."""
    doc = instance(2, {"a": {"budget": [0, 110], "fleet": {"B": 1}, "needs": ["x"]},
                       "b": {"budget": 0, "fleet": {"A": 1}}},
                   {"x": {"compute": 100, "accelerators": ["A"]}},
                   accelerators={"A": {"throughput": 1.0}, "B": {"throughput": 1.0}},
                   designs={"pooled": {"funding": "pooled"}})
    assert solve(doc).status == "infeasible"
    r = solve(doc, "pooled")
    assert r.status == "optimal"
    assert runs(r) == [("b", "x", "2", "2")] and adoptions(r) == [("a", "x", "2")]
    assert r.objectives == {"compute": 110.0, "time": 2.0, "money": 110.0}
    assert r.members.loc["a", "paid_for_runs"] == 100
    doc["members"]["a"]["budget"] = 110
    r = solve(doc, "pooled")
    assert r.objectives["time"] == 1.0


def test_silo_is_timed_and_compare_shows_time():
    """a and b need x (compute 100, 1 period) and y (compute 100, 1 period, requires x); 2 periods,
    no lag. Silo: each runs x in 1 and y in 2: compute 400, time per member 1 + 2 = 3, 6 in all.
    Consortium: a runs x, b runs y? y needs x ready for its runner by the end of 1 (b adopts x,
    ready in 1), y runs in 2 and a adopts it in 2: compute 100 + 10 + 100 + 10 = 220, time 6."""
    doc = instance(2, {"a": {"budget": 1000, "needs": ["x", "y"]}, "b": {"budget": 1000, "needs": ["x", "y"]}},
                   {"x": {"compute": 100}, "y": {"compute": 100, "requires": ["x"]}})
    r = solve(doc)
    assert r.objectives == {"compute": 220.0, "time": 6.0, "money": 220.0}
    silo = solve(doc, "silo")
    assert silo.objectives == {"compute": 400.0, "time": 6.0, "money": 400.0}
    assert r.silo_compute == 400 and r.plan.last_ready == "2"


@pytest.mark.parametrize("doc, expected", [
    ({"name": "t", "members": {"a": {"budget": 1, "needs": ["x"], "due": {"x": 1}}},
      "workstreams": {"x": {"compute": 1, "duration": 2}}},
     ["members.a.due: 'due' needs a 'horizon:' section", "workstreams.x.duration: 'duration' needs a"]),
    ({"name": "t", "horizon": {"periods": 2}, "members": {"a": {"budget": [1, 2, 3], "needs": ["x"],
                                                                  "due": {"x": 3, "y": 1}}},
      "workstreams": {"x": {"compute": 1, "duration": 3, "release": "Q1"}, "y": {"compute": 1}}},
     ["members.a.budget: 3 budget amounts for 2 periods", "members.a.due.x: period 3 is after the last",
      "members.a.due.y: due date for 'y', which is not one of a's needs",
      "workstreams.x.duration: duration 3 is longer than the horizon (2 periods)",
      "workstreams.x.release: unknown period 'Q1'"]),
    ({"name": "t", "objective": ["time"], "members": {"a": {"budget": 1}}, "workstreams": {"x": {"compute": 1}}},
     ["objective[0]: objective 'time' needs a 'horizon:' section"]),
])
def test_timing_without_a_horizon_or_outside_it_is_an_error(doc, expected):
    with pytest.raises(InputError) as err:
        optimizer.load_instance(doc)
    text = str(err.value)
    for part in expected:
        assert part in text, text


def test_diagnosis_names_the_late_need_and_the_fix():
    """a needs rl by Q2; rl (2 periods) requires kern (1 period): kern Q1, rl Q2-Q3 at the earliest,
    whatever the money: rl cannot be ready before Q3. The pre-solve check says so, with the chain."""
    doc = instance(["Q1", "Q2", "Q3", "Q4"], {"a": {"budget": 1e6, "needs": ["rl"], "due": {"rl": "Q2"}}},
                   {"kern": {"compute": 100}, "rl": {"compute": 300, "duration": 2, "requires": ["kern"]}})
    r = solve(doc)
    assert r.status == "infeasible"
    (f,) = r.plan.diagnosis
    assert (f.kind, f.member, f.workstream, f.amount, f.unit) == ("late", "a", "rl", 1.0, "periods")
    assert f.message == ("a's need rl cannot be ready before Q3 (earliest: kern run by a (Q1-Q1); rl run by a "
                         "(Q2-Q3)), but it is due by Q2: a due period of Q3 or later, a shorter chain or an "
                         "earlier release would make it possible")


def test_diagnosis_names_the_short_period_budget():
    """a needs x (compute 100, price 1, 1 period) by period 1 with budget [50, 50]: 100 must be spent
    in period 1, where a has 50. The chain fits (x in 1), so the elastic model finds the repair:
    50 more money in period 1 (a shortfall of 50 weighs 50 / 50 = 1, less than a late need's 5)."""
    doc = instance(2, {"a": {"budget": [50, 50], "needs": ["x"], "due": {"x": 1}}}, {"x": {"compute": 100}})
    r = solve(doc)
    assert r.status == "infeasible"
    (f,) = r.plan.diagnosis
    assert (f.kind, f.member, f.amount) == ("budget", "a", 50.0)
    assert f.message == "a needs 50 money more budget in 1 (budget there 50)"


def test_a_huge_period_count_is_refused_not_listed():
    """periods: 1e11 once made validation list every label and run out of memory."""
    with pytest.raises(InputError, match=r"horizon.periods: got 100000000000 \(expected a number <= 10000\)"):
        optimizer.load_instance({"name": "t", "horizon": {"periods": 100_000_000_000},
                                 "members": {"a": {"budget": 1}}, "workstreams": {"x": {"compute": 1}}})
