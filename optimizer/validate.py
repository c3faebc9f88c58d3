"""Validation of instance files: schema errors and cross-references (:mod:`.cross_references`),
all at once, positioned.

Every check returns :class:`~optimizer.errors.Problem` objects; nothing here raises
until :func:`validate_document` has collected all of them, so a user fixing a file
sees every problem in one go.
"""
from __future__ import annotations

import copy
import statistics
from typing import Any

import pydantic

from .cross_references import did_you_mean, horizon_problems, reference_problems
from .errors import Problem
from .schema import KNOWN_KEYS, UNION_TAGS, InstanceFile
from .yamlsource import KeyPath, SourceMap, format_path


def _section(path: KeyPath) -> str:
    """Which kind of mapping a key path points into, for did-you-mean hints."""
    p = tuple(path)
    if not p:
        return ""
    if p[0] in ("units", "defaults", "horizon") and len(p) == 1:
        return p[0]
    kinds = {"accelerators": "accelerator", "members": "member", "workstreams": "workstream",
             "designs": "design"}
    if len(p) == 2 and p[0] in kinds:
        return kinds[p[0]]
    if len(p) == 4 and p[0] == "members" and p[2] == "estimates":
        return "estimate"
    if p[0] == "uncertainty":
        if len(p) == 1:
            return "uncertainty"
        if len(p) == 3:
            return f"uncertainty.{p[1]}"
        return "distribution"
    return "?"


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) else str(x)


def _expected(err: dict) -> str:
    kind, ctx = err["type"], err.get("ctx", {})
    table = {
        "greater_than_equal": lambda: f"a number >= {_num(ctx.get('ge'))}",
        "greater_than": lambda: f"a number > {_num(ctx.get('gt'))}",
        "less_than_equal": lambda: f"a number <= {_num(ctx.get('le'))}",
        "less_than": lambda: f"a number < {_num(ctx.get('lt'))}",
        "float_type": lambda: "a number",
        "float_parsing": lambda: "a number",
        "finite_number": lambda: "a finite number",
        "int_type": lambda: "a whole number",
        "int_from_float": lambda: "a whole number",
        "int_parsing": lambda: "a whole number",
        "bool_type": lambda: "true or false",
        "bool_parsing": lambda: "true or false",
        "string_type": lambda: "a string",
        "string_too_short": lambda: "a non-empty string",
        "dict_type": lambda: "a mapping of keys to values",
        "model_type": lambda: "a mapping of keys to values",
        "model_attributes_type": lambda: "a mapping of keys to values",
        "list_type": lambda: "a list",
        "literal_error": lambda: f"one of {ctx.get('expected')}",
        "too_short": lambda: f"at least {ctx.get('min_length')} entry",
        "int_from_float_range": lambda: "a whole number",
    }
    return table[kind]() if kind in table else err["msg"]


