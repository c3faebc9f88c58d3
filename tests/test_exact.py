"""The project against an exhaustive-search reference (tests/reference.py) on tiny random instances.

Every design knob of the contract is drawn — sharing, adoption factor, member subsets, pooled
funding, overrides, objective order, and their combinations — on instances small enough to
enumerate every plan. For each design the project must agree with the reference on the status,
every objective value, the standalone (silo) baseline and whether the plan is unique, and the
plan it returns must be one of the reference's optimal plans. The cost game's c(S), exact
Shapley values and the core check are compared the same way.

CI runs a sample (``EXACT_EXAMPLES``, default 40 instances and 15 games); ``make check-exact``
runs thousands.
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import optimizer
from optimizer import model
from optimizer.allocation import allocate
from optimizer.check import violations
from optimizer.game import CoalitionGame
from optimizer.solver import SolverOptions, canonical_pay

import reference
from test_units import convert

EXAMPLES = int(os.environ.get("EXACT_EXAMPLES", "40"))
GAMES = int(os.environ.get("EXACT_GAMES", "15"))
MAX_PLANS = 3000  # the reference enumerates every plan: keep it to seconds

NUMBERS = {"budget": [0, 5, 20, 40, 60, 100, 150, 400, 1000], "price": [0, 1, 2, 3],
           "compute": [5, 10, 20, 30, 40, 80], "adoption": [0, 0.1, 0.25, 0.5, 1]}


@st.composite
def instances(draw) -> dict:
    n = draw(st.integers(1, 3))
    m = draw(st.integers(1, 3))
    members = [f"m{k}" for k in range(n)]
    works = [f"w{k}" for k in range(m)]
    types = draw(st.sampled_from([[], ["A"], ["A", "B"]]))
    doc: dict = {"name": "random", "defaults": {"hours": draw(st.sampled_from([10, 25, 60, 1000]))}}
    if types:
        doc["accelerators"] = {h: {"throughput": draw(st.sampled_from([0.5, 1.0, 2.0]))} for h in types}
    if draw(st.booleans()):
        doc["defaults"]["adoption"] = draw(st.sampled_from(NUMBERS["adoption"]))
    doc["workstreams"] = {}
    for k, w in enumerate(works):
        ws: dict = {"compute": draw(st.sampled_from(NUMBERS["compute"]))}
        earlier = works[:k]
        if earlier and draw(st.booleans()):
            ws["requires"] = draw(st.lists(st.sampled_from(earlier), min_size=1, max_size=2, unique=True))
        if draw(st.integers(0, 3)) == 0:
            ws["replicas"] = 2
        if draw(st.integers(0, 4)) == 0:
            ws["required"] = True
        if draw(st.booleans()):
            ws["adoption"] = draw(st.sampled_from(NUMBERS["adoption"]))
        if types and draw(st.integers(0, 3)) == 0:
            ws["accelerators"] = draw(st.lists(st.sampled_from(types), min_size=1, max_size=len(types), unique=True))
        if types and draw(st.integers(0, 3)) == 0:
            ws["min_accelerators"] = draw(st.integers(1, 3))
        doc["workstreams"][w] = ws
    doc["members"] = {}
    for i in members:
        mem: dict = {"budget": draw(st.sampled_from(NUMBERS["budget"]))}
        if draw(st.booleans()):
            mem["price"] = draw(st.sampled_from(NUMBERS["price"]))
        if types and draw(st.booleans()):
            mem["fleet"] = {h: draw(st.integers(0, 3)) for h in draw(
                st.lists(st.sampled_from(types), min_size=1, max_size=len(types), unique=True))}
        mem["needs"] = draw(st.lists(st.sampled_from(works), max_size=m, unique=True))
        if draw(st.integers(0, 4)) == 0:
            mem["publishes"] = False
        if draw(st.integers(0, 3)) == 0:
            w = draw(st.sampled_from(works))
            mem["estimates"] = {w: draw(st.fixed_dictionaries({}, optional={
                "compute": st.sampled_from(NUMBERS["compute"]), "cost": st.sampled_from([0, 10, 50, 200])}))}
        doc["members"][i] = mem
    design: dict = {}
    if draw(st.booleans()):
        design["funding"] = "pooled"
    if draw(st.integers(0, 2)) == 0:
        design["adoption_factor"] = draw(st.sampled_from([0.5, 2, 4]))
    if n > 1 and draw(st.integers(0, 2)) == 0:
        design["members"] = draw(st.lists(st.sampled_from(members), min_size=1, max_size=n - 1, unique=True))
    if draw(st.integers(0, 4)) == 0:
        design["sharing"] = "none"
    if draw(st.integers(0, 2)) == 0:
        design["objective"] = draw(st.sampled_from([["money", "compute"], ["money"], ["compute"]]))
    if draw(st.integers(0, 3)) == 0:
        who = draw(st.sampled_from(members))
        design["overrides"] = {"members": {who: {"budget": draw(st.sampled_from(NUMBERS["budget"]))}}}
    doc["designs"] = {"variant": design}
    if draw(st.integers(0, 4)) == 0:
        doc["objective"] = ["money", "compute"]
    return doc


def small_enough(doc: dict) -> bool:
    return all(reference.plan_count(reference.problem(doc, d)) <= MAX_PLANS
               for d in ("consortium", "silo", "variant"))


def plan_of(result) -> tuple[frozenset, frozenset]:
    return (frozenset((r.member, r.workstream, r.accelerator) for r in result.runs.reset_index().itertuples()),
            frozenset((a.member, a.workstream) for a in result.adoptions.reset_index().itertuples()))


def close(a, b) -> bool:
    """Equal within 1e-6 relative: figures of any unit (the magnitude test writes FLOP and cents)."""
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b))


def agree(doc: dict, design: str) -> None:
    ref = reference.solve(doc, design)
    got = optimizer.solve(doc, design, options=SolverOptions(mip_gap=0.0))
    where = f"design {design} of {doc}"
    assert got.status == ref.status, where
    assert reference.silo_agrees(got.silo_compute, reference.silo_compute(doc, design)), where
    if got.solved:  # whatever the status, a reported plan passes the contract's rows
        runs, gets = plan_of(got)
        pay = canonical_pay(got.data, runs, gets, SolverOptions()) if got.data.pooled and runs else None
        assert violations(got.data, runs, gets, pay) == [], where
    if ref.status != "optimal":
        return
    for name, value in ref.values.items():
        if name in got.objectives:
            assert close(got.objectives[name], value), f"{name}: {got.objectives[name]} != {value}; {where}"
    runs, gets = plan_of(got)
    assert any(p.runs == runs and p.gets == gets for p in ref.optimal), f"plan {runs} {gets} not optimal; {where}"
    assert got.unique == ref.unique, f"unique {got.unique} != {ref.unique} ({len(ref.optimal)} plans); {where}"
    if got.alternative is not None:  # the tie it names is another of the optimal plans
        alt = got.alternative
        alt_runs = (runs - {(r["member"], r["workstream"], r["accelerator"]) for r in alt["runs_removed"]}) | {
            (r["member"], r["workstream"], r["accelerator"]) for r in alt["runs_added"]}
        alt_gets = (gets - {(a["member"], a["workstream"]) for a in alt["adoptions_removed"]}) | {
            (a["member"], a["workstream"]) for a in alt["adoptions_added"]}
        assert (alt_runs, alt_gets) != (runs, gets), where
        assert any(p.runs == alt_runs and p.gets == alt_gets for p in ref.optimal), f"alternative not optimal; {where}"


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(instances())
def test_every_design_matches_exhaustive_search(doc):
    assume(small_enough(doc))
    for design in ("consortium", "silo", "variant"):
        agree(doc, design)


@pytest.mark.parametrize("form", ["always", "never"])
@settings(max_examples=max(1, EXAMPLES // 2), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(doc=instances())
def test_aggregated_and_direct_rows_match_exhaustive_search(form, doc):
    """Constraints 4 and 5 written against one aggregate per workstream, or directly (the model
    picks whichever has fewer nonzeros): both forms agree with exhaustive search."""
    assume(small_enough(doc))
    before, model.AGGREGATES = model.AGGREGATES, form
    try:
        for design in ("consortium", "variant"):
            agree(doc, design)
    finally:
        model.AGGREGATES = before


@settings(max_examples=max(1, EXAMPLES // 2), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(instances(), st.integers(-9, 24), st.integers(-9, 15))
def test_any_magnitude_matches_exhaustive_search(doc, compute_exponent, money_exponent):
    """The same random instances with compute in units 1e-9..1e24 and money in 1e-9..1e15 of the
    drawn ones (numbers HiGHS alone drops as zero or treats as infinite): the project still agrees
    with the reference, which enumerates plans in the instance's own numbers."""
    assume(small_enough(doc))
    doc = convert(doc, 10.0 ** compute_exponent, 10.0 ** money_exponent, 1.0)
    for design in ("consortium", "silo", "variant"):
        agree(doc, design)


