"""The solution checker names each broken row, and a plan the solver gets wrong is never reported."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import optimizer
from optimizer.check import violations
from optimizer.tables import derive

ROOT = Path(__file__).resolve().parents[1]

TWO = {"name": "t", "accelerators": {"H100": {"throughput": 1.0}},
       "members": {"a": {"budget": 100, "price": 1, "fleet": {"H100": 1}, "needs": ["y"]},
                   "b": {"budget": 5, "price": 1, "needs": ["x"], "publishes": False}},
       "workstreams": {"x": {"compute": 50, "replicas": 2}, "y": {"compute": 30, "requires": ["x"]}},
       "defaults": {"hours": 40}}


def data(doc=TWO, design="consortium"):
    inst = optimizer.load_instance(doc)
    variant, settings = inst.design(design)
    return derive(variant, settings, design)


def test_each_row_is_named():
    """a running only y lacks its prerequisite x, and b's need x is unmet. a running y and x uses
    30 + 50 = 80 of 40 fleet-hours; x runs once of the 2 replicas wanted; a adopting x while
    running it has x twice, and from nobody else. b running x itself spends 50 of its 5."""
    d = data()
    assert set(violations(d, [("a", "y", "H100")], [])) == {
        "(2) b needs x but neither runs nor adopts it", "(3) a has y but not its prerequisite x"}
    broken = violations(d, [("a", "y", "H100"), ("a", "x", "H100")], [("b", "x"), ("a", "x")])
    assert "(1) a has x 2 times (runs and adopts at most once in all)" in broken
    assert "(4) a adopts x but no other publishing member runs it" in broken
    assert "(5) x runs 1 time, 2 wanted (replicas)" in broken
    assert "(7) a's H100 fleet is used 80 of 40 hours" in broken
    assert set(violations(d, [("b", "x", "rented")], [])) == {
        "(2) a needs y but neither runs nor adopts it", "(6) b spends 50 of its budget 5",
        "(5) x runs 1 time, 2 wanted (replicas)"}


def test_a_plan_that_fits_passes():
    d = data({**TWO, "workstreams": {"x": {"compute": 5}, "y": {"compute": 30, "requires": ["x"]}}})
    assert violations(d, [("a", "x", "H100"), ("a", "y", "H100")], [("b", "x")]) == []


def test_huge_numbers_are_scaled_not_lost(tmp_path):
    """compute 6e14 at the default price 2 puts 1.2e15 in the budget rows, which HiGHS alone
    treats as infinite ('optimal, nothing run' before scaling). In model units it is 1: one member
    runs ev (6e14), the other adopts it at 0.1 x 6e14 = 6e13; compute 6.6e14, money 1.32e15."""
    path = tmp_path / "big.yaml"
    path.write_text("name: big\nmembers:\n  a: {budget: 1.0e+300, needs: [ev]}\n"
                    "  b: {budget: 1.0e+300, needs: [ev]}\nworkstreams:\n  ev: {compute: 6.0e+14}\n")
    proc = subprocess.run([sys.executable, "-m", "optimizer", "solve", str(path), "--json"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    doc = json.loads(proc.stdout)
    assert proc.returncode == 0 and doc["status"] == "optimal"
    assert doc["objectives"] == {"compute": 6.6e14, "money": 1.32e15}
    assert doc["silo_compute"] == 1.2e15


def test_a_plan_the_checker_rejects_is_numerical_trouble_not_a_plan(monkeypatch):
    """Whatever the solver loads is checked: a solver that returns 'nothing run' for two needs
    gives no_solution, no plan, and the broken rows in the message."""
    from optimizer import solver
    fits = data({**TWO, "workstreams": {"x": {"compute": 5}, "y": {"compute": 30, "requires": ["x"]}}})
    assert solver.solve_data(fits).status == "optimal"
    monkeypatch.setattr(solver, "_plan", lambda m: ([], []))
    sol = solver.solve_data(fits)
    assert sol.status == "no_solution" and not sol.runs
    assert "numerical trouble" in sol.trouble and "(2) a needs y but neither runs nor adopts it" in sol.trouble
