"""Every command that solves reads the same solver flags into one SolverOptions."""
from __future__ import annotations

import pytest

from optimizer import SolverOptions
from optimizer.cli import build_parser, solver_options


@pytest.mark.parametrize("command", ["solve", "compare", "allocate", "sweep"])
def test_solver_flags_make_one_options_object(command):
    args = build_parser().parse_args([command, "x.yaml", "--time-limit", "5", "--mip-gap", "0.01",
                                      "--threads", "1", "--random-seed", "3"])
    assert solver_options(args) == SolverOptions(time_limit=5, mip_gap=0.01, threads=1, random_seed=3)
    assert solver_options(build_parser().parse_args([command, "x.yaml"])) == SolverOptions()


def test_no_check_unique():
    args = build_parser().parse_args(["solve", "x.yaml", "--no-check-unique"])
    assert solver_options(args) == SolverOptions(check_unique=False)
