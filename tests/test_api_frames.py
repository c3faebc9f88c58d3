"""The Python API as a notebook uses it: solve, compare, allocate and sweep a teaching instance,
and every DataFrame's index, columns and dtypes (the rule of docs/api.md: figures float64,
counts Int64, flags boolean, ids and text string), reset_index() and one-line reprs."""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import optimizer
from optimizer.allocation import share_costs
from optimizer.sweep import sweep

ROOT = Path(__file__).resolve().parents[1]
CAPACITY = ROOT / "instances" / "teaching-capacity.yaml"
TIMELINE = ROOT / "instances" / "teaching-timeline.yaml"
POOLED = ROOT / "instances" / "teaching-pooled.yaml"

F, I, B, S = "float64", "Int64", "boolean", "string"


def dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {c: str(t) for c, t in frame.dtypes.items()}


def index_dtypes(frame: pd.DataFrame) -> list[str]:
    return [str(frame.index.get_level_values(k).dtype) for k in range(frame.index.nlevels)]


def check(frame: pd.DataFrame, index: list[str], columns: dict[str, str]) -> None:
    """The frame's index names, its columns in order with their dtypes, ids as strings, and
    reset_index() giving the index back as the first columns."""
    assert list(frame.index.names) == index
    assert dtypes(frame) == columns
    assert list(frame.columns) == list(columns)
    assert index_dtypes(frame) == [S] * len(index)
    flat = frame.reset_index()
    assert list(flat.columns) == index + list(columns)
    assert not flat.columns.duplicated().any()


def short(obj) -> str:
    text = repr(obj)
    assert "\n" not in text and len(text) < 200, text
    return text


@pytest.fixture(scope="module")
def inst():
    return optimizer.load_instance(CAPACITY)


@pytest.fixture(scope="module")
def result(inst):
    return optimizer.solve(inst)


def test_instance_repr_is_one_line(inst):
    text = short(inst)
    assert text.startswith("Instance('Teaching - capacity forces a split', members=3, workstreams=3")
    big = optimizer.load_instance(ROOT / "instances" / "open-moe-consortium.yaml")
    assert "members=12" in short(big)


def test_solve_frames(result):
    assert short(result) == ("Result('Teaching - capacity forces a split', design='consortium', status='optimal', "
                             "total_compute=1040.0, compute_saved_vs_silo=540.0, members_enabled=0)")
    check(result.runs, ["member", "workstream"], {"accelerator": S, "compute": F, "cost": F})
    check(result.adoptions, ["member", "workstream"], {"compute": F, "cost": F})
    check(result.members, ["member"], {"budget": F, "spent": F, "standalone_compute": F, "budget_utilisation": F})
    check(result.workstreams, ["workstream"], {
        "runs": I, "run_by": S, "adopted_by": S, "needed_by": S, "run_compute": F, "adoption_compute": F,
        "duplicated_compute": F, "replicas": I, "required": B})
    check(result.fleets, ["member", "accelerator"], {"capacity_hours": F, "used_hours": F, "utilisation": F})
    # the hand-worked plan of the instance: big-lab runs two workstreams on its full H100s
    assert result.runs.loc[("big-lab", "pretrain-recipe"), "compute"] == 500
    assert result.members.loc["mid-lab", "spent"] == 120
    assert result.fleets.loc[("big-lab", "H100"), "utilisation"] == 1.0
    assert result.workstreams.loc["eval-suite", "run_by"] == "npu-lab (npu)"
    # without a horizon the time tables are empty but keep their index and columns
    check(result.schedule, ["member", "workstream"], {"due": S, "ready": S})
    check(result.period_use, ["member", "period", "accelerator"], {"used": F, "limit": F, "utilisation": F})
    assert result.schedule.empty and result.period_use.empty


