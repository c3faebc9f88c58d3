"""The comparison report: several designs of one instance side by side.

``write_comparison(rows, docs, out_dir)`` writes, atomically (see :func:`replace_dir`):

- ``comparison.md``, ``comparison.html`` (one self-contained page), ``comparison.csv``
  (units in the column names), ``comparison.json`` (the rows), ``compute-by-design.svg``;
- ``designs/<design>/``: every design's full single-design report.

``rows`` is the comparison table (``optimizer.api.comparison_table(...)``, a DataFrame or
its records) and ``docs`` the designs' result dicts (``Result.to_dict()``) in the same
order. The volatile ``solve_seconds`` column is left out of every file, so regenerating a
comparison gives identical bytes. See docs/reports.md.
"""
from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..errors import UsageError
from ..status import Status as SolveStatus
from . import charts as _charts
from . import content as c
from . import csvs
from .page import Page
from .resultdoc import BINDING, sanitise, check, normalise, slugify, solved
from ..safeio import MARKER, marker_bytes

CHART = "compute-by-design"
COMPARISON_FILES = frozenset(["comparison.md", "comparison.html", "comparison.csv", "comparison.json",
                              f"{CHART}.svg"])
DESIGNS_DIR = "designs"

# The comparison table's columns as written to files (``solve_seconds`` differs on every run).
ROW_COLUMNS = ["design", "status", "total_compute", "total_money", "unique", "duplicated_compute",
               "adoption_compute", "silo_compute",
               "savings", "savings_pct", "members_met", "members_total", "max_budget_utilisation",
               "max_budget_member", "mip_gap"]


def csv_columns(cu: str, money: str = "money") -> dict[str, str]:
    """Row key -> comparison.csv column name (units in the name where the column has units)."""
    return {"design": "design", "status": "status", "total_compute": f"total_compute_{cu}",
            "total_money": f"total_money_{money}", "unique": "unique",
            "duplicated_compute": f"duplicated_compute_{cu}", "adoption_compute": f"adoption_compute_{cu}",
            "silo_compute": f"silo_compute_{cu}", "savings": f"savings_{cu}", "savings_pct": "savings_percent",
            "members_met": "members_met", "members_total": "members_total",
            "max_budget_utilisation": "max_budget_utilisation_fraction", "max_budget_member": "max_budget_member",
            "mip_gap": "mip_gap_fraction"}


FILES = [
    ("comparison.html", "this comparison as one self-contained page (chart inline)"),
    ("comparison.md", "this comparison in Markdown, the chart as the SVG file beside it"),
    ("comparison.csv", "one row per design: status and figures, units in the column names"),
    ("comparison.json", "the same rows as a JSON list of objects"),
    (f"{CHART}.svg", "the chart above"),
    (f"{DESIGNS_DIR}/<design>/", "each design's full report: allocation, members, workstreams, CSVs, result.json"),
]


def default_comparison_dir(instance_slug: str) -> Path:
    """``reports/<instance-slug>-compare/``."""
    return Path("reports") / f"{slugify(instance_slug)}-compare"


def check_comparison_dir(out_dir: str | os.PathLike) -> Path:
    """Refuse an ``out_dir`` we must not replace: a file, a symbolic link, or a directory that is
    neither empty nor a comparison report of ours (its files and a ``designs/`` of reports)."""
    from . import refuse_unless_ours
    return refuse_unless_ours(Path(out_dir), COMPARISON_FILES, "comparison report", {DESIGNS_DIR: _check_designs})


def _check_designs(fd: int, designs: Path) -> None:
    """Every entry of the open ``designs/`` is a design's report of ours (or empty)."""
    from . import check_out_dir
    for name in sorted(os.listdir(fd)):
        if not stat.S_ISDIR(os.lstat(name, dir_fd=fd).st_mode):
            raise UsageError(f"{designs / name}: is not a design's report directory; refusing to replace "
                             f"{designs.parent}. Choose another --out directory, or remove it yourself.")
        check_out_dir(designs / name, dir_fd=fd)


