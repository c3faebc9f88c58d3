"""The result dict a report is rendered from: checking it, normalising it, and what it implies.

A report is a pure function of this dict (``Result.to_dict()``, or a ``result.json`` read
back), so ``consortium report result.json`` re-renders without solving.
"""
from __future__ import annotations

import json
import math
import unicodedata
import re
from pathlib import Path
from typing import Any

from ..instance import slugify  # noqa: F401  (re-exported)
from ..errors import InputError, Problem, UsageError

# A budget or a fleet capacity "binds" when at least this share of it is used.
BINDING = 0.999

STATUSES = ("optimal", "feasible", "infeasible", "no_solution")
OBJECTIVE_NAMES = ("compute", "money")
FIGURES = ("objective", "mip_gap", "total_compute", "adoption_compute", "duplicated_compute",
           "silo_compute", "savings")
REQUIRED = ("instance", "design", "status", *FIGURES, "runs", "adoptions", "members")
RECORD_KEYS = {
    "runs": ("member", "workstream", "accelerator", "compute", "cost"),
    "adoptions": ("member", "workstream", "compute", "cost"),
    "members": ("member", "budget", "spent", "standalone_compute"),
    "workstreams": ("workstream",),
    "fleets": ("member", "accelerator", "capacity_hours", "used_hours", "utilisation"),
}


def _number_or_null(x: Any) -> bool:
    return x is None or (isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x))


def _fail(file: str, problems: list[tuple[str, str]]) -> UsageError:
    """An InputError (UsageError: no line/column to show) naming every problem at once."""
    lines = [f"{file}: {path}: {msg}" if path else f"{file}: {msg}" for path, msg in problems]
    if len(lines) > 1:
        lines.append(f"{len(lines)} problems found")
    return UsageError("\n".join(lines))


def check(doc: Any, file: str = "result") -> None:
    """Raise InputError listing everything that keeps ``doc`` from being rendered."""
    def problem(path: str, msg: str) -> tuple[str, str]:
        return (path, msg)

    if not isinstance(doc, dict):
        raise _fail(file, [problem("", f"expected a JSON object (a result), got {type(doc).__name__}")])
    problems = []
    missing = [k for k in REQUIRED if k not in doc]
    if missing:
        problems.append(problem("", "not a consortium result: missing key(s) " + ", ".join(missing)))
    for k in ("instance", "design"):
        if k in doc and not isinstance(doc[k], str):
            problems.append(problem(k, "expected a string"))
    if "status" in doc and doc["status"] not in STATUSES:
        problems.append(problem("status", f"expected one of {', '.join(STATUSES)}, got {doc['status']!r}"))
    for k in FIGURES:
        if k in doc and not _number_or_null(doc[k]):
            problems.append(problem(k, f"expected a number or null, got {doc[k]!r}"))
    for table, keys in RECORD_KEYS.items():
        if table not in doc:
            continue
        rows = doc[table]
        if not isinstance(rows, list):
            problems.append(problem(table, "expected a list of records"))
            continue
        for n, row in enumerate(rows):
            if not isinstance(row, dict):
                problems.append(problem(f"{table}[{n}]", "expected an object"))
                continue
            lacking = [k for k in keys if k not in row]
            if lacking:
                problems.append(problem(f"{table}[{n}]", "missing key(s) " + ", ".join(lacking)))
    if "total_money" in doc and not _number_or_null(doc["total_money"]):
        problems.append(problem("total_money", f"expected a number or null, got {doc['total_money']!r}"))
    if "unique" in doc and doc["unique"] not in (True, False, None):
        problems.append(problem("unique", f"expected true, false or null, got {doc['unique']!r}"))
    objectives = doc.get("objectives")
    if objectives is not None and not (isinstance(objectives, dict) and all(
            k in OBJECTIVE_NAMES and _number_or_null(v) for k, v in objectives.items())):
        problems.append(problem("objectives", "expected an object mapping compute/money to numbers or null"))
    alternative = doc.get("alternative")
    if alternative is not None and not (isinstance(alternative, dict) and all(
            isinstance(v, list) and all(isinstance(r, dict) for r in v) for v in alternative.values())):
        problems.append(problem("alternative", "expected an object of lists of records"))
    for k, kind in (("units", dict), ("needs", dict), ("solver", dict), ("model", dict),
                    ("member_ids", list), ("workstream_ids", list), ("standalone_infeasible", list),
                    ("diagnosis", list)):
        if k in doc and doc[k] is not None and not isinstance(doc[k], kind):
            problems.append(problem(k, f"expected {'an object' if kind is dict else 'a list'}"))
    if problems:
        raise _fail(file, problems)


