"""Allocation reports (`consortium allocate --out`): figures equal to the allocations, a
self-contained page, byte-identical regeneration, out-dir safety, and the committed flagship
allocation being current."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pandas as pd
import pydantic
import pytest
import yaml

import optimizer
from optimizer import InputError
from optimizer.allocation import Allocation, CostSharing, share_costs
from optimizer.cli import main
from optimizer.records import problems
from optimizer.report import MARKER, kind, marker_bytes

write_report = kind("plan").write
from optimizer.report.allocation import KIND
from optimizer.summaries import allocation_summary

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "instances" / "open-moe-consortium.yaml"
UNITS = {"compute": "H100-hours", "money": "USD"}
METHODS = ["shapley", "least-core", "nucleolus", "proportional"]

# Three renting members with unlimited budgets need workstream x (compute 100, adoption 0.1);
# a's own estimate is 60, so a runs x for 60 and adopting costs it 6.
#   c(a) = 60, c(b) = c(c) = 100; c(ab) = c(ac) = 60 + 10 = 70; c(bc) = 100 + 10 = 110;
#   c(N) = 60 + 10 + 10 = 80. Sum of standalone costs 260: cooperating saves 180.
#   Shapley: a's marginal cost is 60 when it comes first (2 of 6 orders) and 70 - 100 = -30
#   otherwise (4 orders): (120 - 120) / 6 = 0; b: 100 first (2 orders), 10 otherwise: 240 / 6 = 40;
#   c likewise 40. The least core and the nucleolus are the same point (0, 40, 40).
#   Proportional: 80 * (60, 100, 100) / 260.
THREE = {
    "name": "Three renting labs",
    "units": UNITS,
    "members": {"a": {"budget": 1e9, "needs": ["x"], "estimates": {"x": {"compute": 60}}},
                "b": {"budget": 1e9, "needs": ["x"]}, "c": {"budget": 1e9, "needs": ["x"]}},
    "workstreams": {"x": {"compute": 100}},
}
CSV = ["method", "member", "standalone_H100-hours", "allocated_H100-hours", "savings_H100-hours",
       "savings_fraction", "std_error_H100-hours", "in_core", "grand_coalition_H100-hours"]


def files(d: Path) -> dict[str, bytes]:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def written(rendered: dict[str, bytes]) -> dict[str, bytes]:
    """The directory's files for rendered ones: those plus the marker the writer adds."""
    return {MARKER: marker_bytes("allocation report"), **rendered}


def study(allocations, name: str = THREE["name"], penalty: float = 3.0) -> CostSharing:
    """A cost-sharing study of THREE from allocation objects (dicts as allocate --json prints them)."""
    return CostSharing(instance=name, design="consortium", units=UNITS, unmet_penalty=penalty,
                       allocations=allocations)


@pytest.fixture(scope="module")
def sharing():
    return share_costs(THREE, METHODS)


@pytest.fixture(scope="module")
def docs(sharing):
    return [a.to_dict() for a in sharing.allocations]


@pytest.fixture(scope="module")
def report(sharing, tmp_path_factory):
    return KIND.write(sharing, tmp_path_factory.mktemp("a") / "three-allocation")


def monte_carlo(docs):
    """The Shapley allocation as if estimated by Monte Carlo, with standard errors."""
    d = copy.deepcopy(docs[0])
    for r, se in zip(d["allocation"], (1.5, 2.0, 2.5)):
        r["std_error"] = se
    d["notes"] = d["notes"] + ["Monte Carlo over 2000 member orders (seed 0)"]
    return d


def outside_core(docs):
    """An allocation a coalition objects to: {b, c} would pay 120 but needs only 110 alone."""
    d = copy.deepcopy(docs[3])
    d["method"] = "lopsided"
    for r, x in zip(d["allocation"], (-40.0, 60.0, 60.0)):
        r["allocated"], r["savings"] = x, r["standalone"] - x
    d["in_core"] = False
    d["objection"] = {"coalition": ["b", "c"], "pays": 120.0, "alone": 110.0, "excess": 10.0}
    return d


def test_directory_holds_exactly_the_allocation_files(report):
    assert set(files(report)) == set(KIND.files) | {MARKER}
    assert set(KIND.files) == {
        "allocation.md", "allocation.html", "allocation.csv", "allocation.json", "allocation.xlsx",
        "standalone-vs-allocated.svg"}


