"""The allocation report: who pays what share of the grand coalition's compute c(N).

``write_allocation_report(instance_name, design, units, docs, out_dir)`` writes, atomically
(see :func:`optimizer.report.replace_dir`):

- ``allocation.md``, ``allocation.html`` (one self-contained page), ``allocation.csv``
  (one row per method x member, units in the column names), ``allocation.json`` (``docs``
  as given) and the chart ``standalone-vs-allocated.svg``.

``docs`` are ``Allocation.to_dict()`` objects (:mod:`optimizer.allocation`), one per
method. Rendering is a pure function of the arguments, so the same allocations give
byte-identical files. See docs/reports.md.
"""
from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..errors import UsageError
from . import content as c
from . import csvs
from .page import Page
from .charts import BLUE, GREEN, INK, ORANGE, PURPLE, SILO, SKY, VERMILION, compact, new_figure, svg_text
from .resultdoc import sanitise, slugify

CHART = "standalone-vs-allocated"
ALLOCATION_FILES = frozenset(["allocation.md", "allocation.html", "allocation.csv", "allocation.json",
                              f"{CHART}.svg"])
Z = 1.96                       # error bars and intervals: ±1.96 standard errors (95%, normal)
METHOD_NAMES = {"shapley": "Shapley value", "least-core": "Least core", "nucleolus": "Nucleolus",
                "proportional": "Proportional to standalone cost"}
SHORT_NAMES = {"shapley": "Shapley", "least-core": "Least core", "nucleolus": "Nucleolus",
               "proportional": "Proportional"}
METHOD_COLOURS = (BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILION)
DOC_KEYS = ("method", "grand_coalition", "in_core", "allocation")
ROW_KEYS = ("member", "standalone", "allocated", "savings")

FILES = [
    ("allocation.html", "this report as one self-contained page (chart inline)"),
    ("allocation.md", "this report in Markdown, the chart as the SVG file beside it"),
    ("allocation.csv", "one row per method and member: standalone, allocated, savings, std_error, in_core"),
    ("allocation.json", "the allocations as a JSON list, one object per method, as `allocate --json` prints them"),
    (f"{CHART}.svg", "the chart above"),
]


def csv_columns(cu: str) -> list[str]:
    """allocation.csv's columns; ``cu`` is the compute unit made safe for a column name."""
    return ["method", "member", f"standalone_{cu}", f"allocated_{cu}", f"savings_{cu}", "savings_fraction",
            f"std_error_{cu}", "in_core", f"grand_coalition_{cu}"]


def default_allocation_dir(instance_slug: str, design: str = "consortium") -> Path:
    """``reports/<instance-slug>-allocation/`` (``-<design>-allocation`` for another design)."""
    slug = slugify(instance_slug)
    tag = "allocation" if design == "consortium" else f"{slugify(design)}-allocation"
    return Path("reports") / f"{slug}-{tag}"


def check_allocation_dir(out_dir: str | os.PathLike) -> Path:
    """Refuse an ``out_dir`` we must not replace: a file, a symlink, or a directory holding
    anything but an allocation report of ours."""
    from . import refuse_unless_ours
    return refuse_unless_ours(Path(out_dir), ALLOCATION_FILES, "allocation report")


