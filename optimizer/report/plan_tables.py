"""A plan report's tables as written: runs, adoptions, members, workstreams, fleets (and, with a
horizon, the schedule and each period's use), as DataFrames with the units in the column names;
the plan report writes each as a CSV and all of them as its workbook's sheets."""
from __future__ import annotations

import pandas as pd

from ..formatting import clean
from ..results import Plan
from .csvs import unit_labels


def csv_tables(p: Plan) -> dict[str, pd.DataFrame]:
    """runs, adoptions, members, workstreams and fleets (with a horizon schedule and period_use) by CSV
    name (without .csv), as written: units in the column names."""
    cu, money = unit_labels(p.units)
    frame = lambda rows, columns: pd.DataFrame(rows, columns=columns, dtype=object)  # noqa: E731
    members = []
    for m in p.members:
        ran, got = p.runs_of.get(m.member, []), p.adoptions_of.get(m.member, [])
        util = {f.accelerator: f.utilisation for f in p.fleets_of.get(m.member, [])}
        members.append(
            [m.member, "; ".join(p.needs.get(m.member, [])), m.budget, m.spent, m.budget_utilisation,
             p.binds(m.member) if p.planned else None, m.paid_for_runs, m.standalone_compute,
             _sum(r.compute for r in ran) if p.planned else None, _sum(a.compute for a in got) if p.planned else None,
             "; ".join(r.workstream for r in ran), "; ".join(a.workstream for a in got)]
            + [util.get(h) for h in p.fleet_types])
    timed = p.periods is not None
    tables = {
        "runs": frame([[r.member, r.workstream, r.accelerator, r.compute, r.cost] + ([r.start, r.end] if timed else [])
                           for r in p.runs],
                          ["member", "workstream", "accelerator", f"compute_{cu}", f"cost_{money}"]
                          + (["start_period", "end_period"] if timed else [])),
        "adoptions": frame([[a.member, a.workstream, a.compute, a.cost] + ([a.ready] if timed else [])
                                for a in p.adoptions],
                               ["member", "workstream", f"compute_{cu}", f"cost_{money}"]
                               + (["ready_period"] if timed else [])),
        "members": frame(members, ["member", "needs", f"budget_{money}", f"spent_{money}",
                                       "budget_utilisation_fraction", "budget_binding", f"paid_for_runs_{money}",
                                       f"standalone_compute_{cu}", f"run_compute_{cu}", f"adoption_compute_{cu}",
                                       "runs", "adopts"]
                             + [f"fleet_{h}_utilisation_fraction" for h in p.fleet_types]),
        "workstreams": frame(
            [[w.workstream, "; ".join(w.needed_by), w.runs, w.replicas, w.required, "; ".join(w.run_by),
              "; ".join(w.adopted_by), w.run_compute, w.adoption_compute, w.duplicated_compute]
             for w in p.workstreams],
            ["workstream", "needed_by", "runs_count", "replicas_count", "required", "run_by", "adopted_by",
             f"run_compute_{cu}", f"adoption_compute_{cu}", f"duplicated_compute_{cu}"]),
        "fleets": frame(
            [[f.member, f.accelerator, f.capacity_hours, f.used_hours, f.utilisation,
              p.binds(f.member, f.accelerator)] for f in p.fleets] if p.planned else [],
            ["member", "accelerator", "capacity_accelerator-hours", "used_accelerator-hours", "utilisation_fraction",
             "binding"]),
    }
    if timed:
        tables["schedule"] = frame([[s.member, s.workstream, s.due, s.ready] for s in p.schedule or []],
                                       ["member", "workstream", "due_period", "ready_period"])
        tables["period_use"] = frame(
            [[u.member, u.period, u.accelerator or "budget", u.used, u.limit, u.utilisation]
             for u in p.period_use or []],
            ["member", "period", "limit", "used_money-or-accelerator-hours", "limit_money-or-accelerator-hours",
             "utilisation_fraction"])
    return tables


def _sum(values) -> float:
    return clean(sum(values))
