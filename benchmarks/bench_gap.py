#!/usr/bin/env python
"""Benchmark ``consortium solve`` end to end against a hand-written highspy GAP model.

For every OR-Library GAP problem, in the same run, it measures four times:

* baseline end-to-end (headline baseline): wall time of a fresh Python process
  running ``benchmarks/gap_highspy_baseline.py FILE K --sense S --mip-gap G``,
  which imports highspy + numpy, parses the GAP file, builds the model with the
  low-level highspy API, solves it and prints the objective as JSON;
* project end-to-end (headline project): wall time of a fresh
  ``consortium solve FILE.yaml --json`` process on the YAML instance written by
  :func:`tests/orlib_gap.py:gap_to_instance` (writing the YAML is not timed);
* baseline in-process: build + solve of the same highspy model inside this
  process (the GAP file already parsed);
* project in-process: ``optimizer.solve(optimizer.load_instance(mapping))``
  inside this process (imports already paid).

Both sides run HiGHS with the same options: ``mip_rel_gap =
optimizer.solver.DEFAULT_MIP_GAP``, ``random_seed = 0``, no output, default
threads. Both subprocesses use this interpreter (``sys.executable``; the
``consortium`` entry point is a script in the same venv).

To reduce bias from drift (thermal, caches, noisy neighbours) the order
alternates: baseline side first for one problem, project side first for the
next (and flipped again on each repeat). Times are the best of ``--repeat``
runs (default 1). Both subprocesses get the same environment with a private
bytecode cache (``PYTHONPYCACHEPREFIX`` in a temporary directory,
``PYTHONDONTWRITEBYTECODE`` removed), filled by one untimed warm-up run of each
side (end-to-end and in-process, so lazy imports are paid before timing too),
so neither pays for compiling its modules. The load average and a
fingerprint of the project's sources are printed; a warning is printed if the
sources changed during the run.

Summary: total seconds per column; the headline is the ratio of totals
(project end-to-end / baseline end-to-end), the geometric mean of per-problem
ratios is a secondary figure. Target (issue 2): at most 1.25x on gapa-gapc.
Every objective is checked against the published optimum in ``optima.csv``;
the exit status is 1 on any mismatch.

Usage::

    .venv/bin/python benchmarks/bench_gap.py [--files gapa gapb gapc]
        [--problems N] [--repeat R] [--baseline-only] [--data-dir DIR]
        [--tree PATH] [--json-out PATH]

``--tree PATH`` measures another checkout's ``optimizer`` (this process imports it and the
``consortium`` subprocesses get it first on ``PYTHONPATH``) with this tree's GAP reader, data
and baseline; ``--json-out`` writes the figures as JSON (``benchmarks/bench_issue16.py`` row 1).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import yaml

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent


def _tree_argument(argv: list[str]) -> Path:
    """``--tree PATH``: the source tree whose ``optimizer`` is measured (default: this one). It is
    read before the imports below, so that this process and the ``consortium`` subprocesses both
    run that tree's code; the OR-Library reader and the data stay this tree's."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--tree", type=Path, default=ROOT)
    return pre.parse_known_args(argv)[0].tree.resolve()


TREE = _tree_argument(sys.argv[1:]) if __name__ == "__main__" else ROOT
sys.path.insert(0, str(ROOT / "tests"))  # orlib_gap: the OR-Library reader the tests use too
sys.path.insert(0, str(TREE))
sys.path.insert(0, str(HERE))

import gap_highspy_baseline as baseline  # noqa: E402
import optimizer  # noqa: E402  (import once here so in-process times exclude imports)
from orlib_gap import (  # noqa: E402
    GapProblem,
    gap_objective_from_compute,
    gap_to_instance,
    read_gap_file,
    read_optima,
    read_problem_names,
)
from optimizer.solver import DEFAULT_MIP_GAP, highs_version  # noqa: E402

DEFAULT_DATA = ROOT / "tests" / "data" / "orlib-gap"
BASELINE_SCRIPT = HERE / "gap_highspy_baseline.py"
TARGET_RATIO = 1.25
TARGET_FILES = ["gapa", "gapb", "gapc"]
TOL = 1e-6
PROJECT_SOURCES = TREE / "optimizer"

