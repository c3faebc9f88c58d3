"""Designs change the optimum in ways worked out by hand in each docstring."""
from __future__ import annotations

import pytest

import optimizer


def pooled_instance():
    return {
        "name": "pooled",
        "accelerators": {"H100": {"throughput": 1.0}},
        "members": {
            # hardware-rich, budget-poor: its own run of x would cost 60 * 2 = 120 > 20
            "a": {"budget": 20, "fleet": {"H100": 8}, "needs": ["x"], "estimates": {"x": {"compute": 60}}},
            # rich but renting at price 10: running x costs 100 * 10 = 1000
            "b": {"budget": 1000, "price": 10, "needs": ["x"]},
        },
        "workstreams": {"x": {"compute": 100}},
        "designs": {"pooled": {"funding": "pooled"}},
    }


def test_pooled_funding_lets_a_poor_member_with_hardware_run_work_funded_by_others():
    """Lead funding: a cannot pay for its own run (120 > 20), so b runs x (100) and a
    adopts (0.1 * 60 = 6, costing 12 <= 20): 106.
    Pooled funding: a runs x on its H100s (60) and b, which adopts (0.1 * 100 = 10),
    pays the run's 120 plus its adoption 100 (220 <= 1000): 70."""
    lead = optimizer.solve(pooled_instance())
    assert lead.total_compute == pytest.approx(106)
    assert [(r.member, r.accelerator) for r in lead.runs.itertuples()] == [("b", "rented")]
    pooled = optimizer.solve(pooled_instance(), "pooled")
    assert pooled.total_compute == pytest.approx(70)
    assert [(r.member, r.accelerator) for r in pooled.runs.itertuples()] == [("a", "H100")]
    paid = dict(zip(pooled.members.member, pooled.members.paid_for_runs))
    assert paid["a"] + paid["b"] == pytest.approx(120)  # the run is fully funded
    spent = dict(zip(pooled.members.member, pooled.members.spent))
    assert spent["a"] <= 20 + 1e-6 and spent["b"] <= 1000 + 1e-6
    assert spent["a"] + spent["b"] == pytest.approx(120 + 100)  # run + b's adoption


def test_adoption_factor_erases_the_gain_of_sharing():
    """a and b need x (compute 100, adoption 0.3). Shared: 100 + 30 = 130, silo 200.
    With adoption_factor 4 the fraction is min(1, 1.2) = 1: adopting costs as much as
    running, so the consortium is no better than duplication: 200, savings 0."""
    inst = {"name": "t", "members": {"a": {"budget": 1e6, "needs": ["x"]}, "b": {"budget": 1e6, "needs": ["x"]}},
            "workstreams": {"x": {"compute": 100, "adoption": 0.3}},
            "designs": {"fork-heavy": {"adoption_factor": 4}, "mild": {"adoption_factor": 2}}}
    assert optimizer.solve(inst).total_compute == pytest.approx(130)
    assert optimizer.solve(inst, "mild").total_compute == pytest.approx(160)  # 100 + 0.6 * 100
    fork = optimizer.solve(inst, "fork-heavy")
    assert fork.total_compute == pytest.approx(200)
    assert fork.savings == pytest.approx(0)


SUBSET = {
    "name": "subset",
    "members": {"a": {"budget": 1e6, "needs": ["x", "y"]}, "b": {"budget": 1e6, "needs": ["x"]},
                "c": {"budget": 1e6, "needs": ["y"]}},
    "workstreams": {"x": {"compute": 100}, "y": {"compute": 50}},
    "designs": {"ab": {"members": ["a", "b"]}, "c-alone": {"members": ["c"]}},
}


def test_member_subset_drops_the_needs_of_others():
    """All three: x once + one adoption (110), y once + one adoption (55): 165.
    Only a and b: x 110, and y is needed by a alone, who runs it: 50 -> 160.
    Only c: c runs y: 50. Silo of the subset counts only its members (a 150 + b 100)."""
    assert optimizer.solve(SUBSET).total_compute == pytest.approx(165)
    ab = optimizer.solve(SUBSET, "ab")
    assert ab.total_compute == pytest.approx(160)
    assert ab.silo_compute == pytest.approx(250)
    assert list(ab.members.member) == ["a", "b"]
    assert optimizer.solve(SUBSET, "c-alone").total_compute == pytest.approx(50)


def test_silo_is_the_sum_of_standalone_optima():
    """Silo: a runs x and y (150), b runs x (100), c runs y (50): 300, nothing adopted."""
    silo = optimizer.solve(SUBSET, "silo")
    assert silo.total_compute == pytest.approx(300)
    assert silo.silo_compute == pytest.approx(300)
    assert silo.adoption_compute == 0
    assert silo.duplicated_compute == pytest.approx(100 + 50)  # x run twice, y run twice


def test_overrides_merge_maps_and_replace_lists():
    """Override: b stops publishing (map merge keeps b's budget and needs) and a's needs
    become [x] (the list replaces [x, y]). Then only a publishes, so a runs x (100) and
    b adopts (10); c runs y (50): 160."""
    inst = dict(SUBSET, designs={"closed-b": {"overrides": {"members": {"b": {"publishes": False},
                                                                        "a": {"needs": ["x"]}}}}})
    r = optimizer.solve(inst, "closed-b")
    assert r.total_compute == pytest.approx(160)
    assert sorted((x.member, x.workstream) for x in r.runs.itertuples()) == [("a", "x"), ("c", "y")]
    assert r.silo_compute == pytest.approx(100 + 100 + 50)  # standalone of the overridden instance


def test_compare_returns_one_row_per_design_keyed_by_design():
    """Rows in instance order: consortium 165, silo 300 (savings 135 = 45%), ab 160, c-alone 50."""
    table = optimizer.compare(SUBSET)
    assert list(table.index) == ["consortium", "silo", "ab", "c-alone"]
    assert table.loc["consortium", "savings"] == pytest.approx(135)
    assert table.loc["consortium", "savings_pct"] == pytest.approx(45)
    assert table.loc["silo", "total_compute"] == pytest.approx(300)
    assert table.loc["ab", "members_met"] == 2 and table.loc["ab", "members_total"] == 3
    parallel = optimizer.compare(SUBSET, workers=2)
    cols = ["status", "total_compute", "savings"]
    assert parallel[cols].equals(table[cols])


def test_unknown_design_is_an_input_error():
    with pytest.raises(optimizer.InputError, match="did you mean 'silo'"):
        optimizer.solve(SUBSET, "sillo")
