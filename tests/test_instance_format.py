"""The input reference (issue 15, item 5): the JSON Schema `consortium schema` prints, the
generated docs/instance-format.md, the price-per-accelerator-hour warning, and documents that
exist.

`jsonschema` is not a dependency, so the schema is checked here by structure (draft 2020-12
keywords only, every `$ref` resolving, every key documented) and by a small validator of the
keywords it uses, which must accept every shipped instance and reject what pydantic rejects.
"""
from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path

import pydantic
import pytest

import optimizer.schema

from optimizer.cli import main
from optimizer.instance import load_instance, parse_instance
from optimizer.instance_format import DIALECT, EXAMPLE, json_schema, markdown
from optimizer.schema import InstanceFile
from optimizer.validate import deep_merge
from optimizer.yamlsource import parse_yaml

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = sorted((ROOT / "instances").glob("*.yaml"))
DOC = ROOT / "docs" / "instance-format.md"


# --- a validator of the draft 2020-12 keywords the schema uses ---------------------------------

APPLICATORS = {"properties", "additionalProperties", "propertyNames", "items", "anyOf", "oneOf", "$ref", "$defs"}
ASSERTIONS = {"type", "enum", "required", "minimum", "exclusiveMinimum", "maximum", "minLength", "minItems", "maxItems",
              "minProperties"}
ANNOTATIONS = {"$schema", "title", "description", "default", "examples"}
TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}


def _is(kind: str, x) -> bool:
    if kind == "null":
        return x is None
    if kind == "boolean":
        return isinstance(x, bool)
    if isinstance(x, bool):
        return False
    if kind == "integer":
        return isinstance(x, int) or (isinstance(x, float) and x.is_integer())
    if kind == "number":
        return isinstance(x, (int, float)) and math.isfinite(x)
    return isinstance(x, {"object": dict, "array": list, "string": str}[kind])


def errors(schema: dict, x, root: dict, at: str = "") -> list[str]:
    """Where ``x`` breaks ``schema`` (empty: valid), for the keywords above."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        out = errors(root["$defs"][name], x, root, at)
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return out + (errors(rest, x, root, at) if rest else [])
    out = []
    if "type" in schema and not _is(schema["type"], x):
        return [f"{at}: not {schema['type']}"]
    if "enum" in schema and x not in schema["enum"]:
        out.append(f"{at}: not one of {schema['enum']}")
    if "anyOf" in schema and all(errors(s, x, root, at) for s in schema["anyOf"]):
        out.append(f"{at}: matches none of anyOf")
    if "oneOf" in schema and sum(not errors(s, x, root, at) for s in schema["oneOf"]) != 1:
        out.append(f"{at}: matches not exactly one of oneOf")
    if _is("number", x):
        if "minimum" in schema and x < schema["minimum"]:
            out.append(f"{at}: below minimum")
        if "exclusiveMinimum" in schema and x <= schema["exclusiveMinimum"]:
            out.append(f"{at}: not above exclusiveMinimum")
        if "maximum" in schema and x > schema["maximum"]:
            out.append(f"{at}: above maximum")
    if isinstance(x, str) and len(x) < schema.get("minLength", 0):
        out.append(f"{at}: too short")
    if isinstance(x, list):
        if len(x) > schema.get("maxItems", len(x)):
            out.append(f"{at}: too many items")
        if len(x) < schema.get("minItems", 0):
            out.append(f"{at}: too few items")
        for k, item in enumerate(x):
            out += errors(schema.get("items", {}), item, root, f"{at}[{k}]")
    if isinstance(x, dict):
        if len(x) < schema.get("minProperties", 0):
            out.append(f"{at}: too few properties")
        out += [f"{at}: missing {r}" for r in schema.get("required", []) if r not in x]
        props = schema.get("properties", {})
        for k, v in x.items():
            out += errors(schema.get("propertyNames", {}), k, root, f"{at}.{k} (name)")
            if k in props:
                out += errors(props[k], v, root, f"{at}.{k}")
            elif schema.get("additionalProperties") is False:
                out.append(f"{at}: unknown key {k!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                out += errors(schema["additionalProperties"], v, root, f"{at}.{k}")
    return out


def walk(node, path=""):
    """Every schema object in the document, with where it is."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            if k in ("properties", "$defs"):
                for name, sub in v.items():
                    yield from walk(sub, f"{path}/{k}/{name}")
            elif k in ("additionalProperties", "propertyNames", "items"):
                yield from walk(v, f"{path}/{k}")
            elif k in ("anyOf", "oneOf"):
                for i, sub in enumerate(v):
                    yield from walk(sub, f"{path}/{k}/{i}")


SCHEMA = json_schema()


