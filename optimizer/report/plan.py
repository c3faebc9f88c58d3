"""The plan report of one design: what it says (blocks), its tidy CSVs, and its files.

A pure function of a :class:`~optimizer.results.Plan` (``Result.plan``, or a result.json read
back and checked by the same class), so ``consortium report result.json`` re-renders without
solving. Every figure shown is a field or property of the plan: nothing is computed here.
"""
from __future__ import annotations

import json
import sys
from typing import Any

from ..formatting import num
from ..results import BINDING, PLAN_WORDS, Plan
from . import charts, timeline
from .kind import ReportKind, files_of
from .page import (Block, Bullets, Cell, Chart, Figure, Figures, Heading, Mark, Page, Para, Status, Table, Title,
                   binds_badge, closing, ids, joined, pct, units_text)
from .plan_tables import csv_tables

FILES = [
    ("report.html", "this report as one self-contained page (charts inline)"),
    ("report.md", "this report in Markdown, charts as the SVG files beside it"),
    ("result.json", "the full result object: spec figures, tables, binding constraints, provenance"),
    ("runs.csv", "one row per run: member, workstream, accelerator, compute, cost"),
    ("adoptions.csv", "one row per adoption: member, workstream, compute, cost"),
    ("members.csv", "one row per member: budget, spending, utilisation, what it runs and adopts"),
    ("workstreams.csv", "one row per workstream: who runs it on what, who adopts it, compute"),
    ("fleets.csv", "one row per owned fleet type: capacity, hours used, utilisation"),
    ("report.xlsx", "every CSV above as a sheet of one workbook (units in the headers, numbers as numbers)"),
]
TIMED_FILES = [
    ("schedule.csv", "with a horizon: one row per member and need: due period, ready period"),
    ("period_use.csv", "with a horizon: per member and period, money spent and fleet hours used against the limits"),
]
OBJECTIVE_WORDS = {"compute": "total R&D compute", "money": "total money spent",
                   "time": "sum of the periods needs are ready in"}
UNIQUENESS = {True: "No other plan reaches the same objective values: this plan is unique.",
              False: "Other plans reach exactly the same objective values; this is one of them "
                     "(see \"Other optimal plans\").",
              None: "Whether other plans are as good was not checked."}
CHARTS = {**charts.PLAN_CHARTS, **timeline.TIMELINE_CHARTS}  # file name (no .svg) -> (function, alt, caption)


# --- what the page says ---------------------------------------------------------------------------------
def objective_phrase(p: Plan) -> str:
    """'proven minimal total R&D compute, then, among such plans, minimal total money spent'."""
    words = [OBJECTIVE_WORDS.get(k, k) for k in p.order]
    return "proven minimal " + words[0] + "".join(f", then, among such plans, minimal {w}" for w in words[1:])


def _status(p: Plan) -> Status:
    tol = (p.solver.get("options") or {}).get("mip_gap")
    tol_text = f" (stopping gap {tol:g})" if isinstance(tol, (int, float)) and tol else ""
    if p.status == "optimal":
        return Status("ok", "OPTIMAL", f"Optimal plan: {objective_phrase(p)}; "
                                       f"MIP gap {pct(p.mip_gap)}{tol_text}. {UNIQUENESS[p.unique]}")
    if p.status == "feasible":
        return Status("warn", "FEASIBLE", f"Feasible plan, optimality not proven within the solver's "
                                          f"limits: MIP gap {pct(p.mip_gap)}. A better plan may exist.")
    if p.status == "infeasible":
        return Status("bad", "INFEASIBLE", "No plan meets every member's needs within every budget and "
                                           "fleet capacity. The tables below show the inputs only.")
    if any(getattr(f, "kind", None) == "numerical" for f in p.diagnosis):
        return Status("bad", "NO SOLUTION", "The solver returned a plan that breaks the contract (numerical "
                                            "trouble), so none is reported; see the diagnosis.")
    return Status("bad", "NO SOLUTION", "The solver's limits were reached before any plan was found. "
                                        "Try a longer time limit.")


