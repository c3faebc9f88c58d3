"""How every report writes a CSV: tidy tables, units in the column names, nothing a
spreadsheet would run.

Column names are documented in docs/reports.md; ``{cu}`` and ``{money}`` stand for the
instance's compute and money units made safe for a column name (``H100-hours``, ``USD``)
by :func:`unit_label`.
"""
from __future__ import annotations

import re

import pandas as pd


# OWASP's rule for CSV injection: a text cell starting with one of these is a formula (or
# starts one) in Excel, LibreOffice and Google Sheets. Ids, names and notes are free text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(value):
    """A text cell a spreadsheet would execute, with a ' in front; anything else unchanged
    (numbers are not text, so a negative number stays a number)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(df: pd.DataFrame) -> bytes:
    """``df`` as the reports' CSV (no index, '\n' line ends, UTF-8), every text cell and
    column name a spreadsheet would run as a formula prefixed with a single quote, and every
    cell holding a line break quoted."""
    out = df.rename(columns=_inert)
    for k in range(out.shape[1]):
        col = out.iloc[:, k]
        if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            cells = [_inert(v) for v in col]
            if any(a is not b for a, b in zip(cells, col)):
                # only the text changes: the column keeps its dtype, so None and numbers in an
                # object column are written exactly as before
                out.isetitem(k, pd.Series(cells, index=col.index, dtype=col.dtype))
    # The csv writer quotes a field holding a character of the line terminator, and no other
    # line break: with '\n' alone, a '\r' inside an id would go out unquoted and end the row in
    # a spreadsheet, starting a new (unprefixed) cell. So rows are written ending in '\r\n' and
    # then given '\n' ends; only the row ends are outside quotes (every '"' written is a quote
    # or half of a doubled one, so the text between them alternates outside and inside).
    text = out.to_csv(index=False, lineterminator="\r\n")
    parts = text.split('"')
    return '"'.join(p.replace("\r\n", "\n") if k % 2 == 0 else p for k, p in enumerate(parts)).encode("utf-8")


def unit_label(unit: str | None, fallback: str) -> str:
    """'H100-hours' -> 'H100-hours'; 'compute units' -> 'compute-units'; '' -> fallback."""
    label = re.sub(r"[^A-Za-z0-9.+-]+", "-", unit or "").strip("-")
    return label or fallback


def unit_labels(units: dict) -> tuple[str, str]:
    """The compute and the money unit of ``units`` as column-name suffixes."""
    return unit_label(units.get("compute"), "compute-units"), unit_label(units.get("money"), "money")


def with_unit(names, unit: str) -> dict[str, str]:
    """{name: name_<unit>}: the renaming that puts a unit into column names."""
    return {name: f"{name}_{unit}" for name in names}
