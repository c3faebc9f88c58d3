"""The comparison report: several designs of one instance side by side.

Renders a :class:`~optimizer.comparison.Comparison` into the files of ``FILES``, every design's
full plan report under ``designs/<design>/``. Solve times are left out of every file, so
regenerating a comparison gives identical bytes. See docs/reports.md.
"""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Iterable

import pandas as pd

from ..comparison import ROW_COLUMNS, Comparison, ComparisonRow
from ..errors import UsageError
from ..formatting import noun, num
from ..instance import slugify
from ..results import BINDING, PLAN_WORDS, Plan
from ..safeio import MARKER, marker_bytes
from ..status import Status as SolveStatus
from . import charts, plan as plan_report
from .csvs import unit_labels, with_unit
from .kind import ReportKind, files_of
from .page import (BR, Block, Bullets, Cell, Chart, Figure, Figures, Heading, Mark, Page, Status, Table, Title,
                   binds_badge, closing, ids, pct, regenerate_footer, sentence)

CHART = "compute-by-design"
DESIGNS_DIR = "designs"


def csv_columns(cu: str, money: str = "money") -> dict[str, str]:
    """Row key -> comparison.csv column name (units in the name where the column has units)."""
    return {**{k: k for k in ROW_COLUMNS},
            **with_unit(("total_compute", "duplicated_compute", "adoption_compute", "silo_compute",
                         "compute_saved_vs_silo"), cu),
            "total_money": f"total_money_{money}", "members_met": "members_met_count",
            "members_in_design": "members_in_design_count",
            "members_enabled": "members_enabled_count", "members_total": "members_total_count",
            "budgets_binding": "budgets_binding_count", "fleets_binding": "fleets_binding_count",
            "max_budget_utilisation": "max_budget_utilisation_fraction", "mip_gap": "mip_gap_fraction",
            "last_ready": "last_need_ready_period", "mean_periods_to_needs": "mean_periods_to_needs"}

FILES = [
    ("comparison.html", "this comparison as one self-contained page (chart inline)"),
    ("comparison.md", "this comparison in Markdown, the chart as the SVG file beside it"),
    ("comparison.csv", "one row per design: status and figures, units in the column names"),
    ("comparison.json", "the same rows as a JSON list of objects"),
    ("comparison.xlsx", "comparison.csv as the sheet of a workbook (units in the headers, numbers as numbers)"),
    (f"{CHART}.svg", "the chart above"),
    (f"{DESIGNS_DIR}/<design>/", "each design's full report: allocation, members, workstreams, CSVs, result.json"),
]
COMPARISON_FILES = frozenset(name for name, _ in FILES if "<" not in name)


def _check_designs(fd: int, designs: Path) -> None:
    """Every entry of the open ``designs/`` is a design's report of ours (or empty)."""
    for name in sorted(os.listdir(fd)):
        if not stat.S_ISDIR(os.lstat(name, dir_fd=fd).st_mode):
            raise UsageError(f"{designs / name}: is not a design's report directory; refusing to replace "
                             f"{designs.parent}. Choose another --out directory, or remove it yourself.")
        plan_report.KIND.check_dir(designs / name, dir_fd=fd)


