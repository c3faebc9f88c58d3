"""`--json` prints exactly one JSON object on stdout, whatever the command and the status.

Every case runs the real `consortium` command in a subprocess and parses its whole stdout:
HiGHS writes its banner and log lines from C code straight to file descriptor 1, which an
in-process test (capsys) would not see.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from orlib_gap import gap_to_instance, read_gap_file

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"
GAP = Path(__file__).parent / "data" / "orlib-gap"

# Meets the pre-solve checks (each need fits the fleet and the budget on its own) but not both
# needs together: 80 + 80 fleet-hours > 100. Infeasible only once the MIP is solved.
INFEASIBLE_AFTER_SOLVE = {
    "name": "two needs, one small fleet",
    "accelerators": {"H100": {"throughput": 1.0}},
    "defaults": {"hours": 100},
    "members": {"a": {"budget": 1e6, "fleet": {"H100": 1}, "needs": ["x", "y"]}},
    "workstreams": {"x": {"compute": 80}, "y": {"compute": 80}},
}


def consortium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def one_json_object(out: str):
    """The whole of stdout is one strict JSON value: json.loads rejects anything before or after
    it, and NaN/Infinity (which Python would otherwise accept) are refused too."""
    return json.loads(out, parse_constant=_no_constant)


def write(tmp_path: Path, name: str, doc: dict) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("file", "design", "status", "code"), [
    ("teaching-two-labs.yaml", "consortium", "optimal", 0),
    ("infeasible-budget.yaml", "consortium", "infeasible", 3),  # found by the pre-solve checks
    ("infeasible-budget.yaml", "fix-both", "optimal", 0),       # a plan that is one of several
])
def test_solve_json_shipped(file: str, design: str, status: str, code: int) -> None:
    proc = consortium("solve", str(INSTANCES / file), "--design", design, "--json")
    doc = one_json_object(proc.stdout)
    assert (doc["status"], proc.returncode) == (status, code)
    assert "HiGHS" not in proc.stdout


def test_solve_json_infeasible_after_solving(tmp_path: Path) -> None:
    proc = consortium("solve", write(tmp_path, "tight.yaml", INFEASIBLE_AFTER_SOLVE), "--json")
    doc = one_json_object(proc.stdout)
    assert (doc["status"], proc.returncode) == ("infeasible", 3)
    assert doc["diagnosis"], "the elastic model says why"
    assert doc["runs"] == [] and doc["objectives"] == {"compute": None, "money": None}


def test_solve_json_stopped_by_a_limit(tmp_path: Path) -> None:
    """gapc-5 (20 agents, 200 jobs) is not solved in 0.2 s: feasible with a gap, or no solution."""
    problem = read_gap_file(GAP / "gapc.txt")[4]
    path = write(tmp_path, "gapc-5.yaml", gap_to_instance(problem, "min"))
    proc = consortium("solve", path, "--json", "--time-limit", "0.2")
    doc = one_json_object(proc.stdout)
    assert doc["status"] in ("feasible", "no_solution")
    assert proc.returncode == {"feasible": 0, "no_solution": 4}[doc["status"]]
    if doc["status"] == "feasible":
        assert doc["mip_gap"] is not None and doc["unique"] is None


def test_compare_json_with_infeasible_designs_is_strict_json() -> None:
    """Infeasible designs have no savings: null in the JSON, never NaN."""
    proc = consortium("compare", str(INSTANCES / "infeasible-budget.yaml"), "--json", "--workers", "1")
    rows = one_json_object(proc.stdout)
    assert proc.returncode == 0 and rows[0]["status"] == "infeasible" and rows[0]["compute_saved_vs_silo_fraction"] is None


def test_compare_json() -> None:
    proc = consortium("compare", str(INSTANCES / "teaching-pooled.yaml"), "--json", "--workers", "1")
    rows = one_json_object(proc.stdout)
    assert proc.returncode == 0
    assert [r["design"] for r in rows] == ["consortium", "silo", "pooled"]
    assert all(r["total_money"] is not None and r["unique"] is True for r in rows)


@pytest.mark.parametrize("method", ["shapley", "least-core", "nucleolus", "proportional"])
def test_allocate_json(method: str) -> None:
    proc = consortium("allocate", str(INSTANCES / "teaching-two-labs.yaml"), "--method", method, "--json",
                      "--workers", "1")
    doc = one_json_object(proc.stdout)
    assert proc.returncode == 0 and doc["method"] == method


def test_sweep_json(tmp_path: Path) -> None:
    uncertain = {"name": "two labs", "members": {"a": {"budget": 1e9, "needs": ["x"]},
                                                 "b": {"budget": 1e9, "price": 3, "needs": ["x"]}},
                 "workstreams": {"x": {"compute": 100}}, "uncertainty": {"compute": {"low": 0.5, "high": 2.0}}}
    proc = consortium("sweep", write(tmp_path, "two.yaml", uncertain), "--samples", "3", "--json",
                      "--workers", "1")
    doc = one_json_object(proc.stdout)
    assert proc.returncode == 0 and isinstance(doc, dict)


def test_invalid_input_prints_nothing_on_stdout(tmp_path: Path) -> None:
    proc = consortium("solve", write(tmp_path, "bad.yaml", {"name": "x"}), "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "missing required key 'members'" in proc.stderr


def test_threads_above_the_cores_is_a_usage_error() -> None:
    proc = consortium("solve", str(INSTANCES / "teaching-two-labs.yaml"), "--threads", "1000000", "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "this machine's cores" in proc.stderr
