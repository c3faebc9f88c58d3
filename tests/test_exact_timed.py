"""The project against the timed exhaustive-search reference (tests/reference_timed.py) on tiny
random timed instances (tests/timed_instances.py) and on the reference's hand-worked cases.

For each instance and design (consortium, silo, variant) the project must agree with the
reference on the status, every objective value, the standalone (silo) baseline, time_to_needs,
last_ready and whether the timed plan is unique (a timed plan is its runs with start periods and
its adoptions with ready periods), and the timed plan it returns must be one of the reference's
optimal plans.

Until the project reads ``horizon:`` these tests skip (a one-period probe instance is rejected as
invalid input); once it does, any disagreement fails. ``EXACT_TIMED_EXAMPLES`` (default 150)
sets the number of random instances.
"""
from __future__ import annotations

import functools
import os

import pytest
from hypothesis import HealthCheck, assume, event, given, settings

import optimizer
from optimizer import model
from optimizer.errors import InputError

import reference_timed as rt
from reference import silo_agrees
from timed_instances import small_enough, timed_instances

EXAMPLES = int(os.environ.get("EXACT_TIMED_EXAMPLES", "150"))
DESIGNS = ("consortium", "silo", "variant")
PROBE = {"name": "probe", "horizon": {"periods": 1}, "members": {"a": {"budget": 1}},
         "workstreams": {"w": {"compute": 1}}}


def solve_exact(doc: dict, design: str):
    """The project's exact solve."""
    return optimizer.solve(doc, design, options=optimizer.SolverOptions(mip_gap=0.0))


@functools.lru_cache(maxsize=1)
def horizon_supported() -> bool:
    try:
        solve_exact(PROBE, "consortium")
    except InputError:
        return False
    return True


@pytest.fixture(autouse=True, scope="module")
def _needs_horizon():
    if not horizon_supported():
        pytest.skip("horizon not implemented")


def timed_plan_of(got) -> tuple[frozenset, frozenset]:
    plan = got.plan
    return (frozenset((r.member, r.workstream, r.accelerator, str(r.start)) for r in plan.runs),
            frozenset((a.member, a.workstream, str(a.ready)) for a in plan.adoptions))


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b), 1e-12)


def agree_timed(doc: dict, design: str) -> rt.Answer:
    ref = rt.solve(doc, design)
    got = solve_exact(doc, design)
    where = f"design {design} of {doc}"
    assert got.status == ref.status, where
    silo = rt.silo_compute(doc, design)
    assert silo_agrees(got.silo_compute, silo), f"silo {got.silo_compute} not in {silo}; {where}"
    if ref.status != "optimal":
        return ref
    p = ref.problem
    runs, gets = timed_plan_of(got)
    matches = [b for b in ref.optimal if rt.labelled(p, b) == (runs, gets)]
    assert matches, f"plan {sorted(runs)} {sorted(gets)} is not among the {len(ref.optimal)} optimal; {where}"
    mine = matches[0]
    for name in p.objective:  # common to every optimal plan
        assert name in got.objectives, f"{name} missing from objectives; {where}"
        assert close(got.objectives[name], ref.values[name]), f"{name}: {got.objectives[name]} != {ref.values[name]}; {where}"
    for name, value in got.objectives.items():
        assert close(value, mine.values[name]), f"{name}: {value} != {mine.values[name]}; {where}"
    assert close(got.plan.time_to_needs, mine.values["time"]), f"time_to_needs {got.plan.time_to_needs}; {where}"
    assert got.plan.last_ready == mine.last_ready, f"last_ready {got.plan.last_ready} != {mine.last_ready}; {where}"
    ends = {(r.member, r.workstream): str(r.end) for r in got.plan.runs}
    assert ends == {(i, w): p.label(p.end(w, s)) for i, w, _, s in mine.runs}, f"run ends {ends}; {where}"
    schedule = {(row.member, row.workstream): (str(row.due), str(row.ready)) for row in got.plan.schedule}
    assert schedule == {(i, w): (p.label(p.due[i, w]), p.label(mine.ready[i, w]))
                        for i in p.members for w in p.needs[i]}, f"schedule {schedule}; {where}"
    assert got.unique == ref.unique, f"unique {got.unique} != {ref.unique} ({len(ref.optimal)} plans); {where}"
    return ref


def describe(design: str, ref: rt.Answer) -> None:
    """What was drawn (pytest --hypothesis-show-statistics shows the shares)."""
    event(f"{design}: {ref.status}")
    if ref.status == "optimal":
        best = ref.optimal[0]
        event(f"{design}: optimum {'adopts' if best.gets else 'runs only'}, "
              f"{'something later than period 1' if any(s > 1 for *_, s in best.runs) or any(a > 1 for *_, a in best.gets) else 'all in period 1'}, "
              f"{'unique' if ref.unique else 'ties'}")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(timed_instances())
def test_every_timed_design_matches_exhaustive_search(doc):
    assume(small_enough(doc))
    for design in DESIGNS:
        describe(design, agree_timed(doc, design))


@pytest.mark.parametrize("form", ["always", "never"])
@settings(max_examples=max(1, EXAMPLES // 3), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(doc=timed_instances())
def test_aggregated_and_direct_timed_rows_match_exhaustive_search(form, doc):
    """Constraints 4, 4t and 5 against aggregates, or written directly (the model picks whichever
    has fewer nonzeros): both forms agree with exhaustive search on timed instances too."""
    assume(small_enough(doc))
    before, model.AGGREGATES = model.AGGREGATES, form
    try:
        for design in DESIGNS:
            agree_timed(doc, design)
    finally:
        model.AGGREGATES = before


def hand_worked() -> list[tuple[str, dict, str]]:
    """The reference's hand-worked instances (tests/test_reference_timed.py), every design."""
    import test_reference_timed as h
    docs = {"prerequisites T=2": h.prerequisite_doc(), "prerequisites T=3": h.prerequisite_doc(periods=3),
            "prerequisite too long": h.prerequisite_doc(duration_x=2),
            "lag 0": h.lag_doc(0), "lag 1": h.lag_doc(1),
            "due a": h.lag_doc(1, a_fleet="A", due={"a": "P1"}),
            "due both": h.lag_doc(1, a_fleet="A", due={"a": "P1", "b": "P1"}),
            "due, cannot run": h.lag_doc(1, a_fleet="B", due={"a": "P1", "b": "P1"}),
            "time first": h.lag_doc(1, a_fleet="A", objective=["time", "compute", "money"]),
            "capacity 10": h.capacity_doc(10), "capacity 20": h.capacity_doc(20),
            "capacity 9.5": h.capacity_doc(9.5),
            "budget 30": h.budget_doc(30), "budget [10, 20, 0]": h.budget_doc([10, 20, 0]),
            "budget [10, 0, 20]": h.budget_doc([10, 0, 20]),
            "pooled a [10,10] b 10": h.pooled_doc([10, 10], 10),
            "pooled b [10, 0]": h.pooled_doc([10, 10], [10, 0]),
            "pooled b [0, 10]": h.pooled_doc([10, 10], [0, 10]),
            "pooled a [5, 10] b 10": h.pooled_doc([5, 10], 10),
            "pooled a [5, 10] b 15": h.pooled_doc([5, 10], 15)}
    out = []
    for name, doc in docs.items():
        for design in ("consortium", "silo", *doc.get("designs", {})):
            out.append((name, doc, design))
    return out


@pytest.mark.parametrize("name,doc,design", hand_worked(), ids=lambda x: x if isinstance(x, str) else "")
def test_hand_worked_timed_cases(name, doc, design):
    agree_timed(doc, design)
