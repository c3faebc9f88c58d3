"""The instance format's reference, generated from :mod:`optimizer.schema` (nothing written twice):

- :func:`json_schema`: a JSON Schema (draft 2020-12) of instance files, which `consortium schema`
  prints, for editors (the YAML language server completes and checks files against it);
- :func:`markdown`: docs/instance-format.md, every key with its type, default, unit, meaning and
  an example (`consortium schema --markdown`; a test checks the committed file equals it).

The schema checks shapes, types and ranges, as pydantic does; the cross-references (ids that
must exist, cycles, periods, keys that need a horizon) are `consortium validate`'s.
"""
from __future__ import annotations

import copy
import math
from typing import Any

import yaml
from pydantic.json_schema import GenerateJsonSchema

from .schema import InstanceFile
from .validate import PRICE_BAND, SLOW_THROUGHPUT

DIALECT = "https://json-schema.org/draft/2020-12/schema"
TITLE = "consortium-optimizer instance file"


class _AsWritten(GenerateJsonSchema):
    """Keys in the order they are generated: examples keep the order they are written in."""

    def sort(self, value, parent_key=None):
        return value


def json_schema() -> dict:
    """The JSON Schema of an instance file: pydantic's, with the dialect named, without the
    per-key titles pydantic makes up ("Min Accelerators"), and without ``default: null`` where
    the default is derived from another key (``x-default`` says which)."""
    generated = copy.deepcopy(InstanceFile.model_json_schema(schema_generator=_AsWritten))
    _tidy(generated)
    defs = generated.pop("$defs")
    return {"$schema": DIALECT, "title": TITLE, **{k: v for k, v in generated.items() if k != "title"},
            "$defs": defs}


def _tidy(node: Any) -> None:
    if isinstance(node, dict):
        for prop in node.get("properties", {}).values():
            prop.pop("title", None)
            if "x-default" in prop and prop.get("default", 0) is None:
                del prop["default"]
            if isinstance(prop.get("default"), dict):  # a section's defaults: not its unset keys
                prop["default"] = {k: v for k, v in prop["default"].items() if v is not None}
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)


# --- docs/instance-format.md -------------------------------------------------------------------

INTRO = """\
# Instance file format

<!-- Generated from optimizer/schema.py by `consortium schema --markdown`; do not edit.
     tests/test_instance_format.py checks that this file equals the generated text. -->

An instance file is YAML (UTF-8). This page lists every key with its type, default, unit,
meaning and an example; the binding definition is the project's contract (`model.md` of the
consortium spec, v2, kept outside this repository); [model.md](model.md) states the model in
this project's words.

**In an editor.** `consortium schema > instance.schema.json` writes the same reference as a JSON
Schema (draft 2020-12). With the YAML language server (VS Code's YAML extension, and others),
a first line `# yaml-language-server: $schema=instance.schema.json` gives completion, hover
documentation and checks while typing.

**What the schema does not check.** It checks shapes, types and ranges, exactly as the tool's own
validation does. `consortium validate FILE` checks all of that and also what refers to something
else, each problem with its line and column: ids that must exist (needs, requires, estimates,
fleets, a workstream's accelerators, a design's members), `requires` without cycles, no id listed
twice, ids of one section that differ only in case, unique period labels, releases and dues that
name a period, dues only on needs, one budget amount per period, durations that fit the horizon,
horizon-only keys (`duration`, `release`, `due`, `defaults.publish_lag`, a budget list, objective
`time`) only with a `horizon:`, design names other than the built-in `consortium` and `silo`, each
design's `overrides` (validated merged into the instance), and figures too far apart to solve in
one unit. Unknown keys are errors everywhere (with a did-you-mean hint), and values are not
converted: `"1024"` is not a number and `1` is not `true`.

**Units.** Compute and money are in units of your choice, named under `units:` (labels only:
no figure is converted). Every compute figure (a workstream's `compute`, estimates, what an
accelerator delivers per hour) is in the compute unit, every money figure (budgets, prices,
costs) in the money unit. With compute in H100-hours, the H100's `throughput` is 1.0 and
another type's is its speed relative to an H100.

## Prices

`price` (a member's, and `defaults.price`) is **money per compute unit**: per H100-hour
equivalent when compute is in H100-hours, whatever accelerator the member owns. A run costs
`compute x price` (unless an estimate gives its `cost`), an adoption its adoption share of that.
A price per accelerator-hour converts by the accelerator's throughput:

    price per compute unit = price per accelerator-hour / throughput

An H20 lab whose H20-hour costs 1.50 USD, with `throughput: 0.15` (H100-hours per H20-hour),
writes `price: 10.0` (1.50 / 0.15): each H100-hour of work takes 6.7 H20-hours. Typing 1.50
would make its costs 6.7 times too low.

Every command warns (on stderr; `validate` prints it as a note, and the API has it in
`Instance.warnings`) when a price looks like that mistake. The check, for a member with a fleet:

- every accelerator type it owns (count above 0) has a throughput below {slow}, so a price per
  accelerator-hour typed as a price per compute unit would be at least 2 times too low; and
- its price (its own, or `defaults.price` when it sets none) is within {band} of the reference price
  per compute unit: the median price of the members that rent or own an accelerator with a
  throughput of at least {slow} (or `defaults.price` when there are none), that is, about what a
  fast accelerator-hour costs.

A price per compute unit on slow hardware is normally well above that reference (slow
accelerators rent for more than their throughput's share of an H100-hour), so a price close to
it usually is a price per accelerator-hour. The warning is not an error: the instance solves as
written. Prices set only in a design's `overrides` are not checked.
"""

