"""Tidy CSV tables of a result: one row per entity, units in the column names.

Column names are documented in docs/reports.md; ``{cu}`` and ``{money}`` stand for the
instance's compute and money units made safe for a column name (``H100-hours``, ``USD``),
``{type}`` for an accelerator type. Every CSV the reports write goes through
:func:`csv_bytes`, which neutralises cells a spreadsheet would run as a formula.
"""
from __future__ import annotations

import re

import pandas as pd

from .resultdoc import solved


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


def units_of(doc: dict) -> tuple[str, str]:
    units = doc.get("units") or {}
    return unit_label(units.get("compute"), "compute-units"), unit_label(units.get("money"), "money")


def _round(x: float | None) -> float | None:
    if x is None:
        return None
    r = round(float(x), 6)
    return 0.0 if r == 0 else r


def _join(items) -> str:
    return "; ".join(items)


def fleet_types(doc: dict) -> list[str]:
    return list(dict.fromkeys(f["accelerator"] for f in doc.get("fleets") or []))


def run_columns(doc: dict) -> list[str]:
    cu, money = units_of(doc)
    return ["member", "workstream", "accelerator", f"compute_{cu}", f"cost_{money}"]


def adoption_columns(doc: dict) -> list[str]:
    cu, money = units_of(doc)
    return ["member", "workstream", f"compute_{cu}", f"cost_{money}"]


def member_columns(doc: dict) -> list[str]:
    cu, money = units_of(doc)
    return (["member", "needs", f"budget_{money}", f"spent_{money}", "budget_utilisation_fraction",
             "budget_binding", f"paid_for_runs_{money}", f"standalone_compute_{cu}", f"run_compute_{cu}",
             f"adoption_compute_{cu}", "runs", "adopts"]
            + [f"fleet_{h}_utilisation_fraction" for h in fleet_types(doc)])


def workstream_columns(doc: dict) -> list[str]:
    cu, _ = units_of(doc)
    return ["workstream", "needed_by", "runs", "replicas", "required", "run_by", "adopted_by",
            f"run_compute_{cu}", f"adoption_compute_{cu}", f"duplicated_compute_{cu}"]


FLEET_COLUMNS = ["member", "accelerator", "capacity_accelerator-hours", "used_accelerator-hours",
                 "utilisation_fraction", "binding"]


def runs_table(doc: dict) -> pd.DataFrame:
    rows = [[r["member"], r["workstream"], r["accelerator"], r["compute"], r["cost"]] for r in doc["runs"]]
    return pd.DataFrame(rows, columns=run_columns(doc), dtype=object)


def adoptions_table(doc: dict) -> pd.DataFrame:
    rows = [[a["member"], a["workstream"], a["compute"], a["cost"]] for a in doc["adoptions"]]
    return pd.DataFrame(rows, columns=adoption_columns(doc), dtype=object)


def members_table(doc: dict) -> pd.DataFrame:
    has_plan = solved(doc)
    needs = doc.get("needs") or {}
    util = {(f["member"], f["accelerator"]): f.get("utilisation") for f in doc.get("fleets") or []}
    rows = []
    for m in doc["members"]:
        i = m["member"]
        ran = [r for r in doc["runs"] if r["member"] == i]
        got = [a for a in doc["adoptions"] if a["member"] == i]
        bound = i in doc["binding"]["budgets"] if has_plan else None
        rows.append(
            [i, _join(needs.get(i, [])), m.get("budget"), m.get("spent"), m.get("budget_utilisation"), bound,
             m.get("paid_for_runs"), m.get("standalone_compute"),
             _round(sum(r["compute"] for r in ran)) if has_plan else None,
             _round(sum(a["compute"] for a in got)) if has_plan else None,
             _join(r["workstream"] for r in ran), _join(a["workstream"] for a in got)]
            + [util.get((i, h)) for h in fleet_types(doc)])
    return pd.DataFrame(rows, columns=member_columns(doc), dtype=object)


def workstreams_table(doc: dict) -> pd.DataFrame:
    rows = [[w["workstream"], w.get("needed_by", ""), w.get("runs"), w.get("replicas"), w.get("required"),
             w.get("run_by", ""), w.get("adopted_by", ""), w.get("run_compute"), w.get("adoption_compute"),
             w.get("duplicated_compute")] for w in doc.get("workstreams") or []]
    return pd.DataFrame(rows, columns=workstream_columns(doc), dtype=object)


def fleets_table(doc: dict) -> pd.DataFrame:
    binds = {(f["member"], f["accelerator"]) for f in doc["binding"]["fleets"]}
    rows = [[f["member"], f["accelerator"], f["capacity_hours"], f["used_hours"], f.get("utilisation"),
             (f["member"], f["accelerator"]) in binds]
            for f in (doc.get("fleets") or [])] if solved(doc) else []
    return pd.DataFrame(rows, columns=FLEET_COLUMNS, dtype=object)


TABLES = {
    "runs.csv": runs_table,
    "adoptions.csv": adoptions_table,
    "members.csv": members_table,
    "workstreams.csv": workstreams_table,
    "fleets.csv": fleets_table,
}
