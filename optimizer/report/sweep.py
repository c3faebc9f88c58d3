"""The sweep report: how a plan's savings survive the error bars of its estimates.

``write_sweep_report(sw, out_dir)`` writes, atomically (see :func:`optimizer.report.replace_dir`),
for an :class:`optimizer.sweep.Sweep`:

- ``sweep.md``, ``sweep.html`` (one self-contained page), ``sweep.json`` (``sw.to_dict()``);
- tidy tables, units in the column names: ``summary.csv``, ``outcomes.csv`` and
  ``outcomes.parquet``, ``inputs.csv`` and ``inputs.parquet``, ``beats.csv``,
  ``sensitivity.csv``, ``run_frequency.csv``;
- charts: ``savings-histograms.svg`` and ``sensitivity.svg``.

Nothing timed goes into any file (``wall_seconds``, ``highs_seconds`` and ``workers`` are
left out), so the same sweep gives byte-identical files. Parquet files are written by
pyarrow with zstd compression, no index and no pandas schema metadata. See docs/reports.md.
"""
from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UsageError
from . import content as c
from . import csvs
from .page import Page
from .charts import BLUE, GRID, INK, MUTED, SKY, VERMILION, compact, new_figure, svg_text
from .resultdoc import sanitise, slugify
from ..status import has_plan

HISTOGRAMS, SENSITIVITY = "savings-histograms", "sensitivity"
CHART_NAMES = (HISTOGRAMS, SENSITIVITY)
TABLES = ("summary", "outcomes", "inputs", "beats", "sensitivity", "run_frequency")
PARQUET = ("outcomes", "inputs")
SWEEP_FILES = frozenset(["sweep.md", "sweep.html", "sweep.json"] + [f"{t}.csv" for t in TABLES]
                        + [f"{t}.parquet" for t in PARQUET] + [f"{n}.svg" for n in CHART_NAMES])
TOP_INPUTS = 10          # bars per design in sensitivity.svg
TABLE_INPUTS = 15        # rows of the sensitivity table on the page
PARQUET_COMPRESSION = "zstd"

FILES = [
    ("sweep.html", "this report as one self-contained page (charts inline)"),
    ("sweep.md", "this report in Markdown, the charts as the SVG files beside it"),
    ("sweep.json", "the summaries as a JSON object, as `sweep --json` prints them"),
    ("summary.csv", "one row per design: infeasibility, savings distribution, base plan"),
    ("outcomes.csv", "one row per sample and design: status, compute, savings, base plan, plan"),
    ("outcomes.parquet", "the same table as Parquet"),
    ("inputs.csv", "one row per sample: the multiplier drawn for every uncertain input"),
    ("inputs.parquet", "the same table as Parquet"),
    ("beats.csv", "one row per ordered pair of designs: share of samples in which the first needs less compute"),
    ("sensitivity.csv", "one row per design and input: Spearman rank correlation with savings"),
    ("run_frequency.csv", "one row per design, member and workstream it runs: samples in which it runs it"),
    (f"{HISTOGRAMS}.svg", "the savings histograms above"),
    (f"{SENSITIVITY}.svg", "the sensitivity chart above"),
]


def default_sweep_dir(instance_slug: str) -> Path:
    """``reports/<instance-slug>-sweep/``."""
    return Path("reports") / f"{slugify(instance_slug)}-sweep"


def check_sweep_dir(out_dir: str | os.PathLike) -> Path:
    """Refuse an ``out_dir`` we must not replace: a file, a symlink, or a directory holding
    anything but a sweep report of ours."""
    from . import refuse_unless_ours
    return refuse_unless_ours(Path(out_dir), SWEEP_FILES, "sweep report")


