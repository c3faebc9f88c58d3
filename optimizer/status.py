"""What a solve ended with: one enum for the solver layer, the results, the reports and the CLI."""
from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A solve's outcome. A StrEnum: it compares equal to, and is written in JSON as, its value."""

    OPTIMAL = "optimal"          # a plan, proven lexicographically optimal (within the MIP gap)
    FEASIBLE = "feasible"        # a plan, but a limit stopped the proof (its gap is reported)
    INFEASIBLE = "infeasible"    # proven: no plan satisfies the contract
    NO_SOLUTION = "no_solution"  # no plan within the limits, or the solver's plan failed the checker


PLANNED = frozenset({Status.OPTIMAL, Status.FEASIBLE})


def has_plan(status: str) -> bool:
    """Does a solve with this status report a plan?"""
    return status in PLANNED
