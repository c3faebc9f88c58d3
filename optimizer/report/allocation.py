"""The cost-sharing report: who pays what share of the grand coalition's compute c(N).

``KIND.write(sharing, out_dir)`` writes a :class:`~optimizer.allocation.CostSharing` (from
:func:`optimizer.allocation.share_costs`) as ``allocation.md``, ``allocation.html`` (one
self-contained page), ``allocation.csv`` (one row per method and member, units in the column
names), ``allocation.json`` (the allocations as `allocate --json` prints them) and the chart
``standalone-vs-allocated.svg``; by default into ``reports/<instance-slug>-allocation/``.
Rendering is a pure function of the study, so the same allocations give byte-identical files.
``summary_text(sharing)`` is what `consortium allocate` prints. See docs/reports.md.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

from ..costsharing import Allocation, CostSharing
from ..formatting import num, text_table
from ..instance import slugify
from . import csvs
from .charts import BLUE, GREEN, INK, ORANGE, PURPLE, SILO, SKY, VERMILION, compact, new_figure, svg_text
from .kind import ReportKind
from .page import (Block, Bullets, Cell, Chart, Figure, Figures, Heading, KeyValues, Mark, Page, Para, Status,
                   Table, Title, file_list, json_bytes, pct, regenerate_footer, units_text)

CHART = "standalone-vs-allocated"
Z = 1.96                       # error bars and intervals: ±1.96 standard errors (95%, normal)
METHOD_NAMES = {"shapley": "Shapley value", "least-core": "Least core", "nucleolus": "Nucleolus",
                "proportional": "Proportional to standalone cost"}
SHORT_NAMES = {"shapley": "Shapley", "least-core": "Least core", "nucleolus": "Nucleolus",
               "proportional": "Proportional"}
METHOD_COLOURS = (BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILION)
COMPUTE_COLUMNS = ("standalone", "allocated", "savings", "std_error", "grand_coalition")  # suffixed with the unit

FILES = [
    ("allocation.html", "this report as one self-contained page (chart inline)"),
    ("allocation.md", "this report in Markdown, the chart as the SVG file beside it"),
    ("allocation.csv", "one row per method and member: standalone, allocated, savings, std_error, in_core"),
    ("allocation.json", "the allocations as a JSON list, one object per method, as `allocate --json` prints them"),
    (f"{CHART}.svg", "the chart above"),
]


# --- the chart --------------------------------------------------------------------------------
def standalone_vs_allocated_chart(sharing: CostSharing) -> str:
    """Per member (top to bottom): its standalone cost c({i}) in grey, then what each method
    allocates to it; Monte Carlo estimates carry ±1.96 standard-error bars."""
    members = sharing.members
    series = [("standalone c({i})", sharing.standalone, None, SILO)]
    for k, a in enumerate(sharing.allocations):
        series.append((SHORT_NAMES.get(a.method, a.method), dict(zip(a.members, a.allocated)),
                       dict(zip(a.members, a.std_error)), METHOD_COLOURS[k % len(METHOD_COLOURS)]))
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
        ax.set_xlabel(f"compute ({sharing.units.get('compute') or 'compute units'})")
        ax.set_title("Standalone cost vs allocated cost per member")
        handles, labels = ax.get_legend_handles_labels()
        if any(a.monte_carlo for a in sharing.allocations):
            from matplotlib.lines import Line2D
            handles.append(Line2D([], [], color=INK, linewidth=0.9, marker="|", markersize=6))
            labels.append(f"±{Z} standard errors (Monte Carlo)")
        fig.legend(handles, labels, loc="outside lower center", ncols=min(6, len(handles)) if len(handles) <= 6 else 4)
        return svg_text(fig)


# --- the page ---------------------------------------------------------------------------------
def _share_text(fraction: float | None) -> str:
    return "n/a" if fraction is None else f"{fraction:.1%}"


def _coalition(a: Allocation) -> str:
    return "{" + ", ".join(a.objection.coalition) + "}"


def _core_text(a: Allocation) -> list[Cell]:
    if a.in_core is None:
        return [Mark("core not checked", "muted"), ": too many coalitions and none solved"]
    if a.in_core:
        return ["in the core: no coalition pays more than it would need alone"]
    ob = a.objection
    return [Mark("not in the core", "bind"), ": ", Mark(_coalition(a), "strong"),
            f" would pay {num(ob.pays)} but needs only {num(ob.alone)} alone (excess {num(ob.excess)})"]


def _status(sharing: CostSharing) -> Status:
    outside = [a.method for a in sharing.allocations if a.in_core is False]
    unknown = [a.method for a in sharing.allocations if a.in_core is None]
    n = len(sharing.allocations)
    if not outside and not unknown:
        word = "Every allocation" if n > 1 else "The allocation"
        return Status("ok", "IN THE CORE", f"{word} is in the core: no coalition of members would pay more "
                                           "inside the consortium than it needs on its own.")
    parts = []
    if outside:
        parts.append("not in the core: " + ", ".join(outside) + " (some coalition would do better alone; "
                     "see its table)")
    if unknown:
        parts.append("core not checked: " + ", ".join(unknown))
    text = "; ".join(parts)
    return Status("warn", f"{n - len(outside) - len(unknown)} OF {n} IN THE CORE", text[0].upper() + text[1:] + ".")


def _headline(sharing: CostSharing, cu: str) -> Figures:
    total = sharing.total
    items = [Figure("Grand coalition c(N)", num(sharing.grand_coalition), cu, "optimal compute of all members together",
                    key=True),
             Figure("Sum of standalone costs", num(total.standalone), cu, "each member alone: Σ c({i})"),
             Figure("Saved by cooperating", num(total.savings), cu,
                    f"{pct(total.savings_fraction)} of the standalone sum" if total.standalone else "", key=True),
             Figure("Methods", str(len(sharing.allocations)), "", ", ".join(sharing.methods))]
    for a in sharing.allocations:
        label = f"{a.method}: in the core?"
        if a.in_core is None:
            items.append(Figure(label, "n/a", "", "not checked"))
        elif a.in_core:
            items.append(Figure(label, "yes", "", "no coalition objects"))
        else:
            items.append(Figure(label, "no", "", f"{_coalition(a)} objects: excess {num(a.objection.excess)} {cu}",
                                key=True))
    return Figures(items)


def _method_table(a: Allocation, cu: str) -> Table:
    se = a.monte_carlo
    headers = [("Member", ""), ("Standalone c({i})", cu), ("Allocated", cu), ("Savings", cu),
               ("Savings", "% of standalone")] + ([("95% interval", f"± {cu}")] if se else [])
    rows: list[list[Cell]] = []
    for s in a.shares:
        row: list[Cell] = [s.member, num(s.standalone), num(s.allocated), num(s.savings),
                           _share_text(s.savings_fraction)]
        rows.append(row + (["" if s.std_error is None else num(Z * s.std_error)] if se else []))
    t = a.total
    rows.append([Mark(x, "strong") for x in ("all members", num(t.standalone), num(t.allocated), num(t.savings),
                                             _share_text(t.savings_fraction))] + ([""] if se else []))
    return Table(headers, rows, numeric=set(range(1, len(headers))), empty="no members")


def _by_method_table(sharing: CostSharing, cu: str) -> Table:
    alone = sharing.standalone
    by = [dict(zip(a.members, a.allocated)) for a in sharing.allocations]
    headers = [("Member", ""), ("Standalone", cu)] + [(m, cu) for m in sharing.methods]
    rows = [[m, num(alone[m])] + [num(b.get(m)) for b in by] for m in sharing.members]
    return Table(headers, rows, numeric=set(range(1, len(headers))), empty="no members")


def _game(sharing: CostSharing) -> list[Block]:
    return [
        Para(["The consortium is a cost game. For every coalition S of members, ",
              Mark("c(S)", "code"), " is the optimal total R&D compute when only the members of S take part "
              "(the design with ", Mark("members: S", "code"), "), each workstream's replicas capped at the "
              "number of members of S able to run it. A need that S cannot meet at all is priced at ",
              f"{sharing.unmet_penalty:g} times its compute, so every c(S) is finite. ", Mark("c(N)", "code"),
              " is the grand coalition's compute: the amount to share. A member's standalone cost ",
              Mark("c({i})", "code"), " is what it needs alone."]),
        Bullets([
            [Mark("Shapley value", "strong"), ": each member's marginal cost c(S ∪ {i}) − c(S), averaged "
             "over every order in which the members could join (exact from all coalitions up to 12 members, "
             "otherwise a Monte Carlo estimate with a standard error)."],
            [Mark("Least core", "strong"), ": an allocation that minimises the largest excess "
             "x(S) − c(S) any coalition pays over its own cost. The least core can hold many allocations; this "
             "is the one the linear programme returns, so it may favour some members arbitrarily."],
            [Mark("Nucleolus", "strong"), ": the least core refined lexicographically (after the largest "
             "excess, the next largest, …); unique, and in the core whenever the core is non-empty."],
            [Mark("Proportional", "strong"), ": c(N) split in proportion to the standalone costs; the simple "
             "reference rule."],
            [Mark("The core", "strong"), ": allocations under which no coalition pays more than c(S). "
             "An allocation outside it names the coalition with the largest excess: those members would be "
             "better off on their own."],
        ]),
        Para(["Every allocation is efficient: the members' shares add up to c(N). Savings are standalone "
              "minus allocated; a negative allocation means the member is paid for what it brings."]),
    ]


def _notes(sharing: CostSharing) -> Bullets:
    allocations = sharing.allocations
    common = [n for n in allocations[0].notes if all(n in a.notes for a in allocations)]
    items: list[Cell] = list(common)
    for a in allocations:
        items += [[Mark(a.method, "strong"), f": {n}"] for n in a.notes if n not in common]
    if sharing.coalitions_solved:
        items.append(f"{sharing.coalitions_solved:,} coalitions solved (c(S) for every S other than the empty one "
                     "that a method or the core check needed), shared by all methods.")
    return Bullets(items)


def build(sharing: CostSharing) -> list[Block]:
    cu = sharing.units.get("compute") or "compute units"
    blocks: list[Block] = [
        Title(sharing.instance, f"Cost sharing · design {sharing.design} · {len(sharing.members)} members"),
        _status(sharing),
        Heading("Headline", "headline"),
        _headline(sharing, cu),
        Heading("Standalone vs allocated cost", "chart"),
        Chart(CHART, "Standalone cost vs allocated cost per member, by method",
              "Per member, the grey bar is its standalone cost c({i}); the coloured bars are what each method "
              f"allocates to it. The gap is its saving from cooperating. Monte Carlo estimates carry ±{Z} "
              "standard-error bars."),
    ]
    if len(sharing.allocations) > 1:
        blocks += [Para(["Allocated cost by method, side by side:"]), _by_method_table(sharing, cu)]
    blocks.append(Heading("The cost game", "game"))
    blocks += _game(sharing)
    for a in sharing.allocations:
        blocks += [Heading(METHOD_NAMES.get(a.method, a.method), f"method-{slugify(a.method)}"),
                   Para([Mark(a.method, "code"), f": c(N) = {num(a.grand_coalition)} {cu}; ", *_core_text(a), "."]),
                   _method_table(a, cu)]
    blocks += [Heading("Notes", "notes"), _notes(sharing),
               Heading("Assumptions", "assumptions"),
               KeyValues([("Instance", sharing.instance), ("Design", sharing.design),
                          ("Units", units_text(sharing.units)),
                          ("Cost", "total R&D compute (runs plus adoptions) of the coalition's optimal plan"),
                          ("Methods", ", ".join(sharing.methods))]),
               Heading("Files", "files"), file_list(FILES)]
    return blocks


def render(sharing: CostSharing) -> dict[str, bytes]:
    """{file name: content} of the report; a pure function of the study."""
    cu = csvs.unit_label(sharing.units.get("compute"), "compute-units")
    table = sharing.table().reset_index().rename(columns={c: f"{c}_{cu}" for c in COMPUTE_COLUMNS})
    methods = " ".join(f"--method {m}" for m in sharing.methods)
    footer = regenerate_footer(f"consortium allocate FILE --design {sharing.design} {methods} --out DIR")
    return {"allocation.json": json_bytes([a.to_dict() for a in sharing.allocations]),
            "allocation.csv": csvs.csv_bytes(table),
            **Page(build(sharing), {CHART: standalone_vs_allocated_chart(sharing)}, "cost sharing",
                   footer).files("allocation")}


KIND = ReportKind("allocation report", frozenset(["allocation.md", "allocation.html", "allocation.csv",
                                                  "allocation.json", f"{CHART}.svg"]),
                  render, suffix="-allocation")


# --- the terminal -----------------------------------------------------------------------------
def summary_text(sharing: CostSharing) -> str:
    """What `consortium allocate` prints: per method c(N), whether it is in the core, and
    each member's standalone, allocated and saved compute."""
    return "\n\n".join(_allocation_text(a, sharing.units.get("compute", "")) for a in sharing.allocations)


def _allocation_text(a: Allocation, cu: str) -> str:
    if a.in_core is None:
        core = "core not checked"
    elif a.in_core:
        core = "in the core"
    else:
        ob = a.objection
        core = (f"NOT in the core: {', '.join(ob.coalition)} would pay {num(ob.pays)} "
                f"but need only {num(ob.alone)} alone (excess {num(ob.excess)})")
    rows = [["member", "standalone", "allocated", "savings", "savings %"] + (["± 95%"] if a.monte_carlo else [])]
    for s in a.shares:
        row = [s.member, num(s.standalone), num(s.allocated), num(s.savings), _share_text(s.savings_fraction)]
        rows.append(row + (["" if s.std_error is None else num(Z * s.std_error)] if a.monte_carlo else []))
    return "\n".join([f"{a.method}: c(N) = {num(a.grand_coalition, cu)}, {core}"] + text_table(rows)
                     + [f"  note: {n}" for n in a.notes])