def schema_problems(data: Any, source: SourceMap) -> list[Problem]:
    """Validate shapes/types/ranges with pydantic and translate its errors."""
    try:
        InstanceFile.model_validate(data)
        return []
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False)
    out = []
    for err in errors:
        loc = [x for x in err["loc"] if x not in UNION_TAGS]
        on_key = bool(loc) and loc[-1] == "[key]"
        if on_key:
            loc.pop()
        path = tuple(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            section = _section(path[:-1])
            hint = did_you_mean(path[-1], KNOWN_KEYS.get(section, []))
            out.append(source.problem(path, f"unknown key {path[-1]!r}{hint}", key=True))
        elif kind == "missing":
            out.append(source.problem(path[:-1], f"missing required key {path[-1]!r}", key=True))
        elif kind == "value_error":
            out.append(source.problem(path, err["msg"].removeprefix("Value error, ")))
        elif on_key:
            text = f"{format_path(path[:-1])}.{path[-1]}"  # a mapping key, not a list position
            out.append(source.problem(path, f"id {path[-1]!r} must be a string (quote it: '{path[-1]}')",
                                      key=True, path_text=text))
        else:
            out.append(source.problem(path, f"got {yaml_spelling(err.get('input'))} (expected {_expected(err)})"))
    # a value we could not read (foreign tag) was replaced by null: don't echo that as a type error
    return [p for p, err in zip(out, errors)
            if not _under(tuple(x for x in err["loc"] if x not in UNION_TAGS), source.unreadable)]


def _under(path: KeyPath, roots: set) -> bool:
    return any(path[:len(r)] == r for r in roots)


def yaml_spelling(value: Any) -> str:
    """A value as the user would have written it in YAML."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value != value:
        return ".nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    if isinstance(value, dict):
        return "an empty mapping" if not value else "a mapping"
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    if isinstance(value, str):
        return repr(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


SLOW_THROUGHPUT = 0.5  # below it, a price per accelerator-hour typed as per compute unit is >= 2x too low
PRICE_BAND = 0.2  # "close to the reference price": within 20% of it


def price_warnings(spec: InstanceFile, source: SourceMap) -> list[Problem]:
    """Prices that look like a price per accelerator-hour where the contract wants one per compute
    unit (docs/instance-format.md, "Prices"): a member owning only accelerators slower than
    SLOW_THROUGHPUT whose price is within PRICE_BAND of what the members on fast hardware (or
    renting) pay per compute unit, their median (``defaults.price`` if there are none). A price
    per compute unit on slow hardware is normally well above that; the per-accelerator-hour
    figure typed in its place is about equal to it. Warnings, not errors: nothing is refused."""
    speed = {h: a.throughput for h, a in spec.accelerators.items()}
    price = {i: spec.defaults.price if m.price is None else m.price for i, m in spec.members.items()}
    owned = {i: [h for h, n in (m.fleet or {}).items() if n > 0 and h in speed] for i, m in spec.members.items()}
    slow = {i: hs for i, hs in owned.items() if hs and max(speed[h] for h in hs) < SLOW_THROUGHPUT}
    fast = [price[i] for i, m in spec.members.items() if m.fleet is None or (owned[i] and i not in slow)]
    reference = statistics.median(fast) if fast else spec.defaults.price
    basis = (f"{reference:g}, the median price of the members on faster accelerators or renting" if fast
             else f"defaults.price ({reference:g})")
    out = []
    for i, types in slow.items():
        p, top = price[i], max(speed[h] for h in types)
        if reference <= 0 or abs(p - reference) > PRICE_BAND * reference:
            continue
        money, own = spec.units.money, spec.members[i].price is not None
        what = (f"price {p:g} {money} per compute unit looks" if own else
                f"no price, so defaults.price {p:g} {money} per compute unit applies, which looks")
        out.append(source.problem(
            ("members", i, "price") if own else ("members", i),
            f"{what} like a price per accelerator-hour: {i} owns only {' and '.join(types)} (throughput "
            f"{top:g}) and {p:g} is within {PRICE_BAND:.0%} of {basis}. A price per accelerator-hour P is "
            f"P / {top:g} per compute unit ({p:g} {money} per accelerator-hour = {p / top:.3g} per compute unit); "
            f"ignore this if {p:g} per compute unit is meant", key=not own))
    return out


def deep_merge(base: Any, override: Any) -> Any:
    """Maps merge key by key; lists and scalars replace (spec: designs.overrides)."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for k, v in override.items():
            out[k] = deep_merge(base.get(k), v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(override)


def _override_problems(data: dict, source: SourceMap, base_problems: list[Problem]) -> list[Problem]:
    """Validate each design's merged instance; report new problems at the override's position."""
    out = []
    designs = data.get("designs") if isinstance(data.get("designs"), dict) else {}
    base_messages = {(p.path, p.message) for p in base_problems}
    for d, spec in designs.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("overrides"), dict):
            continue
        merged = deep_merge({k: v for k, v in data.items() if k != "designs"}, spec["overrides"])
        prefix = ("designs", d, "overrides")
        shifted = _ShiftedSource(source, prefix)
        for p in (schema_problems(merged, shifted) + reference_problems(merged, shifted)
                  + horizon_problems(merged, shifted)):
            if (p.path, p.message) in base_messages:
                continue
            out.append(Problem(p.file, p.line, p.column, p.path,
                               f"in design {d!r} after applying its overrides: {p.message}"))
    return out


class _ShiftedSource(SourceMap):
    """Locates merged-instance paths inside a design's overrides when they come from there."""

    def __init__(self, source: SourceMap, prefix: KeyPath):
        super().__init__(source.file, source.keys, source.values)
        self.prefix = prefix

    def locate(self, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        p = tuple(path)
        while p:
            shifted = self.prefix + p
            if shifted in self.values or shifted in self.keys:
                return super().locate(shifted, key=key)
            p = p[:-1]
        return super().locate(path, key=key)


def validate_document(data: Any, source: SourceMap) -> list[Problem]:
    """Every problem of a parsed instance document (empty list: valid)."""
    if not isinstance(data, dict):
        return source.problems + [source.problem((), f"top level is {type(data).__name__} "
                                   "(expected a mapping with name, members and workstreams)")]
    problems = schema_problems(data, source) + reference_problems(data, source) + horizon_problems(data, source)
    problems += _override_problems(data, source, problems)
    return source.problems + problems


__all__ = ["validate_document", "deep_merge", "format_path", "price_warnings"]
