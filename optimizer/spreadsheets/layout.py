"""The workbook layout of an instance (docs/spreadsheets.md): which sheets, which columns, and
what kind of value each column holds. Shared by ``consortium import`` and ``consortium export``."""
from __future__ import annotations

import re
from typing import Any

# kinds of cell
ID, TEXT, NUMBER, WHOLE, BOOL, LIST, PERIOD, PERIODS, YAML = (
    "id", "text", "number", "whole", "bool", "list", "period", "periods", "yaml")

SETTINGS = {  # settings sheet: key -> kind (other dotted keys are passed on as written)
    "name": TEXT, "description": TEXT, "units.compute": TEXT, "units.money": TEXT,
    "defaults.hours": NUMBER, "defaults.adoption": NUMBER, "defaults.price": NUMBER, "defaults.publish_lag": WHOLE,
    "objective": LIST, "horizon.periods": PERIODS, "horizon.hours": NUMBER,
}

BUDGET_PREFIX = "budget:"  # members: budget:<period> columns, a budget per period

COLUMNS: dict[str, dict[str, str]] = {  # sheet -> column -> kind; the first column is the row's id
    "accelerators": {"accelerator": ID, "throughput": NUMBER},
    "members": {"member": ID, "budget": NUMBER, "price": NUMBER, "publishes": BOOL},
    "fleets": {"member": ID, "accelerator": ID, "count": WHOLE},
    "due": {"member": ID, "workstream": ID, "due": PERIOD},
    "estimates": {"member": ID, "workstream": ID, "compute": NUMBER, "cost": NUMBER},
    "workstreams": {"workstream": ID, "compute": NUMBER, "accelerators": LIST, "min_accelerators": WHOLE,
                    "requires": LIST, "replicas": WHOLE, "adoption": NUMBER, "required": BOOL,
                    "duration": WHOLE, "release": PERIOD},
    "designs": {"design": ID, "sharing": TEXT, "adoption_factor": NUMBER, "members": LIST, "funding": TEXT,
                "objective": LIST, "overrides": YAML},
    "uncertainty": {"scope": TEXT, "id": ID, "quantity": TEXT, "low": NUMBER, "mode": NUMBER, "high": NUMBER,
                    "shared": BOOL},
}
NEEDS_LIST = {"member": ID, "workstream": ID, "due": PERIOD}  # needs as a long list (else a matrix)
SHEETS = ["settings", "accelerators", "members", "fleets", "needs", "due", "estimates", "workstreams", "designs",
          "uncertainty"]
REQUIRED_SHEETS = ["settings", "members", "workstreams"]
MAX_PERIODS = 10_000  # budget:<period> columns are matched against at most this many periods
SCOPES = ("workstreams", "members", "accelerators")  # uncertainty rows for one id; blank or 'all': every id

_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")
TRUE, FALSE = {"true", "yes", "1", "x"}, {"false", "no", "0"}


def number(value: Any) -> Any:
    """A number cell (or number-like text, as CSVs hold) as a number; anything else as it was, for
    the validator to name."""
    if isinstance(value, str):
        text = value.replace("_", "")
        if _INT.match(text):
            return int(text)
        if _FLOAT.match(text):
            return float(text)
    return value


def whole(value: Any) -> Any:
    value = number(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)  # a spreadsheet shows 2 for 2.0
    return value


def boolean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in TRUE | FALSE:
        return value.lower() in TRUE
    return value


def text(value: Any) -> str:
    """An id or label as text: 2027 typed as a number is '2027'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def items(value: Any) -> list[str]:
    """'a, b; c' -> ['a', 'b', 'c'] (commas or semicolons between ids)."""
    return [t.strip() for t in re.split(r"[,;]", text(value)) if t.strip()]


def periods(value: Any) -> Any:
    """horizon.periods: a count (a whole number) or labels ('2027-Q1, 2027-Q2')."""
    n = whole(value)
    return n if isinstance(n, int) and not isinstance(n, bool) else items(value)


def convert(kind: str, value: Any) -> Any:
    """A non-blank cell as the instance file holds it (YAML text is parsed by the importer)."""
    if kind in (NUMBER,):
        return number(value)
    if kind == WHOLE:
        return whole(value)
    if kind == BOOL:
        return boolean(value)
    if kind == LIST:
        return items(value)
    if kind == PERIODS:
        return periods(value)
    if kind in (ID, TEXT, PERIOD, YAML):
        return text(value)
    return number(value)  # a key the layout does not know: numbers as numbers, for the validator


def is_mark(value: Any) -> bool | None:
    """A needs-matrix cell: True for 1/x/yes/true, False for blank/0/no/false, None otherwise."""
    if value is None:
        return False
    b = boolean(value)
    return b if isinstance(b, bool) else None
