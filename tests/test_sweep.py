"""Uncertainty sweeps: known answers, reproducibility across executors, base-plan tracking."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydantic
import pytest

import optimizer
from optimizer.cli import main
from optimizer.execution import Executor
from optimizer.formatting import num
from optimizer.summaries import sweep_summary
from optimizer.sweep import Sweep, sweep
from optimizer.uncertainty import dimensions, draw

ROOT = Path(__file__).resolve().parents[1]

TWO_LABS = {
    "name": "two labs",
    "members": {"a": {"budget": 1e9, "needs": ["x"]}, "b": {"budget": 1e9, "needs": ["x"]}},
    "workstreams": {"x": {"compute": 100}},
    "uncertainty": {"compute": {"low": 0.5, "mode": 1.0, "high": 2.0}},
}


def test_savings_are_linear_in_the_compute_multiplier():
    """With multiplier m on x: consortium = 100 m + 0.1 * 100 m = 110 m, silo = 200 m, so the
    savings are exactly 90 m in every sample. The Latin hypercube stratifies the triangular
    (0.5, 1, 2), whose mean is 3.5 / 3, so 40 samples hit the mean closely."""
    sw = sweep(TWO_LABS, ["consortium", "silo"], samples=40, seed=3)
    m = sw.inputs["compute:x"]
    cons = sw.outcomes[sw.outcomes.design == "consortium"].set_index("sample")
    assert np.allclose(cons.compute_saved_vs_silo, 90 * m, rtol=0, atol=1e-5)  # figures are rounded to 1e-6
    assert np.allclose(cons.total_compute, 110 * m, rtol=0, atol=1e-5)
    assert m.min() >= 0.5 and m.max() <= 2.0
    assert m.mean() == pytest.approx(3.5 / 3, rel=0.02)
    summary = sw.summary
    assert summary.loc["consortium", "compute_saved_mean"] == pytest.approx(90 * m.mean())
    assert summary.loc["consortium", "compute_saved_p50"] == pytest.approx(90 * m.median())
    assert summary.loc["silo", "compute_saved_mean"] == 0
    assert summary.loc["consortium", "compute_saved_samples"] == 40
    assert summary.loc["consortium", "enables_members_share"] == 0  # both labs can always manage alone
    assert sw.beats.loc["consortium", "silo"] == 1.0 and sw.beats.loc["silo", "consortium"] == 0.0
    sens = sw.sensitivity  # index (design, input)
    assert sens.spearman_rho["consortium", "compute:x"] == pytest.approx(1.0)
    # over 40 samples the noise level is 1.96 / sqrt(39) = 0.314
    assert sens.samples["consortium", "compute:x"] == 40
    assert sens.noise_threshold["consortium", "compute:x"] == pytest.approx(1.959964 / 39 ** 0.5)
    assert sens.significant["consortium", "compute:x"]
    # both designs' silo: a and b each run x (200 m); the silo design runs x twice (100 m duplicated)
    silo = sw.outcomes[sw.outcomes.design == "silo"].set_index("sample")
    assert np.allclose(cons.silo_compute, 200 * m, rtol=0, atol=1e-5)
    assert np.allclose(silo.silo_compute, 200 * m, rtol=0, atol=1e-5)
    assert np.allclose(silo.duplicated_compute, 100 * m, rtol=0, atol=1e-5) and (cons.duplicated_compute == 0).all()
    assert set(silo.plan) == {"a/x/rented;b/x/rented"} and set(cons.plan) <= {"a/x/rented", "b/x/rented"}


def test_sweep_is_a_frozen_typed_result_whose_tables_are_computed_once():
    sw = sweep(TWO_LABS, ["consortium", "silo"], samples=6, seed=1)
    assert sw.summary is sw.summary and sw.beats is sw.beats and sw.sensitivity is sw.sensitivity
    assert sw.samples == 6 and sw.planned_samples == {"consortium": 6, "silo": 6}
    assert sw.savings_positive_share == {"consortium": 1.0, "silo": 0.0}
    assert [name for name, _ in sw.drivers["consortium"]] == ["compute:x"] and sw.drivers["silo"] == []
    with pytest.raises(pydantic.ValidationError):
        sw.seed = 2
    fields = {k: getattr(sw, k) for k in Sweep.model_fields}
    with pytest.raises(pydantic.ValidationError, match="Sweep.outcomes: expected the columns"):
        Sweep(**{**fields, "outcomes": sw.outcomes.drop(columns="plan")})
    with pytest.raises(pydantic.ValidationError, match="index named 'sample'"):
        Sweep(**{**fields, "inputs": sw.inputs.reset_index(drop=True)})
    with pytest.raises(pydantic.ValidationError):
        Sweep(**{**fields, "designs": []})
    with pytest.raises(pydantic.ValidationError):
        Sweep(**{**fields, "inputs": sw.inputs.to_dict()})
    assert Sweep(**fields).to_dict() == sw.to_dict()


def test_sweep_summary_says_the_known_answer():
    """Savings are 90 m (see above): the text shows their mean and the one input behind them."""
    sw = sweep(TWO_LABS, ["consortium", "silo"], samples=40, seed=3)
    lines = sweep_summary(sw).splitlines()
    assert lines[0] == "two labs: 40 samples (seed 3) x 2 designs, 1 uncertain input"
    consortium = next(line.split() for line in lines if line.startswith("consortium "))
    # infeasible 0%, enables members 0%, the mean of 90 m, ... over all 40 samples
    assert consortium[:4] == ["consortium", "0%", "0%", num(90 * sw.inputs["compute:x"].mean())]
    assert consortium[-4:] == ["40/40", "samples", "100%", "0"]   # the base plan always fits, regret 0
    assert lines[-2:] == ["inputs that move compute saved vs silo most (Spearman rank correlation, |rho| above "
                          "the noise threshold 1.96/sqrt(n-1)):",
                          "  consortium: compute:x +1.00 (n = 40, threshold 0.31)"]


def test_same_seed_same_samples_and_different_seed_different_samples():
    dims = dimensions(__import__("optimizer").load_instance(TWO_LABS).spec)
    assert np.array_equal(draw(dims, 10, 1), draw(dims, 10, 1))
    assert not np.array_equal(draw(dims, 10, 1), draw(dims, 10, 2))


BASE_PLAN = {
    "name": "base plan",
    "members": {
        # a runs x for 90 compute at price 2 = 180 money, within its budget 200 only while the
        # budget multiplier m >= 0.9
        "a": {"budget": 200, "needs": ["x"], "estimates": {"x": {"compute": 90}}},
        "b": {"budget": 1e9, "price": 10, "needs": ["x"]},
    },
    "workstreams": {"x": {"compute": 100}},
    "uncertainty": {"members": {"a": {"budget": {"low": 0.5, "mode": 1.0, "high": 1.0}}}},
}


def test_base_plan_breaks_exactly_when_the_budget_falls_below_its_cost():
    """At the mode a runs x (90) and b adopts (10): 100; b running would cost 100 + 9 = 109.
    The base plan fits iff 200 m >= 180. For triangular (0.5, 1, 1): P(m >= 0.9) = 1 - 0.4^2/0.25
    = 0.36. When it breaks, b runs instead and the consortium still needs 109."""
    sw = sweep(BASE_PLAN, ["consortium"], samples=50, seed=0)
    m = sw.inputs["budget:a"]
    o = sw.outcomes.set_index("sample")
    assert list(o.base_plan_feasible) == list(m >= 0.9)
    assert np.allclose(o.total_compute, np.where(m >= 0.9, 100, 109))
    assert sw.summary.loc["consortium", "base_plan_feasible_share"] == pytest.approx(0.36, abs=0.04)
    assert sw.base.loc[0, "plan"] == "a/x/rented"


def test_reproducible_with_one_two_workers_and_a_dask_cluster():
    """The same seed gives identical summaries whatever executes the samples."""
    distributed = pytest.importorskip("distributed")
    kw = dict(designs=["consortium", "silo"], samples=12, seed=5)
    one = sweep(TWO_LABS, executor=Executor(workers=1), **kw).to_dict()
    two = sweep(TWO_LABS, executor=Executor(workers=2), **kw).to_dict()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        dask = sweep(TWO_LABS, executor=Executor(workers=2, scheduler=cluster.scheduler_address), **kw).to_dict()
    assert one == two == dask


def test_cli_sweep_json_and_missing_uncertainty(tmp_path, capsys):
    path = tmp_path / "two.yaml"
    path.write_text(json.dumps(TWO_LABS))
    assert main(["sweep", str(path), "--samples", "6", "--seed", "1", "--workers", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["samples"] == 6 and doc["inputs"] == ["compute:x"]
    assert [r["design"] for r in doc["summary"]] == ["consortium", "silo"]
    bare = dict(TWO_LABS)
    del bare["uncertainty"]
    path.write_text(json.dumps(bare))
    assert main(["sweep", str(path), "--samples", "3"]) == 2
    assert "no 'uncertainty:' section" in capsys.readouterr().err


def test_persistent_re_solves_agree_with_fresh_builds():
    """A sweep re-solves one persistent model per design with each sample's numbers. Each sample's
    answer must be the one a model built from scratch for that sample gives: same status, same
    compute and money. (A capacity fixed at the first sample's clipped value once let samples use
    more fleet hours than they had: the checker turned 1 of 40 into no_solution.)"""
    from optimizer.solver import SolverOptions, solve_data
    from optimizer.sweep import SweepWorker
    from optimizer.tables import derive
    from optimizer.uncertainty import apply, dimensions, draw
    inst = optimizer.load_instance(ROOT / "instances" / "open-moe-consortium.yaml")
    dims = dimensions(inst.spec)
    options = SolverOptions(check_unique=False)
    worker = SweepWorker()
    for design in ("consortium", "silo"):
        variant, settings = inst.design(design)
        for x in draw(dims, 20, 0):
            data = derive(apply(variant, dims, x), settings, design)
            again = worker.solve(inst, ("test", design), data, options)
            fresh = solve_data(data, options)
            assert (again.status, again.trouble) == (fresh.status, None), (design, x)
            if fresh.objectives:
                assert again.objectives == pytest.approx(fresh.objectives, rel=1e-9), (design, x)
