"""The field types of every typed result (plan, comparison, cost sharing, sweep) and how a
result read back from JSON is checked: by the same pydantic class that wrote it.

Numbers are finite JSON numbers (never strings, booleans or NaN), ids are strings, tables are
lists of records. Keys we do not know are allowed in records read back (a newer version may
add some) and kept; every key the reports read is typed.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict

Number = Annotated[float, pydantic.Strict(), pydantic.AllowInfNan(False)]
Count = Annotated[int, pydantic.Strict(), pydantic.Field(ge=0)]
Text = Annotated[str, pydantic.Strict()]
Flag = Annotated[bool, pydantic.Strict()]


class Record(BaseModel):
    """A row or document of a result; unknown keys are kept."""
    model_config = ConfigDict(extra="allow")


_EXPECTED = {
    "float_type": "a number", "float_parsing": "a number", "finite_number": "a finite number",
    "string_type": "a string", "int_type": "a whole number", "bool_type": "true or false",
    "list_type": "a list", "dict_type": "an object", "model_type": "an object",
    "literal_error": None, "greater_than_equal": "a number >= 0",
}


def problems(model: type[BaseModel], doc: Any, what: str = "consortium result") -> list[tuple[tuple, str]]:
    """(key path, what was expected) for everything that keeps ``doc`` from being a ``model``."""
    if not isinstance(doc, dict):
        return [((), f"expected a JSON object (a result), got {type(doc).__name__}")]
    try:
        model.model_validate(doc)
    except pydantic.ValidationError as exc:
        out, seen = [], set()
        for err in exc.errors():
            path = _loc(tuple(err["loc"]))
            if path in seen:  # a union (number | null) reports each branch; the first says it
                continue
            seen.add(path)
            if err["type"] == "missing":
                out.append((path[:-1], f"missing key {path[-1]!r}"))
                continue
            if err["type"] == "value_error":      # a validator's own message
                out.append((path, str(err["ctx"]["error"])))
                continue
            expected = _EXPECTED.get(err["type"]) or err["msg"].replace("Input should be", "expected").strip()
            message = expected if expected.startswith("expected") else f"expected {expected}"
            out.append((path, f"{message}, got {err.get('input')!r:.60}"))
        missing = sorted(m.split("'")[1] for p, m in out if p == () and m.startswith("missing key"))
        if len(missing) >= 3:  # most likely not a result at all: say so once
            out = [p for p in out if not (p[0] == () and p[1].startswith("missing key"))]
            out.append(((), f"not a {what}: missing keys " + ", ".join(missing)))
        return sorted(set(out), key=lambda p: [str(x) for x in p[0]])
    return []


def _loc(loc: tuple) -> tuple:
    """pydantic's location without the union branch names ('float', 'none', 'list[...]')."""
    return tuple(p for p in loc if isinstance(p, int) or not (p in ("float", "none", "int", "str", "bool")
                                                           or "[" in p or p.startswith(("constrained", "literal"))))


Doc = TypeVar("Doc", bound=BaseModel)


def validated(model: type[Doc], doc: Any, file: str = "result", text: str | None = None) -> Doc:
    """``doc`` as a ``model``, or InputError listing everything that keeps it from being one, each
    at its key path (and line and column, given the file's ``text``)."""
    from .errors import InputError, UsageError
    from .yamlsource import format_path, parse_yaml
    found = problems(model, doc)
    if not found:
        return model.model_validate(doc)
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


def read_json(model: type[Doc], path: str | Path, max_bytes: int, what: str) -> Doc:
    """A JSON file read back as a ``model`` (at most ``max_bytes``), every problem positioned."""
    from .errors import InputError, Problem
    from .yamlsource import read_text
    name = str(path)
    text = read_text(path, max_bytes, what=what)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(name, exc.lineno, exc.colno, "", f"invalid JSON: {exc.msg}")]) from None
    except RecursionError:
        raise InputError([Problem(name, 1, 1, "", "invalid JSON: nested too deeply")]) from None
    return validated(model, doc, name, text)
