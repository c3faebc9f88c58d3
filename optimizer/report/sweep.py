"""The sweep report: how a plan's savings survive the error bars of its estimates.

``KIND.write(sw, out_dir)`` writes the files of ``FILES`` for an :class:`optimizer.sweep.Sweep`,
charts from :mod:`.sweep_charts`. Nothing timed goes into any file (``wall_seconds``,
``highs_seconds`` and ``workers`` are left out), so the same sweep gives byte-identical files.
Parquet files are written by pyarrow with zstd compression, no index and no pandas schema
metadata. See docs/reports.md.
"""
from __future__ import annotations

import io
from collections import Counter

import pandas as pd

from ..errors import UsageError
from ..formatting import noun, num
from ..sweep import Sweep, records
from . import csvs
from .sweep_charts import TOP_INPUTS, histograms_chart, sensitivity_chart
from .kind import ReportKind, files_of
from .page import (Block, Bullets, Cell, Chart, Figure, Figures, Heading, Mark, Page, Para, Status, Table, Title,
                   closing, code_spans, compute_unit, ids, pct, regenerate_footer, units_text)

HISTOGRAMS, SENSITIVITY = "savings-histograms", "sensitivity"
TABLES = ("summary", "outcomes", "inputs", "beats", "sensitivity", "run_frequency")
PARQUET = ("outcomes", "inputs")
TABLE_INPUTS = 15        # rows of the sensitivity table on the page
PARQUET_COMPRESSION = "zstd"

FILES = [
    ("sweep.html", "this report as one self-contained page (charts inline)"),
    ("sweep.md", "this report in Markdown, the charts as the SVG files beside it"),
    ("sweep.json", "the summaries as a JSON object, as `sweep --json` prints them"),
    ("summary.csv", "one row per design: infeasibility, members enabled, compute saved vs silo, base plan"),
    ("outcomes.csv", "one row per sample and design: status, compute, compute saved vs silo, base plan, plan"),
    ("outcomes.parquet", "the same table as Parquet"),
    ("inputs.csv", "one row per sample: the multiplier drawn for every uncertain input"),
    ("inputs.parquet", "the same table as Parquet"),
    ("beats.csv", "one row per ordered pair of designs: share of samples in which the first needs less compute"),
    ("sensitivity.csv", "one row per design and input: Spearman rank correlation with compute saved vs silo, "
                        "samples, noise threshold"),
    ("run_frequency.csv", "one row per design, member and workstream it runs: samples in which it runs it"),
    ("sweep.xlsx", "every CSV above as a sheet of one workbook (units in the headers, numbers as numbers)"),
    (f"{HISTOGRAMS}.svg", "the compute saved vs silo histograms above"),
    (f"{SENSITIVITY}.svg", "the sensitivity chart above"),
]


# --- the tables as written ----------------------------------------------------------------------
def summary_columns(cu: str) -> dict[str, str]:
    """``Sweep.summary`` column -> summary.csv column (columns not listed keep their name)."""
    return {"infeasible_share": "infeasible_fraction", "base_plan_feasible_share": "base_plan_feasible_fraction",
            "enables_members_share": "enables_members_fraction", "samples": "samples_count",
            "compute_saved_samples": "compute_saved_samples_count",
            **csvs.with_unit(("compute_saved_mean", "compute_saved_p5", "compute_saved_p50", "compute_saved_p95",
                              "total_compute_mean", "base_plan_compute_mean", "base_plan_regret_mean"), cu)}


def outcome_columns(cu: str) -> dict[str, str]:
    """``Sweep.outcomes`` column -> outcomes.csv column (columns not listed keep their name)."""
    return csvs.with_unit(("total_compute", "silo_compute", "compute_saved_vs_silo", "duplicated_compute",
                           "base_plan_compute"), cu)


BEATS_COLUMNS = ["design", "versus", "beats_fraction"]
RUN_FREQUENCY_COLUMNS = {"runs": "samples_running", "share": "running_fraction"}


