"""How every report (and ``consortium export``) writes an .xlsx workbook: one sheet per table,
the table's columns (units in the names, as in the CSVs), numbers as numbers, text as text, a
frozen header row, and the same bytes for the same tables.

openpyxl stamps a workbook with the time it was saved (``docProps/core.xml``) and every zip entry
with the time it was written; both are fixed here, so a report directory regenerated from the
same result is byte-identical, xlsx included.
"""
from __future__ import annotations

import datetime
import io
import math
import re
import zipfile
from typing import Any, Mapping

import pandas as pd

EPOCH = datetime.datetime(2000, 1, 1)  # the workbook's created/modified stamp (any fixed time)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
MAX_WIDTH = 60  # characters: a column is as wide as its widest cell, up to this
MAX_TEXT = 32_767  # characters a spreadsheet cell can hold
# characters XML 1.0 (and so an .xlsx cell) cannot hold; tab, line feed and carriage return it can
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str) -> str:
    """A table's name as a sheet name: 'runs.csv' -> 'runs' (at most 31 characters, none of []:*?/\\)."""
    stem = name[:-4] if name.endswith(".csv") else name
    return _BAD_SHEET_CHARS.sub("_", stem)[:31] or "sheet"


def cell_value(value: Any) -> Any:
    """A table cell as an xlsx cell: None for a missing value (also NaN), Python numbers and bools,
    text for anything else (text a spreadsheet cannot hold is made safe)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar -> Python
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else float(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    text = _ILLEGAL.sub("\ufffd", str(value))
    return text[:MAX_TEXT]


def _fill(ws, df: pd.DataFrame) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    widths = [len(str(c)) for c in df.columns]
    for k, name in enumerate(df.columns, start=1):
        cell = ws.cell(row=1, column=k, value=cell_value(str(name)))
        cell.data_type = "s"
        cell.font = bold
    for r, row in enumerate(df.itertuples(index=False, name=None), start=2):
        for k, raw in enumerate(row, start=1):
            value = cell_value(raw)
            if value is None:
                continue
            cell = ws.cell(row=r, column=k, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula: '=SUM(A1)' as an id stays that text
                widths[k - 1] = max(widths[k - 1], len(value))
            else:
                widths[k - 1] = max(widths[k - 1], len(str(value)))
    ws.freeze_panes = "A2"
    for k, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(k)].width = min(MAX_WIDTH, width + 2)


def xlsx_bytes(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """The workbook of ``tables`` ({table name: frame}, in sheet order), as deterministic bytes."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    if not tables:
        raise ValueError("a workbook needs at least one table")
    wb = Workbook()
    wb.remove(wb.active)
    for name, df in tables.items():
        _fill(wb.create_sheet(sheet_name(name)), df)
    wb.properties.creator = "consortium-optimizer"
    wb.properties.created = wb.properties.modified = EPOCH
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        # openpyxl's save_workbook would stamp `modified` with the current time; its writer does not
        ExcelWriter(wb, archive).save()
    return _fixed_times(raw.getvalue())


def _fixed_times(data: bytes) -> bytes:
    """The same zip with every entry's time (and attributes) fixed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()