def _sanitise(x: Any) -> Any:
    """JSON-safe copy: non-finite floats become null, tuples lists, keys strings."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): _sanitise(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_sanitise(v) for v in x]
    if x is None or isinstance(x, (str, int, bool)):
        return x
    if hasattr(x, "item"):  # numpy scalar
        return _sanitise(x.item())
    return str(x)


def solved(doc: dict) -> bool:
    return doc["status"] in ("optimal", "feasible")


def binding(doc: dict) -> dict[str, list]:
    """Budgets and fleet capacities used to at least BINDING of their size (only with a plan).

    A zero budget binds whenever the member spends nothing (it cannot spend anything).
    """
    if not solved(doc):
        return {"budgets": [], "fleets": []}
    budgets = [m["member"] for m in doc["members"]
               if m.get("spent") is not None and m.get("budget") is not None
               and m["spent"] >= BINDING * m["budget"]]
    fleets = [{"member": f["member"], "accelerator": f["accelerator"]} for f in doc.get("fleets") or []
              if f.get("utilisation") is not None and f["utilisation"] >= BINDING]
    return {"budgets": budgets, "fleets": fleets}


def normalise(doc: dict) -> dict:
    """The dict a report is written from, and the exact content of its ``result.json``.

    Adds ``tool_version`` (kept if already there, so re-rendering a result keeps the version
    that produced it) and ``binding`` (always recomputed). Idempotent.
    """
    from .. import __version__
    check(doc)
    # Keys sorted at every level, exactly as result.json stores them: rendering must not depend
    # on whether the dict came from Result.to_dict() or from a result.json read back.
    out = json.loads(json.dumps(_sanitise(doc), sort_keys=True, allow_nan=False))
    out.setdefault("tool_version", __version__)
    for key in ("runs", "adoptions", "members", "workstreams", "fleets", "member_ids", "workstream_ids",
                "standalone_infeasible"):
        if out.get(key) is None:
            out[key] = []
    for key in ("units", "needs", "solver", "model"):
        if out.get(key) is None:
            out[key] = {}
    if not out["member_ids"]:
        out["member_ids"] = [m["member"] for m in out["members"]]
    if not out["workstream_ids"]:
        seen = [r["workstream"] for t in ("workstreams", "runs", "adoptions") for r in out[t]]
        out["workstream_ids"] = list(dict.fromkeys(seen))
    out["binding"] = binding(out)
    return out


def load_result_json(path: str | Path) -> dict:
    """Read a result written by ``consortium solve --json`` or a report's ``result.json``."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{name}: is a directory, expected a result JSON file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{name}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise UsageError(f"{name}: cannot read: {exc.strerror or exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(name, exc.lineno, exc.colno, "", f"invalid JSON: {exc.msg}")]) from None
    check(doc, name)
    return doc




def default_out_dir(instance_name: str, design: str = "consortium") -> Path:
    """``reports/<instance-slug>/`` for the consortium design, ``reports/<slug>-<design>/`` otherwise."""
    slug = slugify(instance_name)
    return Path("reports") / (slug if design == "consortium" else f"{slug}-{slugify(design)}")
