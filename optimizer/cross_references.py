"""The cross-references of an instance document: ids that must exist (with a did-you-mean),
repeats, cycles in ``requires``, ids equal up to case, and the horizon's (timed keys need a
``horizon:``, releases and dues name its periods). Tolerant of bad shapes: the schema reports those."""
from __future__ import annotations

import difflib
import graphlib
from typing import Any, Iterable

from .errors import Problem
from .formatting import noun
from .schema import BUILTIN_DESIGNS, MAX_PERIODS
from .yamlsource import KeyPath, SourceMap


def did_you_mean(word: Any, choices: Iterable[str]) -> str:
    choices = sorted(str(c) for c in choices)
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    if choices and len(choices) <= 12:
        return f" (expected one of: {', '.join(choices)})"
    return ""


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