def _headline(p: Plan) -> Figures:
    cu, planned = p.compute_unit, p.planned
    unit = lambda x, u=cu: u if x is not None else ""  # noqa: E731
    items = [Figure("Total R&D compute", num(p.total_compute), unit(p.total_compute),
                    "runs plus adoptions" if planned else "no plan", key=True)]
    if p.silo_compute is None:
        alone = ", ".join(p.standalone_infeasible)
        items.append(Figure("Silo compute", "n/a", "", f"infeasible alone: {alone}" if alone else
                            "each member meeting its needs alone"))
    else:
        items.append(Figure("Silo compute", num(p.silo_compute), cu, "each member meeting its needs alone"))
    if p.savings is not None and p.silo_compute:
        word = "Compute saved vs silo" if p.savings >= 0 else "Extra compute vs silo"
        items.append(Figure(word, num(abs(p.savings)), cu, f"{pct(abs(p.compute_saved_fraction))} of silo compute",
                            key=True))
    else:
        items.append(Figure("Compute saved vs silo", "n/a", "", "needs both a plan and a silo baseline",
                            key=True))
    items.append(Figure("Members enabled", f"{len(p.members_enabled)} of {len(p.members)}" if planned else "n/a", "",
                        ("cannot meet their needs alone, do here: " + ", ".join(p.members_enabled))
                        if p.members_enabled else "every member can meet its needs alone"
                        if planned else "no plan", key=True))
    items += [Figure("Adoption compute", num(p.adoption_compute), unit(p.adoption_compute),
                     "adopting published results"),
              Figure("Duplicated compute", num(p.duplicated_compute), unit(p.duplicated_compute),
                     "second and later runs of a workstream"),
              Figure("Total money", num(p.total_money), unit(p.total_money, p.money_unit),
                     "what the runs and adoptions cost" if planned else "no plan"),
              Figure("Plan", PLAN_WORDS[p.unique], "", "other plans reach the same objectives" if p.unique is False
                     else "among plans with these objective values" if planned else "no plan"),
              Figure("Solver status", p.status, "", f"MIP gap {pct(p.mip_gap)}")]
    return Figures(items)


def _alternative(p: Plan) -> list[Block]:
    """How another plan with the same objective values differs from the one reported."""
    if not p.alternative or p.unique is not False:
        return []
    says = {"runs_added": "runs", "runs_removed": "does not run", "adoptions_added": "adopts",
            "adoptions_removed": "does not adopt"}
    items: list[Cell] = []
    for key, verb in says.items():
        for r in p.alternative.get(key) or []:
            on = f" on {r['accelerator']}" if "accelerator" in r else ""
            items.append([Mark(str(r.get("member")), "strong"), f" {verb} ", Mark(str(r.get("workstream")), "id"),
                          on])
    return [Heading("Other optimal plans", "alternatives"),
            Para(["The objectives do not decide between this plan and at least one other. "
                  "Here is how one such plan differs from the one reported; a tie-break that matters "
                  "to the consortium (a price, an estimate, a design choice) can be written into the "
                  "instance to decide it."]),
            Bullets(items)]


def _diagnosis(p: Plan) -> list[Block]:
    if not p.diagnosis:
        return []
    items: list[Cell] = []
    for d in p.diagnosis:
        if isinstance(d, str):
            items.append(d)
            continue
        rest = [f"{k}: {_plain(v)}" for k, v in sorted(d.model_dump().items()) if v is not None and k != "message"]
        items.append([Mark(d.message, "strong"), " — " + "; ".join(rest)] if rest else d.message)
    return [Heading("Diagnosis", "diagnosis"), Bullets(items)]


def _plain(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)) and all(isinstance(x, (str, int, float)) for x in v):
        return ", ".join(str(x) for x in v)
    return json.dumps(v, sort_keys=True, ensure_ascii=False)


