"""Every report's .xlsx workbook: its sheets are the report's CSVs (opened with pandas), numbers
are numbers, the header row is frozen, and the bytes do not depend on when it was written."""
from __future__ import annotations

import io
import math
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from optimizer.report import kind
from optimizer.report.csvs import FORMULA_START
from optimizer.spreadsheets.workbook import EPOCH, ZIP_TIME, xlsx_bytes

ROOT = Path(__file__).resolve().parent.parent
WORKBOOKS = {"plan": "report.xlsx", "comparison": "comparison.xlsx", "allocation": "allocation.xlsx",
             "sweep": "sweep.xlsx"}
COMMITTED = sorted(p.relative_to(ROOT) for p in (ROOT / "reports").rglob("*.xlsx"))


def same_cell(sheet_value, csv_text: str) -> bool:
    """A workbook cell read by pandas against the CSV's text of the same cell."""
    if sheet_value is None or (isinstance(sheet_value, float) and math.isnan(sheet_value)):
        return csv_text == ""
    if isinstance(sheet_value, bool):
        return csv_text == str(sheet_value)
    if isinstance(sheet_value, (int, float)):
        # openpyxl writes 16 significant digits (Excel keeps 15)
        return float(csv_text) == pytest.approx(float(sheet_value), rel=1e-15, abs=1e-300)
    text = str(sheet_value)
    return csv_text == ("'" + text if text.startswith(FORMULA_START) else text)


def assert_sheets_are_the_csvs(book_path: Path) -> None:
    sheets = pd.read_excel(book_path, sheet_name=None, dtype=object)
    here = book_path.parent
    assert sorted(sheets) == sorted(p.stem for p in here.glob("*.csv")), book_path
    for name, sheet in sheets.items():
        csv = pd.read_csv(here / f"{name}.csv", dtype=str, keep_default_na=False)
        assert list(sheet.columns) == list(csv.columns), (book_path, name)
        assert sheet.shape == csv.shape, (book_path, name)
        for col in csv.columns:
            for r, (got, want) in enumerate(zip(sheet[col], csv[col])):
                assert same_cell(got, want), f"{book_path}:{name}!{col} row {r + 2}: {got!r} vs {want!r}"


def test_every_report_kind_lists_its_workbook():
    for name, workbook in WORKBOOKS.items():
        assert workbook in kind(name).files


def test_every_committed_report_has_its_workbook():
    dirs = [p for p in (ROOT / "reports").rglob(".consortium-report")]
    assert dirs
    for marker in dirs:
        assert [p.name for p in marker.parent.glob("*.xlsx")] in (
            [w] for w in WORKBOOKS.values()), marker.parent


@pytest.mark.parametrize("path", COMMITTED, ids=str)
def test_committed_workbook_sheets_equal_the_csvs(path):
    assert_sheets_are_the_csvs(ROOT / path)


def test_numbers_are_numbers_and_the_header_is_frozen():
    book = ROOT / "reports" / "open-moe-consortium" / "report.xlsx"
    runs = pd.read_excel(book, sheet_name="runs")
    assert pd.api.types.is_numeric_dtype(runs["compute_H100-hours"])
    assert pd.api.types.is_numeric_dtype(runs["cost_USD"])
    assert runs["member"].map(type).eq(str).all()
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["runs", "adoptions", "members", "workstreams", "fleets"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert all(c.font.b for c in ws[1])


def test_text_is_never_a_formula_and_missing_is_blank():
    df = pd.DataFrame([["=SUM(A1)", 1, None, True], ["-x", 2.5, float("nan"), False]],
                      columns=["member", "compute_H100-hours", "cost_USD", "binding"], dtype=object)
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"runs.csv": df})))
    ws = wb["runs"]
    assert [c.data_type for c in ws["A"][1:]] == ["s", "s"]
    assert ws["A2"].value == "=SUM(A1)" and ws["B3"].value == 2.5
    assert ws["C2"].value is None and ws["C3"].value is None
    assert ws["D2"].value is True


def test_bytes_do_not_depend_on_the_time(monkeypatch):
    tables = {"runs.csv": pd.DataFrame({"member": ["a"], "compute_H100-hours": [1.5]})}
    first = xlsx_bytes(tables)
    later = time.time() + 400 * 86400
    monkeypatch.setattr(time, "time", lambda: later)
    assert xlsx_bytes(tables) == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {ZIP_TIME}
        core = z.read("docProps/core.xml").decode()
    assert core.count(EPOCH.isoformat()) == 2  # created and modified
    props = openpyxl.load_workbook(io.BytesIO(first)).properties
    assert props.created == props.modified == EPOCH
