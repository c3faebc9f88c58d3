"""Designs change the optimum in ways worked out by hand in each docstring."""
from __future__ import annotations

import pandas as pd
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
    assert [(r.member, r.accelerator) for r in lead.runs.reset_index().itertuples()] == [("b", "rented")]
    pooled = optimizer.solve(pooled_instance(), "pooled")
    assert pooled.total_compute == pytest.approx(70)
    assert [(r.member, r.accelerator) for r in pooled.runs.reset_index().itertuples()] == [("a", "H100")]
    paid = pooled.members.paid_for_runs.to_dict()
    assert paid["a"] + paid["b"] == pytest.approx(120)  # the run is fully funded
    spent = pooled.members.spent.to_dict()
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
    assert list(ab.members.index) == ["a", "b"]
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
    assert sorted((x.member, x.workstream) for x in r.runs.reset_index().itertuples()) == [("a", "x"), ("c", "y")]
    assert r.silo_compute == pytest.approx(100 + 100 + 50)  # standalone of the overridden instance


def test_compare_returns_one_row_per_design_keyed_by_design():
    """Rows in instance order: consortium 165, silo 300 (savings 135 = 45%), ab 160, c-alone 50."""
    table = optimizer.compare(SUBSET)
    assert list(table.index) == ["consortium", "silo", "ab", "c-alone"]
    assert table.loc["consortium", "compute_saved_vs_silo"] == pytest.approx(135)
    assert table.loc["consortium", "compute_saved_vs_silo_fraction"] == pytest.approx(0.45)
    assert table.loc["silo", "total_compute"] == pytest.approx(300)
    assert table.loc["ab", "members_met"] == 2 and table.loc["ab", "members_total"] == 3
    assert table.loc["ab", "members_in_design"] == 2 and table.loc["c-alone", "members_in_design"] == 1
    parallel = optimizer.compare(SUBSET, workers=2)
    cols = ["status", "total_compute", "compute_saved_vs_silo"]
    assert parallel[cols].equals(table[cols])


def test_unknown_design_is_an_input_error():
    with pytest.raises(optimizer.InputError, match="did you mean 'silo'"):
        optimizer.solve(SUBSET, "sillo")


# Hand-worked: x costs 100 compute at price 1. Lab a has a budget of 15: alone it cannot run x
# (100 > 15), in the consortium it adopts it for 0.1 * 100 = 10 <= 15 while b (budget 1,000)
# runs it. So a is enabled: standalone infeasible, met in the plan; the silo is infeasible and
# compute saved vs silo is n/a. Consortium total 100 + 10 = 110.
ENABLING = {"name": "enabling", "defaults": {"price": 1.0},
            "members": {"a": {"budget": 15, "needs": ["x"]}, "b": {"budget": 1000, "needs": ["x"]}},
            "workstreams": {"x": {"compute": 100}}}


def test_members_enabled_are_the_standalone_infeasible_a_plan_meets():
    plan = optimizer.solve(ENABLING).plan
    assert plan.total_compute == pytest.approx(110)
    assert plan.standalone_infeasible == ["a"] and plan.members_enabled == ["a"]
    assert plan.silo_compute is None and plan.savings is None and plan.compute_saved_fraction is None
    assert plan.to_dict()["members_enabled"] == ["a"]
    silo = optimizer.solve(ENABLING, "silo").plan   # no plan: nobody is enabled
    assert silo.status == "infeasible" and silo.members_enabled == []
    table = optimizer.compare(ENABLING)
    assert table.loc["consortium", "members_enabled"] == 1 and table.loc["silo", "members_enabled"] == 0
    assert pd.isna(table.loc["consortium", "compute_saved_vs_silo"])
    from optimizer.summaries import plan_summary
    assert "  members enabled       1 of 2 (cannot meet their needs alone: a)" in plan_summary(plan).splitlines()


def test_pooled_payments_of_two_runners_of_one_workstream_do_not_tie():
    """x wants 2 replicas: a and b both run it (100 each, price 1: cost 200), c (price 2, so the
    plan is unique) adopts (10, costing 20).
    Both runners have room to pay all 200, so the split between them is one of many; the
    payment LP must still pick one split, the same for every random seed. Runners fund their
    own runs first (c pays nothing for runs), the first in file order (a) takes all it can."""
    spec = {"name": "replicas", "defaults": {"price": 1.0},
            "members": {"a": {"budget": 500, "needs": ["x"]}, "b": {"budget": 500, "needs": ["x"]},
                        "c": {"budget": 500, "price": 2.0, "needs": ["x"]}},
            "workstreams": {"x": {"compute": 100, "replicas": 2}},
            "designs": {"pooled": {"funding": "pooled"}}}
    splits = set()
    for seed in (0, 1, 2, 3):
        plan = optimizer.solve(spec, "pooled", options=optimizer.SolverOptions(random_seed=seed,
                                                                                check_unique=False)).plan
        assert sorted(r.member for r in plan.runs) == ["a", "b"]
        splits.add(tuple(m.paid_for_runs for m in plan.members))
    assert splits == {(200.0, 0.0, 0.0)}
