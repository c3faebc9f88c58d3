"""Another plan exactly as good as the reported one, found without solving: the first answer
to "is the plan the only optimal one?" (:func:`optimizer.solver.check_unique` asks HiGHS only
when this finds nothing).

Two kinds of tie are tried, each a pass over the plan instead of a MIP as large as the design's:

* :func:`moved_run`: a run's compute and cost are the member's estimate for the workstream,
  whatever accelerator it runs on (``compute[i,w]``, ``cost[i,w]``); only the fleet hours depend
  on the option. Moving a run to another option with room for it changes no objective value and
  no budget. Consortia with mixed fleets (H100 and H800, two clusters) have such ties often.
* :func:`swapped_roles`: runner i and an adopter j of the same workstream with the same
  compute and cost for it trade places (j runs, i adopts). Both objectives are sums over the
  same numbers, so they do not change; budgets, fleets and adoption sources may, so the checker
  decides. Members with equal estimates and prices (many labs, one price list) tie this way.

Either found tie is returned only after it passes the contract's checker
(:func:`optimizer.check.violations`). If the plan was optimal, so is the tie, and the plan is not
unique. Plans in time are left to the MIP: there an option and a role also decide periods.
"""
from __future__ import annotations

from .check import violations
from .tables import RENTED, ModelData

Plan = tuple[list, list, dict]  # (runs, gets, when), as Solution.alternative


def tie(d: ModelData, runs: list, gets: list, pay: dict | None = None) -> Plan | None:
    """Another plan exactly as good as (runs, gets), found without solving, or None."""
    if d.timed:
        return None
    return moved_run(d, runs, gets, pay) or (None if d.pooled else swapped_roles(d, runs, gets))


def _hours_used(d: ModelData, runs: list) -> dict[tuple[str, str], float]:
    used: dict[tuple[str, str], float] = {}
    for i, w, o in runs:
        if o != RENTED:
            used[i, o] = used.get((i, o), 0.0) + d.hours[i, w, o]
    return used


def _room(d: ModelData, used: dict, i: str, w: str, o: str) -> bool:
    return o == RENTED or used.get((i, o), 0.0) + d.hours[i, w, o] <= d.capacity[i, o]


def moved_run(d: ModelData, runs: list, gets: list, pay: dict | None = None) -> Plan | None:
    """The plan with its first run that fits on another option moved there, or None.

    Runs are tried in the plan's order and options in the member's order, so the answer depends
    on nothing but the plan."""
    used = _hours_used(d, runs)
    for k, (i, w, o) in enumerate(runs):
        for other in d.options[i, w]:
            if other != o and _room(d, used, i, w, other):
                moved = runs[:k] + [(i, w, other)] + runs[k + 1:]
                if not violations(d, moved, gets, pay):
                    return moved, list(gets), {}
    return None


def swapped_roles(d: ModelData, runs: list, gets: list) -> Plan | None:
    """The plan with its first runner and adopter of one workstream, equal in compute and cost
    for it, trading places, or None (lead funding: under pooled funding who pays moves too).

    Runs and then adopters are tried in the plan's order, the new runner's options in its order.
    Only swaps the new runner's budget can pay for are handed to the checker."""
    used = _hours_used(d, runs)
    spent: dict[str, float] = {}
    for i, w, _ in runs:
        spent[i] = spent.get(i, 0.0) + d.cost[i, w]
    adopters: dict[str, list[int]] = {}
    for n, (j, w) in enumerate(gets):
        adopters.setdefault(w, []).append(n)
        spent[j] = spent.get(j, 0.0) + d.adoption[w] * d.cost[j, w]
    for k, (i, w, _) in enumerate(runs):
        for n in adopters.get(w, []):
            j = gets[n][0]
            if (d.compute[j, w], d.cost[j, w]) != (d.compute[i, w], d.cost[i, w]):
                continue
            extra = (1 - d.adoption[w]) * d.cost[j, w]
            if spent[j] + extra > d.budget[j] * (1 + 1e-9):
                continue
            for o in d.options[j, w]:
                if _room(d, used, j, w, o):
                    new_runs = runs[:k] + [(j, w, o)] + runs[k + 1:]
                    new_gets = gets[:n] + [(i, w)] + gets[n + 1:]
                    if not violations(d, new_runs, new_gets):
                        return new_runs, new_gets, {}
                    break  # what the checker refused (a budget, an adoption source) is the same on any option
    return None
