"""Cost sharing: hand-worked games, and cross-checks against brute-force definitions."""
from __future__ import annotations

import itertools
import json
import random

import pytest

from optimizer.allocation import (Allocation, allocate, core_objection, least_core, nucleolus, shapley_exact,
                                  share_costs)
from optimizer.cli import main
from optimizer.execution import Executor

import reference  # the exhaustive-search reference: Shapley as the average over all orders


def three_labs(a_compute=100):
    return {"name": "three", "members": {
        "a": {"budget": 1e9, "needs": ["x"], "estimates": {"x": {"compute": a_compute}}},
        "b": {"budget": 1e9, "needs": ["x"]}, "c": {"budget": 1e9, "needs": ["x"]}},
        "workstreams": {"x": {"compute": 100}}}


def by_member(alloc):
    return {r["member"]: r["allocated"] for r in alloc.to_dict()["allocation"]}


def test_symmetric_labs_share_equally():
    """Three renting labs with unlimited budgets need x (100, adoption 0.1):
    c(S) = 100 + 10 (|S| - 1): c(i) = 100, c(pair) = 110, c(N) = 120.
    Symmetry gives every method 40 each; pairs pay 80 <= 110 and singles 40 <= 100: in the core."""
    for alloc in allocate(three_labs(), ["shapley", "least-core", "nucleolus", "proportional"]):
        assert by_member(alloc) == pytest.approx({"a": 40, "b": 40, "c": 40}), alloc.method
        assert alloc.grand_coalition == pytest.approx(120) and alloc.in_core


def test_efficient_lab_hand_worked():
    """a runs x for 60, b and c for 100; adopting costs 10 (6 for a).
    c(a)=60, c(b)=c(c)=100, c(ab)=c(ac)=60+10=70, c(bc)=100+10=110, c(N)=60+10+10=80.
    Shapley: a's marginal is 60 when first (2 orders) and -30 otherwise (4 orders): 0;
    b: 100 when first (2 orders), 10 otherwise (4 orders): 240/6 = 40; c likewise 40.
    Least core: x_a+x_b <= 70+e, x_a+x_c <= 70+e, x_b+x_c <= 110+e with sum 80 forces
    e = -30 and x = (0, 40, 40) uniquely, which is therefore also the nucleolus.
    Proportional to standalone 60:100:100 -> 80 * (3/13, 5/13, 5/13)."""
    shapley, lc, nuc, prop = allocate(three_labs(60), ["shapley", "least-core", "nucleolus", "proportional"])
    for alloc in (shapley, lc, nuc):
        assert by_member(alloc) == pytest.approx({"a": 0, "b": 40, "c": 40}, abs=1e-6), alloc.method
        assert alloc.in_core
    assert "epsilon -30" in lc.notes[-1]
    assert by_member(prop) == pytest.approx({"a": 240 / 13, "b": 400 / 13, "c": 400 / 13})
    assert [r["standalone"] for r in shapley.to_dict()["allocation"]] == [60, 100, 100]


def test_unmet_need_is_priced_by_the_penalty():
    """x can only run on H100, which only a owns. Alone, b cannot meet its need: c(b) = 3 * 100.
    Together a runs (100) and b adopts (10): c(ab) = 110, c(a) = 100.
    Shapley: a = (100 + (110 - 300)) / 2 = -45, b = (300 + 10) / 2 = 155."""
    inst = {"name": "t", "accelerators": {"H100": {"throughput": 1.0}},
            "members": {"a": {"budget": 1e9, "fleet": {"H100": 8}, "needs": ["x"]},
                        "b": {"budget": 1e9, "fleet": {}, "needs": ["x"]}},
            "workstreams": {"x": {"compute": 100}}}
    alloc = allocate(inst, "shapley")
    assert by_member(alloc) == pytest.approx({"a": -45, "b": 155})
    assert allocate(inst, "shapley", unmet_penalty=2).standalone == [100, 200]


def test_a_study_carries_its_setting_and_one_allocation_per_method():
    """The efficient lab game (above) at penalty 2 (no need goes unmet: the values are the same)."""
    sharing = share_costs(three_labs(60), ["nucleolus", "proportional"], unmet_penalty=2)
    assert (sharing.instance, sharing.design, sharing.unmet_penalty) == ("three", "consortium", 2)
    assert sharing.units == {"compute": "compute units", "money": "money"}
    assert sharing.methods == ["nucleolus", "proportional"] and sharing.members == ["a", "b", "c"]
    assert sharing.standalone == {"a": 60, "b": 100, "c": 100} and sharing.grand_coalition == 80
    assert (sharing.total.standalone, sharing.total.savings) == (260, 180)
    nuc = sharing.allocations[0]
    assert [(s.member, s.savings) for s in nuc.shares] == [("a", pytest.approx(60)), ("b", pytest.approx(60)),
                                                           ("c", pytest.approx(60))]
    assert nuc.shares[1].savings_fraction == 0.6 and not nuc.monte_carlo and nuc.objection is None
    assert nuc.design_total_compute == 80 and nuc.coalitions_solved == 7
    for a in sharing.allocations:  # read back by the class that wrote it
        assert Allocation.model_validate(json.loads(json.dumps(a.to_dict()))) == a