def test_solve_frames_in_time_and_under_pooled_funding():
    timed = optimizer.solve(TIMELINE)
    check(timed.runs, ["member", "workstream"], {"accelerator": S, "compute": F, "cost": F, "start": S, "end": S})
    check(timed.adoptions, ["member", "workstream"], {"compute": F, "cost": F, "ready": S})
    check(timed.schedule, ["member", "workstream"], {"due": S, "ready": S})
    check(timed.period_use, ["member", "period", "accelerator"], {"used": F, "limit": F, "utilisation": F})
    assert len(timed.schedule) == 6 and timed.schedule.ready.notna().all()
    pooled = optimizer.solve(POOLED, "pooled")
    assert dtypes(pooled.members)["paid_for_runs"] == F


def test_compare_frame(inst):
    c = optimizer.compare_designs(inst)
    assert short(c) == ("Comparison('Teaching - capacity forces a split', 2 designs, 2 planned, "
                        "least compute 'consortium' 1,040)")
    table = optimizer.compare(inst)
    check(table, ["design"], {
        "status": S, "total_compute": F, "total_money": F, "unique": B, "duplicated_compute": F,
        "adoption_compute": F, "silo_compute": F, "compute_saved_vs_silo": F, "compute_saved_vs_silo_fraction": F,
        "members_met": I, "members_in_design": I, "members_enabled": I, "members_total": I, "max_budget_utilisation": F,
        "max_budget_member": S, "budgets_binding": I, "fleets_binding": I, "mip_gap": F, "solve_seconds": F})
    assert list(table.index) == ["consortium", "silo"]
    assert table.loc["consortium", "compute_saved_vs_silo"] == 540
    assert table.reset_index().design.tolist() == ["consortium", "silo"]


def test_allocate_frame(inst):
    sharing = share_costs(inst, ["shapley", "proportional"])  # every core by default
    assert short(sharing).startswith("CostSharing('Teaching - capacity forces a split', design='consortium', "
                                     "methods='shapley,proportional', members=3")
    table = sharing.table()
    check(table, ["method", "member"], {
        "standalone": F, "allocated": F, "savings": F, "savings_fraction": F, "std_error": F,
        "standalone_money": F, "allocated_money": F, "savings_money": F, "in_core": B, "grand_coalition": F})
    shapley = table.loc["shapley"]
    # exact values, no float noise: big-lab 620, mid-lab 330, npu-lab 90 (c(N) = 1040)
    assert shapley.allocated.to_dict() == {"big-lab": 620.0, "mid-lab": 330.0, "npu-lab": 90.0}
    # money beside compute: at each member's price (2 USD per H100-hour here)
    assert shapley.allocated_money.to_dict() == {"big-lab": 1240.0, "mid-lab": 660.0, "npu-lab": 180.0}
    assert (table.allocated_money + table.savings_money == table.standalone_money).all()
    one = share_costs(inst, ["shapley", "proportional"], workers=1)
    pd.testing.assert_frame_equal(one.table(), table)  # whatever the number of workers


def test_sweep_frames():
    doc = yaml.safe_load(CAPACITY.read_text())
    doc["uncertainty"] = {"compute": {"low": 0.8, "mode": 1.0, "high": 1.5}}
    sw = sweep(doc, samples=4, seed=1)  # every core by default
    assert short(sw).startswith("Sweep('Teaching - capacity forces a split', samples=4, seed=1, designs=2, inputs=")
    check(sw.summary, ["design"], {
        "samples": I, "infeasible_share": F, "enables_members_share": F, "compute_saved_samples": I,
        "compute_saved_mean": F, "compute_saved_p5": F, "compute_saved_p50": F, "compute_saved_p95": F,
        "total_compute_mean": F, "base_plan_feasible_share": F, "base_plan_compute_mean": F,
        "base_plan_regret_mean": F})
    assert list(sw.beats.index.names) == ["design"] and sw.beats.columns.name == "versus"
    assert dtypes(sw.beats) == {"consortium": F, "silo": F} and sw.beats.loc["consortium", "silo"] == 1.0
    check(sw.sensitivity, ["design", "input"], {"spearman_rho": F, "samples": I, "noise_threshold": F,
                                                "significant": B})
    check(sw.run_frequency, ["design", "member", "workstream"], {"runs": I, "share": F})
    assert list(sw.inputs.index.names) == ["sample"] and (sw.inputs.dtypes == F).all()
    # the stored tables, one record per row: outcomes per (sample, design), the base plans, run counts
    assert list(sw.outcomes.columns[:3]) == ["sample", "design", "status"]
    assert str(sw.outcomes.total_compute.dtype) == F
    one = sweep(doc, samples=4, seed=1, workers=1)
    pd.testing.assert_frame_equal(one.summary, sw.summary)
    pd.testing.assert_frame_equal(one.outcomes, sw.outcomes)


