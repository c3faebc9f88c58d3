"""What each command prints in the terminal: one function per typed result (a plan, a comparison,
a cost sharing, a sweep), reading its figures, computing none.

Kept apart from the report files (:mod:`optimizer.report`) so that printing a summary never
imports what drawing charts needs (matplotlib, Jinja2): ``consortium solve`` without a report
only loads this module.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .costsharing import CONFIDENCE_Z
from .formatting import noun, num, text_table
from .results import PLAN_WORDS
from .status import Status

if TYPE_CHECKING:
    from .comparison import Comparison
    from .costsharing import Allocation, CostSharing
    from .results import Plan
    from .sweep import Sweep


# --- solve -------------------------------------------------------------------------------------------------
def objectives_text(p: Plan) -> str:
    """'compute 6,045,288 H100-hours, then money 11,141,473 USD' (the lexicographic order)."""
    unit = {"compute": p.units.get("compute", ""), "money": p.units.get("money", ""), "time": "periods"}
    return ", then ".join(f"{name} {num(value, unit.get(name, ''))}" for name, value in (p.objectives or {}).items())


def uniqueness_text(unique: bool | None, alternative: dict | None) -> str:
    if unique is None:
        return "uniqueness not checked (or not settled within the limits)"
    if unique:
        return "unique: no other plan reaches these objective values"
    moved = [f"{k['member']} runs {k['workstream']}" for k in (alternative or {}).get("runs_added", [])[:2]]
    example = f" (e.g. one where {'; '.join(moved)})" if moved else ""
    return f"one of several optimal plans{example}; see `alternative` in --json"


def plan_summary(p: Plan) -> str:
    """What `consortium solve` prints."""
    cu, mu = p.units.get("compute", ""), p.units.get("money", "")
    lines = [f"{p.instance} — design {p.design}: {p.status}"
             + (f" (gap {p.mip_gap:.2%})" if p.status == Status.FEASIBLE and p.mip_gap is not None else "")]
    if p.planned:
        lines += [f"  objectives            {objectives_text(p)}",
                  f"  plan                  {uniqueness_text(p.unique, p.alternative)}",
                  f"  total R&D compute     {num(p.total_compute, cu)}",
                  f"  total money           {num(p.total_money, mu)}"]
        if p.silo_compute is not None:
            share = f" ({p.compute_saved_fraction:.1%})" if p.silo_compute else ""
            lines += [f"  silo compute          {num(p.silo_compute, cu)}",
                      f"  compute saved vs silo {num(p.savings, cu)}{share}"]
        else:
            lines += ["  silo compute          n/a (infeasible alone: " + ", ".join(p.standalone_infeasible) + ")",
                      "  compute saved vs silo n/a"]
        enabled = p.members_enabled
        lines.append(f"  members enabled       {len(enabled)} of {len(p.members)}"
                     + (f" (cannot meet their needs alone: {', '.join(enabled)})" if enabled else
                        " (every member can meet its needs alone)"))
        if p.periods is not None:
            lines.append(f"  last need ready       {p.last_ready or '-'} (time objective {num(p.time_to_needs)})")
        lines += [f"  adoption compute      {num(p.adoption_compute, cu)}",
                  f"  duplicated compute    {num(p.duplicated_compute, cu)} (second and later runs)", "",
                  "  workstream: who runs it (on what) / who adopts it"]
        ran = {w.workstream: w for w in p.workstreams}
        for w in p.plan_workstreams:
            row = ran.get(w)
            if row is not None and (row.run_by or row.adopted_by):
                lines.append(f"    {w}: {', '.join(row.run_by) or '-'} / {', '.join(row.adopted_by) or '-'}")
    elif p.status == Status.INFEASIBLE:
        lines.append("  the plan cannot work:" if p.diagnosis else "  (no diagnosis available)")
        lines += [f"  - {getattr(f, 'message', f)}" for f in p.diagnosis]
    elif p.diagnosis:
        lines += [f"  {getattr(f, 'message', f)}" for f in p.diagnosis]
    else:
        lines.append("  no plan found within the limits; raise --time-limit or relax --mip-gap")
    return "\n".join(lines)


# --- compare -----------------------------------------------------------------------------------------------
def comparison_summary(c: Comparison) -> str:
    """What `consortium compare` prints."""
    units = c.units
    rows = [["design", "status", f"total ({units.get('compute', '')})", f"money ({units.get('money', '')})",
             "duplicated", "adoption", "compute saved vs silo", "met", "enabled", "binding budgets/fleets",
             "max budget use", "plan", "time"]]
    for r in c.rows:
        share = f" ({r.compute_saved_vs_silo_fraction:.1%})" if r.compute_saved_vs_silo_fraction is not None else ""
        util = "n/a" if r.max_budget_utilisation is None else f"{r.max_budget_utilisation:.0%} {r.max_budget_member}"
        rows.append([r.design, r.status, num(r.total_compute), num(r.total_money), num(r.duplicated_compute),
                     num(r.adoption_compute), num(r.compute_saved_vs_silo) + share,
                     r.met_text, str(r.members_enabled) if r.planned else "-",
                     f"{r.budgets_binding}/{r.fleets_binding}" if r.planned else "-", util,
                     PLAN_WORDS[r.unique], f"{c.solve_seconds.get(r.design, 0.0):.2f}s"])
    return "\n".join([f"{c.instance}: {len(c.rows)} {noun(len(c.rows), 'design')}"] + text_table(rows, left=2))


# --- allocate ----------------------------------------------------------------------------------------------
def share_text(fraction: float | None) -> str:
    return "n/a" if fraction is None else f"{fraction:.1%}"


def share_rows(a: Allocation) -> list[list[str]]:
    """Per member: standalone, allocated, savings, savings share and, for a Monte Carlo estimate,
    the 95% interval's half width; the report page's and the terminal's table alike."""
    return [[s.member, num(s.standalone), num(s.allocated), num(s.savings), share_text(s.savings_fraction)]
            + (["" if s.std_error is None else num(CONFIDENCE_Z * s.std_error)] if a.monte_carlo else [])
            for s in a.shares]


