"""Infeasibility diagnosis, honest solver status and Ctrl-C, with hand-worked expectations."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import optimizer
from optimizer.cli import main
from orlib_gap import gap_to_instance, read_gap_file

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"


def findings(result):
    return [(f.kind, f.member, f.workstream, f.resource, f.amount) for f in result.diagnosis]


def test_shipped_infeasible_instance_names_both_faults():
    """infeasible-budget.yaml (worked out in its header):
    - moe-rl-recipe needs 512 H100/H800; the largest such fleet is h100-lab's 256 H100: 256 short;
    - tiny-lab must at least adopt eval-suite: 0.1 * 20,000 * 2 = 4,000 USD > budget 1,000: 3,000 short."""
    r = optimizer.solve(ROOT / "instances" / "infeasible-budget.yaml")
    assert r.status == "infeasible"
    assert findings(r) == [
        ("no_runner", "h100-lab", "moe-rl-recipe", "H100", 256.0),
        ("budget", "tiny-lab", None, "budget", 3000.0),
    ]
    assert "largest such fleet is 256" in r.diagnosis[0].message


def test_each_fix_leaves_the_other_fault():
    """fix-fleet removes the fleet fault (budget remains); fix-budget the budget fault; fix-both
    is optimal at 245,100 + 20,000 + 3 * 2,000 = 271,100."""
    path = ROOT / "instances" / "infeasible-budget.yaml"
    assert [f[0] for f in findings(optimizer.solve(path, "fix-fleet"))] == ["budget"]
    assert [f[0] for f in findings(optimizer.solve(path, "fix-budget"))] == ["no_runner"]
    both = optimizer.solve(path, "fix-both")
    assert both.status == "optimal" and both.total_compute == pytest.approx(271_100)
    assert both.diagnosis == []


def test_elastic_budget_shortfall():
    """a (budget 50) and b (budget 150) need x (compute 100, cost 200). Each can afford to adopt
    (20), so the pre-solve bound passes, but somebody must run x and nobody can pay 200.
    Raising b by 50 (a third of its budget) is cheaper in the documented penalty than raising
    a by 150 (150 / max(50, mean 100) = 1.5): diagnosis 'b needs 50 more budget'."""
    r = optimizer.solve({"name": "t", "members": {"a": {"budget": 50, "needs": ["x"]},
                                                  "b": {"budget": 150, "needs": ["x"]}},
                         "workstreams": {"x": {"compute": 100}}})
    assert r.status == "infeasible"
    assert findings(r) == [("budget", "b", None, "budget", 50.0)]


def test_elastic_capacity_shortfall():
    """a owns 1 H100 for 100 hours and needs x (80 h) and y (60 h); b's TPU cannot run either,
    so nobody else can run them for a to adopt. 140 - 100 = 40 H100-hours short."""
    r = optimizer.solve({
        "name": "t", "defaults": {"hours": 100},
        "accelerators": {"H100": {"throughput": 1.0}, "TPU": {"throughput": 0.5}},
        "members": {"a": {"budget": 1e6, "fleet": {"H100": 1}, "needs": ["x", "y"]},
                    "b": {"budget": 1e6, "fleet": {"TPU": 64}}},
        "workstreams": {"x": {"compute": 80, "accelerators": ["H100"]},
                        "y": {"compute": 60, "accelerators": ["H100"]}}})
    assert r.status == "infeasible"
    assert findings(r) == [("capacity", "a", None, "H100", 40.0)]
    assert "0.4 more H100" in r.diagnosis[0].message


def test_replicas_above_able_members():
    """x wants 3 independent runs; only a and b can run it (c's fleet is of another type)."""
    r = optimizer.solve({
        "name": "t", "accelerators": {"H100": {"throughput": 1.0}, "TPU": {"throughput": 0.5}},
        "members": {"a": {"budget": 1e6, "needs": ["x"]}, "b": {"budget": 1e6},
                    "c": {"budget": 1e6, "fleet": {"TPU": 8}}},
        "workstreams": {"x": {"compute": 10, "replicas": 3, "accelerators": ["H100"]}}})
    assert findings(r) == [("replicas", None, "x", "runs", 1.0)]


def test_cli_infeasible_prints_json_and_exits_3(capsys):
    code = main(["solve", str(ROOT / "instances" / "infeasible-budget.yaml"), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 3
    assert doc["status"] == "infeasible" and doc["runs"] == [] and doc["adoptions"] == []
    assert doc["total_compute"] is None and len(doc["diagnosis"]) == 2


@pytest.fixture(scope="module")
def hard_gap(tmp_path_factory):
    """OR-Library c20200 (gapc problem 6): HiGHS needs several seconds to prove its optimum 2391."""
    problem = read_gap_file(DATA / "orlib-gap" / "gapc.txt")[5]
    path = tmp_path_factory.mktemp("hard") / "c20200.yaml"
    path.write_text(yaml.safe_dump(gap_to_instance(problem, "min")))
    return path


def test_time_limit_with_incumbent_is_feasible_with_gap(hard_gap, capsys):
    assert main(["solve", str(hard_gap), "--time-limit", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "feasible"
    assert doc["mip_gap"] > 0 and doc["total_compute"] >= 2391


def test_time_limit_without_incumbent_is_no_solution(hard_gap, capsys):
    assert main(["solve", str(hard_gap), "--time-limit", "0.001", "--json"]) == 4
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "no_solution" and doc["total_compute"] is None and doc["runs"] == []


def test_ctrl_c_stops_cleanly_and_writes_no_report(hard_gap, tmp_path):
    out = tmp_path / "report"
    proc = subprocess.Popen([sys.executable, "-m", "optimizer", "solve", str(hard_gap), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3)  # well inside the search (imports + build take about 1 s)
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert time.monotonic() - start < 5
    assert "Traceback" not in err and "interrupted" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_report_directory_names_cannot_escape_reports(tmp_path, monkeypatch):
    """A result.json whose instance id is a path ('../../x') still renders under reports/."""
    monkeypatch.chdir(tmp_path)
    doc = optimizer.solve({"name": "../../escape", "members": {"a": {"budget": 1e6, "needs": ["x"]}},
                           "workstreams": {"x": {"compute": 1}}}).to_dict()
    doc["instance_slug"] = "../../../etc"
    src = tmp_path / "result.json"
    src.write_text(json.dumps(doc))
    assert main(["report", str(src)]) == 0
    written = [p for p in (tmp_path / "reports").iterdir()]
    assert [p.name for p in written] == ["etc"]
    assert not (tmp_path.parent / "etc").exists()