# --- the tables as written ----------------------------------------------------------------------
def summary_columns(cu: str) -> dict[str, str]:
    """``Sweep.summary()`` key -> summary.csv column (keys not listed keep their name)."""
    return {"design": "design", "samples": "samples", "infeasible_share": "infeasible_fraction",
            "savings_samples": "savings_samples", "savings_mean": f"savings_mean_{cu}",
            "savings_p5": f"savings_p5_{cu}", "savings_p50": f"savings_p50_{cu}", "savings_p95": f"savings_p95_{cu}",
            "total_compute_mean": f"total_compute_mean_{cu}",
            "base_plan_feasible_share": "base_plan_feasible_fraction",
            "base_plan_compute_mean": f"base_plan_compute_mean_{cu}",
            "base_plan_regret_mean": f"base_plan_regret_mean_{cu}"}


def outcome_columns(cu: str) -> dict[str, str]:
    """``Sweep.outcomes`` column -> outcomes.csv column (others keep their name)."""
    return {"sample": "sample", "design": "design", "status": "status", "total_compute": f"total_compute_{cu}",
            "silo_compute": f"silo_compute_{cu}", "savings": f"savings_{cu}",
            "duplicated_compute": f"duplicated_compute_{cu}", "base_plan_feasible": "base_plan_feasible",
            "base_plan_compute": f"base_plan_compute_{cu}", "plan": "plan"}


BEATS_COLUMNS = ["design", "versus", "beats_fraction"]
SENSITIVITY_COLUMNS = ["design", "input", "spearman_rho"]
RUN_FREQUENCY_COLUMNS = {"design": "design", "member": "member", "workstream": "workstream",
                         "runs": "samples_running", "share": "running_fraction"}


def _plain(x: Any) -> Any:
    """A plain Python value: NaN as None, -0.0 as 0.0, numpy scalars unwrapped. Figures are
    written as the sweep computed them (its outcomes are already rounded to 6 decimals)."""
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if not math.isfinite(x):
            return None
        return x + 0.0
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _compute_unit(sw) -> tuple[str, str]:
    units = dict(getattr(sw, "units", None) or {})
    cu = units.get("compute") or "compute units"
    return cu, csvs.unit_label(units.get("compute"), "compute-units")


def tables(sw) -> dict[str, pd.DataFrame]:
    """The report's tables by name (see TABLES), columns renamed with units."""
    _, cu = _compute_unit(sw)
    summary = sw.summary().reset_index(drop=True)
    summary = summary.rename(columns=summary_columns(cu)).map(_plain).astype(object)
    outcomes = sw.outcomes.reset_index(drop=True).rename(columns=outcome_columns(cu))
    inputs = sw.inputs.reset_index()
    if "sample" not in inputs.columns:                      # an unnamed index
        inputs = inputs.rename(columns={inputs.columns[0]: "sample"})
    beats = sw.beats()
    beats = pd.DataFrame([[a, b, float(beats.loc[a, b])] for a in beats.index for b in beats.columns],
                         columns=BEATS_COLUMNS)
    sens = sw.sensitivity().reset_index(drop=True)
    sens = sens.assign(spearman_rho=sens["spearman_rho"].map(_plain)).astype(object)
    freq = sw.run_frequency().reset_index(drop=True).rename(columns=RUN_FREQUENCY_COLUMNS)
    return {"summary": summary, "outcomes": outcomes, "inputs": inputs, "beats": beats,
            "sensitivity": sens, "run_frequency": freq}


