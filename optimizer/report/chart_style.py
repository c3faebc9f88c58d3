"""One style for every report's charts: the colours, matplotlib's settings, a figure on the Agg
canvas, its deterministic SVG text, and numbers in compact form.

The same input gives byte-identical SVG: fixed ``svg.hashsalt`` (clip-path and marker ids), text
kept as text (``svg.fonttype: none``, so nothing depends on glyph caching), no date or creator in
the metadata, and only matplotlib's bundled DejaVu Sans for layout metrics.

No pyplot: figures are built with :class:`matplotlib.figure.Figure` on an Agg canvas, so
rendering a report never touches the caller's global backend or figure registry.
"""
from __future__ import annotations

import io
from contextlib import contextmanager
from typing import Any, Iterator

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

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
METHOD_COLOURS = (BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILION)
DASHED = (0, (3, 2))

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


def compact_ticks(axis) -> None:
    """An axis labelled in compact numbers, and "0" (not "0.00") at zero."""
    axis.set_major_formatter(lambda x, _pos: compact(x) if x else "0")