def allocation_summary(sharing: CostSharing) -> str:
    """What `consortium allocate` prints: per method c(N), whether it is in the core, and
    each member's standalone, allocated and saved compute."""
    return "\n\n".join(_allocation_text(a, sharing.units.get("compute", "")) for a in sharing.allocations)


def _allocation_text(a: Allocation, cu: str) -> str:
    if a.in_core is None:
        core = "core not checked"
    elif a.in_core:
        core = "in the core"
    else:
        ob = a.objection
        core = (f"NOT in the core: {', '.join(ob.coalition)} would pay {num(ob.pays)} "
                f"but need only {num(ob.alone)} alone (excess {num(ob.excess)})")
    rows = [["member", "standalone", "allocated", "savings", "savings %"] + (["± 95%"] if a.monte_carlo else [])]
    rows += share_rows(a)
    return "\n".join([f"{a.method}: c(N) = {num(a.grand_coalition, cu)}, {core}"] + text_table(rows)
                     + [f"  note: {n}" for n in a.notes])


# --- sweep -------------------------------------------------------------------------------------------------
def sweep_summary(sw: Sweep) -> str:
    """What ``consortium sweep`` prints: the summary per design and the inputs that move compute saved most."""
    from types import SimpleNamespace

    from .sweep import records
    summary = [SimpleNamespace(**r) for r in records(sw.summary)]  # pandas' missing values as None
    rows = [["design", "infeasible", "enables members", f"compute saved mean ({sw.units.get('compute', '')})",
             "P5", "P50", "P95", "saved over", "base plan fits", "base plan regret"]]
    rows += [[r.design, f"{r.infeasible_share:.0%}", f"{r.enables_members_share:.0%}",
              num(r.compute_saved_mean), num(r.compute_saved_p5), num(r.compute_saved_p50),
              num(r.compute_saved_p95), f"{r.compute_saved_samples}/{r.samples} {noun(r.samples, 'sample')}",
              f"{r.base_plan_feasible_share:.0%}", num(r.base_plan_regret_mean)] for r in summary]
    if sw.periods is not None:  # with a horizon: when the last need is ready
        rows[0] += ["last need ready P50", "P95"]
        for row, r in zip(rows[1:], summary):
            row += [r.last_ready_p50 or "-", r.last_ready_p95 or "-"]
    k, n = len(sw.designs), sw.inputs.shape[1]
    lines = [f"{sw.instance}: {sw.samples} {noun(sw.samples, 'sample')} (seed {sw.seed}) x {k} {noun(k, 'design')}, "
             f"{n} uncertain {noun(n, 'input')}"] + text_table(rows)
    lines.append("compute saved vs silo is over the samples where the design and its silo both have a plan "
                 "(\"saved over\"); \"enables members\": samples with a plan where some member cannot manage alone")
    sens = sw.sensitivity.reset_index().dropna(subset=["spearman_rho"])
    sens = sens[sens.significant.astype(bool)]
    if len(sens):
        top = sens.reindex(sens.spearman_rho.abs().sort_values(ascending=False).index).head(5)
        lines.append("inputs that move compute saved vs silo most (Spearman rank correlation, |rho| above the "
                     "noise threshold 1.96/sqrt(n-1)):")
        lines += [f"  {r.design}: {r.input} {r.spearman_rho:+.2f} (n = {r.samples}, threshold {r.noise_threshold:.2f})"
                  for r in top.itertuples()]
    else:
        lines.append("no input's Spearman rank correlation with compute saved vs silo is above the noise threshold")
    return "\n".join(lines)