# ---------------------------------------------------------------------------------------------
def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def check_docs(docs: Any) -> list[dict]:
    """The allocations as JSON-safe dicts; UsageError naming every problem at once."""
    problems: list[str] = []
    if not isinstance(docs, Sequence) or isinstance(docs, (str, bytes)):
        raise UsageError(f"allocation report: expected a list of allocations, got {type(docs).__name__}")
    if not docs:
        raise UsageError("allocation report: no allocations to report")
    for n, d in enumerate(docs):
        if not isinstance(d, Mapping):
            problems.append(f"allocations[{n}]: expected an object, got {type(d).__name__}")
            continue
        missing = [k for k in DOC_KEYS if k not in d]
        if missing:
            problems.append(f"allocations[{n}]: missing key(s) " + ", ".join(missing))
            continue
        if not _number(d["grand_coalition"]):
            problems.append(f"allocations[{n}].grand_coalition: expected a number, got {d['grand_coalition']!r}")
        rows = d["allocation"]
        if not isinstance(rows, list) or not rows:
            problems.append(f"allocations[{n}].allocation: expected a non-empty list of members")
            continue
        for k, r in enumerate(rows):
            where = f"allocations[{n}].allocation[{k}]"
            if not isinstance(r, Mapping):
                problems.append(f"{where}: expected an object")
                continue
            lacking = [key for key in ROW_KEYS if key not in r]
            if lacking:
                problems.append(f"{where}: missing key(s) " + ", ".join(lacking))
                continue
            for key in ROW_KEYS[1:]:
                if not _number(r[key]):
                    problems.append(f"{where}.{key}: expected a number, got {r[key]!r}")
            se = r.get("std_error")
            if se is not None and not _number(se):
                problems.append(f"{where}.std_error: expected a number or null, got {se!r}")
    methods = [d.get("method") for d in docs if isinstance(d, Mapping)]
    dup = sorted({m for m in methods if methods.count(m) > 1}, key=str)
    if dup:
        problems.append("the same method twice: " + ", ".join(map(str, dup)))
    if problems:
        lines = ["allocation report: " + p for p in problems]
        if len(lines) > 1:
            lines.append(f"{len(lines)} problems found")
        raise UsageError("\n".join(lines))
    return [_no_negative_zero(sanitise(dict(d))) for d in docs]