def test_the_schema_is_a_draft_2020_12_document():
    assert SCHEMA["$schema"] == DIALECT == "https://json-schema.org/draft/2020-12/schema"
    json.loads(json.dumps(SCHEMA, allow_nan=False))  # strict JSON
    for where, node in walk(SCHEMA):
        unknown = {k for k in node if not k.startswith("x-")} - APPLICATORS - ASSERTIONS - ANNOTATIONS
        assert not unknown, (where, unknown)
        if "type" in node:
            assert node["type"] in TYPES, where
        if "$ref" in node:
            assert node["$ref"].removeprefix("#/$defs/") in SCHEMA["$defs"], where
        for name in node.get("required", []):
            assert name in node["properties"], (where, name)
        assert isinstance(node.get("examples", []), list) and isinstance(node.get("required", []), list)


def test_every_key_is_documented():
    """Description and example on every key; a unit on every number; a default (value or words)
    on every key that is not required."""
    sections = [SCHEMA] + list(SCHEMA["$defs"].values())
    keys = 0
    for section in sections:
        for name, prop in section.get("properties", {}).items():
            keys += 1
            assert prop.get("description") and prop.get("examples"), name
            assert name in section.get("required", []) or "default" in prop or "x-default" in prop, name
            numeric = {o.get("type") for o in [prop, *prop.get("anyOf", []), *prop.get("oneOf", [])]}
            if numeric & {"number"} or (numeric & {"integer"} and name not in ("replicas", "periods")):
                assert prop.get("x-unit"), name
            for example in prop["examples"]:  # each example is a valid value of its key
                assert not errors(prop, example, SCHEMA), (name, example)
    models = [InstanceFile] + [getattr(optimizer.schema, name) for name in SCHEMA["$defs"]]
    assert keys == sum(len(m.model_fields) for m in models)  # every key of every section


@pytest.mark.parametrize("path", INSTANCES, ids=lambda p: p.name)
def test_every_shipped_instance_validates_against_the_schema(path):
    data, _ = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    assert errors(SCHEMA, data, SCHEMA) == []
    InstanceFile.model_validate(data)  # and pydantic agrees
    base = {k: v for k, v in data.items() if k != "designs"}
    for name, design in data.get("designs", {}).items():  # every design as it is solved
        if design.get("overrides"):
            assert errors(SCHEMA, deep_merge(base, design["overrides"]), SCHEMA) == [], name


def test_the_documented_example_is_valid():
    data, _ = parse_yaml(EXAMPLE)
    assert errors(SCHEMA, data, SCHEMA) == []
    assert parse_instance(EXAMPLE).design_names == ["consortium", "silo", "forks"]


GOOD = {"name": "n", "accelerators": {"H20": {"throughput": 0.15}},
        "members": {"a": {"budget": 100, "fleet": {"H20": 8}, "needs": ["w"]}},
        "workstreams": {"w": {"compute": 10}}}


@pytest.mark.parametrize("path, value", [
    (("members", "a", "budgt"), 1),                         # unknown key
    (("members", "a", "budget"), "100"),                    # a string is not a number
    (("members", "a", "budget"), True),                     # nor is true
    (("members", "a", "budget"), -1),
    (("members", "a", "budget"), []),
    (("members", "a", "fleet", "H20"), 1.5),                # whole numbers
    (("members", "a", "publishes"), 1),
    (("workstreams", "w", "adoption"), 1.5),
    (("workstreams", "w", "min_accelerators"), 0),
    (("workstreams", "w", "compute"), 0),
    (("accelerators", "H20", "throughput"), 0),
    (("designs",), {"d": {"sharing": "closed"}}),
    (("designs",), {"d": {"adoption_factor": 0}}),
    (("objective",), ["speed"]),
    (("objective",), []),
    (("horizon",), {"periods": 0}),
    (("horizon",), {"periods": []}),
    (("horizon",), {"hours": 10}),
    (("uncertainty",), {"compute": {"low": 0.9}}),
    (("members",), {}),
    (("name",), ""),
    (("units",), {"compute": 1}),
])
def test_the_schema_rejects_what_pydantic_rejects(path, value):
    doc = copy.deepcopy(GOOD)
    node = doc
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    with pytest.raises(pydantic.ValidationError):
        InstanceFile.model_validate(doc)
    assert errors(SCHEMA, doc, SCHEMA)
    assert not errors(SCHEMA, GOOD, SCHEMA)


def test_horizon_keys_are_in_the_reference():
    text = markdown()
    for key in ("horizon.periods", "horizon.hours", "workstreams.<workstream>.duration",
                "workstreams.<workstream>.release", "members.<member>.due", "defaults.publish_lag"):
        assert f"| `{key}` |" in text, key
    budget = next(line for line in text.splitlines() if line.startswith("| `members.<member>.budget` |"))
    assert "list of numbers" in budget and "one amount per period" in budget


def test_price_is_documented_per_compute_unit():
    price = SCHEMA["$defs"]["Member"]["properties"]["price"]
    assert price["x-unit"] == "money per compute unit" and price["x-default"] == "defaults.price"
    assert "H100-hour equivalent" in price["description"] and "P / t per compute unit" in price["description"]
    assert "price per compute unit = price per accelerator-hour / throughput" in markdown()


