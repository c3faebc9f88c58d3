"""Rows of the model that may have no variables left (shared by the base and timed groups)."""
from __future__ import annotations

import pyomo.core as pyo


def checked(rule):
    """Wrap a constraint rule so rows without variables do not upset Pyomo.

    A row whose both sides are constants is either always true (dropped) or always
    false: then the whole design is infeasible, recorded in ``m.infeasible_rows`` so the
    solver layer can say so without calling HiGHS.
    """
    def wrapped(m, *index):
        row = rule(m, *index)
        if isinstance(row, bool):
            if not row:
                m.infeasible_rows.append(index)
            return pyo.Constraint.Skip
        return row
    return wrapped
