"""The report's charts: one style, matplotlib's object API on the Agg canvas, deterministic SVG.

Every chart function takes a typed result (a :class:`~optimizer.results.Plan`, comparison rows) and returns
an SVG document as text, or ``None`` when there is nothing to draw (no plan). The same input
gives byte-identical SVG: fixed ``svg.hashsalt`` (clip-path and marker ids), text kept as
text (``svg.fonttype: none``, so nothing depends on glyph caching), no date or creator in
the metadata, and only matplotlib's bundled DejaVu Sans for layout metrics.

No pyplot: figures are built with :class:`matplotlib.figure.Figure` on an Agg canvas, so
rendering a report never touches the caller's global backend or figure registry.
"""
from __future__ import annotations

import io
from contextlib import contextmanager
from typing import Any, Iterator

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from ..results import Plan

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies and in print.
BLUE, ORANGE, SKY, GREEN, YELLOW, VERMILION, PURPLE = (
    "#0072B2", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#D55E00", "#CC79A7")
INK, MUTED, GRID, EMPTY = "#222222", "#666666", "#dddddd", "#f1f1f1"

RUNS, ADOPTS, NONE = BLUE, ORANGE, EMPTY            # allocation map categories
SILO = "#9a9a9a"                                     # silo bar
FIRST_RUNS, DUPLICATE_RUNS, ADOPTION = BLUE, VERMILION, ORANGE
AVOIDED = GREEN
BUDGET = BLUE
FLEET_COLOURS = (GREEN, PURPLE, ORANGE, SKY, VERMILION, YELLOW)

STYLE: dict[str, Any] = {
    "svg.hashsalt": "consortium-report",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],   # bundled with matplotlib: same metrics everywhere
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 10,
    "axes.labelsize": 9.5,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#bbbbbb",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "axes.grid": False,
    "grid.color": GRID,
    "grid.linewidth": 0.7,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "text.color": INK,
    "figure.facecolor": "white",
    "figure.dpi": 100,
    "savefig.facecolor": "white",
    "path.simplify": False,
}
SVG_METADATA = {"Date": None, "Creator": None}


@contextmanager
def new_figure(width: float, height: float) -> Iterator[Figure]:
    with _style():
        fig = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasAgg(fig)
        yield fig


def _style():
    import matplotlib
    return matplotlib.rc_context(STYLE)


def svg_text(fig: Figure) -> str:
    buf = io.StringIO()
    with _style():
        fig.savefig(buf, format="svg", metadata=SVG_METADATA)
    return buf.getvalue()


def compact(x: float) -> str:
    """1,234,567 -> '1.23M'; 12,300 -> '12.3k'; 110 -> '110'."""
    a = abs(x)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{x / div:.3g}{suffix}"
    return f"{x:.3g}" if a < 100 else f"{x:,.0f}"


