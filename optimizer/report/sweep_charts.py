"""A sweep report's charts: the savings over the samples per design (histograms) and what drives
them (Spearman rank correlations), in the one style of :mod:`.chart_style`."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .chart_style import BLUE, DASHED, GRID, INK, MUTED, SKY, VERMILION, compact, compact_ticks, new_figure, svg_text

if TYPE_CHECKING:      # a sweep needs scipy and pyarrow: imported by the sweep report, not here
    from ..sweep import Sweep

TOP_INPUTS = 10          # bars per design in sensitivity.svg


def histograms_chart(sw: Sweep, summary: list[dict]) -> str | None:
    """One small histogram per design of its savings over the samples (same x axis), P5 and
    P95 dashed, P50 solid. ``summary``: ``sw.summary`` as records (None for no figure)."""
    designs = list(sw.designs)
    data = sw.savings_by_design
    every = np.concatenate([v for v in data.values() if len(v)] or [np.zeros(0)])
    if not len(every):
        return None
    lo, hi = float(every.min()), float(every.max())
    if hi - lo < 1e-9 * max(1.0, abs(hi)):
        lo, hi = lo - max(1.0, abs(lo) * 0.05), hi + max(1.0, abs(hi) * 0.05)
    bins = np.linspace(lo, hi, int(min(40, max(10, math.ceil(math.sqrt(len(every)) * 2)))) + 1)
    pad = (hi - lo) * 0.03
    rows = {r["design"]: r for r in summary}
    with new_figure(9.0, 1.2 + 1.05 * len(designs)) as fig:
        axes = fig.subplots(len(designs), 1, sharex=True, squeeze=False)[:, 0]
        for ax, d in zip(axes, designs):
            v = data[d]
            r = rows[d]
            ax.set_yticks([])
            ax.spines["left"].set_visible(False)
            ax.set_xlim(lo - pad, hi + pad)
            ax.grid(axis="x")
            ax.text(-0.01, 0.5, d, transform=ax.transAxes, ha="right", va="center", fontsize=9,
                    fontweight="bold")
            if not len(v):
                ax.text(0.5, 0.5, "no sample with compute saved vs silo defined (design or silo infeasible)",
                        transform=ax.transAxes, ha="center", va="center", fontsize=8.5, color=MUTED)
                continue
            ax.hist(v, bins=bins, color=SKY, edgecolor="white", linewidth=0.5)
            qs = [(r["compute_saved_p5"], DASHED), (r["compute_saved_p50"], "solid"), (r["compute_saved_p95"], DASHED)]
            for q, style in qs:
                ax.axvline(q, color=INK, linestyle=style, linewidth=1.1)  # defined: v is not empty
            text = " · ".join(f"{k} {compact(q)}" for k, (q, _) in zip(("P5", "P50", "P95"), qs))
            ax.text(1.0, 1.02, f"{text}   (n = {len(v)} of {r['samples']})", transform=ax.transAxes, ha="right",
                    va="bottom", fontsize=8, color=MUTED)
        compact_ticks(axes[-1].xaxis)
        axes[-1].set_xlabel(f"compute saved vs silo ({sw.units.get('compute') or 'compute units'}) per sample")
        fig.suptitle("Savings across samples, per design", x=0.01, ha="left", fontsize=11, fontweight="bold")
        fig.legend(handles=[Patch(color=SKY, label="samples"),
                            Line2D([], [], color=INK, linewidth=1.1, label="P50 (median)"),
                            Line2D([], [], color=INK, linewidth=1.1, linestyle=DASHED, label="P5 and P95")],
                   loc="outside lower center", ncols=3)
        return svg_text(fig)


def sensitivity_chart(sw: Sweep) -> str | None:
    """Per design, the inputs with the largest |Spearman rho| with its savings."""
    tops = {d: sw.drivers[d][:TOP_INPUTS] for d in sw.designs if sw.drivers[d]}
    if not tops:
        return None
    designs = list(tops)
    cols = 1 if len(designs) == 1 else 2
    rows = math.ceil(len(designs) / cols)
    k_max = max(len(t) for t in tops.values())
    with new_figure(7.0 if cols == 1 else 11.5, 1.0 + rows * (0.85 + 0.22 * k_max)) as fig:
        fig.get_layout_engine().set(h_pad=0.12, hspace=0.06, w_pad=0.1)
        axes = fig.subplots(rows, cols, squeeze=False)
        for n, ax in enumerate(axes.flat):
            if n >= len(designs):
                ax.set_visible(False)
                continue
            d = designs[n]
            top = tops[d]
            ys = list(range(len(top)))
            vals = [v for _, v in top]
            ax.barh(ys, vals, height=0.7, color=[BLUE if v >= 0 else VERMILION for v in vals])
            for y, v in zip(ys, vals):
                ax.text(v + (0.03 if v >= 0 else -0.03), y, f"{v:+.2f}", va="center",
                        ha="left" if v >= 0 else "right", fontsize=7.5, color=INK)
            ax.set_yticks(ys, [name for name, _ in top], fontsize=8)
            ax.set_ylim(k_max - 0.5, -0.5)
            ax.set_xlim(-1.18, 1.18)
            ax.set_xticks([-1, -0.5, 0, 0.5, 1])
            ax.axvline(0, color=INK, linewidth=0.8)
            ax.grid(axis="x", color=GRID)
            ax.tick_params(axis="y", length=0)
            ax.set_title(d, fontsize=10, pad=6)
        which = "the input" if k_max == 1 else f"top {k_max} inputs"
        fig.suptitle(f"What drives compute saved vs silo: {which} by |Spearman ρ|, per design", x=0.01,
                     ha="left", fontsize=11, fontweight="bold")
        fig.legend(handles=[Patch(color=BLUE, label="higher input, more compute saved"),
                            Patch(color=VERMILION, label="higher input, less compute saved")],
                   loc="outside lower center", ncols=2)
        return svg_text(fig)