def _no_negative_zero(x: Any) -> Any:
    """-0.0 (a rounded -1e-12 from an LP) as 0.0, so it never shows as '-0'."""
    if isinstance(x, float):
        return x + 0.0
    if isinstance(x, dict):
        return {k: _no_negative_zero(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_no_negative_zero(v) for v in x]
    return x


def _members(docs: list[dict]) -> list[str]:
    return list(dict.fromkeys(r["member"] for d in docs for r in d["allocation"]))


def _standalone(docs: list[dict]) -> dict[str, float]:
    out: dict[str, float] = {}
    for d in docs:
        for r in d["allocation"]:
            out.setdefault(r["member"], r["standalone"])
    return out


def _has_se(d: dict) -> bool:
    return any(r.get("std_error") is not None for r in d["allocation"])


def _label(method: str) -> str:
    return METHOD_NAMES.get(method, method)


def _penalty(docs: list[dict]) -> str | None:
    for d in docs:
        for note in d.get("notes") or []:
            m = re.search(r"unmet need at ([0-9.eE+-]+)\s*x", str(note))
            if m:
                return m.group(1)
    return None


def _ratio(a: float, b: float) -> float | None:
    return None if not b else a / b


# --- the chart --------------------------------------------------------------------------------
def allocation_chart(docs: list[dict], compute_unit: str | None = None) -> str | None:
    """Per member (top to bottom): its standalone cost c({i}) in grey, then what each method
    allocates to it; Monte Carlo estimates carry ±1.96 standard-error bars."""
    members = _members(docs)
    if not members:
        return None
    cu = compute_unit or "compute units"
    alone = _standalone(docs)
    series = [("standalone c({i})", {m: alone[m] for m in members}, None, SILO)]
    for k, d in enumerate(docs):
        vals = {r["member"]: r["allocated"] for r in d["allocation"]}
        errs = {r["member"]: r.get("std_error") for r in d["allocation"]}
        series.append((SHORT_NAMES.get(d["method"], d["method"]), vals, errs, METHOD_COLOURS[k % len(METHOD_COLOURS)]))
    k_n = len(series)
    step = 0.82 / k_n
    spread = [(v, Z * ((e or {}).get(m) or 0.0)) for _, s, e, _ in series for m, v in s.items()]
    values, lows = [v + h for v, h in spread], [v - h for v, h in spread]
    top, bottom = max(values + [0.0]), min(lows + [0.0])
    span = (top - bottom) or 1.0
    height = min(30.0, 1.7 + len(members) * (0.12 * k_n + 0.2))
    with new_figure(9.4, height) as fig:
        ax = fig.add_subplot()
        for k, (label, s, errs, colour) in enumerate(series):
            ys = [row + (k - (k_n - 1) / 2) * step for row in range(len(members))]
            xs = [s.get(m, math.nan) for m in members]
            xerr = None
            if errs and any(errs.get(m) is not None for m in members):
                xerr = [Z * (errs.get(m) or 0.0) for m in members]
            ax.barh(ys, xs, height=step * 0.86, color=colour, label=label,
                    xerr=xerr, error_kw={"ecolor": INK, "elinewidth": 0.9, "capsize": 2.2})
        ax.axvline(0, color=INK, linewidth=0.8)
        ax.set_yticks(range(len(members)), members)
        ax.set_ylim(len(members) - 0.5, -0.5)
        ax.set_xlim(bottom - (0.03 * span if bottom < 0 else 0), top + 0.03 * span)
        ax.xaxis.set_major_formatter(lambda x, _pos: compact(x) if x else "0")
        ax.grid(axis="x")
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(f"compute ({cu})")
        ax.set_title("Standalone cost vs allocated cost per member")
        handles, labels = ax.get_legend_handles_labels()
        if any(_has_se(d) for d in docs):
            from matplotlib.lines import Line2D
            handles.append(Line2D([], [], color=INK, linewidth=0.9, marker="|", markersize=6))
            labels.append(f"±{Z} standard errors (Monte Carlo)")
        fig.legend(handles, labels, loc="outside lower center", ncols=min(6, len(handles)) if len(handles) <= 6 else 4)
        return svg_text(fig)


# --- the page ---------------------------------------------------------------------------------
def _core_text(d: dict) -> list[c.Cell]:
    if d.get("in_core") is None:
        return [c.Mark("core not checked", "muted"), ": too many coalitions and none solved"]
    if d["in_core"]:
        return ["in the core: no coalition pays more than it would need alone"]
    ob = d.get("objection") or {}
    who = ob.get("coalition") or []
    return [c.Mark("not in the core", "bind"), ": ", c.Mark("{" + ", ".join(who) + "}", "strong"),
            f" would pay {c.num(ob.get('pays'))} but needs only {c.num(ob.get('alone'))} alone "
            f"(excess {c.num(ob.get('excess'))})"]


def _status(docs: list[dict]) -> c.Status:
    outside = [d["method"] for d in docs if d.get("in_core") is False]
    unknown = [d["method"] for d in docs if d.get("in_core") is None]
    n = len(docs)
    if not outside and not unknown:
        word = "Every allocation" if n > 1 else "The allocation"
        return c.Status("ok", "IN THE CORE", f"{word} is in the core: no coalition of members would pay more "
                                             "inside the consortium than it needs on its own.")
    parts = []
    if outside:
        parts.append("not in the core: " + ", ".join(outside) + " (some coalition would do better alone; "
                     "see its table)")
    if unknown:
        parts.append("core not checked: " + ", ".join(unknown))
    text = "; ".join(parts)
    return c.Status("warn", f"{n - len(outside) - len(unknown)} OF {n} IN THE CORE", text[0].upper() + text[1:] + ".")


def _headline(docs: list[dict], cu: str) -> c.Figures:
    grand = docs[0]["grand_coalition"]
    alone = _standalone(docs)
    silo = sum(alone.values())
    saved = silo - grand
    items = [c.Figure("Grand coalition c(N)", c.num(grand), cu, "optimal compute of all members together",
                      key=True),
             c.Figure("Sum of standalone costs", c.num(silo), cu, "each member alone: Σ c({i})"),
             c.Figure("Saved by cooperating", c.num(saved), cu,
                      f"{c.pct(_ratio(saved, silo))} of the standalone sum" if silo else "", key=True),
             c.Figure("Methods", str(len(docs)), "", ", ".join(d["method"] for d in docs))]
    for d in docs:
        if d.get("in_core") is None:
            items.append(c.Figure(f"{d['method']}: in the core?", "n/a", "", "not checked"))
        elif d["in_core"]:
            items.append(c.Figure(f"{d['method']}: in the core?", "yes", "", "no coalition objects"))
        else:
            ob = d.get("objection") or {}
            items.append(c.Figure(f"{d['method']}: in the core?", "no", "",
                                  "{" + ", ".join(ob.get("coalition") or []) + "} objects: excess "
                                  f"{c.num(ob.get('excess'))} {cu}", key=True))
    return c.Figures(items)


def _method_table(d: dict, cu: str) -> c.Table:
    se = _has_se(d)
    headers = [("Member", ""), ("Standalone c({i})", cu), ("Allocated", cu), ("Savings", cu),
               ("Savings", "% of standalone")] + ([("95% interval", f"± {cu}")] if se else [])
    rows: list[list[c.Cell]] = []
    for r in d["allocation"]:
        share = _ratio(r["savings"], r["standalone"])
        row: list[c.Cell] = [r["member"], c.num(r["standalone"]), c.num(r["allocated"]), c.num(r["savings"]),
                             "n/a" if share is None else f"{share:.1%}"]
        if se:
            row.append("" if r.get("std_error") is None else c.num(Z * r["std_error"]))
        rows.append(row)
    total_alone = sum(r["standalone"] for r in d["allocation"])
    total_alloc = sum(r["allocated"] for r in d["allocation"])
    share = _ratio(total_alone - total_alloc, total_alone)
    total: list[c.Cell] = [c.Mark("all members", "strong"), c.Mark(c.num(total_alone), "strong"),
                           c.Mark(c.num(total_alloc), "strong"), c.Mark(c.num(total_alone - total_alloc), "strong"),
                           c.Mark("n/a" if share is None else f"{share:.1%}", "strong")]
    rows.append(total + ([""] if se else []))
    return c.Table(headers, rows, numeric=set(range(1, len(headers))), empty="no members")


def _by_method_table(docs: list[dict], cu: str) -> c.Table:
    members = _members(docs)
    alone = _standalone(docs)
    by = [{r["member"]: r["allocated"] for r in d["allocation"]} for d in docs]
    headers = [("Member", ""), ("Standalone", cu)] + [(d["method"], cu) for d in docs]
    rows = [[m, c.num(alone[m])] + [c.num(b.get(m)) for b in by] for m in members]
    return c.Table(headers, rows, numeric=set(range(1, len(headers))), empty="no members")


def _game(docs: list[dict]) -> list[c.Block]:
    penalty = _penalty(docs)
    times = f"{penalty} times" if penalty else "a penalty multiple of (by default 3 times)"
    return [
        c.Para(["The consortium is a cost game. For every coalition S of members, ",
                c.Mark("c(S)", "code"), " is the optimal total R&D compute when only the members of S take part "
                "(the design with ", c.Mark("members: S", "code"), "), each workstream's replicas capped at the "
                "number of members of S able to run it. A need that S cannot meet at all is priced at ",
                f"{times} its compute, so every c(S) is finite. ", c.Mark("c(N)", "code"),
                " is the grand coalition's compute: the amount to share. A member's standalone cost ",
                c.Mark("c({i})", "code"), " is what it needs alone."]),
        c.Bullets([
            [c.Mark("Shapley value", "strong"), ": each member's marginal cost c(S ∪ {i}) − c(S), averaged "
             "over every order in which the members could join (exact from all coalitions up to 12 members, "
             "otherwise a Monte Carlo estimate with a standard error)."],
            [c.Mark("Least core", "strong"), ": an allocation that minimises the largest excess "
             "x(S) − c(S) any coalition pays over its own cost. The least core can hold many allocations; this "
             "is the one the linear programme returns, so it may favour some members arbitrarily."],
            [c.Mark("Nucleolus", "strong"), ": the least core refined lexicographically (after the largest "
             "excess, the next largest, …); unique, and in the core whenever the core is non-empty."],
            [c.Mark("Proportional", "strong"), ": c(N) split in proportion to the standalone costs; the simple "
             "reference rule."],
            [c.Mark("The core", "strong"), ": allocations under which no coalition pays more than c(S). "
             "An allocation outside it names the coalition with the largest excess: those members would be "
             "better off on their own."],
        ]),
        c.Para(["Every allocation is efficient: the members' shares add up to c(N). Savings are standalone "
                "minus allocated; a negative allocation means the member is paid for what it brings."]),
    ]


def _notes(docs: list[dict]) -> c.Bullets:
    common = [n for n in (docs[0].get("notes") or []) if all(n in (d.get("notes") or []) for d in docs)]
    items: list[c.Cell] = [str(n) for n in common]
    for d in docs:
        for n in d.get("notes") or []:
            if n not in common:
                items.append([c.Mark(d["method"], "strong"), f": {n}"])
    solved = max((d.get("coalitions_solved") or 0) for d in docs)
    if solved:
        items.append(f"{solved:,} coalitions solved (c(S) for every S other than the empty one that a method or "
                     "the core check needed), shared by all methods.")
    return c.Bullets(items)


def build(instance_name: str, design: str, units: Mapping[str, str], docs: list[dict], chart: bool) -> list[c.Block]:
    cu = units.get("compute") or "compute units"
    blocks: list[c.Block] = [
        c.Title(instance_name, f"Cost sharing · design {design} · {len(_members(docs))} members"),
        _status(docs),
        c.Heading("Headline", "headline"),
        _headline(docs, cu),
        c.Heading("Standalone vs allocated cost", "chart"),
    ]
    if chart:
        blocks.append(c.Chart(CHART, "Standalone cost vs allocated cost per member, by method",
                              "Per member, the grey bar is its standalone cost c({i}); the coloured bars are what "
                              "each method allocates to it. The gap is its saving from cooperating. Monte Carlo "
                              f"estimates carry ±{Z} standard-error bars."))
    if len(docs) > 1:
        blocks += [c.Para(["Allocated cost by method, side by side:"]), _by_method_table(docs, cu)]
    blocks.append(c.Heading("The cost game", "game"))
    blocks += _game(docs)
    for d in docs:
        blocks += [c.Heading(_label(d["method"]), f"method-{slugify(d['method'])}"),
                   c.Para([c.Mark(d["method"], "code"), f": c(N) = {c.num(d['grand_coalition'])} {cu}; ",
                           *_core_text(d), "."]),
                   _method_table(d, cu)]
    blocks += [c.Heading("Notes", "notes"), _notes(docs),
               c.Heading("Assumptions", "assumptions"),
               c.KeyValues([("Instance", instance_name), ("Design", design),
                            ("Units", f"compute: {units.get('compute', 'n/a')}; money: {units.get('money', 'n/a')}"),
                            ("Cost", "total R&D compute (runs plus adoptions) of the coalition's optimal plan"),
                            ("Methods", ", ".join(d["method"] for d in docs))]),
               c.Heading("Files", "files"),
               c.Bullets([[c.Mark(name, "file"), " — ", *_code_spans(what)] for name, what in FILES])]
    return blocks


def _code_spans(text: str) -> list[c.Cell]:
    """'as `x` does' -> ['as ', Mark('x', 'code'), ' does']."""
    return [c.Mark(p, "code") if k % 2 else p for k, p in enumerate(text.split("`")) if p]


def _r6(x: float | None) -> float | None:
    if x is None:
        return None
    r = round(float(x), 6)
    return 0.0 if r == 0 else r


def _csv(docs: list[dict], cu: str) -> bytes:
    import pandas as pd
    rows = []
    for d in docs:
        for r in d["allocation"]:
            share = _ratio(r["savings"], r["standalone"])
            rows.append([d["method"], r["member"], r["standalone"], r["allocated"], r["savings"],
                         None if share is None else _r6(share), r.get("std_error"), d.get("in_core"),
                         d["grand_coalition"]])
    return csvs.csv_bytes(pd.DataFrame(rows, columns=csv_columns(cu), dtype=object))


def render_allocation(instance_name: str, design: str, units: Mapping[str, str] | None,
                      docs: Sequence[Mapping[str, Any]]) -> dict[str, bytes]:
    """{file name: content} of the allocation report; a pure function of its arguments."""
    from .. import __version__
    docs = check_docs(docs)
    units = dict(units or {})
    cu_label = csvs.unit_label(units.get("compute"), "compute-units")
    svg = allocation_chart(docs, units.get("compute"))
    svgs = {CHART: svg} if svg is not None else {}
    blocks = build(instance_name, design, units, docs, bool(svgs))
    methods = " ".join(f"--method {d['method']}" for d in docs)
    footer: list[c.Cell] = [f"Generated by consortium-optimizer {__version__}; regenerate with ",
                            c.Mark(f"consortium allocate FILE --design {design} {methods} --out DIR", "code"), "."]
    files: dict[str, bytes] = {
        "allocation.json": (json.dumps(docs, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8"),
        "allocation.csv": _csv(docs, cu_label),
        **Page(blocks, svgs, "cost sharing", footer).files("allocation"),
    }
    files.update({f"{name}.svg": s.encode("utf-8") for name, s in svgs.items()})
    return files


def write_allocation_report(instance_name: str, design: str, units: dict, docs: list[dict],
                            out_dir: str | os.PathLike) -> Path:
    """Write the allocation report into ``out_dir`` (created or replaced atomically)."""
    from . import replace_dir
    given = check_allocation_dir(out_dir)
    files = render_allocation(instance_name, design, units, docs)   # bad input fails before writing
    replace_dir(given, lambda: files, check_allocation_dir, "allocation report")
    return given