# Both subprocesses get the same environment: a private bytecode cache (warmed up
# before timing) instead of whatever PYTHONDONTWRITEBYTECODE / missing __pycache__
# the shell happens to have, so neither side pays for compiling its modules.
SUBPROCESS_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
# the measured tree first (PYTHONPATH wins over the venv's editable install)
SUBPROCESS_ENV["PYTHONPATH"] = os.pathsep.join([str(TREE)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])

if baseline.DEFAULT_MIP_GAP != DEFAULT_MIP_GAP:  # the script is standalone, so keep it in step
    raise SystemExit(f"{BASELINE_SCRIPT.name}: DEFAULT_MIP_GAP {baseline.DEFAULT_MIP_GAP} != "
                     f"optimizer.solver.DEFAULT_MIP_GAP {DEFAULT_MIP_GAP}")


def baseline_end_to_end(problem: GapProblem, sense: str, gap_file: Path, k: int) -> float:
    """Run the standalone baseline script as a fresh process; return the GAP objective."""
    proc = subprocess.run(
        [sys.executable, str(BASELINE_SCRIPT), str(gap_file), str(k),
         "--sense", sense, "--mip-gap", repr(DEFAULT_MIP_GAP)],
        capture_output=True, text=True, env=SUBPROCESS_ENV)
    if proc.returncode != 0:
        raise RuntimeError(f"{problem.name}: baseline script exited {proc.returncode}\n"
                           f"{proc.stdout.strip()}\n{proc.stderr.strip()}")
    # the last line: HiGHS >= 1.16 prints its banner on stdout when a Highs object is created
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["status"] != "optimal":
        raise RuntimeError(f"{problem.name}: baseline status {result['status']}")
    return float(result["objective"])


def baseline_in_process(problem: GapProblem, sense: str) -> float:
    """Build and solve the highspy model in this process; return the GAP objective."""
    status, objective = baseline.solve(problem.agents, problem.jobs, problem.cost,
                                       problem.resource, problem.capacity, sense, DEFAULT_MIP_GAP)
    if status != "optimal":
        raise RuntimeError(f"{problem.name}: baseline status {status}")
    return objective


def project_end_to_end(problem: GapProblem, sense: str, yaml_path: Path) -> float:
    """Run ``consortium solve FILE --json`` as a fresh process; return the GAP objective."""
    exe = Path(sys.executable).parent / "consortium"
    proc = subprocess.run([str(exe), "solve", str(yaml_path), "--json"],
                          capture_output=True, text=True, env=SUBPROCESS_ENV)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{problem.name}: consortium exited {proc.returncode}\n{proc.stderr.strip()}")
    result = json.loads(proc.stdout)
    if result["status"] != "optimal":
        raise RuntimeError(f"{problem.name}: consortium status {result['status']}")
    options = result["solver"]["options"]
    if options.get("mip_gap") != DEFAULT_MIP_GAP or options.get("random_seed") != 0:
        raise RuntimeError(f"{problem.name}: consortium ran with other options {options}")
    return gap_objective_from_compute(problem, sense, result["objective"])


def project_in_process(problem: GapProblem, sense: str, mapping: dict) -> float:
    """Load and solve the instance in this process; return the GAP objective."""
    res = optimizer.solve(optimizer.load_instance(mapping))
    if res.status != "optimal":
        raise RuntimeError(f"{problem.name}: optimizer status {res.status}")
    return gap_objective_from_compute(problem, sense, res.objective)