def test_csv_figures_equal_the_allocations(report, docs):
    """Shapley a = 0, b = 40, c = 40 and c(N) = 80, as worked in the module docstring."""
    csv = pd.read_csv(report / "allocation.csv")
    assert list(csv.columns) == CSV
    assert list(zip(csv.method, csv.member)) == [(m, i) for m in METHODS for i in "abc"]
    for d in docs:
        rows = csv[csv.method == d["method"]].set_index("member")
        for r in d["allocation"]:
            row = rows.loc[r["member"]]
            assert row["standalone_H100-hours"] == pytest.approx(r["standalone"])
            assert row["allocated_H100-hours"] == pytest.approx(r["allocated"], abs=1e-9)
            assert row["savings_H100-hours"] == pytest.approx(r["savings"])
            assert row["savings_fraction"] == pytest.approx(r["savings"] / r["standalone"], abs=1e-6)
            assert pd.isna(row["std_error_H100-hours"]) and r["std_error"] is None
            assert bool(row["in_core"]) is d["in_core"]
            assert row["grand_coalition_H100-hours"] == pytest.approx(d["grand_coalition"])
        # efficiency: the shares add up to c(N)
        assert rows["allocated_H100-hours"].sum() == pytest.approx(80)
    shapley = csv[csv.method == "shapley"].set_index("member")["allocated_H100-hours"]
    assert shapley.to_dict() == pytest.approx({"a": 0, "b": 40, "c": 40}, abs=1e-9)
    assert (csv["grand_coalition_H100-hours"] == 80).all()
    assert list(csv[csv.method == "shapley"]["standalone_H100-hours"]) == [60, 100, 100]
    proportional = csv[csv.method == "proportional"].set_index("member")["allocated_H100-hours"]
    assert proportional.to_dict() == pytest.approx({"a": 240 / 13, "b": 400 / 13, "c": 400 / 13}, abs=1e-6)


def test_json_is_the_allocations(report, docs):
    assert json.loads((report / "allocation.json").read_text()) == docs


def test_markdown_shows_headline_tables_and_the_game(report):
    md = (report / "allocation.md").read_text()
    assert "# Three renting labs" in md and "Status: IN THE CORE" in md
    assert "**Grand coalition c(N):** 80 H100-hours" in md
    assert "**Sum of standalone costs:** 260 H100-hours" in md
    assert "**Saved by cooperating:** 180 H100-hours — 69.2% of the standalone sum" in md
    assert "**Methods:** 4 — shapley, least-core, nucleolus, proportional" in md
    assert "**shapley: in the core?:** yes" in md
    for heading in ("## Shapley value", "## Least core", "## Nucleolus", "## Proportional to standalone cost",
                    "## The cost game", "## Notes"):
        assert heading in md, heading
    assert "| a | 60 | 0 | 60 | 100.0% |" in md and "| b | 100 | 40 | 60 | 60.0% |" in md
    assert "| **all members** | **260** | **80** | **180** | **69.2%** |" in md
    assert "| a | 60 | 0 | 0 | 0 | 18.46 |" in md          # side by side: shapley, least-core, nucleolus, proportional
    assert "priced at 3 times its compute" in md
    assert "least-core epsilon -30" in md
    assert "](standalone-vs-allocated.svg)" in md
    assert "-0 " not in md and "| -0 |" not in md


