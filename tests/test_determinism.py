"""A plan reported unique is the same plan whatever HiGHS' threads and random seed.

For every design of every shipped instance whose plan the default solve reports unique, the
plan files of its report (CSVs and the allocation chart) are byte for byte the same with
threads 1 and 2 and random seeds 0, 1 and 2. Files that name the solver options (result.json,
report.md, report.html) differ by those words only, so they are left out.
"""
from __future__ import annotations

from pathlib import Path

import pytest

import optimizer
from optimizer.report.plan import render

INSTANCES = sorted((Path(__file__).resolve().parents[1] / "instances").glob("*.yaml"))
PLAN_FILES = ("runs.csv", "adoptions.csv", "members.csv", "workstreams.csv", "fleets.csv", "who-runs-what.svg")
SETTINGS = [{"threads": 1}, {"threads": 2}, {"random_seed": 1}, {"random_seed": 2}]


def plan_files(result) -> dict[str, bytes]:
    files = render(result.to_dict())
    return {name: files[name] for name in PLAN_FILES if name in files}


@pytest.mark.parametrize("path", INSTANCES, ids=[p.stem for p in INSTANCES])
def test_unique_plans_do_not_depend_on_threads_or_seed(path: Path) -> None:
    inst = optimizer.load_instance(path)
    checked = 0
    for design in inst.design_names:
        base = optimizer.solve(inst, design)
        if base.unique is not True:
            continue
        checked += 1
        expected = plan_files(base)
        for settings in SETTINGS:
            other = optimizer.solve(inst, design, options=optimizer.SolverOptions(check_unique=False, **settings))
            assert plan_files(other) == expected, f"{path.stem} [{design}] differs with {settings}"
    if path.stem != "infeasible-budget":
        assert checked, f"{path.stem}: no design has a unique plan"


def test_flagship_plan_is_unique() -> None:
    """The flagship's default design has one optimal plan under [compute, money]."""
    r = optimizer.solve(Path(__file__).resolve().parents[1] / "instances" / "open-moe-consortium.yaml")
    assert r.status == "optimal" and r.unique is True and r.alternative is None
