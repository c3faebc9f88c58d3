"""The charts of a plan, a comparison of designs and a cost sharing, in the one style of
:mod:`.chart_style` (a sweep's are in :mod:`.sweep_charts`).

Every chart function takes a typed result (a :class:`~optimizer.results.Plan`, a comparison's plans, a
:class:`~optimizer.costsharing.CostSharing`) and returns an SVG document as text, or ``None`` when
there is nothing to draw (no plan); the same input gives byte-identical SVG.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ..costsharing import CONFIDENCE_Z as Z
from ..results import Plan
from .chart_style import (ADOPTION, ADOPTS, AVOIDED, BUDGET, DASHED, DUPLICATE_RUNS, FIRST_RUNS, FLEET_COLOURS, INK,
                          METHOD_COLOURS, MUTED, NONE, RUNS, SILO, VERMILION, compact, compact_ticks, new_figure,
                          svg_text)

if TYPE_CHECKING:
    from ..costsharing import CostSharing


# --- plan reports -----------------------------------------------------------------------------
def who_runs_what_chart(p: Plan) -> str | None:
    """Member x workstream map: runs it (with the accelerator), adopts it, or neither."""
    members, works = p.member_order, p.plan_workstreams
    if not (p.planned and members and works):
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
    members = p.member_order
    if not (p.planned and members):
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


def stack_runs(bar: Callable, at: float, thickness: float, p: Plan) -> None:
    """The plan's compute as one stacked bar (``ax.bar`` or ``ax.barh``): first runs, second and
    later runs, adoption."""
    base = 0.0
    for value, colour in ((p.first_run_compute, FIRST_RUNS), (p.duplicated_compute or 0.0, DUPLICATE_RUNS),
                          (p.adoption_compute or 0.0, ADOPTION)):
        if value > 0:
            bar(at, value, thickness, base, color=colour)
            base += value


def against_silo(p: Plan) -> tuple[float, float, float, str] | None:
    """(lower, higher, saved, " (share of the silo)") of the plan's compute and its silo's; None
    without a silo or when the two are the same."""
    silo, total = p.silo_compute, p.total_compute
    if silo is None or not abs(silo - total) > 1e-9 * max(1.0, silo):
        return None
    lo, hi = sorted((total, silo))
    return lo, hi, silo - total, f" ({abs(silo - total) / silo:.1%})" if silo else ""


def silo_chart(p: Plan) -> str | None:
    """Silo compute against the consortium's, split into first runs, duplicate runs and
    adoption, with the compute saved vs silo marked between the two."""
    if p.first_run_compute is None:
        return None
    total, silo = p.total_compute, p.silo_compute
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
        stack_runs(ax.bar, x_cons, w, p)
        ax.text(x_cons - w / 2 - 0.03, total, compact(total), ha="right", va="center", fontsize=9,
                fontweight="bold")
        handles = [Patch(color=SILO, label="silo: each member alone"),
                   Patch(color=FIRST_RUNS, label="first runs"),
                   Patch(color=DUPLICATE_RUNS, label="second and later runs"),
                   Patch(color=ADOPTION, label="adoption")]
        gap = against_silo(p)
        if gap:
            lo, hi, saved, share = gap
            ax.add_patch(Rectangle((x_cons - w / 2, lo), w, hi - lo, facecolor="none", edgecolor=AVOIDED,
                                   hatch="///", linewidth=1.2, linestyle=DASHED))
            word = "compute saved vs silo" if saved > 0 else "extra compute vs silo"
            ax.annotate(f"{word}\n{compact(abs(saved))} {p.compute_unit}{share}",
                        xy=(x_cons + w / 2, (lo + hi) / 2), xytext=(x_cons + w / 2 + 0.1, (lo + hi) / 2),
                        va="center", ha="left", fontsize=9, color=INK,
                        arrowprops={"arrowstyle": "-[", "color": AVOIDED, "lw": 1.2})
            handles.append(Patch(facecolor="none", edgecolor=AVOIDED, hatch="///", label=word))
        ax.set_xticks([x_silo, x_cons], ["silo", "consortium"])
        ax.set_xlim(-0.45, 2.05)
        ax.set_ylim(0, top * 1.1 if top > 0 else 1)
        compact_ticks(ax.yaxis)
        ax.grid(axis="y")
        ax.tick_params(axis="x", length=0)
        ax.set_ylabel(f"R&D compute ({p.compute_unit})")
        ax.set_title("Silo vs consortium R&D compute")
        fig.legend(handles=handles, loc="outside right upper", fontsize=8.5)
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
        silo_chart, "Silo vs consortium R&D compute, with the compute saved vs silo",
        "Left: the compute if every member met its needs alone. Right: the consortium plan, split into "
        "first runs, second and later runs, and adoption; the hatched box is the compute saved vs silo."),
}


# --- comparison reports -----------------------------------------------------------------------
def compute_by_design_chart(rows: list[Plan]) -> str | None:
    """Comparison of designs: per design, its silo reference (the design's members each alone)
    next to its total compute split into first runs, second and later runs and adoption, the
    compute saved against the silo hatched. ``rows`` are the designs' plans, drawn top to
    bottom in their order."""
    if not rows or not any(r.planned or r.silo_compute is not None for r in rows):
        return None
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
            stack_runs(ax.barh, yd, h, r)
            end, label, gap = total, compact(total), against_silo(r)
            if gap:
                lo, hi, saved, share = gap
                ax.add_patch(Rectangle((lo, yd - h / 2), hi - lo, h, facecolor="none", edgecolor=AVOIDED,
                                       hatch="///", linewidth=1.0, linestyle=DASHED))
                end = hi
                label += f"  ·  {'saves' if saved > 0 else 'extra'} {compact(abs(saved))}{share}"
            elif silo is not None:
                label += "  ·  same as silo"
            ax.text(end + top * 0.01, yd, label, va="center", fontsize=8.5, color=INK, fontweight="bold")
        ax.set_yticks(range(n), [r.design for r in rows])
        ax.set_ylim(n - 0.45, -0.55)
        ax.set_xlim(0, top * 1.32)
        compact_ticks(ax.xaxis)
        ax.grid(axis="x")
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(f"R&D compute ({rows[0].compute_unit})")
        ax.set_title("R&D compute by design, against each design's silo")
        # listed column by column: reads silo, first runs, duplicated / adoption, saved across the rows
        handles = [Patch(color=SILO, label="silo: the design's members each alone"),
                   Patch(color=ADOPTION, label="adoption"),
                   Patch(color=FIRST_RUNS, label="first runs"),
                   Patch(facecolor="none", edgecolor=AVOIDED, hatch="///", label="compute saved vs silo"),
                   Patch(color=DUPLICATE_RUNS, label="second and later runs (duplicated)")]
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
        return svg_text(fig)


# --- cost-sharing reports ---------------------------------------------------------------------
SHORT_NAMES = {"shapley": "Shapley", "least-core": "Least core", "nucleolus": "Nucleolus",
               "proportional": "Proportional"}


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
        compact_ticks(ax.xaxis)
        ax.grid(axis="x")
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(f"compute ({sharing.units.get('compute') or 'compute units'})")
        ax.set_title("Standalone cost vs allocated cost per member")
        handles, labels = ax.get_legend_handles_labels()
        if any(a.monte_carlo for a in sharing.allocations):
            handles.append(Line2D([], [], color=INK, linewidth=0.9, marker="|", markersize=6))
            labels.append(f"±{Z} standard errors (Monte Carlo)")
        fig.legend(handles, labels, loc="outside lower center", ncols=min(6, len(handles)) if len(handles) <= 6 else 4)
        return svg_text(fig)