# ---------------------------------------------------------------------------------------------
def _rows(rows: Any) -> list[dict]:
    """Comparison rows as JSON-safe dicts with exactly ROW_COLUMNS, in order."""
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):   # a DataFrame
        rows = rows.to_dict("records")
    out, problems = [], []
    for n, row in enumerate(rows):
        if not isinstance(row, Mapping):
            problems.append(f"rows[{n}]: expected an object, got {type(row).__name__}")
            continue
        missing = [k for k in ROW_COLUMNS if k not in row]
        if missing:
            problems.append(f"rows[{n}]: missing key(s) " + ", ".join(missing))
            continue
        clean = sanitise({k: row[k] for k in ROW_COLUMNS})
        # pandas stores a missing figure as NaN; sanitise made it None
        out.append(clean)
    if not out and not problems:
        problems.append("no designs to compare")
    if problems:
        raise UsageError("comparison: " + "\n".join(problems))
    return out


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


def describe_design(name: str, design: Any, members_total: int | None = None) -> str:
    """What a design changes, in words: 'adoption costs x4', 'pooled funding', ...

    ``design`` is an ``optimizer.schema.Design`` (anything with its attributes)."""
    parts = []
    if getattr(design, "sharing", "open") == "none":
        parts.append("no sharing: every member meets its needs alone")
    factor = getattr(design, "adoption_factor", 1.0)
    if factor != 1:
        parts.append(f"adoption costs ×{factor:g}")
    members = getattr(design, "members", None)
    if members is not None:
        of = f" ({len(members)} of {members_total})" if members_total else ""
        parts.append(f"members{of}: " + ", ".join(members))
    if getattr(design, "funding", "lead") == "pooled":
        parts.append("pooled funding")
    for path, value in _flatten(getattr(design, "overrides", None) or {}):
        parts.append(f"{path} = {json.dumps(value, ensure_ascii=False)}")
    if not parts:
        return "the instance as written: open sharing, lead funding"
    return "; ".join(parts)