def _members_table(p: Plan) -> Table:
    pooled = any("paid_for_runs" in m.model_fields_set for m in p.members)
    headers = [("Member", ""), ("Budget", p.money_unit), ("Spent", p.money_unit), ("Budget used", "")]
    if pooled:
        headers.append(("Paid for runs", p.money_unit))
    headers += [("Fleet used", ""), ("Standalone compute", p.compute_unit), ("Runs (by accelerator)", ""),
                ("Adopts", "")]
    rows = []
    for m in p.members:
        i = m.member
        badge = binds_badge(p.binds(i))
        if not p.planned:
            used: Cell = "n/a"
        elif m.budget_utilisation is None:
            used = [Mark("no budget", "muted")] + badge
        else:
            used = [pct(m.budget_utilisation)] + badge
        fleet: Cell = "n/a"
        if i in p.fleets_of and p.planned:
            fleet = joined([f"{f.accelerator} {pct(f.utilisation)}", *binds_badge(p.binds(i, f.accelerator))]
                           for f in p.fleets_of[i])
        elif p.planned:
            fleet = Mark("rents", "muted")
        alone: Cell = num(m.standalone_compute) if m.standalone_compute is not None else Mark("infeasible alone",
                                                                                              "muted")
        by_acc: dict[str, list[str]] = {}
        for r in p.runs_of.get(i, []):
            by_acc.setdefault(r.accelerator, []).append(r.workstream)
        runs = joined([[Mark(f"{acc}:", "strong"), " ", *ids(ws)] for acc, ws in by_acc.items()])
        gets = ids(a.workstream for a in p.adoptions_of.get(i, []))
        row: list[Cell] = [i, num(m.budget), num(m.spent), used] + ([num(m.paid_for_runs)] if pooled else [])
        none = "—" if p.planned else ""
        rows.append(row + [fleet, alone, runs or none, gets or none])
    n = len(headers)
    return Table(headers, rows, numeric={1, 2, 3, 4, 6} if pooled else {1, 2, 3, 5}, empty="no members",
                 wide={n - 2, n - 1}, nowrap={n - 4})


def _workstreams_table(p: Plan) -> Table:
    cu = p.compute_unit
    headers = [("Workstream", ""), ("Needed by", ""), ("Run by (on)", ""), ("Adopted by", ""),
               ("Runs / replicas", ""), ("Run compute", cu), ("Adoption compute", cu), ("Duplicated compute", cu)]
    rows = []
    for w in p.workstreams:
        dup = w.duplicated_compute
        name: Cell = w.workstream if not w.required else [w.workstream, " ", Mark("required", "muted")]
        rows.append([name, ids(w.needed_by) or "—", ids(w.run_by) or "—", ids(w.adopted_by) or "—",
                     f"{'' if w.runs is None else w.runs} / {'' if w.replicas is None else w.replicas}",
                     num(w.run_compute), num(w.adoption_compute), Mark(num(dup), "strong") if dup else num(dup)])
    empty = "no plan" if not p.planned else "no workstream is needed, run or adopted"
    return Table(headers, rows, numeric={4, 5, 6, 7}, empty=empty, wide={1, 2, 3})


def _binding(p: Plan) -> list[Block]:
    if not p.planned:
        return [Para(["No plan, so no budget or fleet capacity binds."])]
    members = {m.member: m for m in p.members}
    fleets = {(f.member, f.accelerator): f for f in p.fleets}
    budgets: list[Cell] = [[Mark(i, "strong"), f": spends {num(members[i].spent)} of its {num(members[i].budget)} "
                            f"{p.money_unit}"] for i in p.binding.budgets]
    caps: list[Cell] = []
    for k in p.binding.fleets:
        f = fleets[(k.member, k.accelerator)]
        caps.append([Mark(f"{k.member} {k.accelerator}", "strong"),
                     f": uses {num(f.used_hours)} of {num(f.capacity_hours)} accelerator-hours"])
    out: list[Block] = [Para([f"A budget or fleet capacity binds when at least {BINDING:.1%} of it is used; "
                              "those are the limits that shape the plan."])]
    for what, items in (("Budgets that bind:", budgets), ("Fleet capacities that bind:", caps)):
        out.append(Para([Mark(what, "strong"), "" if items else " none"]))
        out += [Bullets(items)] if items else []
    return out


def provenance(p: Plan) -> list[tuple[str, Cell]]:
    """Units, tool and solver: the assumptions a plan and a comparison both state."""
    return [("Units", units_text(p.units)), ("Tool", f"consortium-optimizer {p.tool_version}"),
            ("Solver", f"{p.solver.get('name', 'n/a')} {p.solver.get('version', '')}".strip()),
            ("Solver options", ", ".join(f"{k} = {'default' if v is None else v}"
                                         for k, v in sorted((p.solver.get("options") or {}).items())) or "n/a")]


