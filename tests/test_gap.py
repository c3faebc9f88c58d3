"""OR-Library GAP problems solved through the consortium model reach published optima."""

from __future__ import annotations

from pathlib import Path

import pytest

import optimizer
from orlib_gap import (
    GapProblem,
    gap_objective_from_compute,
    gap_to_instance,
    profit_offset,
    read_gap_file,
    read_optima,
    read_problem_names,
)

DATA = Path(__file__).parent / "data" / "orlib-gap"
SOLVED_FILES = ["gap1", "gap2", "gap3", "gap4", "gapa"]

OPTIMA = read_optima(DATA / "optima.csv")
NAMES = read_problem_names(DATA / "optima.csv")


def _cases() -> list:
    cases = []
    for stem in SOLVED_FILES:
        for k, problem in enumerate(read_gap_file(DATA / f"{stem}.txt", NAMES[stem]), start=1):
            sense, value = OPTIMA[(stem, k)]
            cases.append(pytest.param(problem, sense, value, id=f"{stem}-{k}"))
    return cases


def test_read_gap_file_gap1() -> None:
    problems = read_gap_file(DATA / "gap1.txt")
    assert len(problems) == 5
    first = problems[0]
    assert first.name == "gap1-1"
    assert (first.agents, first.jobs) == (5, 15)
    assert first.cost[0][:3] == [17, 21, 22]
    assert first.cost[4] == [18, 19, 15, 15, 21, 25, 16, 16, 23, 15, 22, 17, 19, 22, 24]
    assert first.resource[0][:4] == [8, 15, 14, 23]
    assert first.capacity == [36, 34, 38, 27, 33]
    for p in problems:
        assert (p.agents, p.jobs) == (5, 15)
        assert len(p.cost) == len(p.resource) == len(p.capacity) == 5
        assert all(len(row) == 15 for row in p.cost + p.resource)
    assert problems[1].cost[0][:3] == [19, 23, 24]
    named = read_gap_file(DATA / "gap1.txt", NAMES["gap1"])
    assert [p.name for p in named] == [f"c515-{k}" for k in range(1, 6)]


def test_read_optima() -> None:
    assert OPTIMA[("gap1", 1)] == ("max", 336.0)
    assert OPTIMA[("gapa", 6)] == ("min", 2339.0)
    assert len([key for key in OPTIMA if key[0] in SOLVED_FILES]) == 26


def test_gap_to_instance_mapping() -> None:
    problem = GapProblem("tiny", 2, 3, [[4, 1, 3], [2, 5, 6]], [[1, 2, 3], [4, 5, 6]], [7, 8])
    inst = gap_to_instance(problem, "max")
    k = profit_offset(problem)
    assert k == 7
    assert inst["name"] == "OR-Library GAP tiny"
    assert set(inst) == {"name", "members", "workstreams"}
    assert list(inst["members"]) == ["agent-1", "agent-2"]
    agent2 = inst["members"]["agent-2"]
    assert agent2["budget"] == 8 and "fleet" not in agent2 and "needs" not in agent2
    assert agent2["estimates"]["job-3"] == {"compute": k - 6, "cost": 6}
    assert inst["workstreams"]["job-1"] == {"compute": 5, "required": True}
    assert gap_objective_from_compute(problem, "max", 3 * k - 10) == 10
    inst_min = gap_to_instance(problem, "min")
    assert inst_min["members"]["agent-1"]["estimates"]["job-2"] == {"compute": 1, "cost": 2}
    assert gap_objective_from_compute(problem, "min", 12.0) == 12.0


@pytest.mark.parametrize(("problem", "sense", "optimum"), _cases())
def test_gap_optimum(problem: GapProblem, sense: str, optimum: float) -> None:
    res = optimizer.solve(optimizer.load_instance(gap_to_instance(problem, sense)))
    assert res.status == "optimal"
    value = gap_objective_from_compute(problem, sense, res.objective)
    assert value == pytest.approx(optimum, abs=1e-6)
    assert round(value) == int(optimum)