def tables(sw: Sweep) -> dict[str, pd.DataFrame]:
    """The report's tables by name (see TABLES), columns renamed with units."""
    cu = csvs.unit_label(sw.units.get("compute"), "compute-units")
    beats = pd.DataFrame([[a, b, float(sw.beats.loc[a, b])] for a in sw.designs for b in sw.designs],
                         columns=BEATS_COLUMNS)
    return {"summary": sw.summary.reset_index().rename(columns=summary_columns(cu)),
            "outcomes": sw.outcomes.rename(columns=outcome_columns(cu)),
            "inputs": sw.inputs.reset_index(), "beats": beats,
            "sensitivity": sw.sensitivity.reset_index().rename(columns={"samples": "samples_count",
                                                           "noise_threshold": "noise_threshold_rho"}),
            "run_frequency": sw.run_frequency.reset_index().rename(columns=RUN_FREQUENCY_COLUMNS)}


def parquet_bytes(df: pd.DataFrame) -> bytes:
    """Parquet bytes without the pandas schema metadata (it records library versions and
    index details); the same frame and pyarrow version give the same bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression=PARQUET_COMPRESSION)
    return buf.getvalue()


# --- the page ---------------------------------------------------------------------------------
def focus_design(designs: list[str]) -> str:
    """The design the headline is about: the consortium, else the first that is not the silo."""
    return "consortium" if "consortium" in designs else next((d for d in designs if d != "silo"), designs[0])


def _status(summary: list[dict]) -> Status:
    broken = [(r["design"], r["infeasible_share"]) for r in summary if r["infeasible_share"] > 0]
    if not broken:
        return Status("ok", "ALWAYS FEASIBLE", "Every design has a plan meeting every need in every sample.")
    parts = ", ".join(f"{d} {pct(s)}" for d, s in broken)
    if len(broken) == len(summary) and all(share >= 1 for _, share in broken):
        return Status("bad", "NO PLANS", "No design has a plan meeting every need within the limits in any sample.")
    return Status("warn", "SOMETIMES INFEASIBLE", f"Some designs have no plan meeting every need within the "
                                                  f"limits in some samples (share of samples): {parts}.")


def _headline(sw: Sweep, summary: list[dict]) -> Figures:
    n, inputs, focus = sw.samples, [str(x) for x in sw.inputs.columns], focus_design(sw.designs)
    row = next(r for r in summary if r["design"] == focus)
    items = [Figure("Samples", f"{n:,}", "", f"Latin hypercube, seed {sw.seed}"),
             Figure("Designs", str(len(sw.designs)), "", ", ".join(sw.designs)),
             Figure("Uncertain inputs", str(len(inputs)), "",  # by kind: '3 compute, 2 budget'
                    ", ".join(f"{n} {k}" for k, n in Counter(x.split(":", 1)[0] for x in inputs).items()) or "none")]
    k, none = row["compute_saved_samples"], "no sample with compute saved vs silo defined"
    if row["compute_saved_p50"] is not None:
        items.append(Figure(f"Compute saved vs silo P50 · {focus}", num(row["compute_saved_p50"]),
                            compute_unit(sw.units),
                            f"P5 {num(row['compute_saved_p5'])} to P95 {num(row['compute_saved_p95'])}; "
                            f"over the {k} of {n} samples where it is defined", key=True))
    else:
        items.append(Figure(f"Compute saved vs silo P50 · {focus}", "n/a", "", none, key=True))
    positive = sw.savings_positive_share[focus]
    items.append(Figure(f"Compute saved positive · {focus}", "n/a" if positive is None else pct(positive), "",
                        none if positive is None else f"of the {k} samples where it is defined", key=True))
    items.append(Figure(f"Enables members · {focus}", pct(row["enables_members_share"]), "",
                        "share of samples in which it has a plan while some member cannot meet its needs alone", key=True))
    items.append(Figure(f"Base plan fits · {focus}", pct(row["base_plan_feasible_share"]), "",
                        f"the plan at the modes; no plan at all in {pct(row['infeasible_share'])} of samples",
                        key=True))
    return Figures(items)


def _summary_table(summary: list[dict], cu: str) -> Table:
    headers = [("Design", ""), ("Infeasible", "share of samples"), ("Enables members", "share of samples"),
               ("Compute saved mean", cu), ("P5", cu), ("P50", cu), ("P95", cu), ("Saved over", "samples"),
               ("Base plan fits", "share of samples"), ("Base plan regret", f"mean, {cu}")]
    rows = [[r["design"], pct(r["infeasible_share"]), pct(r["enables_members_share"]), num(r["compute_saved_mean"]),
             num(r["compute_saved_p5"]), num(r["compute_saved_p50"]), num(r["compute_saved_p95"]),
             f"{r['compute_saved_samples']} / {r['samples']}", pct(r["base_plan_feasible_share"]),
             num(r["base_plan_regret_mean"])] for r in summary]
    return Table(headers, rows, numeric=set(range(1, len(headers))), empty="no designs")


def _beats_table(sw: Sweep) -> Table:
    headers = [("Design", "beats →")] + [(d, "") for d in sw.designs]
    rows = []
    for a in sw.designs:
        row: list[Cell] = [a]
        for b in sw.designs:
            share = float(sw.beats.loc[a, b])  # a share of all samples: always defined
            row.append(Mark("—", "muted") if a == b else Mark(pct(share), "strong") if share >= 0.5 else pct(share))
        rows.append(row)
    return Table(headers, rows, numeric=set(range(1, len(headers))), empty="no designs")


def _noise_text(sw: Sweep, designs: list[str]) -> str:
    """The noise thresholds of these designs' rho, from the samples each is computed over."""
    sens = sw.sensitivity.reset_index()
    by = {}
    for d in designs:
        rows = sens[(sens.design == d) & sens.spearman_rho.notna()]
        if len(rows):
            by.setdefault((int(rows.samples.iloc[0]), float(rows.noise_threshold.iloc[0])), []).append(d)
    parts = [f"{t:.2f} over {n} samples ({', '.join(ds)})" for (n, t), ds in sorted(by.items())]
    return "; ".join(parts)