@settings(max_examples=GAMES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(instances())
def test_cost_game_matches_exhaustive_search(doc):
    assume(small_enough(doc))
    design = "variant"
    assume(len(reference.problem(doc, design).members) >= 2)
    doc["designs"][design].pop("objective", None)  # c(S) as defined: least compute first
    doc.pop("objective", None)
    members, values = reference.game(doc, design)
    game = CoalitionGame(optimizer.load_instance(doc), design)
    assert game.members == members
    got = game.values(range(1 << len(members)))
    for mask, value in values.items():
        assert close(got[mask], value), f"c({mask:b}) = {got[mask]} != {value}; {doc}"
    a = allocate(doc, "shapley", design)
    want = reference.shapley(members, values)
    assert all(close(x, y) for x, y in zip(a.allocated, want)), (a.allocated, want)
    assert a.in_core == reference.in_core(want, values)


# --- the cases that were wrong before (issue 11), worked by hand --------------------------------

FUND_BY_ADOPTING = {
    "name": "a rich member adopts to fund",
    "accelerators": {"H100": {"throughput": 1.0}, "TPU": {"throughput": 1.0}},
    "members": {
        "runner": {"budget": 0, "price": 1, "fleet": {"H100": 1}},
        "poor": {"budget": 50, "price": 1, "fleet": {"TPU": 1}, "needs": ["x"]},
        "rich": {"budget": 1000, "price": 1, "fleet": {"TPU": 1}},
    },
    "workstreams": {"x": {"compute": 100, "accelerators": ["H100"]}},
    "designs": {"pooled": {"funding": "pooled"}},
}


def test_pooled_member_adopts_only_to_fund_a_run():
    """Only runner can run x (H100), at cost 100, with budget 0. poor needs x and adopts it
    (compute 0.1 * 100 = 10, cost 10), leaving 40 of its 50 for the run: 60 short.
    Lead funding: runner must pay 100 from 0, infeasible. Pooled: payers must have x, so rich
    (no need of its own) adopts x (10 compute, 10 money) and pays the 60:
    total compute 100 + 10 + 10 = 120."""
    lead = optimizer.solve(FUND_BY_ADOPTING)
    pooled = optimizer.solve(FUND_BY_ADOPTING, "pooled")
    assert lead.status == "infeasible"
    assert pooled.status == "optimal" and pooled.total_compute == pytest.approx(120)
    assert sorted(pooled.adoptions.index.get_level_values("member")) == ["poor", "rich"]
    paid = pooled.members.paid_for_runs.to_dict()
    assert paid["rich"] == pytest.approx(60) and paid["poor"] == pytest.approx(40) and paid["runner"] == 0
    assert reference.solve(FUND_BY_ADOPTING, "pooled").values["compute"] == pytest.approx(120)


REQUIRED_UNAFFORDABLE = {
    "name": "required work one member cannot afford",
    "members": {"m0": {"budget": 10, "price": 1}, "m1": {"budget": 1000, "price": 1}},
    "workstreams": {"w": {"compute": 100, "required": True}},
}


def test_cost_game_with_unaffordable_required_run():
    """w is required (one run). {m0} can run it (it rents) but has 10 of the 100 it costs: its
    run is short, at 3 x 100 = 300. {m1} runs it: 100. Together m1 runs it: c(N) = 100.
    Shapley: m0 = (300 + (100 - 100)) / 2 = 150, m1 = (100 + (100 - 300)) / 2 = -50."""
    a = allocate(REQUIRED_UNAFFORDABLE, "shapley")
    assert a.standalone == [300.0, 100.0] and a.grand_coalition == 100.0
    assert a.allocated == pytest.approx([150.0, -50.0])
    assert a.design_total_compute == 100.0


def test_grand_coalition_below_the_plan_is_explained():
    """a needs x (compute 100, cost 100 of a's 1000) and y (compute 10), y requires x, and b (no
    needs) can run y only for compute 5... Simpler: a must run x at compute 100 to meet its need;
    with penalty 0.5 leaving it unmet costs 50, so c(N) = 50 < total_compute 100."""
    doc = {"name": "cheap to leave unmet", "members": {"a": {"budget": 1000, "needs": ["x"]}},
           "workstreams": {"x": {"compute": 100}}}
    a = allocate(doc, "shapley", unmet_penalty=0.5)
    assert a.grand_coalition == 50.0 and a.design_total_compute == 100.0
    assert any("below the design's total_compute" in note for note in a.notes)


def test_cli_allocate_never_exits_1_on_these(tmp_path):
    import yaml

    from optimizer.cli import main
    for k, doc in enumerate((REQUIRED_UNAFFORDABLE, FUND_BY_ADOPTING)):
        path = tmp_path / f"case{k}.yaml"
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        assert main(["allocate", str(path), "--json", "--workers", "1"]) == 0


# --- the solution checker (optimizer/check.py) against the reference's constraints ---------------

@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(instances(), st.randoms(use_true_random=False))
def test_checker_agrees_with_reference_on_any_plan(doc, rnd):
    """Under lead funding, the checker accepts exactly the plans the reference finds feasible
    (pooled plans need a payment split, checked through the solver's own plans above)."""
    from optimizer.tables import derive
    assume(small_enough(doc))
    inst = optimizer.load_instance(doc)
    for design in ("consortium", "silo", "variant"):
        variant, settings_ = inst.design(design)
        data = derive(variant, settings_, design)
        if data.pooled:
            continue
        p = reference.problem(doc, design)
        plans = list(reference.all_plans(p))
        for runs, gets in rnd.sample(plans, min(60, len(plans))):
            assert (not violations(data, runs, gets)) == reference.feasible(p, runs, gets), (design, runs, gets)
