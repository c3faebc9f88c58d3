"""Every command that solves reads the same solver flags into one SolverOptions; building the
parser (``--help``) imports none of the heavy libraries."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from optimizer import SolverOptions
from optimizer.cli_options import build_parser, solver_options


@pytest.mark.parametrize("command", ["solve", "compare", "allocate", "sweep"])
def test_solver_flags_make_one_options_object(command):
    args = build_parser().parse_args([command, "x.yaml", "--time-limit", "5", "--mip-gap", "0.01",
                                      "--threads", "1", "--random-seed", "3"])
    assert solver_options(args) == SolverOptions(time_limit=5, mip_gap=0.01, threads=1, random_seed=3)
    assert solver_options(build_parser().parse_args([command, "x.yaml"])) == SolverOptions()


def test_no_check_unique():
    args = build_parser().parse_args(["solve", "x.yaml", "--no-check-unique"])
    assert solver_options(args) == SolverOptions(check_unique=False)


HEAVY = ("pandas", "pyomo", "highspy", "matplotlib")
# run as `python -m optimizer ...`, then list the heavy modules that got imported
PROBE = """
import runpy, sys
sys.argv = ["consortium", *sys.argv[1:]]
try:
    runpy.run_module("optimizer", run_name="__main__")
except SystemExit:
    pass
print(" ".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


def _heavy_imported(*argv: str) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], timeout=120)
    return proc.stderr.splitlines()[-1].split()


@pytest.mark.parametrize("argv", [["--help"], ["solve", "--help"], ["sweep", "--help"], ["--version"]])
def test_help_imports_no_heavy_library(argv):
    """`consortium --help` is instant: pandas, Pyomo, HiGHS and matplotlib are imported only by a
    command that runs (each command's own imports)."""
    assert _heavy_imported(*argv) == []


def test_the_probe_sees_a_command_import_them(tmp_path):
    assert {"pyomo", "highspy"} <= set(_heavy_imported("solve", str(tmp_path / "missing.yaml")))


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_a_solve_without_a_report_makes_no_table_and_draws_nothing(json_flag):
    """pandas (about 0.27 s to import) is for tables and matplotlib (about 0.3 s) for charts:
    `solve` prints its summary or JSON without either; asking for a report imports both."""
    inst = str(Path(__file__).resolve().parents[1] / "instances" / "teaching-two-labs.yaml")
    assert set(_heavy_imported("solve", inst, *json_flag)) == {"pyomo", "highspy"}


def test_the_probe_sees_a_report_import_matplotlib(tmp_path):
    inst = str(Path(__file__).resolve().parents[1] / "instances" / "teaching-two-labs.yaml")
    assert {"pandas", "matplotlib"} <= set(_heavy_imported("solve", inst, "--out", str(tmp_path / "r")))