def _sensitivity_blocks(sw: Sweep) -> list[Block]:
    designs = [d for d in sw.designs if sw.drivers[d]]
    flat = [d for d in sw.designs if not sw.drivers[d]]
    out: list[Block] = [Para([
        "Spearman rank correlation ρ between each uncertain input's multiplier and a design's compute saved vs "
        "silo, over the samples where it is defined: +1 means it rises with the input in every sample, −1 that "
        "it falls, 0 no monotone link. Below the noise threshold, about 1.96/√(n−1) for n samples (the "
        "two-sided 5% level if input and savings were unrelated), ρ is indistinguishable from noise."])]
    if not designs:
        return out + [Para([Mark("No design's compute saved vs silo varies across the samples (or it is defined "
                                 "in fewer than 3).", "muted")])]
    out.append(Chart(SENSITIVITY, "Top inputs by absolute Spearman correlation with compute saved vs silo, per design",
                     f"Per design, the {TOP_INPUTS} inputs whose multipliers are most strongly rank-correlated "
                     "with its compute saved vs silo. Blue: a higher value raises it; red: it lowers it."))
    rho = {(d, name): v for d in designs for name, v in sw.drivers[d]}
    significant = {key for key, ok in sw.sensitivity.significant.items() if ok}
    binding = sw.base_binding_budgets
    best: dict[str, float] = {}
    for (_, name), v in rho.items():
        best[name] = max(best.get(name, 0.0), abs(v))
    order = list(sw.inputs.columns)
    ranked = sorted(best, key=lambda k: (-best[k], order.index(k)))[:TABLE_INPUTS]
    rows, unbound = [], False
    for name in ranked:
        row: list[Cell] = [Mark(name, "id")]
        for d in designs:
            v = rho.get((d, name))
            budget_without_bind = name.startswith("budget:") and name.split(":", 1)[1] not in binding.get(d, [])
            strong = (d, name) in significant
            unbound |= strong and budget_without_bind
            row.append("n/a" if v is None else Mark(f"{v:+.2f}", "strong") if strong and not budget_without_bind
                       else f"{v:+.2f}")
        rows.append(row)
    more = len(best) - len(ranked)
    lead = "The input" if len(ranked) == 1 else f"The {len(ranked)} inputs"
    out.append(Para([f"{lead} with the largest |ρ| in any design"
                     + (f" ({more} more in " if more > 0 else " (all in "), Mark("sensitivity.csv", "code"),
                     f"); in bold where |ρ| reaches the noise threshold: {_noise_text(sw, designs)}."]))
    out.append(Table([("Input", "")] + [(d, "ρ") for d in designs], rows,
                     numeric=set(range(1, len(designs) + 1)), empty="no inputs"))
    if unbound:
        out.append(Para([Mark("A member's budget is not in bold for a design whose base plan (at the modes) does "
                              "not use that budget up: a budget that does not bind cannot change the plan, so its "
                              "ρ comes from chance or from the samples where it happens to bind.", "muted")]))
    if flat:
        out.append(Para([Mark(f"Left out: {', '.join(flat)} (compute saved vs silo does not vary across the samples, "
                              "or is defined in fewer than 3).", "muted")]))
    return out


