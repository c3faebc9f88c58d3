"""Validation of instance files: schema errors and cross-references, all at once, positioned.

Every check returns :class:`~optimizer.errors.Problem` objects; nothing here raises
until :func:`validate_document` has collected all of them, so a user fixing a file
sees every problem in one go.
"""
from __future__ import annotations

import copy
import difflib
import graphlib
import statistics
from typing import Any, Iterable

import pydantic

from .errors import Problem
from .formatting import noun
from .schema import BUILTIN_DESIGNS, KNOWN_KEYS, MAX_PERIODS, UNION_TAGS, InstanceFile
from .yamlsource import KeyPath, SourceMap, format_path


def did_you_mean(word: Any, choices: Iterable[str]) -> str:
    choices = sorted(str(c) for c in choices)
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    if choices and len(choices) <= 12:
        return f" (expected one of: {', '.join(choices)})"
    return ""


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


def _ids(section: Any) -> list[str]:
    return [k for k in section] if isinstance(section, dict) else []


def _check_refs(values: Any, known: list[str], what: str, path: KeyPath, source: SourceMap,
                *, unique: bool = True) -> list[Problem]:
    out = []
    if not isinstance(values, list):
        return out
    seen: set = set()
    for k, v in enumerate(values):
        if not isinstance(v, str):
            continue
        if v not in known:
            out.append(source.problem(path + (k,), f"unknown {what} {v!r}{did_you_mean(v, known)}"))
        elif unique and v in seen:
            out.append(source.problem(path + (k,), f"{what} {v!r} is listed twice (expected no repeats)"))
        seen.add(v)
    return out


def reference_problems(data: Any, source: SourceMap) -> list[Problem]:
    """Ids that must exist, repeats, and cycles in ``requires``; tolerant of bad shapes."""
    if not isinstance(data, dict):
        return []
    out: list[Problem] = []
    accels = _ids(data.get("accelerators"))
    works = _ids(data.get("workstreams"))
    members = data.get("members") if isinstance(data.get("members"), dict) else {}
    for m, spec in members.items():
        if not isinstance(spec, dict):
            continue
        base = ("members", m)
        out += _check_refs(spec.get("needs"), works, "workstream", base + ("needs",), source)
        for section, known, what in (("fleet", accels, "accelerator type"),
                                     ("estimates", works, "workstream")):
            entries = spec.get(section)
            if isinstance(entries, dict):
                for key in entries:
                    if isinstance(key, str) and key not in known:
                        hint = did_you_mean(key, known)
                        if section == "fleet" and not accels:
                            hint = " (define it under the top-level 'accelerators:' section)"
                        out.append(source.problem(base + (section, key), f"unknown {what} {key!r}{hint}",
                                                  key=True))
    workstreams = data.get("workstreams") if isinstance(data.get("workstreams"), dict) else {}
    graph: dict[str, list[str]] = {}
    for w, spec in workstreams.items():
        if not isinstance(spec, dict):
            continue
        base = ("workstreams", w)
        listed = spec.get("accelerators")
        if isinstance(listed, list) and listed and not accels:
            out.append(source.problem(base + ("accelerators",),
                                      "names accelerator types but the instance has no top-level "
                                      "'accelerators:' section (expected the types defined there)"))
        else:
            out += _check_refs(listed, accels, "accelerator type", base + ("accelerators",), source)
        reqs = spec.get("requires")
        out += _check_refs(reqs, works, "workstream", base + ("requires",), source)
        if isinstance(reqs, list):
            for k, v in enumerate(reqs):
                if v == w:
                    out.append(source.problem(base + ("requires", k),
                                              f"workstream {w!r} cannot require itself"))
            graph[w] = [v for v in reqs if isinstance(v, str) and v in works and v != w]
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        out.append(source.problem(("workstreams", cycle[0], "requires"),
                                  "prerequisites form a cycle: " + " -> ".join(cycle[::-1])
                                  + " (expected 'requires' to be acyclic)"))
    unc = data.get("uncertainty") if isinstance(data.get("uncertainty"), dict) else {}
    for section, known, what in (("workstreams", works, "workstream"), ("members", _ids(members), "member"),
                                 ("accelerators", accels, "accelerator type")):
        entries = unc.get(section)
        if isinstance(entries, dict):
            for key in entries:
                if isinstance(key, str) and key not in known:
                    out.append(source.problem(("uncertainty", section, key),
                                              f"unknown {what} {key!r}{did_you_mean(key, known)}", key=True))
    designs = data.get("designs") if isinstance(data.get("designs"), dict) else {}
    for section in ("accelerators", "members", "workstreams", "designs"):
        out += _case_twins(data.get(section), section, source)
    for d, spec in designs.items():
        if d in BUILTIN_DESIGNS:
            out.append(source.problem(("designs", d), f"design name {d!r} is built in and cannot be "
                                      "redefined (choose another name)", key=True))
        if isinstance(spec, dict):
            out += _check_refs(spec.get("members"), _ids(members), "member", ("designs", d, "members"),
                               source)
            if isinstance(spec.get("members"), list) and not spec["members"]:
                out.append(source.problem(("designs", d, "members"), "empty member list "
                                          "(expected at least one member id)"))
    return out