class Bar:
    """A stand-in for tqdm that remembers what it was told."""
    made: list["Bar"] = []

    def __init__(self, total, label, enabled):
        self.total, self.label, self.enabled, self.count = total, label, enabled, 0
        Bar.made.append(self)

    def update(self, n=1):
        self.count += n

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def test_progress_counts_samples_and_coalitions(monkeypatch, inst):
    import optimizer.execution as execution
    import optimizer.game as game
    from optimizer.execution import Executor
    assert not execution.interactive()  # pytest's stderr is no terminal: quiet unless asked
    monkeypatch.setattr(execution, "progress_bar", Bar)
    monkeypatch.setattr(game, "progress_bar", Bar)
    Bar.made = []
    doc = yaml.safe_load(CAPACITY.read_text())
    doc["uncertainty"] = {"compute": {"low": 0.8, "mode": 1.0, "high": 1.5}}
    sweep(doc, samples=5, seed=1, executor=Executor(workers=2, progress=True), chunk_size=2)
    (bar,) = Bar.made  # 3 batches of samples, counted as 5 samples
    assert (bar.label, bar.total, bar.count, bar.enabled) == ("samples", 5, 5, True)
    Bar.made = []
    share_costs(inst, "shapley", executor=Executor(workers=2, progress=True))
    (bar,) = Bar.made  # every coalition but the empty one, in chunks
    assert (bar.label, bar.total, bar.count, bar.enabled) == ("coalitions", 7, 7, True)
    Bar.made = []
    share_costs(inst, "shapley", workers=1)
    (bar,) = Bar.made
    assert (bar.label, bar.total, bar.count, bar.enabled) == ("coalitions", 7, 7, False)


def test_a_real_bar_goes_to_stderr(capsys):
    from optimizer.execution import Executor
    assert Executor(workers=1, progress=True).map(abs, [-1, -2, 3], label="things") == [1, 2, 3]
    out, err = capsys.readouterr()
    assert out == "" and "things" in err


def test_in_a_notebook_progress_is_on_by_default(monkeypatch):
    """In a Jupyter kernel (IPython's shell configured with an IPKernelApp) a person is watching:
    Executor() shows progress without being asked, through tqdm.auto (a widget there); outside
    one, and with stderr no terminal, it stays quiet."""
    import types

    import optimizer.execution as execution
    from optimizer.execution import Executor
    assert not execution.interactive() and not Executor().progress
    shell = types.SimpleNamespace(config={"IPKernelApp": {"connection_file": "kernel.json"}})
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    assert execution.interactive() and Executor().progress
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: None))  # plain python
    assert not execution.interactive()
    made = []
    fake_auto = types.SimpleNamespace(tqdm=lambda **kw: made.append(kw) or "bar")
    monkeypatch.setitem(sys.modules, "tqdm.auto", fake_auto)
    assert execution.progress_bar(5, "samples", True) == "bar"
    assert made == [{"total": 5, "desc": "samples", "disable": False, "file": sys.stderr, "leave": False}]