def _frequency_blocks(sw: Sweep) -> list[Block]:
    out: list[Block] = [Para([
        "Who runs which workstream, per design, over the samples in which the design has a plan: ",
        Mark("always", "strong"), " lists what a member runs in every one of them, ",
        Mark("sometimes", "strong"), " what it runs in only some (with the share of those samples). Members "
        "running nothing are left out; ", Mark("run_frequency.csv", "code"), " has the counts (its share is of "
        "all samples)."])]
    freq = sw.run_frequency.reset_index()
    seen: dict[tuple, str] = {}
    for d in sw.designs:
        f, planned = freq[freq.design == d], sw.planned_samples[d]
        if not planned:
            out.append(Para([Mark(d, "strong"), ": no plan in any sample."]))
            continue
        key = (planned, tuple(sorted(zip(f.member, f.workstream, (int(k) for k in f.runs)))))
        of = f"{planned} of {sw.samples} samples with a plan"
        if key in seen:
            out.append(Para([Mark(d, "strong"), f" ({of}): the same as ", Mark(seen[key], "strong"), "."]))
            continue
        seen[key] = d
        rows = []
        for m in dict.fromkeys(f.member):
            mine = f[f.member == m]
            always = [w for w, k in zip(mine.workstream, mine.runs) if k >= planned]
            some = sorted(((w, int(k)) for w, k in zip(mine.workstream, mine.runs) if k < planned),
                          key=lambda t: -t[1])
            sometimes = ids(f"{w} {pct(k / planned)}" for w, k in some)
            rows.append([m, ids(always) or "—", sometimes or "—"])
        out.append(Para([Mark(d, "strong"), f" ({of}):"]))
        out.append(Table([("Member", ""), ("Always runs", ""), ("Sometimes runs", "share of samples with a plan")],
                         rows, wide={1, 2}, empty="nobody runs anything"))
    return out