def _parquet(df: pd.DataFrame) -> bytes:
    """Parquet bytes without the pandas schema metadata (it records library versions and
    index details); the same frame and pyarrow version give the same bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression=PARQUET_COMPRESSION)
    return buf.getvalue()


# --- charts ---------------------------------------------------------------------------------------
def _savings(sw, design: str) -> np.ndarray:
    o = sw.outcomes[sw.outcomes.design == design]
    return o.savings.dropna().astype(float).to_numpy()


def histograms_chart(sw, summary: pd.DataFrame) -> str | None:
    """One small histogram per design of its savings over the samples (same x axis), P5 and
    P95 dashed, P50 solid."""
    cu, _ = _compute_unit(sw)
    designs = list(sw.designs)
    data = {d: _savings(sw, d) for d in designs}
    every = np.concatenate([v for v in data.values() if len(v)] or [np.zeros(0)])
    if not len(every):
        return None
    lo, hi = float(every.min()), float(every.max())
    if hi - lo < 1e-9 * max(1.0, abs(hi)):
        lo, hi = lo - max(1.0, abs(lo) * 0.05), hi + max(1.0, abs(hi) * 0.05)
    bins = np.linspace(lo, hi, int(min(40, max(10, math.ceil(math.sqrt(len(every)) * 2)))) + 1)
    pad = (hi - lo) * 0.03
    rows = {r["design"]: r for r in summary.to_dict("records")}
    with new_figure(9.0, 1.2 + 1.05 * len(designs)) as fig:
        axes = fig.subplots(len(designs), 1, sharex=True, squeeze=False)[:, 0]
        for ax, d in zip(axes, designs):
            v = data[d]
            r = rows.get(d, {})
            ax.set_yticks([])
            ax.spines["left"].set_visible(False)
            ax.set_xlim(lo - pad, hi + pad)
            ax.grid(axis="x")
            ax.text(-0.01, 0.5, d, transform=ax.transAxes, ha="right", va="center", fontsize=9,
                    fontweight="bold")
            n_all = int(r.get("samples") or 0)
            if not len(v):
                ax.text(0.5, 0.5, "no sample with savings defined (design or silo infeasible)",
                        transform=ax.transAxes, ha="center", va="center", fontsize=8.5, color=MUTED)
                continue
            ax.hist(v, bins=bins, color=SKY, edgecolor="white", linewidth=0.5)
            qs = [(r.get("savings_p5"), (0, (3, 2))), (r.get("savings_p50"), "solid"),
                  (r.get("savings_p95"), (0, (3, 2)))]
            for q, style in qs:
                if q is not None and not (isinstance(q, float) and math.isnan(q)):
                    ax.axvline(q, color=INK, linestyle=style, linewidth=1.1)
            text = " · ".join(f"{k} {compact(q)}" for k, (q, _) in zip(("P5", "P50", "P95"), qs)
                              if q is not None and not (isinstance(q, float) and math.isnan(q)))
            ax.text(1.0, 1.02, f"{text}   (n = {len(v)} of {n_all})", transform=ax.transAxes, ha="right",
                    va="bottom", fontsize=8, color=MUTED)
        axes[-1].xaxis.set_major_formatter(lambda x, _pos: compact(x) if x else "0")
        axes[-1].set_xlabel(f"savings against the silo ({cu}) per sample")
        fig.suptitle("Savings across samples, per design", x=0.01, ha="left", fontsize=11, fontweight="bold")
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch
        fig.legend(handles=[Patch(color=SKY, label="samples"),
                            Line2D([], [], color=INK, linewidth=1.1, label="P50 (median)"),
                            Line2D([], [], color=INK, linewidth=1.1, linestyle=(0, (3, 2)), label="P5 and P95")],
                   loc="outside lower center", ncols=3)
        return svg_text(fig)


def _top_inputs(sens: pd.DataFrame, design: str, k: int) -> list[tuple[str, float]]:
    rows = sens[sens.design == design]
    vals = [(str(i), float(r)) for i, r in zip(rows["input"], rows["spearman_rho"])
            if r is not None and not (isinstance(r, float) and math.isnan(r))]
    order = {name: n for n, (name, _) in enumerate(vals)}
    vals.sort(key=lambda t: (-abs(t[1]), order[t[0]]))
    return vals[:k]


def sensitivity_chart(sw, sens: pd.DataFrame) -> str | None:
    """Per design, the inputs with the largest |Spearman rho| with its savings."""
    designs = [d for d in sw.designs if _top_inputs(sens, d, 1)]
    if not designs:
        return None
    tops = {d: _top_inputs(sens, d, TOP_INPUTS) for d in designs}
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
        fig.suptitle(f"What drives savings: {which} by |Spearman ρ|, per design", x=0.01,
                     ha="left", fontsize=11, fontweight="bold")
        from matplotlib.patches import Patch
        fig.legend(handles=[Patch(color=BLUE, label="higher input, more savings"),
                            Patch(color=VERMILION, label="higher input, less savings")],
                   loc="outside lower center", ncols=2)
        return svg_text(fig)


# --- the page ---------------------------------------------------------------------------------
def _isnum(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _focus(designs: list[str]) -> str:
    if "consortium" in designs:
        return "consortium"
    return next((d for d in designs if d != "silo"), designs[0])


def _kinds(inputs: list[str]) -> str:
    counts: dict[str, int] = {}
    for name in inputs:
        kind = name.split(":", 1)[0]
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in counts.items())


def _status(summary: list[dict]) -> c.Status:
    broken = [(r["design"], r["infeasible_share"]) for r in summary if (r.get("infeasible_share") or 0) > 0]
    if not broken:
        return c.Status("ok", "ALWAYS FEASIBLE", "Every design has a plan meeting every need in every sample.")
    parts = ", ".join(f"{d} {c.pct(s)}" for d, s in broken)
    if len(broken) == len(summary) and all(share >= 1 for _, share in broken):
        return c.Status("bad", "NO PLANS", "No design has a plan meeting every need within the limits in any "
                                           "sample.")
    return c.Status("warn", "SOMETIMES INFEASIBLE", f"Some designs have no plan meeting every need within the "
                                                    f"limits in some samples (share of samples): {parts}.")


def _headline(sw, summary: list[dict], cu: str) -> c.Figures:
    n = int(sw.inputs.shape[0])
    inputs = [str(x) for x in sw.inputs.columns]
    designs = list(sw.designs)
    focus = _focus(designs)
    row = next((r for r in summary if r["design"] == focus), {})
    items = [c.Figure("Samples", f"{n:,}", "", f"Latin hypercube, seed {sw.seed}"),
             c.Figure("Designs", str(len(designs)), "", ", ".join(designs)),
             c.Figure("Uncertain inputs", str(len(inputs)), "", _kinds(inputs) or "none")]
    k = row.get("savings_samples", 0) or 0
    if row.get("savings_p50") is not None:
        items.append(c.Figure(f"Savings P50 · {focus}", c.num(row["savings_p50"]), cu,
                              f"P5 {c.num(row.get('savings_p5'))} to P95 {c.num(row.get('savings_p95'))}; "
                              f"defined in {k} of {n} samples", key=True))
    else:
        items.append(c.Figure(f"Savings P50 · {focus}", "n/a", "", "no sample with savings defined", key=True))
    s = _savings(sw, focus)
    if len(s):
        items.append(c.Figure(f"Savings positive · {focus}", c.pct(float((s > 1e-9).mean())), "",
                              f"of the {len(s)} samples with savings defined", key=True))
    else:
        items.append(c.Figure(f"Savings positive · {focus}", "n/a", "", "no sample with savings defined", key=True))
    items.append(c.Figure(f"Base plan fits · {focus}", c.pct(row.get("base_plan_feasible_share")), "",
                          f"the plan at the modes; no plan at all in {c.pct(row.get('infeasible_share'))} of samples",
                          key=True))
    return c.Figures(items)


def _summary_table(summary: list[dict], n: int, cu: str) -> c.Table:
    headers = [("Design", ""), ("Infeasible", "share of samples"), ("Savings mean", cu), ("Savings P5", cu),
               ("Savings P50", cu), ("Savings P95", cu), ("Savings defined", "samples"),
               ("Base plan fits", "share of samples"), ("Base plan regret", f"mean, {cu}")]
    rows = []
    for r in summary:
        rows.append([r["design"], c.pct(r.get("infeasible_share")), c.num(r.get("savings_mean")),
                     c.num(r.get("savings_p5")), c.num(r.get("savings_p50")), c.num(r.get("savings_p95")),
                     f"{r.get('savings_samples', 0)} / {r.get('samples', n)}",
                     c.pct(r.get("base_plan_feasible_share")), c.num(r.get("base_plan_regret_mean"))])
    return c.Table(headers, rows, numeric=set(range(1, len(headers))), empty="no designs")


def _beats_table(beats: pd.DataFrame) -> c.Table:
    designs = list(beats.index)
    headers = [("Design", "beats →")] + [(d, "") for d in designs]
    rows = []
    for a in designs:
        row: list[c.Cell] = [a]
        for b in designs:
            v = beats.loc[a, b]
            if a == b:
                row.append(c.Mark("—", "muted"))
            elif v is None or (isinstance(v, float) and math.isnan(v)):
                row.append("n/a")
            else:
                text = c.pct(float(v))
                row.append(c.Mark(text, "strong") if v >= 0.5 else text)
        rows.append(row)
    return c.Table(headers, rows, numeric=set(range(1, len(headers))), empty="no designs")


def _sensitivity_blocks(sw, sens: pd.DataFrame) -> list[c.Block]:
    designs = [d for d in sw.designs if _top_inputs(sens, d, 1)]
    flat = [d for d in sw.designs if d not in designs]
    out: list[c.Block] = [c.Para([
        "Spearman rank correlation ρ between each uncertain input's multiplier and a design's savings, over "
        "the samples where savings are defined: +1 means savings rise with the input in every sample, −1 that "
        "they fall, 0 no monotone link. With few samples, |ρ| below about 0.3 is noise."])]
    if not designs:
        return out + [c.Para([c.Mark("No design's savings vary across the samples (or they are defined in fewer "
                                     "than 3).", "muted")])]
    out.append(c.Chart(SENSITIVITY, "Top inputs by absolute Spearman correlation with savings, per design",
                       f"Per design, the {TOP_INPUTS} inputs whose multipliers are most strongly rank-correlated "
                       "with its savings. Blue: a higher value raises savings; red: it lowers them."))
    inputs = list(dict.fromkeys(sens["input"]))
    best = {}
    for name in inputs:
        vals = [abs(v) for v in sens[(sens["input"] == name) & sens.design.isin(designs)]["spearman_rho"]
                if _isnum(v)]
        if vals:
            best[name] = max(vals)
    ranked = sorted(best, key=lambda k: (-best[k], inputs.index(k)))[:TABLE_INPUTS]
    lookup = {(d, i): v for d, i, v in zip(sens.design, sens["input"], sens["spearman_rho"])}
    rows = []
    for name in ranked:
        row: list[c.Cell] = [c.Mark(name, "id")]
        for d in designs:
            v = lookup.get((d, name))
            if not _isnum(v):
                row.append("n/a")
            else:
                row.append(c.Mark(f"{v:+.2f}", "strong") if abs(v) >= 0.5 else f"{v:+.2f}")
        rows.append(row)
    more = len(best) - len(ranked)
    lead = "The input" if len(ranked) == 1 else f"The {len(ranked)} inputs"
    out.append(c.Para([f"{lead} with the largest |ρ| in any design"
                       + (f" ({more} more in " if more > 0 else " (all in "), c.Mark("sensitivity.csv", "code"),
                       "); |ρ| ≥ 0.5 in bold:"]))
    out.append(c.Table([("Input", "")] + [(d, "ρ") for d in designs], rows,
                       numeric=set(range(1, len(designs) + 1)), empty="no inputs"))
    if flat:
        out.append(c.Para([c.Mark(f"Left out: {', '.join(flat)} (savings do not vary across the samples, or are "
                                  "defined in fewer than 3).", "muted")]))
    return out


def _frequency_blocks(sw, freq: pd.DataFrame) -> list[c.Block]:
    n = int(sw.inputs.shape[0])
    out: list[c.Block] = [c.Para([
        "Who runs which workstream, per design, over the samples in which the design has a plan: ",
        c.Mark("always", "strong"), " lists what a member runs in every one of them, ",
        c.Mark("sometimes", "strong"), " what it runs in only some (with the share of those samples). Members "
        "running nothing are left out; ", c.Mark("run_frequency.csv", "code"), " has the counts (its share is of "
        "all samples)."])]
    seen: dict[tuple, str] = {}
    for d in sw.designs:
        f = freq[freq.design == d]
        o = sw.outcomes[sw.outcomes.design == d]
        planned = int(o.status.map(has_plan).sum())
        if not planned:
            out.append(c.Para([c.Mark(d, "strong"), ": no plan in any sample."]))
            continue
        key = (planned, tuple(sorted(zip(f.member, f.workstream, (int(k) for k in f.runs)))))
        of = f"{planned} of {n} samples with a plan"
        if key in seen:
            out.append(c.Para([c.Mark(d, "strong"), f" ({of}): the same as ", c.Mark(seen[key], "strong"), "."]))
            continue
        seen[key] = d
        rows = []
        for m in dict.fromkeys(f.member):
            mine = f[f.member == m]
            always = [w for w, k in zip(mine.workstream, mine.runs) if k >= planned]
            some = sorted(((w, int(k)) for w, k in zip(mine.workstream, mine.runs) if k < planned),
                          key=lambda t: -t[1])
            cells: list[c.Cell] = []
            for j, (w, k) in enumerate(some):
                cells += ([", "] if j else []) + [c.Mark(f"{w} {c.pct(k / planned)}", "id")]
            rows.append([m, c.ids(always) or "—", cells or "—"])
        out.append(c.Para([c.Mark(d, "strong"), f" ({of}):"]))
        out.append(c.Table([("Member", ""), ("Always runs", ""), ("Sometimes runs", "share of samples with a plan")],
                           rows, wide={1, 2}, empty="nobody runs anything"))
    return out


def _reading() -> c.Bullets:
    return c.Bullets([_code_spans(t) for t in [
        "Every sample draws one multiplier per uncertain input (the instance's `uncertainty:` section) from a "
        "scrambled Latin hypercube, and every design is re-planned under it.",
        "Savings are the design's silo (its members each meeting their needs alone, under the same sample) minus "
        "its total compute. They are defined only in samples where both the design and the silo have a plan; "
        "the summary says in how many.",
        "Infeasible: the share of samples in which the design has no plan meeting every need within the budgets "
        "and fleets.",
        "The base plan is each design's optimal plan at the distributions' modes. Base plan fits: the share of "
        "samples in which that fixed plan still meets every need within the limits. Base plan regret: how much "
        "more compute it needs than the sample's own optimum, averaged over the samples where it fits.",
        "P(row beats column): the share of all samples in which the row design needs strictly less total compute "
        "than the column design (a design with a plan beats one without; neither beats the other when both "
        "have none).",
    ]])


def build(sw, summary: list[dict], sens: pd.DataFrame, freq: pd.DataFrame, charts: set[str]) -> list[c.Block]:
    cu, _ = _compute_unit(sw)
    n = int(sw.inputs.shape[0])
    blocks: list[c.Block] = [
        c.Title(sw.instance, f"Uncertainty sweep · {n:,} samples · seed {sw.seed} · {len(sw.designs)} designs"),
        _status(summary),
        c.Heading("Headline", "headline"),
        _headline(sw, summary, cu),
        c.Heading("Savings per design", "savings"),
    ]
    if HISTOGRAMS in charts:
        blocks.append(c.Chart(HISTOGRAMS, "Histograms of savings across samples, one per design",
                              "Per design, how its savings against the silo are spread over the samples where they "
                              "are defined (same x axis for all). Solid line: median (P50); dashed: P5 and P95."))
    blocks += [_summary_table(summary, n, cu),
               c.Heading("Which design needs less compute", "beats"),
               c.Para(["Share of samples in which the ", c.Mark("row", "strong"), " design needs strictly less total "
                       "compute than the ", c.Mark("column", "strong"), " design; 50% or more in bold. A design "
                       "over fewer members (", c.Mark("members:", "code"), ") meets fewer needs, so it needs less "
                       "compute for that reason alone; compare its savings instead."]),
               _beats_table(sw.beats()),
               c.Heading("Sensitivity: what drives savings", "sensitivity")]
    sens_blocks = _sensitivity_blocks(sw, sens)
    if SENSITIVITY not in charts:
        sens_blocks = [b for b in sens_blocks if not isinstance(b, c.Chart)]
    blocks += sens_blocks
    blocks += [c.Heading("How often each member runs each workstream", "runs"), *_frequency_blocks(sw, freq),
               c.Heading("Reading the sweep", "reading"), _reading(),
               c.Heading("Assumptions", "assumptions"),
               c.KeyValues([("Instance", sw.instance), ("Designs", ", ".join(sw.designs)),
                            ("Samples", f"{n:,} (scrambled Latin hypercube, seed {sw.seed})"),
                            ("Uncertain inputs", c.ids(str(x) for x in sw.inputs.columns) or "none"),
                            ("Units", f"compute: {(sw.units or {}).get('compute', 'n/a')}; "
                                      f"money: {(sw.units or {}).get('money', 'n/a')}"),
                            ("Objective", "minimise total R&D compute (runs plus adoptions), per design and sample")]),
               c.Heading("Files", "files"),
               c.Bullets([[c.Mark(name, "file"), " — ", *_code_spans(what)] for name, what in FILES])]
    return blocks


def _code_spans(text: str) -> list[c.Cell]:
    return [c.Mark(p, "code") if k % 2 else p for k, p in enumerate(text.split("`")) if p]


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict("records")]


def render_sweep(sw) -> dict[str, bytes]:
    """{file name: content} of the sweep report; a pure function of the sweep's data."""
    from .. import __version__
    for attr in ("instance", "designs", "seed", "inputs", "outcomes", "summary", "beats", "sensitivity",
                 "run_frequency", "to_dict"):
        if not hasattr(sw, attr):
            raise UsageError(f"sweep report: expected an optimizer.sweep.Sweep, got {type(sw).__name__} "
                             f"(no {attr!r})")
    if not list(sw.designs):
        raise UsageError("sweep report: the sweep has no designs")
    summary = _records(sw.summary().reset_index(drop=True))
    sens = sw.sensitivity().reset_index(drop=True)
    freq = sw.run_frequency().reset_index(drop=True)
    svgs: dict[str, str] = {}
    for name, svg in ((HISTOGRAMS, histograms_chart(sw, pd.DataFrame(summary))),
                      (SENSITIVITY, sensitivity_chart(sw, sens))):
        if svg is not None:
            svgs[name] = svg
    blocks = build(sw, summary, sens, freq, set(svgs))
    footer: list[c.Cell] = [f"Generated by consortium-optimizer {__version__}; regenerate with ",
                            c.Mark(f"consortium sweep FILE --samples {int(sw.inputs.shape[0])} --seed {sw.seed} "
                                   "--out DIR", "code"),
                            " (the same seed gives the same samples, whatever the number of workers)."]
    doc = sanitise(sw.to_dict())
    files: dict[str, bytes] = {
        "sweep.json": (json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8"),
        **Page(blocks, svgs, "uncertainty sweep", footer).files("sweep"),
    }
    for name, df in tables(sw).items():
        files[f"{name}.csv"] = csvs.csv_bytes(df)
        if name in PARQUET:
            files[f"{name}.parquet"] = _parquet(df)
    files.update({f"{name}.svg": s.encode("utf-8") for name, s in svgs.items()})
    return files


def write_sweep_report(sw, out_dir: str | os.PathLike) -> Path:
    """Write the sweep report for ``sw`` (an ``optimizer.sweep.Sweep``) into ``out_dir``
    (created or replaced atomically)."""
    from . import replace_dir
    given = check_sweep_dir(out_dir)
    files = render_sweep(sw)                      # bad input fails before anything is written
    replace_dir(given, lambda: files, check_sweep_dir, "sweep report")
    return given
