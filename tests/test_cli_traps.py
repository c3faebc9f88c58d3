"""The command line without traps (issue 15, item 4): one test per trap a new user fell into.

- `--out` swallowed the instance file (`solve --out x.yaml`): `--out DIR` now always takes a
  value, `--report` writes to the default directory, and an `--out` value that is a file says so;
- the same solver flags on every command that solves, handed down to the solves;
- one default sample count for `sweep` (CLI, API, README and Makefile agree);
- an unknown `--design` names the file and lists the designs, with no bogus `<input>:0:0:`;
- counts in CLI output are singular for one ("1 workstream");
- every usage error exits 2 with a message, never a traceback.
"""
from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import optimizer
from optimizer import SolverOptions
from optimizer.cli import build_parser, main
from optimizer.errors import InputError
from optimizer.execution import DEFAULT_SWEEP_SAMPLES

ROOT = Path(__file__).resolve().parents[1]
SOLVING = ["solve", "compare", "allocate", "sweep"]

# One of everything: one member with one fleet of one type, one workstream, one need, one
# uncertain input; it solves in milliseconds.
ONE = {
    "name": "one of everything",
    "accelerators": {"H100": {"throughput": 1.0}},
    "members": {"solo": {"budget": 1e6, "fleet": {"H100": 8}, "needs": ["evals"]}},
    "workstreams": {"evals": {"compute": 100}},
    "uncertainty": {"compute": {"low": 0.9, "high": 1.1}},
}
TWO = {
    "name": "two labs",
    "members": {"a": {"budget": 1e6, "needs": ["evals"]}, "b": {"budget": 1e6, "needs": ["evals"]}},
    "workstreams": {"evals": {"compute": 100}},
    "uncertainty": {"compute": {"low": 0.9, "high": 1.1}},
}


