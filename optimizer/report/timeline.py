"""Charts of a timed plan (spec v2, "Horizon"): the schedule as a Gantt chart, and what each
member spends and each fleet is used in every period. Both draw only from the typed
:class:`~optimizer.results.Plan` (its runs' start/end, adoptions' ready, schedule and period use);
a plan without a horizon has neither chart."""
from __future__ import annotations

from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..results import Plan
from .chart_style import ADOPTS, BUDGET, FLEET_COLOURS, GRID, INK, MUTED, RUNS, VERMILION, new_figure, svg_text


def schedule_rows(p: Plan) -> list[tuple[str, str]]:
    """(member, workstream) of every run, adoption and need, grouped by member in instance order."""
    have = {(r.member, r.workstream) for r in p.runs} | {(a.member, a.workstream) for a in p.adoptions}
    have |= {(s.member, s.workstream) for s in p.schedule or []}
    order = {w: k for k, w in enumerate(p.workstream_ids)}
    return [(i, w) for i in p.member_order for w in sorted({w for j, w in have if j == i}, key=lambda w: order.get(w, 0))]


def schedule_chart(p: Plan) -> str | None:
    """Gantt chart: one row per member and workstream; runs as bars over their periods (labelled
    with the accelerator), adoptions as diamonds in their ready period, due periods as red ticks."""
    if not p.planned or p.periods is None:
        return None
    rows = schedule_rows(p)
    if not rows:
        return None
    at = {label: t for t, label in enumerate(p.periods)}
    y = {key: k for k, key in enumerate(rows)}
    with new_figure(min(16.0, 8.0 + 0.7 * len(p.periods)), min(30.0, 1.6 + 0.2 * len(rows))) as fig:
        ax = fig.add_subplot()
        for r in p.runs:
            start, end = at[r.start], at[r.end]
            ax.barh(y[r.member, r.workstream], end - start + 0.9, left=start - 0.45, height=0.62, color=RUNS)
            ax.text((start + end) / 2, y[r.member, r.workstream], r.accelerator, ha="center", va="center",
                    color="white", fontsize=7)
        for a in p.adoptions:
            ax.plot([at[a.ready]], [y[a.member, a.workstream]], marker="D", color=ADOPTS, markersize=6,
                    linestyle="none")
        for s in p.schedule or []:
            ax.plot([at[s.due] + 0.45], [y[s.member, s.workstream]], marker="|", color=VERMILION,
                    markersize=11, markeredgewidth=2, linestyle="none")
        for k in range(1, len(rows)):
            if rows[k][0] != rows[k - 1][0]:  # a rule between members
                ax.axhline(k - 0.5, color=GRID, linewidth=0.8)
        ax.set_yticks(range(len(rows)), [f"{i} · {w}" for i, w in rows], fontsize=7.5)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        ax.set_xticks(range(len(p.periods)), p.periods)
        ax.set_xlim(-0.6, len(p.periods) - 0.4)
        ax.grid(axis="x", color=GRID)
        ax.tick_params(axis="y", length=0)
        ax.set_title("Schedule: runs, adoptions and due periods")
        fig.legend(handles=[Patch(color=RUNS, label="runs it (label: accelerator)"),
                            Line2D([], [], marker="D", color=ADOPTS, linestyle="none", label="adoption ready"),
                            Line2D([], [], marker="|", color=VERMILION, markeredgewidth=2, markersize=10,
                                   linestyle="none", label="due by the end of")],
                   loc="outside lower center", ncols=3)
        return svg_text(fig)


def period_use_chart(p: Plan) -> str | None:
    """Per period: the share of each list budget spent and of each owned fleet's hours used, one
    line per member and limit (members whose limits are never used are left out)."""
    if not p.planned or not p.period_use:
        return None
    series: dict[tuple[str, str | None], list[float]] = {}
    for u in p.period_use:
        if u.utilisation is not None:
            series.setdefault((u.member, u.accelerator), []).append(u.utilisation)
    series = {k: v for k, v in series.items() if any(v)}
    if not series:
        return None
    x = range(len(p.periods))
    with new_figure(min(14.0, 5.0 + 0.5 * len(p.periods)), 3.8) as fig:
        ax = fig.add_subplot()
        fleets = sorted({h for _, h in series if h is not None})
        for k, ((i, h), values) in enumerate(series.items()):
            colour = BUDGET if h is None else FLEET_COLOURS[fleets.index(h) % len(FLEET_COLOURS)]
            ax.plot(x, [100 * v for v in values], marker="o", markersize=3.5, linewidth=1.2, color=colour,
                    linestyle="-" if h is None else "--", label=f"{i}: {'budget' if h is None else h}")
        ax.axhline(100, color=MUTED, linewidth=0.8, linestyle=":")
        ax.set_xticks(list(x), p.periods)
        ax.set_ylabel("% of the period's limit", color=INK)
        ax.set_ylim(0, 108)
        ax.grid(axis="y", color=GRID)
        ax.set_title("Budgets and fleets used per period")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7.5)
        return svg_text(fig)


TIMELINE_CHARTS = {
    "schedule": (
        schedule_chart, "Gantt chart of the plan's runs, adoptions and due periods",
        "One row per member and workstream. Blue bars: the member runs it over those periods (label: "
        "accelerator); orange diamonds: its adoption is ready at the end of that period; red ticks: "
        "the need is due by the end of that period."),
    "period-use": (
        period_use_chart, "Budget and fleet use per period",
        "For every member with a budget per period or an owned fleet: the share of that period's limit "
        "used. Solid: budget; dashed: fleet hours. 100% is a limit that binds in that period."),
}