def _flatten(d: Mapping, prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        out += _flatten(v, key) if isinstance(v, Mapping) and v else [(key, v)]
    return out


def design_settings(instance: Any, designs: Iterable[str]) -> dict[str, str]:
    """{design: what it changes} for the designs of an ``optimizer.Instance``."""
    total = len(instance.spec.members)
    return {d: describe_design(d, instance.design(d)[1], total) for d in designs}


# ---------------------------------------------------------------------------------------------
def _best(rows: list[dict], key: str, pick) -> tuple[float, list[str]] | None:
    vals = [(r[key], r["design"]) for r in rows if r.get(key) is not None]
    if not vals:
        return None
    best = pick(v for v, _ in vals)
    tol = 1e-9 * max(1.0, abs(best))
    return best, [d for v, d in vals if abs(v - best) <= tol]


def _status(rows: list[dict]) -> c.Status:
    n = len(rows)
    by = {s: [r["design"] for r in rows if r["status"] == s] for s in SolveStatus}
    if len(by["optimal"]) == n:
        return c.Status("ok", "ALL OPTIMAL", f"All {n} designs solved to proven optimality.")
    parts = []
    if by["feasible"]:
        parts.append("optimality not proven for " + ", ".join(by["feasible"]) + " (see the MIP gap)")
    if by["infeasible"]:
        parts.append("no plan meets every need within the limits for " + ", ".join(by["infeasible"]))
    if by["no_solution"]:
        parts.append("no plan found within the solver's limits for " + ", ".join(by["no_solution"]))
    planned = len(by["optimal"]) + len(by["feasible"])
    text = "; ".join(parts)
    text = text[0].upper() + text[1:] + ". Each design's report under designs/ says more."
    if planned == 0:
        return c.Status("bad", "NO PLANS", text)
    return c.Status("warn", f"{planned} OF {n} PLANNED" if planned < n else "FEASIBLE", text)


def _headline(rows: list[dict], cu: str) -> c.Figures:
    everyone = [r for r in rows if solved(r) and r["members_total"] and r["members_met"] == r["members_total"]]
    silo_row = next((r for r in rows if r["design"] == "silo" and solved(r)), None)
    silo = silo_row["total_compute"] if silo_row else next(
        (r["silo_compute"] for r in everyone if r.get("silo_compute") is not None), None)
    items = [c.Figure("Silo compute", c.num(silo), cu if silo is not None else "",
                      "every member meeting its needs alone")]
    best = _best(everyone, "total_compute", min)
    if best:
        value, names = best
        row = next(r for r in everyone if r["design"] == names[0])
        note = ", ".join(names) + (f": {c.pct(row['savings'] / row['silo_compute'])} below silo"
                                   if row.get("savings") is not None and row.get("silo_compute") else "")
        items.append(c.Figure("Lowest total, all members", c.num(value), cu, note, key=True))
    else:
        items.append(c.Figure("Lowest total, all members", "n/a", "", "no design plans for every member",
                              key=True))
    shares = [r for r in rows if solved(r) and r.get("savings_pct") is not None and r["design"] != "silo"]
    hi, lo = _best(shares, "savings_pct", max), _best(shares, "savings_pct", min)
    if hi and lo:
        value = f"{lo[0]:.1f} to {hi[0]:.1f}%" if lo[0] != hi[0] else f"{hi[0]:.1f}%"
        note = f"least: {', '.join(lo[1])}; most: {', '.join(hi[1])}" if lo[0] != hi[0] else ", ".join(hi[1])
        items.append(c.Figure("Savings vs silo", value, "", note, key=True))
    else:
        items.append(c.Figure("Savings vs silo", "n/a", "", "needs a plan and a silo baseline", key=True))
    return c.Figures(items)


def _designs_table(rows: list[dict], docs: list[dict], settings: Mapping[str, str] | None) -> c.Table:
    headers = [("Design", "")] + ([("What it changes", "")] if settings else []) + [
        ("Status", ""), ("Members met", ""), ("Runs", ""), ("Adoptions", ""), ("MIP gap", ""), ("Plan", "")]
    out = []
    for r, d in zip(rows, docs):
        status: c.Cell = r["status"] if solved(r) else c.Mark(r["status"], "bind")
        planned = solved(r)
        row: list[c.Cell] = [r["design"]] + ([_unbroken_ids(settings.get(r["design"], ""))] if settings else []) + [
            status, f"{r['members_met']} / {r['members_total']}",
            str(len(d["runs"])) if planned else "—", str(len(d["adoptions"])) if planned else "—",
            c.gap_text(r.get("mip_gap")), c.PLAN_WORDS[r.get("unique")]]
        out.append(row)
    k = 2 if settings else 1
    return c.Table(headers, out, numeric={k + 1, k + 2, k + 3, k + 4}, wide={1} if settings else set())


def _unbroken_ids(text: str) -> list[c.Cell]:
    """Text whose hyphenated or dotted words (ids, override paths) never break across lines."""
    return [c.Mark(w, "id") if re.search(r"\w[-.]\w", w) else w for w in re.split(r"(\s+)", text) if w]


def _compute_table(rows: list[dict], cu: str, money: str) -> c.Table:
    headers = [("Design", ""), ("Total compute", cu), ("First runs", cu), ("Duplicated", cu), ("Adoption", cu),
               ("Silo compute", cu), ("Saved vs silo", cu), ("Saved", "% of silo"), ("Total money", money),
               ("Highest budget use", "")]
    out = []
    best = _best([r for r in rows if solved(r) and r["design"] != "silo"], "savings_pct", max)
    for r in rows:
        planned = solved(r) and r.get("total_compute") is not None
        total = r.get("total_compute")
        first = (max(total - (r.get("duplicated_compute") or 0) - (r.get("adoption_compute") or 0), 0.0)
                 if planned else None)
        pct: c.Cell = "n/a" if r.get("savings_pct") is None else f"{r['savings_pct']:.1f}%"
        if best and r["design"] in best[1]:
            pct = c.Mark(str(pct), "strong")
        util = r.get("max_budget_utilisation")
        use: c.Cell = "n/a" if util is None else [c.pct(util), " ", c.Mark(r["max_budget_member"] or "", "id")] + (
            [" ", c.Mark("binds", "bind")] if util >= BINDING else [])
        out.append([r["design"], c.num(total), c.num(first), c.num(r.get("duplicated_compute")),
                    c.num(r.get("adoption_compute")), c.num(r.get("silo_compute")), c.num(r.get("savings")), pct,
                    c.num(r.get("total_money")), use])
    return c.Table(headers, out, numeric=set(range(1, 9)))


def _notes() -> c.Bullets:
    return c.Bullets([
        "Total compute is everything the plan spends: runs plus adoptions. First runs are each workstream's "
        "cheapest run; duplicated compute is all its other runs (second and later); adoption compute is what "
        "adopting published results costs.",
        "Savings are against each design's own silo: the members taking part in that design (with its "
        "overrides) each meeting their needs alone. A design over fewer members has a smaller silo, so "
        "compare its share saved, not its total.",
        "Total money is what each plan's runs and adoptions cost. Every design minimises its objective "
        "list in order (by default compute, then money among the plans with the least compute); Plan says "
        "whether another plan reaches exactly the same values (each design's report names one).",
        "Highest budget use is the member spending the largest share of its budget; a budget binds when at "
        f"least {BINDING:.1%} of it is spent.",
        "Each design's full report (who runs what on which accelerator, who adopts it, budgets and fleets, "
        "binding limits) is in its directory below.",
    ])


def _reports(rows: list[dict], dirs: Mapping[str, str]) -> c.Bullets:
    items: list[c.Cell] = []
    for r in rows:
        base = f"{DESIGNS_DIR}/{dirs[r['design']]}"
        items.append([c.Mark(r["design"], "strong"), f" ({r['status']}): ", c.Mark(f"{base}/report.html", "file"),
                      " · ", c.Mark(f"{base}/report.md", "file")])
    return c.Bullets(items)


def _assumptions(docs: list[dict], n: int) -> c.KeyValues:
    doc = docs[0]
    solver = doc.get("solver") or {}
    units = doc.get("units") or {}
    hashes = list(dict.fromkeys(d.get("instance_hash") or "n/a" for d in docs))
    return c.KeyValues([
        ("Instance", doc["instance"]),
        ("Instance content hash", c.Mark(hashes[0], "code") if len(hashes) == 1 else
         c.ids(hashes)),
        ("Designs", f"{n}"),
        ("Units", f"compute: {units.get('compute', 'n/a')}; money: {units.get('money', 'n/a')}"),
        ("Tool", f"consortium-optimizer {doc.get('tool_version', 'n/a')}"),
        ("Solver", f"{solver.get('name', 'n/a')} {solver.get('version', '')}".strip()),
        ("Solver options", c._options_text(solver.get("options") or {})),
        ("Objective", "; ".join(sorted({", then ".join(c.OBJECTIVE_WORDS.get(k, k) for k in c.objective_order(d))
                                        for d in docs})) + " (lexicographic, per design)"),
    ])


def build(rows: list[dict], docs: list[dict], dirs: Mapping[str, str], settings: Mapping[str, str] | None,
          chart: bool) -> list[c.Block]:
    units = docs[0].get("units") or {}
    cu = units.get("compute") or "compute units"
    blocks: list[c.Block] = [
        c.Title(docs[0]["instance"], f"Design comparison · {len(rows)} designs"),
        _status(rows),
        c.Heading("Headline", "headline"),
        _headline(rows, cu),
        c.Heading("Compute by design", "compute"),
    ]
    if chart:
        blocks.append(c.Chart(CHART, "R&D compute by design against each design's silo",
                              "Per design, the grey bar is its silo (its members each alone); the coloured bar "
                              "its plan: first runs, second and later runs, adoption. The hatched box is the "
                              "compute saved against the silo."))
    blocks += [_compute_table(rows, cu, units.get("money") or "money"),
               c.Heading("Designs", "designs"), _designs_table(rows, docs, settings),
               c.Heading("Reading the comparison", "notes"), _notes(),
               c.Heading("Per-design reports", "reports"), _reports(rows, dirs),
               c.Heading("Assumptions", "assumptions"), _assumptions(docs, len(rows)),
               c.Heading("Files", "files"),
               c.Bullets([[c.Mark(name, "file" if "<" not in name else "code"), f" — {what}"]
                          for name, what in FILES])]
    return blocks


def _csv(rows: list[dict], cu: str, money: str) -> bytes:
    import pandas as pd
    cols = csv_columns(cu, money)
    table = pd.DataFrame([[r[k] for k in ROW_COLUMNS] for r in rows], columns=[cols[k] for k in ROW_COLUMNS],
                         dtype=object)
    return csvs.csv_bytes(table)


def render_comparison(rows: Any, docs: list[Mapping[str, Any]],
                      settings: Mapping[str, str] | None = None) -> dict[str, bytes]:
    """{relative path: content} of the comparison directory; a pure function of its inputs."""
    from . import render
    table = _rows(rows)
    docs = list(docs)
    for n, d in enumerate(docs):
        check(dict(d) if isinstance(d, Mapping) else d, f"results[{n}]")
    if len(docs) != len(table) or any(d["design"] != r["design"] for d, r in zip(docs, table)):
        raise UsageError("comparison: the result dicts must be the rows' designs, in the same order: rows "
                         f"{[r['design'] for r in table]}, results {[d['design'] for d in docs]}")
    docs = [normalise(dict(d)) for d in docs]
    dirs = design_dirs(r["design"] for r in table)
    cu_label, money_label = csvs.units_of(docs[0])
    svg = _charts.compute_by_design_chart(table, (docs[0].get("units") or {}).get("compute"))
    svgs = {CHART: svg} if svg is not None else {}
    blocks = build(table, docs, dirs, settings, bool(svgs))
    version = docs[0]["tool_version"]
    footer: list[c.Cell] = [f"Generated by consortium-optimizer {version}; regenerate with ",
                            c.Mark("consortium compare FILE --out DIR", "code"), ". Each design's report "
                            "re-renders from its own ", c.Mark("result.json", "code"), "."]
    files: dict[str, bytes] = {
        "comparison.json": (json.dumps(table, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8"),
        "comparison.csv": _csv(table, cu_label, money_label),
        **Page(blocks, svgs, "design comparison", footer).files("comparison"),
    }
    files.update({f"{name}.svg": s.encode("utf-8") for name, s in svgs.items()})
    for d in docs:
        # one report per design, marked as `solve --out` marks it; a design listed twice is written once
        prefix = f"{DESIGNS_DIR}/{dirs[d['design']]}/"
        for fname, data in {MARKER: marker_bytes("report"), **render(d)}.items():
            files.setdefault(prefix + fname, data)
    return files


def write_comparison(rows: Any, docs: list[Mapping[str, Any]], out_dir: str | os.PathLike, *,
                     settings: Mapping[str, str] | None = None) -> Path:
    """Write the comparison report into ``out_dir`` (created or replaced atomically).

    ``rows``: the comparison table (DataFrame or list of row dicts); ``docs``: each design's
    result dict, in the rows' order; ``settings``: optional {design: what it changes}
    (see :func:`design_settings`)."""
    from . import replace_dir
    given = check_comparison_dir(out_dir)
    files = render_comparison(rows, docs, settings)      # bad input fails before anything is written
    replace_dir(given, lambda: files, check_comparison_dir, "comparison report")
    return given