def write(tmp_path: Path, doc: dict, name: str = "two.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return str(path)


def consortium(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def fast(command: str) -> list[str]:
    return {"compare": ["--workers", "1"], "allocate": ["--workers", "1"],
            "sweep": ["--workers", "1", "--samples", "2"]}.get(command, [])


# --- `--out` never swallows FILE -------------------------------------------------------------

def test_out_before_the_file_is_refused_with_the_spelling_to_use(tmp_path):
    """The issue's command, run for real: exit 2, a message naming --report, no traceback, and
    nothing written."""
    inst = write(tmp_path, TWO)
    proc = consortium("solve", "--out", inst, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"expected a report directory, got the file '{inst}'" in proc.stderr
    assert f"consortium solve {inst} --report" in proc.stderr
    assert proc.stdout == "" and not (tmp_path / "reports").exists()


@pytest.mark.parametrize("command", SOLVING)
def test_out_refuses_a_file_on_every_command(command, tmp_path, capsys):
    inst = write(tmp_path, TWO)
    assert main([command, "--out", inst]) == 2
    err = capsys.readouterr().err
    assert "expected a report directory" in err and f"consortium {command} {inst} --report" in err
    assert main([command, inst, "--out", str(tmp_path / "plan.yaml")]) == 2  # a name that is not a directory's
    assert "got a file name" in capsys.readouterr().err


@pytest.mark.parametrize("command", SOLVING)
def test_out_without_a_value_points_at_report(command, tmp_path, capsys):
    assert main([command, write(tmp_path, TWO), "--out"]) == 2
    assert "--out: expected one argument (a directory; --report writes to the default one)" in capsys.readouterr().err


@pytest.mark.parametrize("command", SOLVING)
def test_report_writes_the_default_directory_wherever_it_stands(command, tmp_path, monkeypatch, capsys):
    inst = write(tmp_path, TWO)
    monkeypatch.chdir(tmp_path)
    assert main([command, "--report", inst, *fast(command)]) == 0  # a flag: before FILE is fine
    suffix = {"solve": "", "compare": "-compare", "allocate": "-allocation", "sweep": "-sweep"}[command]
    default = Path("reports") / f"two{suffix}"
    assert (tmp_path / default / ".consortium-report").is_file()
    assert f"written to {default}/" in capsys.readouterr().out
    mine = tmp_path / "mine"
    assert main([command, "--out", str(mine), inst, *fast(command)]) == 0  # --out DIR, also before FILE
    assert (mine / ".consortium-report").is_file()


def test_out_wins_over_report_and_json_stays_one_object(tmp_path):
    inst = write(tmp_path, TWO)
    proc = consortium("solve", inst, "--json", "--report", "--out", str(tmp_path / "here"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "optimal"  # the whole of stdout: one object
    assert "report written to" in proc.stderr
    assert (tmp_path / "here" / "report.html").is_file() and not (tmp_path / "reports").exists()


def test_report_command_refuses_a_file_as_out(tmp_path, capsys):
    result = ROOT / "reports" / "teaching-two-labs" / "result.json"
    assert main(["report", str(result), "--out", str(result)]) == 2
    assert "expected a report directory, got the file" in capsys.readouterr().err


# --- one set of solver flags -------------------------------------------------------------------

FLAGS = ["--time-limit", "30", "--mip-gap", "0.01", "--threads", "1", "--random-seed", "3"]
GIVEN = SolverOptions(time_limit=30, mip_gap=0.01, threads=1, random_seed=3)


@pytest.mark.parametrize("command", SOLVING)
def test_every_solving_command_hands_its_solver_flags_down(command, tmp_path, monkeypatch):
    """Each command really solves with the options its flags say (not only parses them)."""
    import optimizer.allocation
    import optimizer.api
    import optimizer.sweep
    seen = []
    target = {"solve": (optimizer.api, "solve"), "compare": (optimizer.api, "solve_designs"),
              "allocate": (optimizer.allocation, "share_costs"), "sweep": (optimizer.sweep, "sweep")}[command]
    real = getattr(*target)

    def spy(*args, **kwargs):
        seen.append(kwargs["options"])
        return real(*args, **kwargs)

    monkeypatch.setattr(*target, spy)
    assert main([command, write(tmp_path, TWO), *FLAGS, *fast(command)]) == 0
    assert seen == [GIVEN]


def test_uniqueness_flag_only_where_uniqueness_is_checked():
    """--no-check-unique is offered by solve and compare; allocate and sweep never check
    uniqueness (they report no plan's uniqueness), so the flag would do nothing there."""
    for command in SOLVING:
        options = {a for action in build_parser()._subparsers._group_actions[0].choices[command]._actions
                   for a in action.option_strings}
        assert {"--time-limit", "--mip-gap", "--threads", "--random-seed"} <= options
        assert ("--no-check-unique" in options) == (command in ("solve", "compare"))


# --- one default sample count ------------------------------------------------------------------

def test_one_default_sample_count_everywhere():
    assert build_parser().parse_args(["sweep", "x.yaml"]).samples == DEFAULT_SWEEP_SAMPLES == 40
    assert inspect.signature(optimizer.sweep.sweep).parameters["samples"].default == DEFAULT_SWEEP_SAMPLES
    makefile = (ROOT / "Makefile").read_text()
    sweeps = [line for line in makefile.splitlines() if "consortium sweep" in line]
    assert sweeps and all(re.search(r"--samples (\d+)", line)[1] == str(DEFAULT_SWEEP_SAMPLES) for line in sweeps)
    readme = (ROOT / "README.md").read_text()
    counts = re.findall(r"--samples (\d+)|samples=(\d+)", readme)
    assert counts and {a or b for a, b in counts} == {str(DEFAULT_SWEEP_SAMPLES)}
    assert f"draws {DEFAULT_SWEEP_SAMPLES} samples" in readme


# --- unknown designs ------------------------------------------------------------------------------

@pytest.mark.parametrize("command", SOLVING)
def test_unknown_design_names_the_file_and_every_design(command, tmp_path, capsys):
    inst = write(tmp_path, {**TWO, "designs": {"pooled": {"funding": "pooled"}}})
    assert main([command, inst, "--design", "foo", *fast(command)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"{inst}: unknown design 'foo'; its designs are: consortium, silo, pooled"
    assert main([command, inst, "--design", "pooledd", *fast(command)]) == 2
    assert "unknown design 'pooledd' (did you mean 'pooled'?); its designs are" in capsys.readouterr().err


def test_unknown_design_in_the_api_is_an_input_error_without_a_position():
    inst = optimizer.load_instance(TWO)
    with pytest.raises(InputError) as caught:
        optimizer.solve(inst, "foo")
    assert str(caught.value) == "unknown design 'foo'; its designs are: consortium, silo"


# --- plurals -------------------------------------------------------------------------------------

ONE_PLURAL = re.compile(r"(?<![\d,.])1 [a-z]+s\b")  # "1 workstreams", "1 designs" (units are not lower case)


def test_validate_counts_in_the_singular(tmp_path, capsys):
    assert main(["validate", write(tmp_path, ONE, "one.yaml")]) == 0
    out = capsys.readouterr().out
    assert ("one of everything: 1 member (1 with a fleet, 0 renting), 1 workstream, 1 accelerator type, "
            "1 need, designs: consortium, silo") in out
    assert main(["validate", write(tmp_path, TWO)]) == 0
    assert "2 members (0 with fleets, 2 renting), 1 workstream, 0 accelerator types, 2 needs" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["compare", "--design", "consortium", "--workers", "1"],
                                  ["sweep", "--design", "consortium", "--samples", "1", "--workers", "1"],
                                  ["allocate", "--workers", "1"]])
def test_no_plural_after_one(args, tmp_path, capsys):
    assert main([args[0], write(tmp_path, ONE, "one.yaml"), *args[1:]]) == 0
    out = capsys.readouterr().out
    assert not ONE_PLURAL.findall(out), out


def test_one_budget_amount(tmp_path, capsys):
    doc = {**TWO, "horizon": {"periods": 2}, "members": {**TWO["members"], "a": {"budget": [5.0], "needs": ["evals"]}}}
    assert main(["validate", write(tmp_path, doc)]) == 2
    assert "1 budget amount for 2 periods (expected one per period)" in capsys.readouterr().err


# --- usage errors: exit 2, a message, never a traceback ------------------------------------------

def usage_errors(inst: str, tmp: str) -> list[list[str]]:
    return [[], ["frob"], ["solve"], ["solve", inst, "--bogus"], ["solve", inst, "--out"], ["solve", "--out", inst],
            ["solve", inst, "--out", ""], ["solve", inst, "--threads", "0"], ["solve", inst, "--threads", "x"],
            ["solve", inst, "--mip-gap", "2"], ["solve", inst, "--time-limit", "-1"],
            ["solve", inst, "--time-limit", "nan"], ["solve", inst, "--design", "foo"],
            ["solve", str(Path(tmp) / "missing.yaml")], ["validate", tmp], ["compare", inst, "--workers", "0"],
            ["allocate", inst, "--method", "fair"], ["allocate", inst, "--samples", "0"],
            ["allocate", inst, "--unmet-penalty", "0"], ["sweep", inst, "--samples", "0"],
            ["sweep", inst, "--samples", "10001"], ["sweep", inst, "--seed", "-1"],
            ["sweep", inst, "--scheduler", "not an address"], ["report", str(Path(tmp) / "missing.json")],
            ["schema", "--bogus"]]


def test_every_usage_error_exits_2_with_a_message(tmp_path, capsys):
    inst = write(tmp_path, TWO)
    for argv in usage_errors(inst, str(tmp_path)):
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        assert captured.err.strip() and "Traceback" not in captured.err, argv
        assert captured.out == "", argv


def test_usage_error_exit_code_of_the_real_command(tmp_path):
    inst = write(tmp_path, TWO)
    for argv in (["solve", inst, "--design", "foo"], ["sweep", inst, "--samples", "0"], ["frob"]):
        proc = consortium(*argv, cwd=tmp_path)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.strip(), argv


# --- a design of fewer members is not shown as unmet members --------------------------------

def test_compare_counts_met_members_among_those_taking_part(tmp_path):
    """`compare` showed a design of 1 of 2 members as "met 1/2", as if one member's needs were
    unmet: it shows "1/1 (1 not taking part)"; the whole consortium "2/2"."""
    inst = write(tmp_path, {**TWO, "designs": {"a-only": {"members": ["a"]}}})
    done = consortium("compare", inst, "--workers", "1")
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines()[2:]}
    assert "1/1 (1 not taking part)" in rows["a-only"]
    assert " 2/2 " in rows["consortium"] and "not taking part" not in rows["consortium"]