def _assumptions(p: Plan) -> list[tuple[str, Cell]]:
    model = p.model
    keys = [k for k in ("variables", "constraints") if k in model] + [
        k for k in model if k not in ("variables", "constraints")]
    return [("Instance", p.instance), ("Instance content hash", Mark(p.instance_hash or "n/a", "code")),
            ("Design", p.design), *provenance(p),
            ("Model size", ", ".join(f"{num(model[k])} {k}" for k in keys) if model else "n/a"),
            ("Objective", ", then ".join(OBJECTIVE_WORDS.get(k, k) for k in p.order)
             + " (lexicographic: each minimised among the plans that are best in the ones before)")]


def blocks(p: Plan, drawn: dict[str, str | None]) -> list[Block]:
    """The report's blocks; ``drawn``: the charts, None where there was nothing to draw."""
    out: list[Block] = [Title(p.instance, f"Consortium plan · design {p.design}"), _status(p),
                        Heading("Headline", "headline"), _headline(p)]
    if not p.planned:
        out += _diagnosis(p)
    if any(drawn.values()):
        out.append(Heading("Charts", "charts"))
        out += [Chart(name, alt, caption) for name, (_, alt, caption) in CHARTS.items()]
    if p.periods is not None:
        out += [Heading("Schedule", "schedule"), *_schedule(p)]
    out += [Heading("Members", "members"), _members_table(p), Heading("Workstreams", "workstreams"),
            _workstreams_table(p), Heading("Binding budgets and fleet capacities", "binding"), *_binding(p)]
    if p.planned:
        out += _alternative(p) + _diagnosis(p)
    return out + closing(_assumptions(p), FILES + (TIMED_FILES if p.periods is not None else []))


def _schedule(p: Plan) -> list[Block]:
    """When every need is due and ready, and the runs in time (horizon only)."""
    if not p.planned:
        return [Para(["No plan, so no schedule."])]
    head = Para([f"Periods {p.periods[0]} to {p.periods[-1]}. Every need is ready by its due period; the last "
                 f"one in {p.last_ready or '—'}. The time objective, the sum over needs of the period each is "
                 f"ready in, is {num(p.time_to_needs)}."])
    needs = Table([("Member", ""), ("Need", ""), ("Due by", ""), ("Ready in", ""), ("How", "")],
                  [[s.member, s.workstream, s.due, s.ready or "—", _how(p, s.member, s.workstream)]
                   for s in p.schedule or []], empty="no member has a need")
    return [head, needs]


def _how(p: Plan, member: str, workstream: str) -> str:
    for r in p.runs_of.get(member, []):
        if r.workstream == workstream:
            return f"runs it on {r.accelerator}, {r.start}–{r.end}"
    return "adopts it" if any(a.workstream == workstream for a in p.adoptions_of.get(member, [])) else "—"


# --- the files ----------------------------------------------------------------------------------------------
def render(result: Any) -> dict[str, bytes]:
    """{file name: content} of the report of ``result`` (a Plan, a Result or a result dict)."""
    p = Plan.of(getattr(result, "plan", result))
    # each chart function looked up in its module when drawing, so that a test can replace one
    drawn = {name: getattr(sys.modules[fn.__module__], fn.__name__)(p) for name, (fn, _, _) in CHARTS.items()}
    footer: list[Cell] = [f"Generated by consortium-optimizer {p.tool_version} from ", Mark("result.json", "code"),
                          "; re-render with ", Mark("consortium report result.json --out DIR", "code"), "."]
    return files_of(Page(blocks(p, drawn), drawn, "consortium plan", footer), "report", "result.json", p.to_dict(),
                    csv_tables(p), sort_keys=True)


# files only a plan with a horizon has
HORIZON_FILES = frozenset([name for name, _ in TIMED_FILES] + [f"{name}.svg" for name in timeline.TIMELINE_CHARTS])
KIND = ReportKind("report", frozenset([name for name, _ in FILES] + [f"{name}.svg" for name in charts.PLAN_CHARTS]
                                     ) | HORIZON_FILES, render)
