"""The result dict a report is rendered from: checking it, normalising it, and what it implies.

A report is a pure function of this dict (``Result.to_dict()``, or a ``result.json`` read
back), so ``consortium report result.json`` re-renders without solving.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem, UsageError
from ..instance import slugify  # noqa: F401  (re-exported)
from ..yamlsource import format_path, parse_yaml, read_text
from . import resultschema
from ..status import has_plan

# A budget or a fleet capacity "binds" when at least this share of it is used.
BINDING = 0.999

MAX_RESULT_BYTES = 256 * 1024 * 1024  # a result of 200 members x 1,000 workstreams is ~60 MB


def check(doc: Any, file: str = "result", text: str | None = None) -> None:
    """Raise InputError listing everything that keeps ``doc`` from being rendered
    (:mod:`.resultschema`), each at its key path (and line and column, given the file's ``text``)."""
    found = resultschema.problems(doc)
    if not found:
        return
    source = None
    if text is not None:
        try:
            source = parse_yaml(text, file)[1]  # JSON is YAML: the same reader gives positions
        except InputError:
            source = None
    if source is not None:
        raise InputError([source.problem(path, message) for path, message in found])
    lines = [f"{file}: {format_path(path)}: {message}" if path else f"{file}: {message}" for path, message in found]
    if len(lines) > 1:
        lines.append(f"{len(lines)} problems found")
    raise UsageError("\n".join(lines))


def sanitise(x: Any) -> Any:
    """JSON-safe copy: non-finite floats become null, tuples lists, keys strings."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): sanitise(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [sanitise(v) for v in x]
    if x is None or isinstance(x, (str, int, bool)):
        return x
    if hasattr(x, "item"):  # numpy scalar
        return sanitise(x.item())
    return str(x)


def solved(doc: dict) -> bool:
    return has_plan(doc["status"])


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
    out = json.loads(json.dumps(sanitise(doc), sort_keys=True, allow_nan=False))
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
    name = str(path)
    text = read_text(path, MAX_RESULT_BYTES, what="a result JSON file")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(name, exc.lineno, exc.colno, "", f"invalid JSON: {exc.msg}")]) from None
    except RecursionError:
        raise InputError([Problem(name, 1, 1, "", "invalid JSON: nested too deeply")]) from None
    check(doc, name, text)
    return doc


def default_out_dir(instance_name: str, design: str = "consortium") -> Path:
    """``reports/<instance-slug>/`` for the consortium design, ``reports/<slug>-<design>/`` otherwise."""
    slug = slugify(instance_name)
    return Path("reports") / (slug if design == "consortium" else f"{slug}-{slugify(design)}")