def test_parallel_coalition_solves_give_the_same_values():
    serial = allocate(three_labs(60), "shapley", executor=Executor(workers=1))
    parallel = allocate(three_labs(60), "shapley", executor=Executor(workers=2))
    assert serial.to_dict() == parallel.to_dict()


# --- explicit games: independent brute-force definitions ----------------------------------------

def random_game(n, seed):
    """A random subadditive-ish cost game with integer values (c(empty) = 0)."""
    rng = random.Random(seed)
    single = [rng.randint(10, 40) for _ in range(n)]
    values = {0: 0.0}
    for mask in range(1, 1 << n):
        members = [i for i in range(n) if mask >> i & 1]
        values[mask] = float(max(single[i] for i in members) + rng.randint(0, 8) * (len(members) - 1))
    return values


def sorted_excesses(x, values, n):
    grand = (1 << n) - 1
    return sorted((sum(x[i] for i in range(n) if m >> i & 1) - values[m] for m in range(1, grand)),
                  reverse=True)


def lex_less(a, b, tol=1e-7):
    for u, v in zip(a, b):
        if u < v - tol:
            return True
        if u > v + tol:
            return False
    return False


def grid_allocations(total, n, step):
    """Efficient allocations on a grid around the equal split."""
    pts = [k * step for k in range(int(-total / step), int(2 * total / step) + 1)]
    for head in itertools.product(pts, repeat=n - 1):
        yield list(head) + [total - sum(head)]


@pytest.mark.parametrize("n,seed", [(3, 1), (3, 2), (4, 3), (4, 4), (5, 5)])
def test_shapley_matches_the_permutation_formula(n, seed):
    values = random_game(n, seed)
    assert shapley_exact(values, n) == pytest.approx(reference.shapley(list(range(n)), values))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_nucleolus_and_least_core_beat_every_grid_point(seed):
    """No efficient allocation on a 0.5 grid has a lexicographically smaller sorted excess vector
    than the nucleolus, nor a smaller largest excess than the least-core epsilon."""
    n = 3
    values = random_game(n, seed)
    grand = values[(1 << n) - 1]
    nuc = nucleolus(values, n)
    assert sum(nuc) == pytest.approx(grand)
    x_lc, eps, _ = least_core(values, n)
    assert sum(x_lc) == pytest.approx(grand)
    assert max(sorted_excesses(x_lc, values, n)) == pytest.approx(eps, abs=1e-7)
    mine = sorted_excesses(nuc, values, n)
    assert mine[0] == pytest.approx(eps, abs=1e-7)  # the nucleolus lies in the least core
    for y in grid_allocations(grand, n, 0.5):
        ex = sorted_excesses(y, values, n)
        assert ex[0] >= eps - 1e-7
        assert not lex_less(ex, mine), (y, ex, nuc, mine)


def test_empty_core_game():
    """c(i) = 1, c(pair) = 1, c(N) = 2: pairs would need x_i + x_j <= 1, so 2 x(N) <= 3 < 4:
    the core is empty. Least core epsilon 1/3 at (2/3, 2/3, 2/3), also the nucleolus and the
    Shapley value; every pair then objects by 1/3."""
    values = {0: 0, 1: 1, 2: 1, 4: 1, 3: 1, 5: 1, 6: 1, 7: 2}
    x, eps, _ = least_core(values, 3)
    assert eps == pytest.approx(1 / 3)
    assert nucleolus(values, 3) == pytest.approx([2 / 3] * 3)
    assert shapley_exact(values, 3) == pytest.approx([2 / 3] * 3)
    mask, excess = core_objection([2 / 3] * 3, values, 3)
    assert bin(mask).count("1") == 2 and excess == pytest.approx(1 / 3)


def test_cli_allocate_json(tmp_path, capsys):
    path = tmp_path / "three.yaml"
    path.write_text(json.dumps(three_labs(60)))  # JSON is YAML
    assert main(["allocate", str(path), "--json", "--workers", "1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["method"] == "shapley" and doc["grand_coalition"] == 80 and doc["in_core"] is True
    assert [(r["member"], r["allocated"], r["savings"]) for r in doc["allocation"]] == [
        ("a", 0.0, 60.0), ("b", 40.0, 60.0), ("c", 40.0, 60.0)]
    assert all(r["std_error"] is None for r in doc["allocation"])


def test_monte_carlo_shapley_above_the_exact_limit(monkeypatch):
    """With the exact limit lowered to 2, the 3-lab game is sampled: estimates must lie within
    4 standard errors of the exact (0, 40, 40), sum to c(N) = 80 up to sampling noise, and be
    reproducible from the seed. The core is then checked against the coalitions solved only."""
    import optimizer.allocation as A
    monkeypatch.setattr(A, "EXACT_LIMIT", 2)
    a = allocate(three_labs(60), "shapley", samples=400, seed=7)
    for got, exact, se in zip(a.allocated, [0, 40, 40], a.std_error):
        assert se is not None and se > 0
        assert abs(got - exact) <= 4 * se
    assert allocate(three_labs(60), "shapley", samples=400, seed=7).to_dict() == a.to_dict()
    assert any("Monte Carlo" in note for note in a.notes)
