"""What a report says, independent of its format: a list of blocks rendered to Markdown and HTML.

Built from the normalised result dict only (see :mod:`optimizer.report.resultdoc`).
"""
from __future__ import annotations

import json
from typing import Any

from .charts import CHARTS
from ..formatting import num
from ..results import PLAN_WORDS
from .resultdoc import BINDING, solved
from .page import (BR, Block, Bullets, Cell, Chart, Figure, Figures, Heading, KeyValues, Mark, Para, Status, Table,
                   Title, gap_text, ids, joined as _joined, pct)


FILES = [
    ("report.html", "this report as one self-contained page (charts inline)"),
    ("report.md", "this report in Markdown, charts as the SVG files beside it"),
    ("result.json", "the full result object: spec figures, tables, binding constraints, provenance"),
    ("runs.csv", "one row per run: member, workstream, accelerator, compute, cost"),
    ("adoptions.csv", "one row per adoption: member, workstream, compute, cost"),
    ("members.csv", "one row per member: budget, spending, utilisation, what it runs and adopts"),
    ("workstreams.csv", "one row per workstream: who runs it on what, who adopts it, compute"),
    ("fleets.csv", "one row per owned fleet type: capacity, hours used, utilisation"),
]


def _status(doc: dict) -> Status:
    s, gap = doc["status"], doc.get("mip_gap")
    tol = (doc.get("solver") or {}).get("options", {}).get("mip_gap")
    tol_text = f" (stopping gap {tol:g})" if isinstance(tol, (int, float)) and tol else ""
    if s == "optimal":
        return Status("ok", "OPTIMAL", f"Optimal plan: {objective_phrase(doc)}; "
                                       f"MIP gap {gap_text(gap)}{tol_text}. {uniqueness_phrase(doc)}")
    if s == "feasible":
        return Status("warn", "FEASIBLE", f"Feasible plan, optimality not proven within the solver's "
                                          f"limits: MIP gap {gap_text(gap)}. A better plan may exist.")
    if s == "infeasible":
        return Status("bad", "INFEASIBLE", "No plan meets every member's needs within every budget and "
                                           "fleet capacity. The tables below show the inputs only.")
    if any(isinstance(f, dict) and f.get("kind") == "numerical" for f in doc.get("diagnosis") or []):
        return Status("bad", "NO SOLUTION", "The solver returned a plan that breaks the contract (numerical "
                                            "trouble), so none is reported; see the diagnosis.")
    return Status("bad", "NO SOLUTION", "The solver's limits were reached before any plan was found. "
                                        "Try a longer time limit.")


OBJECTIVE_WORDS = {"compute": "total R&D compute", "money": "total money spent"}


def objective_order(doc: dict) -> list[str]:
    """The result's objective list (results from before v2 minimised compute alone)."""
    return list(doc.get("objective_order") or doc.get("objectives") or ["compute"])


def objective_phrase(doc: dict) -> str:
    """'proven minimal total R&D compute, then, among such plans, minimal total money spent'."""
    words = [OBJECTIVE_WORDS.get(k, k) for k in objective_order(doc)]
    return "proven minimal " + words[0] + "".join(f", then, among such plans, minimal {w}" for w in words[1:])


def uniqueness_phrase(doc: dict) -> str:
    unique = doc.get("unique")
    if unique is True:
        return "No other plan reaches the same objective values: this plan is unique."
    if unique is False:
        return ("Other plans reach exactly the same objective values; this is one of them "
                "(see \"Other optimal plans\").")
    return "Whether other plans are as good was not checked."


def _headline(doc: dict, cu: str) -> Figures:
    total, silo, saved = doc.get("total_compute"), doc.get("silo_compute"), doc.get("savings")
    has_plan = solved(doc)
    items = [Figure("Total R&D compute", num(total), cu if total is not None else "",
                    "runs plus adoptions" if has_plan else "no plan", key=True)]
    if silo is None:
        alone = ", ".join(doc.get("standalone_infeasible") or [])
        items.append(Figure("Silo compute", "n/a", "", f"infeasible alone: {alone}" if alone else
                            "each member meeting its needs alone"))
    else:
        items.append(Figure("Silo compute", num(silo), cu, "each member meeting its needs alone"))
    if saved is not None and silo:
        word = "Duplicated compute avoided" if saved >= 0 else "Extra compute vs silo"
        items.append(Figure(word, num(abs(saved)), cu, f"{pct(abs(saved) / silo)} of silo compute", key=True))
    else:
        items.append(Figure("Duplicated compute avoided", "n/a", "", "needs both a plan and a silo baseline",
                            key=True))
    adoption, dup = doc.get("adoption_compute"), doc.get("duplicated_compute")
    items.append(Figure("Adoption compute", num(adoption), cu if adoption is not None else "",
                        "adopting published results"))
    items.append(Figure("Duplicated compute", num(dup), cu if dup is not None else "",
                        "second and later runs of a workstream"))
    money, mu = doc.get("total_money"), (doc.get("units") or {}).get("money") or "money"
    items.append(Figure("Total money", num(money), mu if money is not None else "",
                        "what the runs and adoptions cost" if has_plan else "no plan"))
    plan = PLAN_WORDS[doc.get("unique")]
    items.append(Figure("Plan", plan, "", "other plans reach the same objectives" if doc.get("unique") is False
                        else "among plans with these objective values" if has_plan else "no plan"))
    items.append(Figure("Solver status", doc["status"], "", f"MIP gap {gap_text(doc.get('mip_gap'))}"))
    return Figures(items)