READING = [
    "Every sample draws one multiplier per uncertain input (the instance's `uncertainty:` section) from a "
    "scrambled Latin hypercube, and every design is re-planned under it.",
    "Compute saved vs silo is the design's silo (its members each meeting their needs alone, under the same "
    "sample) minus its total compute. It is defined only in samples where both the design and the silo have a "
    "plan, and its mean and percentiles are over those samples only (\"Saved over\" says how many).",
    "Enables members: the share of samples in which the design has a plan while some member of it cannot meet "
    "its needs alone (its silo has no plan) - samples where the design is what makes those needs possible at "
    "all, and where compute saved vs silo is therefore not defined.",
    "Infeasible: the share of samples in which the design has no plan meeting every need within the budgets "
    "and fleets.",
    "The base plan is each design's optimal plan at the distributions' modes. Base plan fits: the share of "
    "samples in which that fixed plan still meets every need within the limits. Base plan regret: how much "
    "more compute it needs than the sample's own optimum, averaged over the samples where it fits.",
    "P(row beats column): the share of all samples in which the row design needs strictly less total compute "
    "than the column design (a design with a plan beats one without; neither beats the other when both "
    "have none).",
]


def build(sw: Sweep, summary: list[dict]) -> list[Block]:
    """The page's blocks; ``summary``: ``sw.summary`` as records."""
    cu, n = compute_unit(sw.units), sw.samples
    return [
        Title(sw.instance, f"Uncertainty sweep · {n:,} {noun(n, 'sample')} · seed {sw.seed} · "
              f"{len(sw.designs)} {noun(len(sw.designs), 'design')}"),
        _status(summary), Heading("Headline", "headline"), _headline(sw, summary),
        Heading("Compute saved vs silo per design", "savings"),
        Chart(HISTOGRAMS, "Histograms of compute saved vs silo across samples, one per design",
              "Per design, how its compute saved vs silo is spread over the samples where it is defined "
              "(same x axis for all). Solid line: median (P50); dashed: P5 and P95."),
        _summary_table(summary, cu),
        Heading("Which design needs less compute", "beats"),
        Para(["Share of samples in which the ", Mark("row", "strong"), " design needs strictly less total "
              "compute than the ", Mark("column", "strong"), " design; 50% or more in bold. A design "
              "over fewer members (", Mark("members:", "code"), ") meets fewer needs, so it needs less "
              "compute for that reason alone; compare its compute saved vs silo instead."]),
        _beats_table(sw),
        Heading("Sensitivity: what drives compute saved vs silo", "sensitivity"), *_sensitivity_blocks(sw),
        Heading("How often each member runs each workstream", "runs"), *_frequency_blocks(sw),
        Heading("Reading the sweep", "reading"), Bullets([code_spans(t) for t in READING]),
        *closing([("Instance", sw.instance), ("Designs", ", ".join(sw.designs)),
                  ("Samples", f"{n:,} (scrambled Latin hypercube, seed {sw.seed})"),
                  ("Uncertain inputs", ids(str(x) for x in sw.inputs.columns) or "none"),
                  ("Units", units_text(sw.units)),
                  ("Objective", "minimise total R&D compute (runs plus adoptions), per design and sample")], FILES)]


def render(sw: Sweep) -> dict[str, bytes]:
    """{file name: content} of the sweep report; a pure function of the sweep."""
    if not isinstance(sw, Sweep):
        raise UsageError(f"sweep report: expected an optimizer.sweep.Sweep, got {type(sw).__name__}")
    summary = records(sw.summary)
    charts = {HISTOGRAMS: histograms_chart(sw, summary), SENSITIVITY: sensitivity_chart(sw)}
    footer = regenerate_footer(f"consortium sweep FILE --samples {sw.samples} --seed {sw.seed} --out DIR",
                               " (the same seed gives the same samples, whatever the number of workers).")
    written = tables(sw)
    files = files_of(Page(build(sw, summary), charts, "uncertainty sweep", footer), "sweep", "sweep.json",
                     sw.to_dict(), written)
    return files | {f"{name}.parquet": parquet_bytes(written[name]) for name in PARQUET}


KIND = ReportKind("sweep report", frozenset(name for name, _ in FILES), render, suffix="-sweep")