# --- the committed page and `consortium schema` --------------------------------------------------

def test_committed_reference_is_the_generated_one():
    assert DOC.read_text(encoding="utf-8") == markdown(), (
        "docs/instance-format.md is stale: regenerate it with `consortium schema --markdown > docs/instance-format.md`")


def test_consortium_schema_prints_one_json_object(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == SCHEMA
    assert main(["schema", "--markdown"]) == 0
    assert capsys.readouterr().out == markdown()


# --- the price per accelerator-hour warning ------------------------------------------------------

def lab(**member) -> dict:
    """A fast-hardware member paying 2.0 per compute unit, and a member on H20 (0.15)."""
    return {"name": "prices", "units": {"compute": "H100-hours", "money": "USD"},
            "accelerators": {"H100": {"throughput": 1.0}, "H20": {"throughput": 0.15}},
            "members": {"big": {"budget": 1e6, "price": 2.0, "fleet": {"H100": 64}, "needs": ["w"]},
                        "h20-lab": {"budget": 1e6, "fleet": {"H20": 64}, "needs": ["w"], **member}},
            "workstreams": {"w": {"compute": 100}}}


def write(tmp_path: Path, doc: dict) -> Path:
    import yaml
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("member, warned", [
    ({"price": 2.0}, True),                 # the per-H20-hour figure typed: = what H100 work costs
    ({"price": 1.7}, True),                 # within 20%
    ({"price": 2.4}, True),
    ({}, True),                             # no price: defaults.price (2.0), per compute unit, applies
    ({"price": 13.3}, False),               # 2.0 per H20-hour / 0.15: a price per compute unit
    ({"price": 1.5}, False),                # 25% below: not close enough to say
    ({"price": 2.0, "fleet": {"H20": 64, "H100": 8}}, False),  # owns a fast accelerator too
    ({"price": 2.0, "fleet": {"H20": 0}}, False),              # owns nothing
])
def test_price_warning(member, warned, tmp_path):
    path = write(tmp_path, lab(**member))
    inst = load_instance(path)
    assert bool(inst.warnings) == warned
    if warned:
        (w,) = inst.warnings
        _, source = parse_yaml(path.read_text(), str(path))
        where = ("members", "h20-lab", "price") if "price" in member else ("members", "h20-lab")
        assert (w.file, w.line, w.column) == (str(path), *source.locate(where, key="price" not in member))
        assert w.path == ".".join(where)
        assert "looks like a price per accelerator-hour: h20-lab owns only H20 (throughput 0.15)" in w.message
        assert f"= {member.get('price', 2.0) / 0.15:.3g} per compute unit" in w.message


def test_price_warning_reference_without_fast_members():
    """Only slow members: the reference is defaults.price."""
    doc = lab(price=5.0)
    doc["members"]["big"]["fleet"] = {"H20": 8}
    doc["defaults"] = {"price": 5.5}
    inst = load_instance(doc)
    assert [w.path for w in inst.warnings] == ["members.h20-lab.price"]
    assert "within 20% of defaults.price (5.5)" in inst.warnings[0].message


def test_flagship_prices_per_compute_unit_are_judged_by_the_rule():
    """The rule on the flagship: the labs owning only Ascend-910B or TPU-v5p whose price is near
    the others' (1.7, 2.2 against a median of 2.05) are flagged; the H20 lab at 3.0 and the
    Ascend lab at 2.6 are not."""
    inst = load_instance(ROOT / "instances" / "open-moe-consortium.yaml")
    assert [w.path for w in inst.warnings] == ["members.chip-vendor-lab.price", "members.tpu-lab.price"]


def test_warning_on_stderr_never_in_the_json(tmp_path, capsys):
    path = write(tmp_path, lab(price=2.0))
    assert main(["solve", str(path), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["status"] == "optimal"
    assert re.match(rf"{re.escape(str(path))}:\d+:\d+: warning: members\.h20-lab\.price: price 2 USD per compute unit",
                    captured.err)
    assert main(["validate", str(path)]) == 0  # a note, not an error
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("valid: ") and out[1].startswith(f"{path}:") and ": note: members.h20-lab.price: " in out[1]


# --- documents that exist ------------------------------------------------------------------------

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_linked_document_is_in_the_repository(doc):
    text = doc.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        assert (doc.parent / target.split("#")[0]).exists(), f"{doc.name}: {target}"


def test_documents_outside_the_repository_are_named_as_such():
    """facts.md and the contract (spec v2) are cited by instance comments and docs but not
    shipped: the README says what they are and where figures can be checked instead."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Documents outside this repository", 1)[1].split("\n## ", 1)[0]
    assert "facts.md" in section and "contract" in section and "not in this repository" in section
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        assert not re.search(r"\]\([^)]*(facts\.md|shared/)", text), doc.name  # never linked as if shipped
        assert "spec v1" not in text, doc.name