def design_dirs(designs: Iterable[str]) -> dict[str, str]:
    """Design name -> its directory under designs/: the name itself when it is a plain file
    name, else its slug; distinct even on a case-insensitive file system."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for d in designs:
        if d in out:
            continue
        base = d if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*", d) else slugify(d)
        name, k = base, 2
        while name.lower() in taken:
            name, k = f"{base}-{k}", k + 1
        taken.add(name.lower())
        out[d] = name
    return out


# ---------------------------------------------------------------------------------------------
def _best(rows: list[ComparisonRow], key: str, pick) -> tuple[float, list[str]] | None:
    vals = [(getattr(r, key), r.design) for r in rows if getattr(r, key) is not None]
    if not vals:
        return None
    best = pick(v for v, _ in vals)
    tol = 1e-9 * max(1.0, abs(best))
    return best, [d for v, d in vals if abs(v - best) <= tol]


def _status(rows: list[ComparisonRow]) -> Status:
    n = len(rows)
    by = {s: [r.design for r in rows if r.status == s] for s in SolveStatus}
    if len(by["optimal"]) == n:
        return Status("ok", "ALL OPTIMAL", f"All {n} {noun(n, 'design')} solved to proven optimality." if n > 1 else "The design solved to proven optimality.")
    text = sentence([("optimality not proven for {} (see the MIP gap)", by["feasible"]),
                     ("no plan meets every need within the limits for {}", by["infeasible"]),
                     ("no plan found within the solver's limits for {}", by["no_solution"])])
    text += " Each design's report under designs/ says more."
    planned = len(by["optimal"]) + len(by["feasible"])
    if planned == 0:
        return Status("bad", "NO PLANS", text)
    return Status("warn", f"{planned} OF {n} PLANNED" if planned < n else "FEASIBLE", text)


def _headline(rows: list[ComparisonRow], plans: list[Plan], cu: str) -> Figures:
    everyone = [r for r in rows if r.planned and r.members_total and r.members_met == r.members_total]
    silo_row = next((r for r in rows if r.design == "silo" and r.planned), None)
    silo = silo_row.total_compute if silo_row else next(
        (r.silo_compute for r in everyone if r.silo_compute is not None), None)
    items = [Figure("Silo compute", num(silo), cu if silo is not None else "",
                    "every member meeting its needs alone")]
    best = _best(everyone, "total_compute", min)
    if best:
        value, names = best
        row = next(r for r in everyone if r.design == names[0])
        note = ", ".join(names) + (f": {pct(row.compute_saved_vs_silo_fraction)} below silo"
                                   if row.compute_saved_vs_silo_fraction is not None else "")
        items.append(Figure("Lowest total, all members", num(value), cu, note, key=True))
    else:
        items.append(Figure("Lowest total, all members", "n/a", "", "no design plans for every member", key=True))
    key = "compute_saved_vs_silo_fraction"
    shares = [r for r in rows if r.planned and getattr(r, key) is not None and r.design != "silo"]
    hi, lo = _best(shares, key, max), _best(shares, key, min)
    if hi and lo:
        value = f"{100 * lo[0]:.1f} to {100 * hi[0]:.1f}%" if lo[0] != hi[0] else f"{100 * hi[0]:.1f}%"
        note = f"least: {', '.join(lo[1])}; most: {', '.join(hi[1])}" if lo[0] != hi[0] else ", ".join(hi[1])
        items.append(Figure("Compute saved vs silo", value, "", note, key=True))
    else:
        items.append(Figure("Compute saved vs silo", "n/a", "", "needs a plan and a silo baseline", key=True))
    enabled = _best([r for r in rows if r.planned], "members_enabled", max)
    if enabled and enabled[0] > 0:
        row = next(r for r in rows if r.design == enabled[1][0])
        items.append(Figure("Members enabled", f"{int(enabled[0])} of {len(next(p for p in plans if p.design == row.design).members)}", "",
                            f"cannot meet their needs alone, do in: {', '.join(enabled[1])}", key=True))
    else:
        items.append(Figure("Members enabled", "0", "", "every member of every design can meet its needs alone",
                            key=True))
    return Figures(items)


def _designs_table(c: Comparison) -> Table:
    settings = c.settings
    headers = [("Design", "")] + ([("What it changes", "")] if settings else []) + [
        ("Status", ""), ("Members met", ""), ("Members enabled", ""), ("Runs", ""), ("Adoptions", ""), ("MIP gap", ""), ("Plan", "")]
    out = []
    for r, p in zip(c.rows, c.plans):
        status: Cell = r.status if r.planned else Mark(r.status, "bind")
        out.append([r.design] + ([_unbroken_ids(settings.get(r.design, ""))] if settings else []) + [
            status, _met(r), str(r.members_enabled) if r.planned else "—",
            str(len(p.runs)) if r.planned else "—",
            str(len(p.adoptions)) if r.planned else "—", pct(r.mip_gap), PLAN_WORDS[r.unique]])
    k = 2 if settings else 1
    return Table(headers, out, numeric={k + 1, k + 2, k + 3, k + 4, k + 5}, wide={1} if settings else set())


def _met(r: ComparisonRow) -> Cell:
    """'12/12'; for a design of some members '5/5' over a muted '7 not taking part' (ComparisonRow.met_text)."""
    met, _, outside = r.met_text.partition(" (")
    return [met, BR, Mark(outside.rstrip(")"), "muted")] if outside else met


def _unbroken_ids(text: str) -> list[Cell]:
    """Text whose hyphenated or dotted words (ids, override paths) never break across lines."""
    return [Mark(w, "id") if re.search(r"\w[-.]\w", w) else w for w in re.split(r"(\s+)", text) if w]


def _compute_table(c: Comparison, cu: str, money: str) -> Table:
    headers = [("Design", ""), ("Total compute", cu), ("First runs", cu), ("Duplicated", cu), ("Adoption", cu),
               ("Silo compute", cu), ("Compute saved vs silo", cu), ("Saved", "% of silo"), ("Total money", money),
               ("Highest budget use", "")] + ([("Last need ready", ""), ("Mean periods to needs", "")]
                                                 if c.timed else [])
    out = []
    key = "compute_saved_vs_silo_fraction"
    best = _best([r for r in c.rows if r.planned and r.design != "silo"], key, max)
    for r, p in zip(c.rows, c.plans):
        share: Cell = "n/a" if getattr(r, key) is None else f"{100 * getattr(r, key):.1f}%"
        if best and r.design in best[1]:
            share = Mark(str(share), "strong")
        util = r.max_budget_utilisation
        use: Cell = "n/a" if util is None else [pct(util), " ", Mark(r.max_budget_member or "", "id"),
                                                *binds_badge(p.binds(r.max_budget_member))]
        out.append([r.design, num(r.total_compute), num(p.first_run_compute), num(r.duplicated_compute),
                    num(r.adoption_compute), num(r.silo_compute), num(r.compute_saved_vs_silo), share,
                    num(r.total_money), use]
                   + ([r.last_ready or "n/a", num(r.mean_periods_to_needs)] if c.timed else []))
    return Table(headers, out, numeric=set(range(1, 9)) | ({11} if c.timed else set()))


def _notes() -> Bullets:
    return Bullets([
        "Total compute is everything the plan spends: runs plus adoptions. First runs are each workstream's "
        "cheapest run; duplicated compute is all its other runs (second and later); adoption compute is what "
        "adopting published results costs.",
        "Compute saved vs silo is against each design's own silo: the members taking part in that design (with its "
        "overrides) each meeting their needs alone. A design over fewer members has a smaller silo, so "
        "compare its share saved, not its total.",
        "Total money is what each plan's runs and adoptions cost. Every design minimises its objective "
        "list in order (by default compute, then money among the plans with the least compute); Plan says "
        "whether another plan reaches exactly the same values (each design's report names one).",
        "Members enabled are the design's members that cannot meet their needs alone (standalone infeasible) "
        "but do in its plan; when there is any, the design's silo is infeasible and compute saved vs silo is "
        "not defined (n/a).",
        "Highest budget use is the member spending the largest share of its budget; a budget binds when at "
        f"least {BINDING:.1%} of it is spent.",
        "Each design's full report (who runs what on which accelerator, who adopts it, budgets and fleets, "
        "binding limits) is in its directory below.",
    ])


def _reports(rows: list[ComparisonRow], dirs: dict[str, str]) -> Bullets:
    items: list[Cell] = []
    for r in rows:
        base = f"{DESIGNS_DIR}/{dirs[r.design]}"
        items.append([Mark(r.design, "strong"), f" ({r.status}): ", Mark(f"{base}/report.html", "file"),
                      " · ", Mark(f"{base}/report.md", "file")])
    return Bullets(items)


def _assumptions(plans: list[Plan]) -> list[tuple[str, Cell]]:
    hashes = list(dict.fromkeys(d.instance_hash or "n/a" for d in plans))
    objectives = sorted({", then ".join(plan_report.OBJECTIVE_WORDS.get(k, k) for k in d.order) for d in plans})
    return [("Instance", plans[0].instance),
            ("Instance content hash", Mark(hashes[0], "code") if len(hashes) == 1 else ids(hashes)),
            ("Designs", f"{len(plans)}"), *plan_report.provenance(plans[0]),
            ("Objective", "; ".join(objectives) + " (lexicographic, per design)")]


def blocks(c: Comparison, dirs: dict[str, str]) -> list[Block]:
    p = c.plans[0]
    return [Title(p.instance, f"Design comparison · {len(c.rows)} {noun(len(c.rows), 'design')}"), _status(c.rows),
            Heading("Headline", "headline"), _headline(c.rows, c.plans, p.compute_unit), Heading("Compute by design", "compute"),
            Chart(CHART, "R&D compute by design against each design's silo",
                  "Per design, the grey bar is its silo (its members each alone); the coloured bar its plan: first "
                  "runs, second and later runs, adoption. The hatched box is the compute saved against the silo."),
            _compute_table(c, p.compute_unit, p.money_unit), Heading("Designs", "designs"), _designs_table(c),
            Heading("Reading the comparison", "notes"), _notes(), Heading("Per-design reports", "reports"),
            _reports(c.rows, dirs), *closing(_assumptions(c.plans), FILES)]


def render(c: Comparison) -> dict[str, bytes]:
    """{relative path: content} of the comparison directory; a pure function of the comparison."""
    if not c.rows:
        raise UsageError("comparison: no designs to compare")
    p = c.plans[0]
    dirs = design_dirs(r.design for r in c.rows)
    columns = csv_columns(*unit_labels(p.units))
    rows = c.to_dict()
    table = pd.DataFrame([[r.get(k) for k in c.columns] for r in rows], columns=[columns[k] for k in c.columns],
                         dtype=object)
    footer = regenerate_footer("consortium compare FILE --out DIR", ". Each design's report re-renders from its own ",
                               Mark("result.json", "code"), ".", version=p.tool_version)
    page = Page(blocks(c, dirs), {CHART: charts.compute_by_design_chart(c.plans)}, "design comparison", footer)
    files = files_of(page, "comparison", "comparison.json", rows, {"comparison": table})
    for plan in c.plans:
        # one report per design, marked as `solve --out` marks it; a design listed twice is written once
        prefix = f"{DESIGNS_DIR}/{dirs[plan.design]}/"
        for name, data in {MARKER: marker_bytes("report"), **plan_report.render(plan)}.items():
            files.setdefault(prefix + name, data)
    return files


KIND = ReportKind("comparison report", COMPARISON_FILES, render, suffix="-compare",
                  subdirs={DESIGNS_DIR: _check_designs})
