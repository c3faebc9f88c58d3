"""Report writing: figures against the solved Result, self-contained HTML, tidy CSVs,
deterministic re-rendering, atomic replacement, and the committed reports/ being current."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

import optimizer
from optimizer import InputError
from optimizer.cli import main
from optimizer.instance import slugify
from optimizer.report import MARKER, charts
from optimizer.report.plan import KIND
from optimizer.results import Plan

write_report, default_out_dir = KIND.write, KIND.default_dir

ROOT = Path(__file__).resolve().parent.parent
INSTANCES = sorted((ROOT / "instances").glob("*.yaml"))

# Hand-worked: a and b both rent and both need x (compute 100, adoption 0.1, price 2).
# Silo: each runs x: 100 + 100 = 200. Consortium: one runs x (100), the other adopts (10):
# 110. Avoided: 200 - 110 = 90 = 45% of silo. Runner spends 200, adopter 20 (of 1,000 each).
TWO_LABS = {
    "name": "Two renting labs",
    "units": {"compute": "H100-hours", "money": "USD"},
    "members": {"a": {"budget": 1000, "needs": ["x"]}, "b": {"budget": 1000, "needs": ["x"]}},
    "workstreams": {"x": {"compute": 100}},
}
# a needs x but its budget (10) cannot even pay for adopting it (0.1 * 100 * 2 = 20).
INFEASIBLE = {
    "name": "Too poor",
    "members": {"a": {"budget": 10, "needs": ["x"]}, "b": {"budget": 1000, "needs": ["x"]}},
    "workstreams": {"x": {"compute": 100}},
}

DOCUMENTED = {
    "runs.csv": ["member", "workstream", "accelerator", "compute_H100-hours", "cost_USD"],
    "adoptions.csv": ["member", "workstream", "compute_H100-hours", "cost_USD"],
    "members.csv": ["member", "needs", "budget_USD", "spent_USD", "budget_utilisation_fraction", "budget_binding",
                    "paid_for_runs_USD", "standalone_compute_H100-hours", "run_compute_H100-hours",
                    "adoption_compute_H100-hours", "runs", "adopts"],
    "workstreams.csv": ["workstream", "needed_by", "runs_count", "replicas_count", "required", "run_by", "adopted_by",
                        "run_compute_H100-hours", "adoption_compute_H100-hours", "duplicated_compute_H100-hours"],
    "fleets.csv": ["member", "accelerator", "capacity_accelerator-hours", "used_accelerator-hours",
                   "utilisation_fraction", "binding"],
}
CHART_FILES = {"who-runs-what.svg", "utilisation.svg", "silo-vs-consortium.svg"}
REPORT_FILES = {MARKER, "report.md", "report.html", "result.json", "report.xlsx", *DOCUMENTED} | CHART_FILES


@pytest.fixture(scope="module")
def two_labs():
    return optimizer.solve(TWO_LABS)


@pytest.fixture(scope="module")
def report(two_labs, tmp_path_factory):
    return write_report(two_labs.to_dict(), tmp_path_factory.mktemp("r") / "two-labs")


def files(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def test_report_has_every_file(report):
    assert set(files(report)) == REPORT_FILES


def test_result_json_is_the_result_dict(two_labs, report):
    doc = json.loads((report / "result.json").read_text())
    want = two_labs.to_dict()
    for key, value in want.items():
        assert doc[key] == value, key
    assert doc["total_compute"] == 110 and doc["silo_compute"] == 200 and doc["savings"] == 90
    assert doc["tool_version"] == optimizer.__version__
    assert doc["binding"] == {"budgets": [], "fleets": []}
    text = (report / "result.json").read_text()
    assert text == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_csv_figures_equal_the_result(two_labs, report):
    runs = pd.read_csv(report / "runs.csv")
    assert len(runs) == len(two_labs.runs) == 1
    for got, want in zip(runs.itertuples(index=False), two_labs.runs.reset_index().itertuples(index=False)):
        assert (got.member, got.workstream, got.accelerator) == (want.member, want.workstream, want.accelerator)
        assert got[3] == pytest.approx(want.compute) and got[4] == pytest.approx(want.cost)
    assert runs["compute_H100-hours"].tolist() == [100.0] and runs["cost_USD"].tolist() == [200.0]

    gets = pd.read_csv(report / "adoptions.csv")
    assert gets["compute_H100-hours"].tolist() == pytest.approx(two_labs.adoptions.compute.tolist())
    assert gets["compute_H100-hours"].tolist() == [10.0] and gets["cost_USD"].tolist() == [20.0]

    members = pd.read_csv(report / "members.csv").set_index("member")
    for m in two_labs.members.reset_index().itertuples():
        row = members.loc[m.member]
        assert row["budget_USD"] == pytest.approx(m.budget)
        assert row["spent_USD"] == pytest.approx(m.spent)
        assert row["budget_utilisation_fraction"] == pytest.approx(m.budget_utilisation)
        assert row["standalone_compute_H100-hours"] == pytest.approx(m.standalone_compute)
    runner = two_labs.runs.index.get_level_values("member")[0]
    adopter = ({"a", "b"} - {runner}).pop()
    assert members.loc[runner, "spent_USD"] == 200 and members.loc[adopter, "spent_USD"] == 20
    assert members.loc[runner, "runs"] == "x" and members.loc[adopter, "adopts"] == "x"
    assert members["run_compute_H100-hours"].sum() + members["adoption_compute_H100-hours"].sum() == 110

    ws = pd.read_csv(report / "workstreams.csv")
    want = two_labs.workstreams.iloc[0]
    row = ws.iloc[0]
    assert row["workstream"] == "x" and row["runs_count"] == 1 and row["run_by"] == want.run_by
    assert row["run_compute_H100-hours"] == pytest.approx(want.run_compute) == 100
    assert row["adoption_compute_H100-hours"] == pytest.approx(want.adoption_compute) == 10
    assert row["duplicated_compute_H100-hours"] == 0


def test_headline_in_markdown(report):
    md = (report / "report.md").read_text()
    assert "**Total R&D compute:** 110 H100-hours" in md
    assert "**Silo compute:** 200 H100-hours" in md
    assert "**Compute saved vs silo:** 90 H100-hours — 45.0% of silo compute" in md
    # both labs can meet their needs alone: the plan enables nobody
    assert "**Members enabled:** 0 of 2 — every member can meet its needs alone" in md
    assert "Status: OPTIMAL" in md and "MIP gap 0%" in md
    for chart in CHART_FILES:
        assert f"]({chart})" in md


def test_html_is_self_contained(report):
    page = (report / "report.html").read_text()
    for bad in ("http://", "https://", "<script", "<link", "@import", "@font-face", "<img", "<iframe"):
        assert bad not in page.lower(), bad
    for ref in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page):
        assert ref.startswith("#"), ref            # only in-page anchors and SVG references
    assert re.findall(r"url\(([^)]*)\)", page) and all(u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", page))
    assert page.count("<svg") == 3
    assert "@media print" in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "element ids must be unique across the inline charts"
    assert "110" in page and "45.0%" in page


def test_csvs_have_the_documented_columns(report):
    docs = (ROOT / "docs" / "reports.md").read_text()
    for name, columns in DOCUMENTED.items():
        assert list(pd.read_csv(report / name).columns) == columns, name
        for col in columns:
            generic = col.replace("H100-hours", "{compute}").replace("USD", "{money}")
            assert f"`{generic}`" in docs or f"`{col}`" in docs, f"{name}: {col} not documented"


def test_svgs_are_deterministic(two_labs, tmp_path):
    a = write_report(two_labs.to_dict(), tmp_path / "a")
    b = write_report(two_labs.to_dict(), tmp_path / "b")
    assert files(a) == files(b)
    for chart in CHART_FILES:
        svg = (a / chart).read_text()
        assert "<dc:date>" not in svg and "<text" in svg  # no timestamp; text kept as text


def test_rerender_from_result_json_is_byte_identical(report, tmp_path):
    doc = Plan.read(report / "result.json")
    again = write_report(doc, tmp_path / "again")
    assert files(again) == files(report)


def test_cli_solve_out_and_report(tmp_path, capsys):
    inst = tmp_path / "two.yaml"
    inst.write_text(yaml.safe_dump(TWO_LABS))
    out = tmp_path / "rep"
    assert main(["solve", str(inst), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "total R&D compute" in printed and f"report written to {out}/" in printed
    assert set(files(out)) == REPORT_FILES

    assert main(["solve", str(inst), "--json", f"--out={tmp_path / 'rep2'}"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["total_compute"] == 110
    assert "report written to" in captured.err
    assert files(tmp_path / "rep2") == files(out)

    assert main(["report", str(out / "result.json"), "--out", str(tmp_path / "rep3")]) == 0
    assert files(tmp_path / "rep3") == files(out)


def test_cli_default_out_dir(tmp_path, monkeypatch, capsys):
    inst = tmp_path / "two.yaml"
    inst.write_text(yaml.safe_dump(TWO_LABS))
    monkeypatch.chdir(tmp_path)
    assert main(["solve", str(inst), "--report"]) == 0
    assert (tmp_path / "reports" / "two" / "report.html").is_file()  # named after the file
    assert main(["solve", str(inst), "--design", "silo", "--report"]) == 0
    assert (tmp_path / "reports" / "two-silo" / "report.md").is_file()


def test_slugs():
    assert slugify("Open MoE consortium (11 labs, H1)") == "open-moe-consortium-11-labs-h1"
    assert slugify("Teaching - capacity forces a split") == "teaching-capacity-forces-a-split"
    assert slugify("Café / Ünïcode!") == "cafe-unicode"
    assert slugify("???") == "report"
    assert default_out_dir("Two labs") == Path("reports/two-labs")
    assert default_out_dir("Two labs", "fork_heavy") == Path("reports/two-labs-fork-heavy")


def test_failed_render_leaves_the_old_report_untouched(two_labs, tmp_path, monkeypatch):
    out = write_report(two_labs.to_dict(), tmp_path / "rep")
    before = files(out)

    def boom(doc):
        raise RuntimeError("chart failed")

    monkeypatch.setattr(charts, "silo_chart", boom)
    changed = {**two_labs.to_dict(), "instance": "something else"}
    with pytest.raises(RuntimeError, match="chart failed"):
        write_report(changed, out)
    assert files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]  # no temporary directory left behind

    with pytest.raises(RuntimeError):
        write_report(changed, tmp_path / "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]  # a report is complete or absent


def test_successful_replace_leaves_nothing_behind(two_labs, tmp_path):
    out = write_report(two_labs.to_dict(), tmp_path / "rep")
    write_report({**two_labs.to_dict(), "instance": "renamed"}, out)
    assert "renamed" in (out / "report.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


def test_refuses_to_replace_what_is_not_a_report(two_labs, tmp_path):
    doc = two_labs.to_dict()
    mine = tmp_path / "my-notes"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious")
    with pytest.raises(InputError, match="does not look like a consortium report"):
        write_report(doc, mine)
    assert (mine / "notes.txt").read_text() == "precious"

    report_plus = write_report(doc, tmp_path / "rep")
    (report_plus / "notes.txt").write_text("added by hand")
    with pytest.raises(InputError, match="notes.txt"):
        write_report(doc, report_plus)
    assert (report_plus / "notes.txt").exists()

    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        write_report(doc, a_file)
    assert a_file.read_text() == "x"

    empty = tmp_path / "empty"
    empty.mkdir()
    assert set(files(write_report(doc, empty))) == REPORT_FILES
    assert main(["report", str(empty / "result.json"), "--out", str(mine)]) == 2


def test_infeasible_result_still_renders(tmp_path):
    r = optimizer.solve(INFEASIBLE)
    assert r.status == "infeasible"
    doc = r.to_dict()
    doc["diagnosis"] = ["a's budget 10 is below the 20 it needs to adopt x",
                        {"message": "budget too small", "member": "a", "short_by": 10}]
    out = write_report(doc, tmp_path / "inf")
    assert set(files(out)) == REPORT_FILES - CHART_FILES          # no plan: no charts
    md = (out / "report.md").read_text()
    assert "Status: INFEASIBLE" in md and "## Diagnosis" in md
    assert "below the 20 it needs" in md and "budget too small" in md and "short\\_by: 10" in md
    page = (out / "report.html").read_text()
    assert 'class="status bad"' in page and "INFEASIBLE" in page and "budget too small" in page
    assert pd.read_csv(out / "runs.csv").empty and pd.read_csv(out / "workstreams.csv").empty
    assert list(pd.read_csv(out / "members.csv").member) == ["a", "b"]
    assert files(write_report(Plan.read(out / "result.json"), tmp_path / "again")) == files(out)


def test_load_result_json_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        Plan.read(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"instance": ')
    with pytest.raises(InputError, match="invalid JSON"):
        Plan.read(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(InputError, match="expected a JSON object"):
        Plan.read(bad)
    bad.write_text('{"instance": "x", "design": "consortium", "status": "optimal"}')
    with pytest.raises(InputError, match="missing key.*total_compute"):
        Plan.read(bad)
    with pytest.raises(InputError, match="expected a JSON object"):
        write_report([1], tmp_path / "never")
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize("path", INSTANCES, ids=[p.stem for p in INSTANCES])
def test_shipped_reports_are_current(path, tmp_path):
    """`make reports` output committed under reports/ matches a fresh regeneration."""
    inst = optimizer.load_instance(path)
    committed = ROOT / default_out_dir(inst.slug)
    assert committed.is_dir(), f"{committed.relative_to(ROOT)} missing: run `make reports`"
    fresh = write_report(optimizer.solve(inst).to_dict(), tmp_path / committed.name)
    assert files(fresh) == files(committed), f"{committed.relative_to(ROOT)} is stale: run `make reports`"


@pytest.mark.parametrize("status, gap, banner, text", [
    ("feasible", 0.05, "Status: FEASIBLE", "MIP gap 5.0%"),
    ("no_solution", None, "Status: NO SOLUTION", "limits were reached"),
])
def test_other_statuses_render(two_labs, tmp_path, status, gap, banner, text):
    doc = {**two_labs.to_dict(), "status": status, "mip_gap": gap}
    if status == "no_solution":
        doc.update({k: None for k in ("objective", "total_compute", "adoption_compute", "duplicated_compute",
                                      "savings")}, runs=[], adoptions=[], workstreams=[], fleets=[])
    out = write_report(doc, tmp_path / status)
    md = (out / "report.md").read_text()
    assert banner in md and text in md
    assert ("who-runs-what.svg" in set(files(out))) == (status == "feasible")
