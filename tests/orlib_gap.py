"""OR-Library generalized assignment problems (GAP) as consortium instances.

The GAP is a special case of the consortium model: agents become members that
rent (no fleet, so no capacity limit other than their budget), jobs become
required workstreams, and per-member estimates carry the GAP data:

* ``estimates[agent][job].cost`` is the resource ``a[i][j]`` and the member's
  ``budget`` is the agent capacity ``b[i]``, so constraint 6 of the model is the
  GAP capacity constraint;
* ``estimates[agent][job].compute`` is the assignment cost, so the objective
  (total compute) is the GAP objective.

Nobody needs anything and all compute values are positive, so an optimum never
adopts and runs every job exactly once: it is an optimal GAP assignment.

Maximisation files (gap1-gap12, profits ``p``) are turned into minimisation with
the cost ``K - p[i][j]``, ``K = max p + 1``; the minimum is then
``n*K - (maximum profit)``. :func:`gap_objective_from_compute` converts back.

Only the standard library is used.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, Sequence, Union

__all__ = [
    "GapProblem",
    "read_gap_file",
    "read_optima",
    "read_problem_names",
    "profit_offset",
    "gap_to_instance",
    "gap_objective_from_compute",
]

StrPath = Union[str, "PathLike[str]"]


@dataclass(frozen=True)
class GapProblem:
    """One GAP instance: ``agents`` x ``jobs`` matrices and agent capacities.

    ``cost[i][j]`` is the cost (minimisation files) or profit (maximisation
    files) of giving job ``j`` to agent ``i``; ``resource[i][j]`` is what agent
    ``i`` uses for job ``j``; ``capacity[i]`` is agent ``i``'s capacity.
    """

    name: str
    agents: int
    jobs: int
    cost: list[list[int]]
    resource: list[list[int]]
    capacity: list[int]


def read_gap_file(path: StrPath, names: Sequence[str] | None = None) -> list[GapProblem]:
    """Read every problem of an OR-Library GAP file.

    The format is a stream of whitespace-separated integers: ``P``, then for
    each problem ``m n``, ``m*n`` costs, ``m*n`` resources and ``m`` capacities.
    Problems are named ``names[k-1]`` if given, else ``"<file stem>-<k>"``
    (``k`` 1-based).
    """
    path = Path(path)
    tokens = [int(t) for t in path.read_text().split()]
    pos = 0

    def take(count: int) -> list[int]:
        nonlocal pos
        if pos + count > len(tokens):
            raise ValueError(f"{path}: truncated GAP file")
        chunk = tokens[pos : pos + count]
        pos += count
        return chunk

    (count,) = take(1)
    if names is not None and len(names) != count:
        raise ValueError(f"{path}: {count} problems but {len(names)} names")
    problems: list[GapProblem] = []
    for k in range(1, count + 1):
        m, n = take(2)
        cost = [take(n) for _ in range(m)]
        resource = [take(n) for _ in range(m)]
        capacity = take(m)
        name = names[k - 1] if names is not None else f"{path.stem}-{k}"
        problems.append(GapProblem(name, m, n, cost, resource, capacity))
    if pos != len(tokens):
        raise ValueError(f"{path}: {len(tokens) - pos} unexpected trailing tokens")
    return problems


def read_optima(path: StrPath) -> dict[tuple[str, int], tuple[str, float]]:
    """Read ``optima.csv`` into ``{(file_stem, k): (sense, value)}``.

    Rows whose status is ``open`` (no proven optimum) are skipped.
    """
    optima: dict[tuple[str, int], tuple[str, float]] = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["status"].strip() == "open":
                continue
            optima[(row["file"], int(row["k"]))] = (row["sense"], float(row["value"]))
    return optima


def read_problem_names(path: StrPath) -> dict[str, list[str]]:
    """Read ``optima.csv`` into ``{file_stem: [name of problem 1, 2, ...]}``."""
    rows: dict[str, list[tuple[int, str]]] = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            rows.setdefault(row["file"], []).append((int(row["k"]), row["name"]))
    return {stem: [name for _, name in sorted(items)] for stem, items in rows.items()}


def profit_offset(problem: GapProblem) -> int:
    """The constant ``K = max profit + 1`` used to turn profits into costs."""
    return max(max(row) for row in problem.cost) + 1


def _check_sense(sense: str) -> None:
    if sense not in ("min", "max"):
        raise ValueError(f"sense must be 'min' or 'max', not {sense!r}")


def gap_to_instance(problem: GapProblem, sense: str) -> dict[str, Any]:
    """Build a consortium instance (plain mapping, see spec/model.md) for a GAP.

    One renting member ``agent-<i>`` per agent with ``budget = capacity[i]``,
    one required workstream ``job-<j>`` per job, and per-member estimates
    ``{compute: c[i][j], cost: resource[i][j]}`` where ``c`` is the cost for
    ``sense == "min"`` and ``K - profit`` for ``sense == "max"``.
    """
    _check_sense(sense)
    offset = profit_offset(problem) if sense == "max" else 0

    def compute(i: int, j: int) -> int:
        c = problem.cost[i][j]
        return offset - c if sense == "max" else c

    jobs = [f"job-{j + 1}" for j in range(problem.jobs)]
    members: dict[str, Any] = {}
    for i in range(problem.agents):
        members[f"agent-{i + 1}"] = {
            "budget": problem.capacity[i],
            "estimates": {
                jobs[j]: {"compute": compute(i, j), "cost": problem.resource[i][j]}
                for j in range(problem.jobs)
            },
        }
    workstreams = {
        jobs[j]: {
            "compute": max(compute(i, j) for i in range(problem.agents)),
            "required": True,
        }
        for j in range(problem.jobs)
    }
    return {
        "name": f"OR-Library GAP {problem.name}",
        "members": members,
        "workstreams": workstreams,
    }


def gap_objective_from_compute(problem: GapProblem, sense: str, total_compute: float) -> float:
    """Convert the instance's total compute back to the GAP objective.

    Identity for ``min``; ``n*K - total_compute`` for ``max``.
    """
    _check_sense(sense)
    if sense == "min":
        return float(total_compute)
    return float(problem.jobs * profit_offset(problem) - total_compute)