def test_html_is_self_contained(report):
    page = (report / "allocation.html").read_text()
    for bad in ("http://", "https://", "<script", "<link", "@import", "@font-face", "<img", "<iframe", "src="):
        assert bad not in page.lower(), bad
    for ref in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page):
        assert ref.startswith("#"), ref
    assert all(u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", page))
    assert page.count("<svg") == 1 and "<style>" in page and "@media print" in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert "IN THE CORE" in page and "c(N)" in page


def test_regeneration_is_byte_identical(report, tmp_path):
    out = KIND.write(share_costs(THREE, METHODS), tmp_path / "again")
    assert files(out) == files(report)
    # ... and re-rendering from the written allocation.json gives the same files too
    doc = json.loads((report / "allocation.json").read_text())
    assert written(KIND.render(study(doc))) == files(report)
    svg = (report / "standalone-vs-allocated.svg").read_text()
    assert "<dc:date>" not in svg and "<text" in svg


def test_monte_carlo_error_bars_and_an_objecting_coalition(docs, tmp_path):
    mc, bad = monte_carlo(docs), outside_core(docs)
    out = KIND.write(study([mc, bad]), tmp_path / "mc")
    csv = pd.read_csv(out / "allocation.csv")
    assert list(csv[csv.method == "shapley"]["std_error_H100-hours"]) == [1.5, 2.0, 2.5]
    assert csv[csv.method == "lopsided"]["std_error_H100-hours"].isna().all()
    assert list(csv.in_core) == [True] * 3 + [False] * 3
    md = (out / "allocation.md").read_text()
    assert "Status: 1 OF 2 IN THE CORE" in md
    assert "**lopsided: in the core?:** no — {b, c} objects: excess 10 H100-hours" in md
    assert "**not in the core**: **{b, c}** would pay 120 but needs only 110 alone (excess 10)" in md
    assert "95% interval" in md and "| a | 60 | 0 | 60 | 100.0% | 2.94 |" in md     # 1.96 * 1.5
    svg = (out / "standalone-vs-allocated.svg").read_text()
    assert "standard errors (Monte Carlo)" in svg


def test_the_penalty_shown_is_the_studys(docs):
    md = KIND.render(study(docs[:1], penalty=2.5))["allocation.md"].decode()
    assert "priced at 2.5 times its compute" in md


def test_the_table_view_and_the_summary(sharing):
    """The pandas view: one row per method and member, savings as a share of standalone."""
    table = sharing.table()
    assert table.index.names == ["method", "member"]
    assert list(table.index) == [(m, i) for m in METHODS for i in "abc"]
    assert list(table.columns) == ["standalone", "allocated", "savings", "savings_fraction", "std_error",
                                   "standalone_money", "allocated_money", "savings_money", "in_core",
                                   "grand_coalition"]
    shapley = table.loc["shapley"]
    assert shapley.allocated.to_dict() == pytest.approx({"a": 0, "b": 40, "c": 40}, abs=1e-9)
    assert shapley.savings_fraction.to_dict() == pytest.approx({"a": 1.0, "b": 0.6, "c": 0.6})
    assert table.std_error.isna().all() and table.in_core.all() and (table.grand_coalition == 80).all()
    total = sharing.total
    assert (total.standalone, total.allocated, total.savings) == (260, 80, 180)
    assert total.savings_fraction == round(180 / 260, 6)
    text = allocation_summary(sharing)
    assert text.startswith("shapley: c(N) = 80 H100-hours, in the core\n")
    assert "a               60          0       60     100.0%" in text
    assert text.count("note: c(S) prices an unmet need at 3 x its compute") == 4


def test_summary_names_the_objecting_coalition(docs):
    text = allocation_summary(study([monte_carlo(docs), outside_core(docs)]))
    assert "lopsided: c(N) = 80 H100-hours, NOT in the core: b, c would pay 120 but need only 110 alone " \
           "(excess 10)" in text
    assert "± 95%" in text and "100.0%   2.94" in text          # 1.96 * 1.5, Monte Carlo only
    assert "a               60        -40      100     166.7%" in text


def test_allocations_read_back_are_checked_by_the_same_class(docs):
    assert [Allocation.model_validate(d).to_dict() for d in docs] == docs
    broken = copy.deepcopy(docs[:2])
    del broken[0]["grand_coalition"]
    broken[1]["allocation"][0]["allocated"] = "lots"
    found = dict(problems(CostSharing, {"instance": "x", "design": "consortium", "units": UNITS,
                                        "unmet_penalty": 3.0, "allocations": broken}))
    assert found[("allocations", 0)] == "missing key 'grand_coalition'"
    assert found[("allocations", 1, "allocation", 0, "allocated")].startswith("expected a number, got 'lots'")
    with pytest.raises(pydantic.ValidationError, match="at least 1 item"):
        study([])
    with pytest.raises(pydantic.ValidationError, match="the same method twice: shapley"):
        study([docs[0], docs[0]])
    with pytest.raises(pydantic.ValidationError, match="names its objecting coalition"):
        Allocation.model_validate({**docs[0], "in_core": False})


def test_out_dir_safety(report, docs, tmp_path):
    three = study(docs)
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious")
    with pytest.raises(InputError, match="does not look like a consortium allocation report directory"):
        KIND.write(three, mine)
    assert (mine / "notes.txt").read_text() == "precious"
    # a single-design report is not an allocation report, nor the reverse
    result = optimizer.solve(THREE).to_dict()
    single = write_report(result, tmp_path / "single")
    with pytest.raises(InputError, match="no allocation.json|does not write"):
        KIND.write(three, single)
    with pytest.raises(InputError, match="does not look like a consortium report"):
        write_report(result, report)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        KIND.write(three, a_file)
    link = tmp_path / "link"
    link.symlink_to(report)
    with pytest.raises(InputError, match="symbolic link"):
        KIND.check_dir(link)
    # its own report is replaced; a stray file inside makes it foreign
    copy_dir = KIND.write(three, tmp_path / "copy")
    KIND.write(study(docs[:1], name="y"), copy_dir)
    assert json.loads((copy_dir / "allocation.json").read_text()) == docs[:1]
    (copy_dir / "stray.txt").write_text("x")
    with pytest.raises(InputError, match="stray.txt"):
        KIND.write(three, copy_dir)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy", "file", "link", "notes", "single"]


def test_default_dir():
    assert KIND.default_dir("open-moe-consortium") == Path("reports/open-moe-consortium-allocation")
    assert KIND.default_dir("three", "pooled") == Path("reports/three-pooled-allocation")


def test_cli_allocate_out(tmp_path, monkeypatch, capsys):
    inst = tmp_path / "three.yaml"
    inst.write_text(yaml.safe_dump(THREE))
    monkeypatch.chdir(tmp_path)
    assert main(["allocate", str(inst), "--method", "shapley", "--method", "nucleolus", "--workers", "1",
                 "--report"]) == 0
    assert "report written to reports/three-allocation/" in capsys.readouterr().out
    out = tmp_path / "reports" / "three-allocation"
    assert set(files(out)) == set(KIND.files) | {MARKER}
    assert [d["method"] for d in json.loads((out / "allocation.json").read_text())] == ["shapley", "nucleolus"]


def test_cli_allocate_replaces_its_own_report(tmp_path, capsys):
    inst = tmp_path / "three.yaml"
    inst.write_text(yaml.safe_dump(THREE))
    out = tmp_path / "alloc"
    assert main(["allocate", str(inst), "--workers", "1", "--out", str(out)]) == 0
    before = files(out)
    assert main(["allocate", str(inst), "--workers", "1", "--out", str(out)]) == 0
    assert files(out) == before


def test_columns_and_files_are_documented():
    text = (ROOT / "docs" / "reports.md").read_text()
    for col in CSV:
        generic = col.replace("H100-hours", "{compute}")
        assert f"`{generic}`" in text or f"`{col}`" in text, col
    for name in KIND.files:
        assert f"`{name}`" in text, name


def test_shipped_allocation_is_current(tmp_path):
    """reports/<flagship>-allocation/ (from `make reports`) matches a fresh `consortium allocate`
    byte for byte. The exact Shapley value solves all 4096 coalitions: about 45 s on 2 cores."""
    inst = optimizer.load_instance(FLAGSHIP)
    committed = ROOT / KIND.default_dir(inst.slug)
    assert committed.is_dir(), f"{committed.relative_to(ROOT)} missing: run `make reports`"
    docs = json.loads((committed / "allocation.json").read_text())
    assert [d["method"] for d in docs] == ["shapley", "nucleolus", "least-core", "proportional"]
    # the committed files are what its own allocation.json renders to ...
    flagship = CostSharing(instance=inst.name, design="consortium", units=dict(inst.spec.units), unmet_penalty=3.0,
                           allocations=docs)
    assert written(KIND.render(flagship)) == files(committed)
    for d in docs:
        assert sum(r["allocated"] for r in d["allocation"]) == pytest.approx(d["grand_coalition"], rel=1e-9)
    # ... and that allocation.json is what the flagship gives today
    fresh = tmp_path / committed.name
    assert main(["allocate", str(FLAGSHIP), "--method", "shapley", "--method", "nucleolus", "--method",
                 "least-core", "--method", "proportional", "--workers", "2", "--out", str(fresh)]) == 0
    assert files(fresh) == files(committed), f"{committed.relative_to(ROOT)} is stale: run `make reports`"