OUTRO = """\
## A small complete instance

```yaml
name: Two labs share an eval suite
units: {compute: H100-hours, money: USD}
accelerators:
  H100: {throughput: 1.0}
members:
  lab-a: {budget: 100000, fleet: {H100: 8}, needs: [eval-suite]}
  lab-b: {budget: 50000, needs: [eval-suite]}
workstreams:
  eval-suite: {compute: 10000, adoption: 0.12}
designs:
  forks: {adoption_factor: 3}
```
"""
EXAMPLE = OUTRO.split("```yaml\n", 1)[1].split("```", 1)[0]  # tests validate it


def markdown() -> str:
    """docs/instance-format.md: the intro, one table per section of the file, an example."""
    schema = json_schema()
    defs = schema["$defs"]
    sections: list[tuple[str, str, dict, list[str]]] = []  # (prefix, title, schema, other prefixes)
    where: dict[str, list[str]] = {}  # def name -> every prefix it appears at

    def visit(prefix: str, node: dict) -> None:
        for name, prop in node.get("properties", {}).items():
            path = f"{prefix}.{name}" if prefix else name
            ref, keyed = _model_ref(prop)
            if ref is None:
                continue
            child = f"{path}.<{_placeholder(prop)}>" if keyed else path
            first = ref not in where
            where.setdefault(ref, []).append(child)
            if first:
                sections.append((child, defs[ref].get("title", ref), defs[ref], where[ref]))
                visit(child, defs[ref])

    sections.append(("", "Top level", schema, [""]))
    visit("", schema)
    out = [INTRO.format(slow=SLOW_THROUGHPUT, band=f"{PRICE_BAND:.0%}")]
    for prefix, title, node, prefixes in sections:
        heading = "The top level" if not prefix else f"`{prefix}`"
        if len(prefixes) > 1:
            heading = f"{title}: " + ", ".join(f"`{p}`" for p in prefixes)
        out.append(f"## {heading}\n")
        if node.get("description") and prefix:
            out.append(node["description"] + "\n")
        shown = prefixes[0] if len(prefixes) == 1 else f"<{title.lower()}>"
        out.append(_table(shown, node))
    out.append(OUTRO)
    return "\n".join(out)


def _model_ref(prop: dict) -> tuple[str | None, bool]:
    """(the $defs name of the mapping this key holds, whether it is a mapping of ids to them)."""
    for option in [prop] + prop.get("anyOf", []):
        if "$ref" in option:
            return option["$ref"].rsplit("/", 1)[1], False
        inner = option.get("additionalProperties")
        if isinstance(inner, dict) and "$ref" in inner:
            return inner["$ref"].rsplit("/", 1)[1], True
    return None, False


def _placeholder(prop: dict) -> str:
    return prop.get("x-keys", "id").split(" (")[0].replace(" ", "-")


def _table(prefix: str, node: dict) -> str:
    rows = ["| key | type | default | unit | meaning | example |", "|---|---|---|---|---|---|"]
    required = set(node.get("required", []))
    for name, prop in node.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        cells = [f"`{path}`", _type(prop), _default(prop, name in required), prop.get("x-unit", ""),
                 prop.get("description", ""), _example(prop)]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows) + "\n"


def _type(s: dict) -> str:
    keys = {"x-keys": s["x-keys"]} if "x-keys" in s else {}
    options = [o for o in s.get("anyOf", []) if o.get("type") != "null"]
    if options:
        return " or ".join(_type({**keys, **o}) for o in options)
    if "oneOf" in s:
        return ", or ".join(_type(o) for o in s["oneOf"])
    if "$ref" in s:
        return "mapping (keys below)"
    kind = s.get("type")
    if "enum" in s:
        return " or ".join(f"`{v}`" for v in s["enum"])
    if kind in ("number", "integer"):
        word = "number" if kind == "number" else "whole number"
        low = ((">", s["exclusiveMinimum"]) if "exclusiveMinimum" in s else
               (">=", s["minimum"]) if "minimum" in s else None)
        if low and "maximum" in s:
            return f"{word} from {_yaml(low[1])} to {_yaml(s['maximum'])}"
        return f"{word} {low[0]} {_yaml(low[1])}" if low else word
    if kind == "string":
        return "non-empty string" if s.get("minLength") else "string"
    if kind == "boolean":
        return "true or false"
    if kind == "array":
        least = f" (at least {s['minItems']})" if s.get("minItems") else ""
        items = s["items"].get("oneOf") or s["items"].get("anyOf") or [s["items"]]
        return f"list of {' or '.join(_plural(_type(item)) for item in items)}{least}"
    if kind == "object":
        inner = s.get("additionalProperties")
        if inner is True or inner is None:
            return "mapping"
        keys = s.get("x-keys", "id")
        value = "a mapping (keys below)" if "$ref" in inner else _type(inner)
        return f"mapping: {keys} -> {value}"
    return kind or "any"


def _plural(kind: str) -> str:
    for word in ("non-empty string", "string", "whole number", "number"):
        if kind.startswith(word):
            return word + "s" + kind[len(word):]
    return kind


def _default(prop: dict, required: bool) -> str:
    if required:
        return "**required**"
    if "x-default" in prop:
        return prop["x-default"]
    if "default" not in prop:
        return "none"
    value = prop["default"]
    if isinstance(value, dict) and _model_ref(prop)[0] and not _model_ref(prop)[1]:
        return "each key's default"
    return f"`{_yaml(value)}`"


def _example(prop: dict) -> str:
    return f"`{_yaml(prop['examples'][0])}`" if prop.get("examples") else ""


def _yaml(value: Any) -> str:
    """A value as one would write it in the instance file (YAML flow style)."""
    value = _whole(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=math.inf).strip().removesuffix(
        "\n...").strip()


def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return value
