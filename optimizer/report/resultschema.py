"""The schema of a result document (``Result.to_dict()``, ``solve --json``, a report's result.json).

``consortium report`` renders whatever result.json it is given, so a file edited by hand or by
another tool is checked here first, field by field and type by type: numbers are finite JSON
numbers (never strings, booleans or NaN), ids are strings, tables are lists of records. Keys we
do not know are allowed (a newer version may add some); every key the reports read is typed.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict

from ..status import Status

Number = Annotated[float, pydantic.Strict(), pydantic.AllowInfNan(False)]
Count = Annotated[int, pydantic.Strict(), pydantic.Field(ge=0)]
Text = Annotated[str, pydantic.Strict()]
Flag = Annotated[bool, pydantic.Strict()]
ObjectiveName = Literal["compute", "money"]


class Record(BaseModel):
    model_config = ConfigDict(extra="allow")


class Run(Record):
    member: Text
    workstream: Text
    accelerator: Text
    compute: Number
    cost: Number


class Adoption(Record):
    member: Text
    workstream: Text
    compute: Number
    cost: Number


class MemberRow(Record):
    member: Text
    budget: Number
    spent: Number | None
    standalone_compute: Number | None
    budget_utilisation: Number | None = None
    paid_for_runs: Number | None = None


class WorkstreamRow(Record):
    workstream: Text
    runs: Count | None = None
    run_by: Text | None = None
    adopted_by: Text | None = None
    needed_by: Text | None = None
    run_compute: Number | None = None
    adoption_compute: Number | None = None
    duplicated_compute: Number | None = None
    replicas: Count | None = None
    required: Flag | None = None


class FleetRow(Record):
    member: Text
    accelerator: Text
    capacity_hours: Number | None
    used_hours: Number | None
    utilisation: Number | None


class Finding(Record):
    """A diagnosis finding; other tools may write bare strings or records with a message only."""

    message: Text
    kind: Text | None = None
    member: Text | None = None
    workstream: Text | None = None
    resource: Text | None = None
    amount: Number | None = None
    unit: Text | None = None


class ResultDoc(Record):
    instance: Text
    design: Text
    status: Status
    objective: Number | None
    mip_gap: Number | None
    total_compute: Number | None
    adoption_compute: Number | None
    duplicated_compute: Number | None
    silo_compute: Number | None
    savings: Number | None
    runs: list[Run]
    adoptions: list[Adoption]
    members: list[MemberRow]
    total_money: Number | None = None
    objectives: dict[ObjectiveName, Number | None] | None = None
    objective_order: list[ObjectiveName] | None = None
    unique: Flag | None = None
    alternative: dict[Text, list[dict[Text, Any]]] | None = None
    workstreams: list[WorkstreamRow] | None = None
    fleets: list[FleetRow] | None = None
    diagnosis: list[Text | Finding] | None = None
    units: dict[Text, Text] | None = None
    member_ids: list[Text] | None = None
    workstream_ids: list[Text] | None = None
    needs: dict[Text, list[Text]] | None = None
    standalone_infeasible: list[Text] | None = None
    model: dict[Text, Count] | None = None
    solver: dict[Text, Any] | None = None
    instance_hash: Text | None = None
    instance_slug: Text | None = None
    tool_version: Text | None = None


_EXPECTED = {
    "float_type": "a number", "float_parsing": "a number", "finite_number": "a finite number",
    "string_type": "a string", "int_type": "a whole number", "bool_type": "true or false",
    "list_type": "a list", "dict_type": "an object", "model_type": "an object",
"literal_error": None, "greater_than_equal": "a number >= 0",
}


def problems(doc: Any) -> list[tuple[tuple, str]]:
    """(key path, what was expected) for everything that keeps ``doc`` from being a result."""
    if not isinstance(doc, dict):
        return [((), f"expected a JSON object (a result), got {type(doc).__name__}")]
    try:
        ResultDoc.model_validate(doc)
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
            expected = _EXPECTED.get(err["type"]) or err["msg"].replace("Input should be", "expected").strip()
            message = expected if expected.startswith("expected") else f"expected {expected}"
            out.append((path, f"{message}, got {err.get('input')!r:.60}"))
        missing = sorted(m.split("'")[1] for p, m in out if p == () and m.startswith("missing key"))
        if len(missing) >= 3:  # most likely not a result at all: say so once
            out = [p for p in out if not (p[0] == () and p[1].startswith("missing key"))]
            out.append(((), "not a consortium result: missing keys " + ", ".join(missing)))
        return sorted(set(out), key=lambda p: [str(x) for x in p[0]])
    return []


def _loc(loc: tuple) -> tuple:
    """pydantic's location without the union branch names ('float', 'none', 'list[...]')."""
    return tuple(p for p in loc if isinstance(p, int) or not (p in ("float", "none", "int", "str", "bool")
                                                           or "[" in p or p.startswith(("constrained", "literal"))))