def _alternative(doc: dict) -> list[Block]:
    """How another plan with the same objective values differs from the one reported."""
    alt = doc.get("alternative")
    if not alt or doc.get("unique") is not False:
        return []
    says = {"runs_added": "runs", "runs_removed": "does not run", "adoptions_added": "adopts",
            "adoptions_removed": "does not adopt"}
    items: list[Cell] = []
    for key, verb in says.items():
        for r in alt.get(key) or []:
            on = f" on {r['accelerator']}" if "accelerator" in r else ""
            items.append([Mark(str(r.get("member")), "strong"), f" {verb} ", Mark(str(r.get("workstream")), "id"),
                          on])
    return [Heading("Other optimal plans", "alternatives"),
            Para(["The objectives do not decide between this plan and at least one other. "
                  "Here is how one such plan differs from the one reported; a tie-break that matters "
                  "to the consortium (a price, an estimate, a design choice) can be written into the "
                  "instance to decide it."]),
            Bullets(items)]


def _diagnosis(doc: dict) -> list[Block]:
    diag = doc.get("diagnosis")
    if not diag:
        return []
    items: list[Cell] = []
    for d in diag:
        if isinstance(d, dict):
            lead = d.get("message") or d.get("summary") or d.get("text")
            rest = [f"{k}: {_plain(v)}" for k, v in d.items() if v is not None and (lead is None or v is not lead)]
            items.append([Mark(str(lead), "strong"), " — " + "; ".join(rest)] if lead and rest else
                         str(lead) if lead else "; ".join(rest))
        else:
            items.append(_plain(d))
    return [Heading("Diagnosis", "diagnosis"), Bullets(items)]


def _plain(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)) and all(isinstance(x, (str, int, float)) for x in v):
        return ", ".join(str(x) for x in v)
    return json.dumps(v, sort_keys=True, ensure_ascii=False)


def _members_table(doc: dict, cu: str, money: str) -> Table:
    has_plan = solved(doc)
    fleets: dict[str, list[dict]] = {}
    for f in doc.get("fleets") or []:
        fleets.setdefault(f["member"], []).append(f)
    pooled = any("paid_for_runs" in m for m in doc["members"])
    headers = [("Member", ""), ("Budget", money), ("Spent", money), ("Budget used", "")]
    if pooled:
        headers.append(("Paid for runs", money))
    headers += [("Fleet used", ""), ("Standalone compute", cu), ("Runs (by accelerator)", ""), ("Adopts", "")]
    rows = []
    bound = set(doc.get("binding", {}).get("budgets", []))
    for m in doc["members"]:
        i = m["member"]
        util = m.get("budget_utilisation")
        badge: list[Cell] = [" ", Mark("binds", "bind")] if i in bound else []
        if not has_plan:
            used: Cell = "n/a"
        elif util is None:
            used = [Mark("no budget", "muted")] + badge
        else:
            used = [pct(util)] + badge
        fleet_cell: Cell
        if i in fleets and has_plan:
            fleet_cell = _joined([
                [f"{f['accelerator']} {pct(f.get('utilisation'))}"]
                + ([" ", Mark("binds", "bind")] if {"member": i, "accelerator": f["accelerator"]}
                   in doc["binding"]["fleets"] else [])
                for f in fleets[i]])
        elif has_plan:
            fleet_cell = Mark("rents", "muted")
        else:
            fleet_cell = "n/a"
        standalone = m.get("standalone_compute")
        alone: Cell = num(standalone) if standalone is not None else Mark("infeasible alone", "muted")
        by_acc: dict[str, list[str]] = {}
        for r in doc["runs"]:
            if r["member"] == i:
                by_acc.setdefault(r["accelerator"], []).append(r["workstream"])
        runs: Cell = _joined([[Mark(f"{acc}:", "strong"), " ", *ids(ws)] for acc, ws in by_acc.items()])
        gets = ids(a["workstream"] for a in doc["adoptions"] if a["member"] == i)
        row: list[Cell] = [i, num(m.get("budget")), num(m.get("spent")), used]
        if pooled:
            row.append(num(m.get("paid_for_runs")))
        row += [fleet_cell, alone, runs or ("—" if has_plan else ""), gets or ("—" if has_plan else "")]
        rows.append(row)
    numeric = {1, 2, 3, 4, 6} if pooled else {1, 2, 3, 5}
    n = len(headers)
    return Table(headers, rows, numeric=numeric, empty="no members", wide={n - 2, n - 1}, nowrap={n - 4})


