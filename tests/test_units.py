"""The same instance written in other units gives the same plan and the same figures in those units.

The flagship (H100-hours, USD, hours) is rewritten three ways by multiplying every compute figure
by ``a``, every money figure by ``b`` and every fleet-hour figure by ``c``:

* FLOP and USD: a = 989e12 FLOP/s x 3,600 s = 3.5604e18 FLOP per H100-hour, b = 1, c = 1;
* GPU-seconds and cents: a = 3,600, b = 100, c = 3,600 (hours of the horizon in seconds);
* PFLOP-days and millions of USD: a = 3.5604e18 / 8.64e19 = 0.041208..., b = 1e-6, c = 1 / 24.

Prices (money per compute) scale by b / a, throughputs (compute per accelerator-hour) by a / c.
Before scaling, the FLOP version put 1e25 into HiGHS' matrix (treated as infinite) and the cents
version budgets near 1e9; now every version is the same model up to rounding, so every design whose
plan is unique must give the same runs and adoptions, with figures multiplied by a or b.
"""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

import optimizer
from optimizer.instance import parse_instance
from optimizer.yamlsource import parse_yaml

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "instances" / "open-moe-consortium.yaml"

SYSTEMS = {
    "FLOP/USD": (3.5604e18, 1.0, 1.0, "FLOP", "USD"),
    "GPU-seconds/cents": (3600.0, 100.0, 3600.0, "H100-seconds", "US cents"),
    "PFLOP-days/MUSD": (3.5604e18 / 8.64e19, 1e-6, 1 / 24, "PFLOP-days", "million USD"),
}


def convert(doc: dict, a: float, b: float, c: float) -> dict:
    """``doc`` with compute x a, money x b, fleet hours x c (designs' overrides too)."""
    doc = copy.deepcopy(doc)

    def numbers(part: dict) -> None:
        for w in (part.get("workstreams") or {}).values():
            if "compute" in w:
                w["compute"] *= a
        for m in (part.get("members") or {}).values():
            if "budget" in m:
                m["budget"] *= b
            if m.get("price") is not None:
                m["price"] *= b / a
            for e in (m.get("estimates") or {}).values():
                if e.get("compute") is not None:
                    e["compute"] *= a
                if e.get("cost") is not None:
                    e["cost"] *= b
        for h in (part.get("accelerators") or {}).values():
            if "throughput" in h:
                h["throughput"] *= a / c
        defaults = part.get("defaults") or {}
        if "price" in defaults:
            defaults["price"] *= b / a
        if "hours" in defaults:
            defaults["hours"] *= c

    doc.setdefault("defaults", {}).setdefault("price", 2.0)
    doc["defaults"].setdefault("hours", 2190.0)
    numbers(doc)
    for design in (doc.get("designs") or {}).values():
        numbers(design.get("overrides") or {})
    return doc


@pytest.fixture(scope="module")
def flagship() -> dict:
    doc, _ = parse_yaml(FLAGSHIP.read_text(encoding="utf-8"), str(FLAGSHIP))
    return doc


@pytest.fixture(scope="module")
def base(flagship):
    return {r.design: r for r in optimizer.solve_designs(flagship)}


def plan(r) -> tuple:
    return (sorted(map(tuple, r.runs.reset_index()[["member", "workstream", "accelerator"]].values.tolist())),
            sorted(map(tuple, r.adoptions.reset_index()[["member", "workstream"]].values.tolist())))


@pytest.mark.parametrize("system", list(SYSTEMS))
def test_same_plan_same_figures_in_other_units(flagship, base, system):
    a, b, c, compute_unit, money_unit = SYSTEMS[system]
    doc = convert(flagship, a, b, c)
    doc["units"] = {"compute": compute_unit, "money": money_unit}
    for design, r in {x.design: x for x in optimizer.solve_designs(doc)}.items():
        ref = base[design]
        assert r.status == ref.status, design
        if ref.unique:
            assert plan(r) == plan(ref), design
        assert r.total_compute == pytest.approx(ref.total_compute * a, rel=1e-9), design
        assert r.total_money == pytest.approx(ref.total_money * b, rel=1e-9), design
        if ref.silo_compute is None:  # recipe-at-15x: five labs cannot manage alone, in any units
            assert r.silo_compute is None and r.savings is None and r.members_enabled == ref.members_enabled, design
            continue
        assert r.silo_compute == pytest.approx(ref.silo_compute * a, rel=1e-9), design
        assert r.savings == pytest.approx(ref.savings * a, rel=1e-9), design


def test_no_unit_makes_numbers_far_apart_fit():
    """ev 3e24 next to tiny 1 (both compute): 3e24 apart, beyond the 1e12 one model can hold;
    refused at ev's compute, naming the other figure's line."""
    doc = """name: r
members:
  a: {budget: 1.0e+7, needs: [ev, tiny]}
workstreams:
  ev: {compute: 3.0e+24}
  tiny: {compute: 1}
"""
    with pytest.raises(optimizer.InputError) as err:
        parse_instance(doc, "r.yaml")
    (problem,) = err.value.problems
    assert (problem.line, problem.column, problem.path) == (5, 17, "workstreams.ev.compute")
    assert "ev's compute is 3e+24 but tiny's compute (line 6) is 1" in problem.message


def test_a_figure_that_overflows_is_refused():
    """compute 1e308 at price 2: its cost is not a float (inf)."""
    doc = "name: o\nmembers:\n  a: {budget: 1.0e+7, needs: [ev]}\nworkstreams:\n  ev: {compute: 1.0e+308}\n"
    with pytest.raises(optimizer.InputError) as err:
        parse_instance(doc, "o.yaml")
    (problem,) = err.value.problems
    assert (problem.line, problem.path) == (5, "workstreams.ev.compute") and "overflows" in problem.message


def test_a_budget_that_cannot_bind_is_not_a_range_problem():
    """budget 1e300 ('no limit') next to costs of 2: it cannot bind, so it does not count; the
    plan runs ev once (compute 1, money 2) and b adopts (0.1, 0.2)."""
    doc = {"name": "u", "members": {"a": {"budget": 1e300, "needs": ["ev"]}, "b": {"budget": 1e300, "needs": ["ev"]}},
           "workstreams": {"ev": {"compute": 1}}}
    r = optimizer.solve(doc)
    assert r.status == "optimal" and (r.total_compute, r.total_money) == (1.1, 2.2)
