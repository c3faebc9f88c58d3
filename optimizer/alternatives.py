"""Another plan exactly as good as the reported one, found without solving: the first answer
to "is the plan the only optimal one?" (:func:`optimizer.solver.check_unique` asks HiGHS only
when this finds nothing).

A run's compute and cost are the member's estimate for the workstream, whatever accelerator it
runs on (``compute[i,w]``, ``cost[i,w]``); only the fleet hours it uses depend on the option.
So moving one run to another of the member's options that has room for it changes no objective
value and no budget: if the plan was optimal, so is the moved plan, and the plan is not unique.
Consortia with mixed fleets (H100 and H800, two clusters) have such ties often, and finding one
here costs a pass over the plan instead of a MIP as large as the design's.
"""
from __future__ import annotations

from .check import violations
from .tables import RENTED, ModelData

Plan = tuple[list, list, dict]  # (runs, gets, when), as Solution.alternative


def moved_run(d: ModelData, runs: list, gets: list, pay: dict | None = None) -> Plan | None:
    """The plan with its first run that fits on another option moved there, or None.

    Runs are tried in the plan's order and options in the member's order, so the answer does not
    depend on anything but the plan. The moved plan must pass the contract's checker
    (:func:`optimizer.check.violations`) before it is returned. Plans in time are left to the
    MIP: a run's option there also decides which period's capacity it uses.
    """
    if d.timed:
        return None
    used: dict[tuple[str, str], float] = {}
    for i, w, o in runs:
        if o != RENTED:
            used[i, o] = used.get((i, o), 0.0) + d.hours[i, w, o]
    for k, (i, w, o) in enumerate(runs):
        for other in d.options[i, w]:
            if other == o:
                continue
            if other != RENTED and used.get((i, other), 0.0) + d.hours[i, w, other] > d.capacity[i, other]:
                continue
            moved = runs[:k] + [(i, w, other)] + runs[k + 1:]
            if not violations(d, moved, gets, pay):
                return moved, list(gets), {}
    return None