# ---------------------------------------------------------------------------------------------
def who_runs_what_chart(p: Plan) -> str | None:
    """Member x workstream map: runs it (with the accelerator), adopts it, or neither."""
    if not p.planned:
        return None
    members, works = p.member_order, p.plan_workstreams
    if not members or not works:
        return None
    runs = {(r.member, r.workstream): r.accelerator for r in p.runs}
    gets = {(a.member, a.workstream) for a in p.adoptions}
    grid = [[2 if (i, w) in runs else 1 if (i, w) in gets else 0 for w in works] for i in members]
    width = min(16.0, max(7.0, 2.4 + 0.62 * len(works)))
    height = min(14.0, 1.9 + 0.36 * len(members) + 0.06 * max(len(w) for w in works))
    with new_figure(width, height) as fig:
        ax = fig.add_subplot()
        # vector cells (pcolormesh), not imshow: no raster image embedded in the SVG
        ax.pcolormesh([x - 0.5 for x in range(len(works) + 1)], [y - 0.5 for y in range(len(members) + 1)],
                      grid, cmap=ListedColormap([NONE, ADOPTS, RUNS]), vmin=0, vmax=2,
                      edgecolors="white", linewidth=1.5)
        ax.set_xlim(-0.5, len(works) - 0.5)
        ax.set_ylim(len(members) - 0.5, -0.5)
        small = 7.5 if len(works) > 12 else 8.5
        for (i, w), acc in runs.items():
            if i in members and w in works:
                label = acc if len(acc) <= 7 else acc[:6] + "…"
                ax.text(works.index(w), members.index(i), label, ha="center", va="center",
                        color="white", fontsize=small - 1.5, fontweight="bold")
        ax.set_xticks(range(len(works)), works, rotation=40, ha="right", rotation_mode="anchor")
        ax.set_yticks(range(len(members)), members)
        ax.tick_params(which="both", length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set_title("Who runs and who adopts each workstream")
        fig.legend(handles=[Patch(color=RUNS, label="runs it (label: accelerator)"),
                            Patch(color=ADOPTS, label="adopts the published result"),
                            Patch(facecolor=NONE, edgecolor="#cccccc", label="neither")],
                   loc="outside lower center", ncols=3)
        return svg_text(fig)


def utilisation_chart(p: Plan) -> str | None:
    """Per member: share of the budget spent and of each owned fleet's hours used."""
    if not p.planned:
        return None
    members = p.member_order
    if not members:
        return None
    recs = {m.member: m for m in p.members}
    owned = {i: [(f.accelerator, f.utilisation) for f in fl] for i, fl in p.fleets_of.items()}
    types = list(dict.fromkeys(h for fl in owned.values() for h, _ in fl))
    colour = {h: FLEET_COLOURS[k % len(FLEET_COLOURS)] for k, h in enumerate(types)}
    bars = {i: [("budget", recs[i].budget_utilisation if i in recs else None, BUDGET)]
            + [(h, u, colour[h]) for h, u in owned.get(i, [])] for i in members}
    k_max = max(len(b) for b in bars.values())
    step = 0.8 / k_max
    values = [v for b in bars.values() for _, v, _ in b if v is not None]
    top = max([1.0] + values) * 100
    height = min(24.0, 1.5 + len(members) * (0.16 * k_max + 0.16))
    with new_figure(8.0, height) as fig:
        ax = fig.add_subplot()
        for row, i in enumerate(members):
            group = bars[i]
            for k, (what, v, c) in enumerate(group):
                y = row + (k - (len(group) - 1) / 2) * step
                if v is None:
                    note = "no budget" if what == "budget" and not (i in recs and recs[i].budget) else "n/a"
                    ax.text(top * 0.005, y, note, va="center", fontsize=7.5, color=MUTED)
                    continue
                ax.barh(y, v * 100, height=step * 0.86, color=c)
                label = f"{v:.0%}" if v >= 0.995 or v == 0 else f"{v:.1%}"
                ax.text(v * 100 + top * 0.008, y, label, va="center", fontsize=7.5, color=INK)
        ax.axvline(100, color=INK, linestyle=(0, (4, 3)), linewidth=1)
        ax.text(100, 1.0, "100%", transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=8)
        ax.set_yticks(range(len(members)), [i if i in owned else f"{i} (rents)" for i in members])
        ax.set_ylim(len(members) - 0.5, -0.5)
        ax.set_xlim(0, top * 1.1)
        ax.xaxis.set_major_formatter(lambda x, _pos: f"{x:.0f}%")
        ax.grid(axis="x")
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel("share used over the horizon")
        ax.set_title("Budget and fleet utilisation per member", pad=16)
        handles = [Patch(color=BUDGET, label="budget spent")] + [
            Patch(color=colour[h], label=f"{h} fleet hours used") for h in types]
        fig.legend(handles=handles, loc="outside lower center", ncols=min(3, len(handles)))
        return svg_text(fig)


def silo_chart(p: Plan) -> str | None:
    """Silo compute against the consortium's, split into first runs, duplicate runs and
    adoption, with the avoided duplication marked between the two."""
    if p.first_run_compute is None:
        return None
    cu = p.compute_unit
    total, first, silo = p.total_compute, p.first_run_compute, p.silo_compute
    adoption, dup = p.adoption_compute or 0.0, p.duplicated_compute or 0.0
    top = max(total, silo or 0.0)
    with new_figure(8.6, 4.2) as fig:
        ax = fig.add_subplot()
        x_silo, x_cons, w = 0, 1, 0.5
        if silo is not None:
            ax.bar(x_silo, silo, width=w, color=SILO)
            ax.text(x_silo, silo + top * 0.01, compact(silo), ha="center", va="bottom", fontsize=9,
                    fontweight="bold")
        else:
            ax.text(x_silo, top * 0.05, "n/a: some member\ncannot meet its\nneeds alone", ha="center",
                    va="bottom", fontsize=8.5, color=MUTED)
        bottom = 0.0
        for value, c in ((first, FIRST_RUNS), (dup, DUPLICATE_RUNS), (adoption, ADOPTION)):
            if value > 0:
                ax.bar(x_cons, value, width=w, bottom=bottom, color=c)
                bottom += value
        ax.text(x_cons - w / 2 - 0.03, total, compact(total), ha="right", va="center", fontsize=9,
                fontweight="bold")
        handles = [Patch(color=SILO, label="silo: each member alone"),
                   Patch(color=FIRST_RUNS, label="first runs"),
                   Patch(color=DUPLICATE_RUNS, label="second and later runs"),
                   Patch(color=ADOPTION, label="adoption")]
        if silo is not None and abs(silo - total) > 1e-9 * max(1.0, silo):
            saved = silo - total
            lo, hi = sorted((total, silo))
            ax.add_patch(Rectangle((x_cons - w / 2, lo), w, hi - lo, facecolor="none", edgecolor=AVOIDED,
                                   hatch="///", linewidth=1.2, linestyle=(0, (3, 2))))
            pct = f" ({abs(saved) / silo:.1%})" if silo else ""
            word = "duplication avoided" if saved > 0 else "extra compute"
            ax.annotate(f"{word}\n{compact(abs(saved))} {cu}{pct}", xy=(x_cons + w / 2, (lo + hi) / 2),
                        xytext=(x_cons + w / 2 + 0.1, (lo + hi) / 2), va="center", ha="left", fontsize=9,
                        color=INK, arrowprops={"arrowstyle": "-[", "color": AVOIDED, "lw": 1.2})
            handles.append(Patch(facecolor="none", edgecolor=AVOIDED, hatch="///", label=word))
        ax.set_xticks([x_silo, x_cons], ["silo", "consortium"])
        ax.set_xlim(-0.45, 2.05)
        ax.set_ylim(0, top * 1.1 if top > 0 else 1)
        ax.yaxis.set_major_formatter(lambda y, _pos: compact(y) if y else "0")
        ax.grid(axis="y")
        ax.tick_params(axis="x", length=0)
        ax.set_ylabel(f"R&D compute ({cu})")
        ax.set_title("Silo vs consortium R&D compute")
        fig.legend(handles=handles, loc="outside right upper", fontsize=8.5)
        return svg_text(fig)


def compute_by_design_chart(rows: list[Plan], compute_unit: str | None = None) -> str | None:
    """Comparison of designs: per design, its silo reference (the design's members each alone)
    next to its total compute split into first runs, second and later runs and adoption, the
    compute saved against the silo hatched. ``rows`` are comparison rows (see
    :mod:`optimizer.report.comparison`), drawn top to bottom in their order."""
    if not rows or not any(r.planned or r.silo_compute is not None for r in rows):
        return None
    cu = compute_unit or "compute units"
    n = len(rows)
    top = max([r.total_compute or 0.0 for r in rows if r.planned]
              + [r.silo_compute or 0.0 for r in rows] + [0.0]) or 1.0
    h = 0.36                                            # bar thickness; silo above, design below
    with new_figure(10.0, 1.7 + 0.72 * n) as fig:
        ax = fig.add_subplot()
        for y, r in enumerate(rows):
            silo, total = r.silo_compute, r.total_compute
            ys, yd = y - h / 2 - 0.02, y + h / 2 + 0.02
            if silo is not None:
                ax.barh(ys, silo, height=h, color=SILO)
                ax.text(silo + top * 0.01, ys, f"silo {compact(silo)}", va="center", fontsize=8, color=MUTED)
            else:
                ax.text(top * 0.005, ys, "silo n/a: a member cannot meet its needs alone", va="center",
                        fontsize=8, color=MUTED)
            if r.first_run_compute is None:
                word = "infeasible" if r.status == "infeasible" else "no solution within the limits"
                ax.text(top * 0.005, yd, f"{word}: no plan", va="center", fontsize=8.5, color=VERMILION,
                        fontweight="bold")
                continue
            adoption, dup = r.adoption_compute or 0.0, r.duplicated_compute or 0.0
            left = 0.0
            for value, c in ((r.first_run_compute, FIRST_RUNS), (dup, DUPLICATE_RUNS), (adoption, ADOPTION)):
                if value > 0:
                    ax.barh(yd, value, left=left, height=h, color=c)
                    left += value
            end = total
            label = compact(total)
            if silo is not None and abs(silo - total) > 1e-9 * max(1.0, silo):
                lo, hi = sorted((total, silo))
                ax.add_patch(Rectangle((lo, yd - h / 2), hi - lo, h, facecolor="none", edgecolor=AVOIDED,
                                       hatch="///", linewidth=1.0, linestyle=(0, (3, 2))))
                end = hi
                saved = silo - total
                share = f" ({abs(saved) / silo:.1%})" if silo else ""
                label += f"  ·  {'saves' if saved > 0 else 'extra'} {compact(abs(saved))}{share}"
            elif silo is not None:
                label += "  ·  same as silo"
            ax.text(end + top * 0.01, yd, label, va="center", fontsize=8.5, color=INK, fontweight="bold")
        ax.set_yticks(range(n), [r.design for r in rows])
        ax.set_ylim(n - 0.45, -0.55)
        ax.set_xlim(0, top * 1.32)
        ax.xaxis.set_major_formatter(lambda x, _pos: compact(x) if x else "0")
        ax.grid(axis="x")
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(f"R&D compute ({cu})")
        ax.set_title("R&D compute by design, against each design's silo")
        # listed column by column: reads silo, first runs, duplicated / adoption, saved across the rows
        handles = [Patch(color=SILO, label="silo: the design's members each alone"),
                   Patch(color=ADOPTION, label="adoption"),
                   Patch(color=FIRST_RUNS, label="first runs"),
                   Patch(facecolor="none", edgecolor=AVOIDED, hatch="///", label="saved against the silo"),
                   Patch(color=DUPLICATE_RUNS, label="second and later runs (duplicated)")]
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
        return svg_text(fig)


# file name (without .svg): (function, alt text, caption)
PLAN_CHARTS = {
    "who-runs-what": (
        who_runs_what_chart, "Allocation map: who runs and who adopts each workstream",
        "Rows are members, columns the workstreams in the plan. Blue: the member runs it (on the "
        "accelerator named in the cell); orange: it adopts the published result; grey: neither."),
    "utilisation": (
        utilisation_chart, "Budget and fleet utilisation per member",
        "Share of each member's budget spent and of each owned fleet's hours used over the horizon. "
        "The dashed line is 100%: a bar reaching it is a binding limit."),
    "silo-vs-consortium": (
        silo_chart, "Silo vs consortium R&D compute, with the avoided duplication",
        "Left: the compute if every member met its needs alone. Right: the consortium plan, split into "
        "first runs, second and later runs, and adoption; the hatched box is the duplication avoided."),
}


def render_plan_charts(p: Plan) -> dict[str, str]:
    """{chart name: SVG text} for every plan chart there is something to draw for.

    Looked up through the module at call time so tests can monkeypatch a chart function.
    """
    import sys
    mod = sys.modules[__name__]
    drawn = {name: getattr(mod, fn.__name__)(p) for name, (fn, _alt, _caption) in PLAN_CHARTS.items()}
    return {name: svg for name, svg in drawn.items() if svg is not None}