def timed(fn: Callable[[], float]) -> tuple[float, float]:
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def source_state() -> str:
    """Fingerprint of the project's sources and git HEAD, to detect edits during a run."""
    digest = hashlib.sha256()
    for path in sorted(PROJECT_SOURCES.rglob("*.py")):
        digest.update(str(path.relative_to(TREE)).encode())
        digest.update(path.read_bytes())
    head = subprocess.run(["git", "-C", str(TREE), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip() or "?"
    return f"{head}+{digest.hexdigest()[:12]}"


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else math.nan


def ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", default=TARGET_FILES,
                        help="GAP file stems (default: gapa gapb gapc)")
    parser.add_argument("--problems", type=int, default=None,
                        help="only the first N problems of each file")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per measurement, best taken (default 1)")
    parser.add_argument("--baseline-only", action="store_true",
                        help="only time the highspy baseline")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA,
                        help=f"directory with gap*.txt and optima.csv (default: {DEFAULT_DATA})")
    parser.add_argument("--tree", type=Path, default=ROOT,
                        help="source tree whose optimizer is measured (default: this one)")
    parser.add_argument("--json-out", type=Path, default=None, metavar="PATH",
                        help="also write the totals, headline and per-problem seconds as JSON")
    args = parser.parse_args(argv)
    if args.tree.resolve() != TREE:
        parser.error("--tree is read at import time: run this file as a script to use it")
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    if args.problems is not None and args.problems < 1:
        parser.error("--problems must be >= 1")
    if not args.baseline_only:
        exe = Path(sys.executable).parent / "consortium"
        if not exe.exists():
            parser.error(f"{exe} not found; install the project or use --baseline-only")

    optima = read_optima(args.data_dir / "optima.csv")
    names = read_problem_names(args.data_dir / "optima.csv")

    state = source_state()
    print(f"# {datetime.datetime.now().isoformat(timespec='seconds')}  "
          f"python {platform.python_version()}  HiGHS {highs_version()}  "
          f"cpus {os.cpu_count()}  mip_rel_gap {DEFAULT_MIP_GAP:g}  random_seed 0  "
          f"repeat {args.repeat} (best)")
    print(f"# project sources {state} ({TREE})  load average {load()}")
    load_start = load()
    header = (f"{'problem':<8} {'optimum':>7} {'first':>5} | {'base e2e':>8} {'proj e2e':>8} "
              f"{'ratio':>7} | {'base in':>8} {'proj in':>8} {'ratio':>7}")
    print(header)
    print("-" * len(header))

    mismatches: list[str] = []
    per_problem: list[dict] = []
    e2e_ratios: list[float] = []
    in_ratios: list[float] = []
    totals = {"base_e2e": 0.0, "proj_e2e": 0.0, "base_in": 0.0, "proj_in": 0.0}
    index = 0
    warmed = False
    with tempfile.TemporaryDirectory() as tmp:
        SUBPROCESS_ENV["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        for stem in args.files:
            gap_file = args.data_dir / f"{stem}.txt"
            problems = read_gap_file(gap_file, names.get(stem))
            for k, problem in enumerate(problems[: args.problems], start=1):
                if (stem, k) not in optima:
                    print(f"{problem.name:<8} (no published optimum, skipped)")
                    continue
                sense, optimum = optima[(stem, k)]
                mapping = gap_to_instance(problem, sense)
                yaml_path = Path(tmp) / f"{problem.name}.yaml"
                yaml_path.write_text(yaml.safe_dump(mapping, sort_keys=False))
                if not warmed:  # untimed, both sides: bytecode and page caches, lazy imports
                    baseline_end_to_end(problem, sense, gap_file, k)
                    baseline_in_process(problem, sense)
                    if not args.baseline_only:
                        project_end_to_end(problem, sense, yaml_path)
                        project_in_process(problem, sense, mapping)
                    warmed = True

                runs: dict[str, Callable[[], float]] = {
                    "base_e2e": lambda: baseline_end_to_end(problem, sense, gap_file, k),
                    "base_in": lambda: baseline_in_process(problem, sense),
                }
                if not args.baseline_only:
                    runs["proj_e2e"] = lambda: project_end_to_end(problem, sense, yaml_path)
                    runs["proj_in"] = lambda: project_in_process(problem, sense, mapping)
                base_side = [key for key in ("base_e2e", "base_in") if key in runs]
                proj_side = [key for key in ("proj_e2e", "proj_in") if key in runs]

                best = {key: math.inf for key in runs}
                for rep in range(args.repeat):
                    base_first = (index + rep) % 2 == 0
                    order = base_side + proj_side if base_first else proj_side + base_side
                    for key in order:
                        obj, secs = timed(runs[key])
                        best[key] = min(best[key], secs)
                        if abs(obj - optimum) > TOL:
                            mismatches.append(f"{problem.name} {key} {obj:g} != {optimum:g}")
                first = "base" if index % 2 == 0 else "proj"
                index += 1
                for key, secs in best.items():
                    totals[key] += secs

                per_problem.append({"problem": problem.name, "optimum": optimum, "first": first, **best})
                row = f"{problem.name:<8} {optimum:>7g} {first:>5} | {best['base_e2e']:>8.3f} "
                if args.baseline_only:
                    print(row + f"{'-':>8} {'-':>7} | {best['base_in']:>8.3f}")
                    continue
                r_e2e = ratio(best["proj_e2e"], best["base_e2e"])
                r_in = ratio(best["proj_in"], best["base_in"])
                e2e_ratios.append(r_e2e)
                in_ratios.append(r_in)
                print(row + f"{best['proj_e2e']:>8.3f} {r_e2e:>6.2f}x | {best['base_in']:>8.3f} "
                      f"{best['proj_in']:>8.3f} {r_in:>6.2f}x", flush=True)

    print("-" * len(header))
    end_state = source_state()
    print(f"# load average at the end {load()}")
    if end_state != state:
        print(f"WARNING: project sources changed during the run ({state} -> {end_state}); "
              "the figures mix code versions, rerun on a quiet tree")
    if args.baseline_only:
        print(f"total: baseline end-to-end {totals['base_e2e']:.3f} s, "
              f"baseline in-process {totals['base_in']:.3f} s")
    else:
        print(f"{'total':<8} {'':>7} {'':>5} | {totals['base_e2e']:>8.3f} {totals['proj_e2e']:>8.3f} "
              f"{ratio(totals['proj_e2e'], totals['base_e2e']):>6.2f}x | {totals['base_in']:>8.3f} "
              f"{totals['proj_in']:>8.3f} {ratio(totals['proj_in'], totals['base_in']):>6.2f}x")
        headline = ratio(totals["proj_e2e"], totals["base_e2e"])
        print(f"headline: end-to-end ratio of totals (project {totals['proj_e2e']:.3f} s / "
              f"baseline {totals['base_e2e']:.3f} s) = {headline:.2f}x")
        print(f"geometric mean of per-problem ratios: end-to-end {geomean(e2e_ratios):.2f}x, "
              f"in-process {geomean(in_ratios):.2f}x; in-process ratio of totals "
              f"{ratio(totals['proj_in'], totals['base_in']):.2f}x")
        scope = "" if sorted(args.files) == TARGET_FILES and args.problems is None else \
            " (this run is not the full gapa-gapc set the target is defined on)"
        verdict = "met" if headline <= TARGET_RATIO else "not met"
        print(f"target <= {TARGET_RATIO:.2f}x: {verdict}{scope}")
    if args.json_out is not None:
        args.json_out.write_text(json.dumps({
            "tree": str(TREE), "sources": state, "sources_at_end": end_state, "files": args.files,
            "problems": args.problems, "repeat": args.repeat, "highs": highs_version(),
            "load_start": load_start, "load_end": load(), "totals": totals,
            "headline": None if args.baseline_only else ratio(totals["proj_e2e"], totals["base_e2e"]),
            "in_process_ratio": None if args.baseline_only else ratio(totals["proj_in"], totals["base_in"]),
            "geomean_e2e": geomean(e2e_ratios), "geomean_in": geomean(in_ratios),
            "all_optima": not mismatches, "mismatches": mismatches, "per_problem": per_problem}, indent=1))
    if mismatches:
        print("OBJECTIVE MISMATCH vs published optima:")
        for line in mismatches:
            print(f"  {line}")
        return 1
    print("all objectives equal the published optima")
    return 0


if __name__ == "__main__":
    sys.exit(main())