def _timed_keys(data: dict) -> list[tuple[KeyPath, str]]:
    """Every key of the document that only a ``horizon:`` gives a meaning: (path, what it is)."""
    out: list[tuple[KeyPath, str]] = []
    defaults = data.get("defaults")
    if isinstance(defaults, dict) and "publish_lag" in defaults:
        out.append((("defaults", "publish_lag"), "'publish_lag'"))
    for w, spec in _items(data.get("workstreams")):
        out += [(("workstreams", w, key), f"{key!r}") for key in ("duration", "release") if key in spec]
    for i, spec in _items(data.get("members")):
        if "due" in spec:
            out.append((("members", i, "due"), "'due'"))
        if isinstance(spec.get("budget"), list):
            out.append((("members", i, "budget"), "a budget per period (a list)"))
    if isinstance(data.get("objective"), list) and "time" in data["objective"]:
        out.append((("objective", data["objective"].index("time")), "objective 'time'"))
    for d, spec in _items(data.get("designs")):
        if isinstance(spec.get("objective"), list) and "time" in spec["objective"]:
            out.append((("designs", d, "objective", spec["objective"].index("time")), "objective 'time'"))
    return out


def _items(section: Any) -> list[tuple[str, dict]]:
    return [(k, v) for k, v in section.items() if isinstance(v, dict)] if isinstance(section, dict) else []


def horizon_problems(data: Any, source: SourceMap) -> list[Problem]:
    """The horizon's cross-references: timed keys need a ``horizon:``; releases and dues name its
    periods; a due is on a need; durations fit; a budget list has one amount per period."""
    if not isinstance(data, dict):
        return []
    horizon = data.get("horizon")
    if horizon is None:
        # a key is pointed at by its name, a list budget or an objective name by its value
        return [source.problem(path, f"{what} needs a 'horizon:' section (add one, or remove this)",
                               key=isinstance(path[-1], str) and path[-1] != "budget")
                for path, what in _timed_keys(data)]
    periods = horizon.get("periods") if isinstance(horizon, dict) else None
    if (isinstance(periods, bool) or not isinstance(periods, (int, list))
            or not 1 <= (periods if isinstance(periods, int) else len(periods)) <= MAX_PERIODS):
        return []  # the schema says what is wrong with it
    labels = [str(t) for t in range(1, periods + 1)] if isinstance(periods, int) else [str(p) for p in periods]
    seen: set[str] = set()
    out = []
    for k, p in enumerate(labels):
        if p in seen:
            out.append(source.problem(("horizon", "periods", k), f"period {p!r} is listed twice (expected unique labels)"))
        seen.add(p)
    last = len(labels)

    def unknown_period(path: KeyPath, name: Any) -> list[Problem]:
        if isinstance(name, bool) or not isinstance(name, (str, int)) or str(name) in labels:
            return []
        if isinstance(periods, int) and isinstance(name, int) and name > last:
            return [source.problem(path, f"period {name} is after the last period {last} of the horizon")]
        return [source.problem(path, f"unknown period {name!r}{did_you_mean(name, dict.fromkeys(labels))}")]

    for w, spec in _items(data.get("workstreams")):
        out += unknown_period(("workstreams", w, "release"), spec.get("release"))
        duration = spec.get("duration")
        if isinstance(duration, int) and not isinstance(duration, bool) and duration > last:
            out.append(source.problem(("workstreams", w, "duration"), f"duration {duration} is longer than the "
                                      f"horizon ({last} {noun(last, 'period')})"))
    for i, spec in _items(data.get("members")):
        needs = spec.get("needs") if isinstance(spec.get("needs"), list) else []
        for w, name in (spec.get("due") or {}).items() if isinstance(spec.get("due"), dict) else ():
            if w not in needs:
                out.append(source.problem(("members", i, "due", w), f"due date for {w!r}, which is not one of "
                                          f"{i}'s needs{did_you_mean(w, [n for n in needs if isinstance(n, str)])}",
                                          key=True))
            out += unknown_period(("members", i, "due", w), name)
        budget = spec.get("budget")
        if isinstance(budget, list) and len(budget) != last:
            out.append(source.problem(("members", i, "budget"), f"{len(budget)} budget {noun(len(budget), 'amount')} for "
                                      f"{last} {noun(last, 'period')} (expected one per period)"))
    return out


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


def _case_twins(section: Any, name: str, source: SourceMap) -> list[Problem]:
    """Ids of one section that differ only in case ('Lab' and 'lab'): almost always one thing
    written twice, and they would collide in case-insensitive file systems and spreadsheets."""
    first: dict[str, str] = {}
    out = []
    for key in section if isinstance(section, dict) else ():
        if not isinstance(key, str):
            continue
        folded = key.casefold()
        if folded in first:
            line = source.locate((name, first[folded]), key=True)[0]
            out.append(source.problem((name, key), f"id {key!r} differs from {first[folded]!r} (line {line}) "
                                      "only in case: likely the same one written twice (rename one)", key=True))
        else:
            first[folded] = key
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


__all__ = ["validate_document", "deep_merge", "did_you_mean", "format_path", "price_warnings"]