def _workstreams_table(doc: dict, cu: str) -> Table:
    headers = [("Workstream", ""), ("Needed by", ""), ("Run by (on)", ""), ("Adopted by", ""),
               ("Runs / replicas", ""), ("Run compute", cu), ("Adoption compute", cu), ("Duplicated compute", cu)]
    rows = []
    for w in doc.get("workstreams") or []:
        dup = w.get("duplicated_compute")
        dup_cell: Cell = num(dup) if not dup else Mark(num(dup), "strong")
        name: Cell = w["workstream"] if not w.get("required") else [w["workstream"], " ", Mark("required", "muted")]
        split = lambda key: ids(x for x in (w.get(key) or "").split("; ") if x) or "—"  # noqa: E731
        rows.append([name, split("needed_by"), split("run_by"), split("adopted_by"),
                     f"{w.get('runs', '')} / {w.get('replicas', '')}", num(w.get("run_compute")),
                     num(w.get("adoption_compute")), dup_cell])
    empty = "no plan" if not solved(doc) else "no workstream is needed, run or adopted"
    return Table(headers, rows, numeric={4, 5, 6, 7}, empty=empty, wide={1, 2, 3})


def _binding(doc: dict, money: str) -> list[Block]:
    if not solved(doc):
        return [Para(["No plan, so no budget or fleet capacity binds."])]
    members = {m["member"]: m for m in doc["members"]}
    fleets = {(f["member"], f["accelerator"]): f for f in doc.get("fleets") or []}
    b = doc["binding"]
    budgets: list[Cell] = []
    for i in b["budgets"]:
        m = members[i]
        budgets.append([Mark(i, "strong"), f": spends {num(m.get('spent'))} of its {num(m.get('budget'))} {money}"])
    caps: list[Cell] = []
    for f in b["fleets"]:
        rec = fleets[(f["member"], f["accelerator"])]
        caps.append([Mark(f"{f['member']} {f['accelerator']}", "strong"),
                     f": uses {num(rec['used_hours'])} of {num(rec['capacity_hours'])} accelerator-hours"])
    out: list[Block] = [Para([f"A budget or fleet capacity binds when at least {BINDING:.1%} of it is used; "
                              "those are the limits that shape the plan."])]
    out.append(Para([Mark("Budgets that bind:", "strong"), " none" if not budgets else ""]))
    if budgets:
        out.append(Bullets(budgets))
    out.append(Para([Mark("Fleet capacities that bind:", "strong"), " none" if not caps else ""]))
    if caps:
        out.append(Bullets(caps))
    return out


def _options_text(options: dict) -> str:
    if not options:
        return "n/a"
    return ", ".join(f"{k} = {'default' if v is None else v}" for k, v in sorted(options.items()))


def _assumptions(doc: dict) -> KeyValues:
    solver = doc.get("solver") or {}
    units = doc.get("units") or {}
    model = doc.get("model") or {}
    keys = [k for k in ("variables", "constraints") if k in model] + [
        k for k in model if k not in ("variables", "constraints")]
    size = ", ".join(f"{num(model[k])} {k}" for k in keys) if model else "n/a"
    return KeyValues([
        ("Instance", doc["instance"]),
        ("Instance content hash", Mark(doc.get("instance_hash") or "n/a", "code")),
        ("Design", doc["design"]),
        ("Units", f"compute: {units.get('compute', 'n/a')}; money: {units.get('money', 'n/a')}"),
        ("Tool", f"consortium-optimizer {doc.get('tool_version', 'n/a')}"),
        ("Solver", f"{solver.get('name', 'n/a')} {solver.get('version', '')}".strip()),
        ("Solver options", _options_text(solver.get("options") or {})),
        ("Model size", size),
        ("Objective", ", then ".join(OBJECTIVE_WORDS.get(k, k) for k in objective_order(doc))
         + " (lexicographic: each minimised among the plans that are best in the ones before)"),
    ])


def build(doc: dict, charts: dict[str, str]) -> list[Block]:
    """The report's blocks. ``charts`` holds the names of the charts that were drawn."""
    units = doc.get("units") or {}
    cu, money = units.get("compute") or "compute units", units.get("money") or "money"
    blocks: list[Block] = [
        Title(doc["instance"], f"Consortium plan · design {doc['design']}"),
        _status(doc),
        Heading("Headline", "headline"),
        _headline(doc, cu),
    ]
    if not solved(doc):
        blocks += _diagnosis(doc)
    if charts:
        blocks.append(Heading("Charts", "charts"))
        blocks += [Chart(name, CHARTS[name][1], CHARTS[name][2]) for name in CHARTS if name in charts]
    blocks += [Heading("Members", "members"), _members_table(doc, cu, money),
               Heading("Workstreams", "workstreams"), _workstreams_table(doc, cu),
               Heading("Binding budgets and fleet capacities", "binding"), *_binding(doc, money)]
    if solved(doc):
        blocks += _alternative(doc)
        blocks += _diagnosis(doc)
    blocks += [Heading("Assumptions", "assumptions"), _assumptions(doc),
               Heading("Files", "files"), Bullets([[Mark(name, "file"), f" — {what}"] for name, what in FILES])]
    return blocks
