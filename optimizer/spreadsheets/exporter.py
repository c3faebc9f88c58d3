"""An instance -> the tables of its workbook, in the layout ``consortium import`` reads
(docs/spreadsheets.md): every key the file sets, nothing it leaves to a default."""
from __future__ import annotations

from typing import Any

import pandas as pd

from ..instance import Instance
from . import layout as L
from .yamltext import flow_yaml


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(L.text(v) for v in value)
    return value


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """Rows as a table with ``columns``, less the optional columns no row fills (the first is kept)."""
    used = [c for k, c in enumerate(columns) if k == 0 or any(r.get(c) is not None for r in rows)]
    return pd.DataFrame([[_cell(r.get(c)) for c in used] for r in rows], columns=used, dtype=object)


def _settings(doc: dict) -> pd.DataFrame:
    rows = []
    for key in L.SETTINGS:
        value: Any = doc
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            rows.append({"key": key, "value": value})
    return _frame(rows, ["key", "value"])


def _members(doc: dict, labels: list[str]) -> dict[str, pd.DataFrame]:
    members, fleets, needs, due, estimates = [], [], [], [], []
    per_period = [L.BUDGET_PREFIX + p for p in labels]
    for i, m in doc["members"].items():
        row = {"member": i, "price": m.get("price"), "publishes": m.get("publishes")}
        if isinstance(m["budget"], list):
            row.update(zip(per_period, m["budget"]))
        else:
            row["budget"] = m["budget"]
        members.append(row)
        if m.get("fleet") == {}:
            fleets.append({"member": i})
        fleets += [{"member": i, "accelerator": h, "count": n} for h, n in (m.get("fleet") or {}).items()]
        wanted = set(m.get("needs", []))
        needs.append({"member": i, **{w: 1 for w in doc["workstreams"] if w in wanted}})
        due += [{"member": i, "workstream": w, "due": L.text(p)} for w, p in (m.get("due") or {}).items()]
        estimates += [{"member": i, "workstream": w, **e} for w, e in (m.get("estimates") or {}).items()]
    out = {"members": _frame(members, ["member", "budget", *per_period, "price", "publishes"]),
           "fleets": _frame(fleets, list(L.COLUMNS["fleets"])),
           "needs": pd.DataFrame([[r["member"]] + [r.get(w) for w in doc["workstreams"]] for r in needs],
                                 columns=["member", *doc["workstreams"]], dtype=object),
           "due": _frame(due, list(L.COLUMNS["due"])),
           "estimates": _frame(estimates, list(L.COLUMNS["estimates"]))}
    return {k: v for k, v in out.items() if k in ("members", "needs") or len(v)}


def _entities(section: dict, sheet: str) -> pd.DataFrame:
    columns = list(L.COLUMNS[sheet])
    rows = []
    for ident, spec in section.items():
        row = {columns[0]: ident}
        for key, value in spec.items():
            if L.COLUMNS[sheet].get(key) == L.YAML:
                value = flow_yaml(value)
            elif L.COLUMNS[sheet].get(key) == L.PERIOD:
                value = L.text(value)
            row[key] = value
        rows.append(row)
    return _frame(rows, columns)


def _uncertainty(unc: dict) -> pd.DataFrame:
    rows = []
    for quantity, dist in unc.items():
        if quantity not in L.SCOPES:
            rows.append({"scope": "all", "quantity": quantity, **dist})
    for scope in L.SCOPES:
        for ident, quantities in (unc.get(scope) or {}).items():
            rows += [{"scope": scope, "id": ident, "quantity": q, **dist} for q, dist in quantities.items()]
    return _frame(rows, ["scope", "id", "quantity", "low", "mode", "high", "shared"])


def tables(inst: Instance) -> dict[str, pd.DataFrame]:
    """{sheet: table} of ``inst`` in the import layout, sheets in the layout's order."""
    doc = inst.spec.model_dump(exclude_unset=True, mode="python")
    labels = inst.spec.horizon.labels if inst.spec.horizon is not None else []
    out = {"settings": _settings(doc)}
    if doc.get("accelerators"):
        out["accelerators"] = _entities(doc["accelerators"], "accelerators")
    out.update(_members(doc, labels))
    out["workstreams"] = _entities(doc["workstreams"], "workstreams")
    if doc.get("designs"):
        out["designs"] = _entities(doc["designs"], "designs")
    if doc.get("uncertainty"):
        out["uncertainty"] = _uncertainty(doc["uncertainty"])
    return {name: out[name] for name in L.SHEETS if name in out}
