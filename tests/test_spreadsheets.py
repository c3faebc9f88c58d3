"""`consortium import` and `consortium export`: a workbook (or a directory of CSVs) in the layout of
docs/spreadsheets.md <-> an instance file. A round trip keeps the instance (and so its plan); every
problem in a workbook is named by sheet, row and column."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import optimizer
from optimizer.cli import main
from optimizer.errors import InputError
from optimizer.instance import load_instance
from optimizer.spreadsheets import export_book, import_book

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "instances" / "open-moe-consortium.yaml"
INSTANCES = sorted((ROOT / "instances").glob("*.yaml"))

TIMED = {  # every horizon key the layout supports
    "name": "Timed pair",
    "units": {"compute": "H100-hours", "money": "USD"},
    "defaults": {"publish_lag": 1, "price": 2.5},
    "horizon": {"periods": ["2027-Q1", "2027-Q2", "2027-Q3"], "hours": 500},
    "objective": ["compute", "time", "money"],
    "accelerators": {"H100": {"throughput": 1.0}},
    "members": {
        "lab-a": {"budget": [1000, 2000, 0], "fleet": {"H100": 4}, "needs": ["x", "y"], "due": {"y": "2027-Q3"}},
        "lab-b": {"budget": 5000, "price": 1.5, "needs": ["x"], "publishes": False,
                  "estimates": {"x": {"compute": 90, "cost": 100}}},
    },
    "workstreams": {"x": {"compute": 100, "duration": 2, "release": "2027-Q1", "adoption": 0.2},
                    "y": {"compute": 50, "requires": ["x"], "accelerators": ["H100"], "required": True}},
    "designs": {"late": {"overrides": {"members": {"lab-a": {"due": {"y": "2027-Q2"}}}}},
                "solo": {"sharing": "none", "members": ["lab-a"]}},
    "uncertainty": {"compute": {"low": 0.8, "high": 1.2}, "workstreams": {"x": {"adoption": {"low": 0.5, "mode": 1,
                                                                                            "high": 2}}}},
}


def comparable(spec) -> dict:
    """An instance as compared across a round trip: needs as sets (a needs matrix lists them in the
    workstreams' order), text without surrounding blanks (cells are stripped)."""
    doc = spec.model_dump()
    for m in doc["members"].values():
        m["needs"] = sorted(m["needs"])
    doc["description"] = (doc["description"] or "").strip() or None
    return doc


def round_trip(source, tmp_path: Path) -> Path:
    book = tmp_path / "book.xlsx"
    book.write_bytes(export_book(source))
    out = tmp_path / "back.yaml"
    assert main(["import", str(book), "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("path", INSTANCES, ids=lambda p: p.stem)
def test_every_shipped_instance_survives_export_and_import(path, tmp_path):
    back = round_trip(path, tmp_path)
    assert comparable(load_instance(back).spec) == comparable(load_instance(path).spec)


def test_horizon_keys_survive_export_and_import(tmp_path):
    back = round_trip(TIMED, tmp_path)
    assert comparable(load_instance(back).spec) == comparable(load_instance(TIMED).spec)
    sheets = pd.read_excel(tmp_path / "book.xlsx", sheet_name=None)
    assert {"budget:2027-Q1", "budget:2027-Q2", "budget:2027-Q3"} <= set(sheets["members"].columns)
    assert list(sheets["due"].columns) == ["member", "workstream", "due"]
    assert {"duration", "release"} <= set(sheets["workstreams"].columns)


def test_flagship_round_trip_solves_to_the_same_plan(tmp_path):
    back = round_trip(FLAGSHIP, tmp_path)
    before, after = optimizer.solve(str(FLAGSHIP)).plan, optimizer.solve(str(back)).plan
    assert after.status == before.status == "optimal"
    assert after.total_compute == before.total_compute
    runs = lambda p: sorted((r.member, r.workstream, r.accelerator) for r in p.runs)  # noqa: E731
    adoptions = lambda p: sorted((a.member, a.workstream) for a in p.adoptions)  # noqa: E731
    assert runs(after) == runs(before) and adoptions(after) == adoptions(before)
    assert after.silo_compute == before.silo_compute


def test_the_exported_workbook_has_the_documented_layout(tmp_path):
    sheets = pd.read_excel(_export(tmp_path), sheet_name=None)
    assert list(sheets) == ["settings", "accelerators", "members", "fleets", "needs", "estimates", "workstreams",
                            "designs", "uncertainty"]
    assert list(sheets["settings"].columns) == ["key", "value"]
    assert list(sheets["fleets"].columns) == ["member", "accelerator", "count"]
    needs = sheets["needs"].set_index("member")
    spec = load_instance(FLAGSHIP).spec
    assert list(needs.columns) == list(spec.workstreams)
    for i, m in spec.members.items():
        assert sorted(needs.columns[needs.loc[i].eq(1)]) == sorted(m.needs)
    docs = (ROOT / "docs" / "spreadsheets.md").read_text()
    for name, sheet in sheets.items():
        assert f"`{name}`" in docs
        for col in sheet.columns if name not in ("needs",) else ["member"]:
            assert f"`{col}`" in docs, (name, col)


def _export(tmp_path: Path) -> Path:
    out = tmp_path / "flagship.xlsx"
    assert main(["export", str(FLAGSHIP), "--out", str(out)]) == 0
    return out


def _book(tmp_path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    path = tmp_path / "members.xlsx"
    wb.save(path)
    return path


GOOD = {
    "settings": [["key", "value"], ["name", "Two labs"], ["units.money", "USD"]],
    "members": [["member", "budget", "price"], ["lab-a", 1000, 2], ["lab-b", 900, None]],
    "needs": [["member", "eval-suite", "data"], ["lab-a", 1, None], ["lab-b", "x", 1]],
    "workstreams": [["workstream", "compute", "requires"], ["eval-suite", 100, None], ["data", 50, "eval-suite"]],
}


def test_a_small_workbook_imports(tmp_path, capsys):
    out = tmp_path / "two.yaml"
    assert main(["import", str(_book(tmp_path, GOOD)), "--out", str(out)]) == 0
    assert f"instance written to {out}" in capsys.readouterr().out
    spec = load_instance(out).spec
    assert spec.members["lab-b"].needs == ["eval-suite", "data"] and spec.members["lab-b"].price is None
    assert spec.workstreams["data"].requires == ["eval-suite"]
    assert optimizer.solve(str(out)).plan.total_compute == 100 + 0.1 * 100 + 50  # one runs eval-suite, one adopts


def test_typos_are_named_by_sheet_row_and_column(tmp_path, capsys):
    bad = {**GOOD,
           "members": [["member", "budget", "price"], ["lab-a", 1000, 2], ["lab-b", "abc", None]],
           "needs": [["member", "eval-suite", "dta"], ["lab-a", 1, None], ["lab-b", "x", 1]]}
    out = tmp_path / "two.yaml"
    assert main(["import", str(_book(tmp_path, bad)), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and not out.exists()
    book = str(tmp_path / "members.xlsx")
    assert f"{book}:members!B3: members.lab-b.budget: got 'abc' (expected a number)" in err
    assert f"{book}:needs!C3: members.lab-b.needs[1]: unknown workstream 'dta' (did you mean 'data'?)" in err


def test_problems_of_the_layout_itself(tmp_path):
    bad = {"settings": [["nme", "x"]], "members": [["member", "budgte"], ["lab-a", 5], ["lab-a", 6]],
           "workstreams": [["workstream", "compute"], ["w", 1]], "fleets": [["member", "accelerator", "count"],
                                                                             ["lab-z", "H100", 1]],
           "needs": [["member", "w"], ["lab-a", "maybe"]], "Notes": [["anything"]], "#scratch": [["ignored"]]}
    with pytest.raises(InputError) as exc:
        import_book(_book(tmp_path, bad))
    text = str(exc.value)
    book = str(tmp_path / "members.xlsx")
    for expected in [f"{book}:settings!A1: nme: unknown key 'nme' (did you mean 'name'?)",
                     f"{book}:members!B1: unknown column 'budgte' in sheet 'members' (did you mean 'budget'?)",
                     f"{book}:members!A3: member 'lab-a' is given twice (first in row 2)",
                     f"{book}:fleets!A2: unknown member 'lab-z'",
                     f"{book}:needs!B2: got 'maybe' (expected 1 or x where lab-a needs w, blank where it does not)",
                     f"{book}:Notes!A1: unknown sheet 'Notes'",
                     f"{book}:members!A2: members.lab-a: missing required key 'budget'"]:
        assert expected in text, text
    assert "scratch" not in text


def test_a_directory_of_csvs_imports(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "settings.csv").write_text("key,value\nname,CSV labs\ndefaults.hours,1000\n")
    (data / "accelerators.csv").write_text("accelerator,throughput\nH100,1\n")
    (data / "members.csv").write_text("\ufeffmember,budget,price,publishes\nlab-a,1000,2,true\nlab-b,900,,no\n")
    (data / "fleets.csv").write_text("member,accelerator,count\nlab-a,H100,2\n")
    (data / "needs.csv").write_text("member,workstream\nlab-a,eval-suite\nlab-b,eval-suite\n")
    (data / "workstreams.csv").write_text("workstream,compute,accelerators\neval-suite,100,H100\n")
    out = tmp_path / "csv.yaml"
    assert main(["import", str(data), "--out", str(out)]) == 0
    spec = load_instance(out).spec
    assert spec.defaults.hours == 1000 and spec.members["lab-a"].fleet == {"H100": 2}
    assert spec.members["lab-b"].publishes is False and spec.members["lab-b"].needs == ["eval-suite"]
    assert optimizer.solve(str(out)).plan.total_compute == 100 + 10

    (data / "members.csv").write_text("member,budget\nlab-a,1000\nlab-b,lots\n")
    assert main(["import", str(data), "--out", str(tmp_path / "again.yaml")]) == 2
    assert f"{data}/members.csv!B3: members.lab-b.budget: got 'lots' (expected a number)" in capsys.readouterr().err


def test_a_workbook_and_its_csvs_give_the_same_instance(tmp_path):
    book = _export(tmp_path)
    data = tmp_path / "csvs"
    data.mkdir()
    for name, sheet in pd.read_excel(book, sheet_name=None, dtype=object).items():
        sheet.to_csv(data / f"{name}.csv", index=False)
    assert import_book(data).instance.spec == import_book(book).instance.spec


def test_never_replaces_a_file(tmp_path, capsys):
    out = tmp_path / "taken.yaml"
    out.write_text("mine")
    assert main(["import", str(_book(tmp_path, GOOD)), "--out", str(out)]) == 2
    assert main(["export", str(FLAGSHIP), "--out", str(tmp_path / "taken.yaml")]) == 2
    assert out.read_text() == "mine"
    assert "exists; refusing to replace it" in capsys.readouterr().err
    assert main(["export", str(FLAGSHIP), "--out", str(tmp_path / "book.csv")]) == 2


def test_not_a_workbook(tmp_path, capsys):
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"not a zip")
    assert main(["import", str(fake), "--out", str(tmp_path / "x.yaml")]) == 2
    assert main(["import", str(tmp_path / "missing.xlsx"), "--out", str(tmp_path / "x.yaml")]) == 2
    err = capsys.readouterr().err
    assert "cannot read it as an .xlsx workbook" in err and "no such file" in err and "Traceback" not in err


def test_budgets_per_period_are_checked_against_the_horizon(tmp_path):
    settings = [["name", "x"], ["horizon.periods", "Q1, Q2"]]
    workstreams = [["workstream", "compute"], ["w", 1]]
    book = str(tmp_path / "members.xlsx")
    cases = {
        (("member", "budget:Q1", "budget:Q2"), ("a", 1, None)): "members!C2: members.a.budget[1]: got a blank cell "
                                                                 "(expected a number)",
        (("member", "budget:Q1", "budget:Q3"), ("a", 1, 2)): "members!C1: unknown period 'Q3' (expected one of: Q1, Q2)",
        (("member", "budget:Q1"), ("a", 1)): "members!A1: no column budget:Q2 (expected one budget column per period",
        (("member", "budget", "budget:Q1", "budget:Q2"), ("a", 3, 1, 2)): "members!B2: members.a.budget: both a budget "
                                                                           "and budgets per period",
    }
    for (head, row), expected in cases.items():
        with pytest.raises(InputError) as exc:
            import_book(_book(tmp_path, {"settings": settings, "members": [list(head), list(row)],
                                         "workstreams": workstreams}))
        assert f"{book}:{expected}" in str(exc.value)


def test_a_workbook_that_unpacks_to_too_much_is_refused(tmp_path, monkeypatch):
    from optimizer.spreadsheets import cells
    book = _book(tmp_path, GOOD)
    monkeypatch.setattr(cells, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(InputError, match="unpacks to"):
        import_book(book)
