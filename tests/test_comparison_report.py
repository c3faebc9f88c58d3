"""Comparison reports (`consortium compare --out`): figures equal to `optimizer.compare`,
a self-contained page, every design's own report inside, byte-identical regeneration,
atomic replacement, and the committed flagship comparison being current."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

import optimizer
from optimizer import InputError
from optimizer.api import comparison_of, solve_designs
from optimizer.cli import main
from optimizer.comparison import Comparison
from optimizer.report import MARKER, charts, comparison as comparison_report, marker_bytes
from optimizer.report.plan import KIND as PLAN, render

write_comparison, check_comparison_dir = comparison_report.KIND.write, comparison_report.KIND.check_dir
write_report, default_comparison_dir = PLAN.write, comparison_report.KIND.default_dir
from optimizer.comparison import ROW_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "instances" / "open-moe-consortium.yaml"

# Hand-worked: three renting members, a needs x and y, b needs x, c needs y; x = 100, y = 50,
# adoption 0.1.
#   consortium: x run once (100) and adopted once (10), y run once (50) and adopted once (5): 165.
#   silo: a 150 + b 100 + c 50 = 300; duplicated 100 (x twice) + 50 (y twice) = 150.
#   savings 300 - 165 = 135 = 45% of silo.
#   ab (only a and b): x 100 + 10, y needed by a alone: 50 -> 160; its silo a 150 + b 100 = 250,
#   savings 90 = 36%; 2 of 3 members take part.
THREE = {
    "name": "Three renting labs",
    "units": {"compute": "H100-hours", "money": "USD"},
    "members": {"a": {"budget": 1e6, "needs": ["x", "y"]}, "b": {"budget": 1e6, "needs": ["x"]},
                "c": {"budget": 1e6, "needs": ["y"]}},
    "workstreams": {"x": {"compute": 100}, "y": {"compute": 50}},
    "designs": {"ab": {"members": ["a", "b"]}},
}
# Design 'poor' leaves a a budget of 1: it cannot even adopt x (0.1 * 100 * 2 = 20): infeasible.
WITH_INFEASIBLE = dict(THREE, designs={"poor": {"overrides": {"members": {"a": {"budget": 1}}}}})

TOP_FILES = {"comparison.md", "comparison.html", "comparison.csv", "comparison.json", "comparison.xlsx",
             "compute-by-design.svg"}
CSV_COLUMNS = ["design", "status", "total_compute_H100-hours", "total_money_USD", "unique",
               "duplicated_compute_H100-hours",
               "adoption_compute_H100-hours", "silo_compute_H100-hours", "compute_saved_vs_silo_H100-hours",
               "compute_saved_vs_silo_fraction", "members_met_count", "members_in_design_count", "members_enabled_count", "members_total_count",
               "max_budget_utilisation_fraction", "max_budget_member", "budgets_binding_count",
               "fleets_binding_count", "mip_gap_fraction"]


def files(d: Path) -> dict[str, bytes]:
    """Every file under ``d`` by relative path."""
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def inputs(spec):
    inst = optimizer.load_instance(spec)
    results = solve_designs(inst)
    return inst, results, comparison_of(inst, results)


def write(spec, out: Path) -> Path:
    return write_comparison(inputs(spec)[2], out)


@pytest.fixture(scope="module")
def three():
    return inputs(THREE)


@pytest.fixture(scope="module")
def comparison(three, tmp_path_factory):
    return write_comparison(three[2], tmp_path_factory.mktemp("c") / "three-compare")


def test_row_columns_are_the_comparison_table_without_timings():
    assert list(optimizer.compare(THREE).reset_index().columns) == ROW_COLUMNS + ["solve_seconds"]


def test_directory_holds_the_comparison_and_every_designs_report(three, comparison):
    _, results, _ = three
    got = files(comparison)
    assert {f for f in got if "/" not in f} == TOP_FILES | {MARKER}
    assert sorted(p.name for p in (comparison / "designs").iterdir()) == sorted(r.design for r in results)
    for r in results:
        # the full single-design report, exactly as `solve --out` writes it (marker included)
        report = {MARKER: marker_bytes("report"), **render(r.plan)}
        want = {f"designs/{r.design}/{name}": data for name, data in report.items()}
        assert {k: v for k, v in got.items() if k.startswith(f"designs/{r.design}/")} == want


def test_csv_figures_equal_compare(comparison):
    """consortium 165, silo 300 (savings 135 = 45%), ab 160 against its own silo 250."""
    want = optimizer.compare(THREE)
    csv = pd.read_csv(comparison / "comparison.csv")
    assert list(csv.columns) == CSV_COLUMNS
    assert list(csv.design) == list(want.index) == ["consortium", "silo", "ab"]
    csv = csv.set_index("design")
    pairs = {"total_compute": "total_compute_H100-hours", "total_money": "total_money_USD", "unique": "unique",
             "duplicated_compute": "duplicated_compute_H100-hours",
             "adoption_compute": "adoption_compute_H100-hours", "silo_compute": "silo_compute_H100-hours",
             "compute_saved_vs_silo": "compute_saved_vs_silo_H100-hours",
             "compute_saved_vs_silo_fraction": "compute_saved_vs_silo_fraction", "members_met": "members_met_count",
             "members_in_design": "members_in_design_count", "members_enabled": "members_enabled_count", "members_total": "members_total_count",
             "budgets_binding": "budgets_binding_count", "fleets_binding": "fleets_binding_count",
             "max_budget_utilisation": "max_budget_utilisation_fraction",
             "mip_gap": "mip_gap_fraction"}
    for design in want.index:
        assert csv.loc[design, "status"] == want.loc[design, "status"]
        assert csv.loc[design, "max_budget_member"] == want.loc[design, "max_budget_member"]
        for key, col in pairs.items():
            assert csv.loc[design, col] == pytest.approx(want.loc[design, key]), (design, key)
    assert csv.loc["consortium", "total_compute_H100-hours"] == 165
    assert csv.loc["silo", "total_compute_H100-hours"] == 300
    assert csv.loc["silo", "duplicated_compute_H100-hours"] == 150
    assert csv.loc["consortium", "compute_saved_vs_silo_H100-hours"] == 135
    assert csv.loc["consortium", "compute_saved_vs_silo_fraction"] == 0.45
    assert csv.loc["ab", "total_compute_H100-hours"] == 160
    assert csv.loc["ab", "silo_compute_H100-hours"] == 250 and csv.loc["ab", "compute_saved_vs_silo_fraction"] == 0.36
    assert csv.loc["ab", "members_met_count"] == 2 and csv.loc["ab", "members_total_count"] == 3
    assert csv.loc["ab", "members_in_design_count"] == 2 and csv.loc["consortium", "members_in_design_count"] == 3
    assert (csv["members_enabled_count"] == 0).all()  # every member can manage alone
    assert "solve_seconds" not in "".join(csv.columns)


def test_json_rows_are_the_compare_rows_without_timings(comparison):
    rows = json.loads((comparison / "comparison.json").read_text())
    want = optimizer.compare(THREE)
    assert [r["design"] for r in rows] == list(want.index)
    for row in rows:
        assert list(row) == ROW_COLUMNS
        for key in ROW_COLUMNS[1:]:
            expected = want.loc[row["design"], key]
            assert row[key] == (pytest.approx(expected) if isinstance(row[key], float) else expected), key


def test_markdown_shows_the_figures_and_links_the_designs(comparison):
    md = (comparison / "comparison.md").read_text()
    assert "**Silo compute:** 300 H100-hours" in md
    assert "**Lowest total, all members:** 165 H100-hours — consortium: 45.0% below silo" in md
    assert "| consortium | 165 | 150 | 0 | 15 | 300 | 135 | **45.0%** |" in md
    assert "| ab | 160 | 150 | 0 | 10 | 250 | 90 | 36.0% |" in md
    assert "| ab | members (2 of 3): a, b | optimal | 2/2<br>*1 not taking part* |" in md
    assert "](compute-by-design.svg)" in md
    for design in ("consortium", "silo", "ab"):
        assert f"](designs/{design}/report.html)" in md


def test_html_is_self_contained(comparison):
    page = (comparison / "comparison.html").read_text()
    for bad in ("http://", "https://", "<script", "<link", "@import", "@font-face", "<img", "<iframe", "src="):
        assert bad not in page.lower(), bad
    for ref in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page):
        assert ref.startswith("#"), ref
    assert all(u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", page))
    assert page.count("<svg") == 1 and "<style>" in page and "@media print" in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert "165" in page and "45.0%" in page and "designs/ab/report.html" in page


def test_regeneration_is_byte_identical(comparison, tmp_path):
    again = write(THREE, tmp_path / "again")
    assert files(again) == files(comparison)
    svg = (comparison / "compute-by-design.svg").read_text()
    assert "<dc:date>" not in svg and "<text" in svg


def test_an_infeasible_design_is_a_row_not_a_failure(tmp_path):
    out = write(WITH_INFEASIBLE, tmp_path / "inf")
    csv = pd.read_csv(out / "comparison.csv").set_index("design")
    assert csv.loc["poor", "status"] == "infeasible" and pd.isna(csv.loc["poor", "total_compute_H100-hours"])
    assert csv.loc["poor", "members_met_count"] == 0
    md = (out / "comparison.md").read_text()
    assert "Status: 2 OF 3 PLANNED" in md and "poor" in md
    assert "Status: INFEASIBLE" in (out / "designs" / "poor" / "report.md").read_text()
    assert "infeasible: no plan" in (out / "compute-by-design.svg").read_text()


def test_cli_compare_out(tmp_path, monkeypatch, capsys):
    inst = tmp_path / "three.yaml"
    inst.write_text(yaml.safe_dump(THREE))
    monkeypatch.chdir(tmp_path)
    assert main(["compare", str(inst), "--report", "--workers", "1"]) == 0
    out = tmp_path / default_comparison_dir("three")
    assert out == tmp_path / "reports" / "three-compare"
    assert f"comparison report written to {default_comparison_dir('three')}/" in capsys.readouterr().out
    assert {f for f in files(out) if "/" not in f} == TOP_FILES | {MARKER}

    assert main(["compare", str(inst), "--json", "--design", "silo", "--design", "ab", "--out=two"]) == 0
    captured = capsys.readouterr()
    assert [r["design"] for r in json.loads(captured.out)] == ["silo", "ab"]
    assert "comparison report written to two/" in captured.err
    assert sorted(p.name for p in (tmp_path / "two" / "designs").iterdir()) == ["ab", "silo"]

    # a report of ours is replaced; the same input gives the same bytes
    before = files(out)
    assert main(["compare", str(inst), f"--out={out}"]) == 0
    assert files(out) == before


def test_cli_refuses_a_foreign_directory_before_solving(tmp_path, monkeypatch, capsys):
    inst = tmp_path / "three.yaml"
    inst.write_text(yaml.safe_dump(THREE))
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious")

    def no_solving(*a, **k):
        raise AssertionError("solved before checking --out")

    monkeypatch.setattr("optimizer.api.solve_designs", no_solving)
    assert main(["compare", str(inst), "--out", str(mine)]) == 2
    assert "does not look like a consortium comparison report directory" in capsys.readouterr().err
    assert (mine / "notes.txt").read_text() == "precious"


def test_safety_checks(comparison, tmp_path, three):
    inst, results, table = three
    docs = [r.to_dict() for r in results]
    # a single-design report is not a comparison directory, nor the reverse
    single = write_report(results[0].plan, tmp_path / "single")
    with pytest.raises(InputError, match="no comparison.json|does not write"):
        write_comparison(table, single)
    with pytest.raises(InputError, match="does not look like a consortium report"):
        write_report(docs[0], comparison)
    # something foreign inside designs/ is refused too
    copy = write_comparison(table, tmp_path / "copy")
    (copy / "designs" / "stray.txt").write_text("x")
    with pytest.raises(InputError, match="stray.txt"):
        check_comparison_dir(copy)
    (copy / "designs" / "stray.txt").unlink()
    (copy / "designs" / "ab" / "mine.txt").write_text("x")
    with pytest.raises(InputError, match="mine.txt"):
        write_comparison(table, copy)
    assert (copy / "designs" / "ab" / "mine.txt").exists()
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        write_comparison(table, a_file)
    # rows and plans must match
    with pytest.raises(ValueError, match="same order"):
        Comparison(instance=table.instance, rows=table.rows, plans=table.plans[::-1])


def test_failed_render_leaves_the_old_comparison_untouched(three, comparison, tmp_path, monkeypatch):
    inst, results, table = three
    out = write_comparison(table, tmp_path / "cmp")
    before = files(out)

    def boom(*a, **k):
        raise RuntimeError("chart failed")

    monkeypatch.setattr(charts, "compute_by_design_chart", boom)
    with pytest.raises(RuntimeError, match="chart failed"):
        write_comparison(table.model_copy(update={"instance": "other"}), out)
    assert files(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp"]   # no temporary directory left behind

    monkeypatch.undo()
    monkeypatch.setattr(charts, "silo_chart", boom)                 # a design's report failing
    with pytest.raises(RuntimeError, match="chart failed"):
        write_comparison(table, tmp_path / "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp"]


def test_csv_columns_are_documented():
    docs = (ROOT / "docs" / "reports.md").read_text()
    for col in CSV_COLUMNS:
        generic = col.replace("H100-hours", "{compute}").replace("USD", "{money}")
        assert f"`{generic}`" in docs or f"`{col}`" in docs, col
    for name in TOP_FILES | {"designs/<design>/"}:
        assert f"`{name}`" in docs, name


def test_shipped_comparison_is_current(tmp_path, capsys):
    """`make reports` output committed under reports/<flagship>-compare/ matches a fresh run."""
    inst = optimizer.load_instance(FLAGSHIP)
    committed = ROOT / default_comparison_dir(inst.slug)
    assert committed.is_dir(), f"{committed.relative_to(ROOT)} missing: run `make reports`"
    fresh = tmp_path / committed.name
    assert main(["compare", str(FLAGSHIP), "--out", str(fresh), "--workers", "2"]) == 0
    assert files(fresh) == files(committed), f"{committed.relative_to(ROOT)} is stale: run `make reports`"
    table = pd.read_csv(committed / "comparison.csv").set_index("design")
    sharing = table.drop(index="silo")
    assert (table.loc["silo", "total_compute_H100-hours"] >= sharing["total_compute_H100-hours"]).all()
