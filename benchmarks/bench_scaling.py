"""Pyomo model vs the direct matrix, side by side, per size of synthetic instance (issue 16, item 5).

For each size ``MxW`` (members x workstreams) the synthetic instance (benchmarks/synthetic.py,
``--seed``, design consortium) goes through two paths, each in a fresh subprocess of its own so
that its peak memory (``ru_maxrss``) is its own:

* ``pyomo``: ``optimizer.model.build_model`` (build), ``HighsSession`` (hand-over: Pyomo's
  persistent interface fills highspy), then the first objective stage (compute) with
  ``solve_stages(session, stages=1)``;
* ``direct``: ``direct_matrix.build`` (numpy arrays) and one ``passModel`` call, then HiGHS'
  ``run()``. tests/test_direct_matrix.py checks that this is the same MIP, entry by entry and
  in the same order, so HiGHS gets the same problem on both sides.

Both start from the same ModelData, derived once in this process and handed to both workers as a
pickle (generating the instance and deriving it is not timed, nor in their memory), and
use the project's solver options (mip_rel_gap 1e-6, random_seed 0) with ``--time-limit`` on the
solve. Printed per path: variables, rows, nonzeros (HiGHS' counts), build, hand-over and HiGHS
seconds, the status, gap and branch-and-bound nodes (the same on both sides when HiGHS did the
same search: then a difference in HiGHS seconds is the machine's noise), total (build to solved:
for Pyomo this also holds its re-scan of the model before the solve and the loading of the
solution, shown as "other"), resident memory before
the build ("base": interpreter, imports, the instance) and at the peak; then the ratios
Pyomo / direct of build + hand-over and of peak memory, and whether the two optima agree (within
the larger reported gap). Exit status 1 if they do not. With ``--repeat R`` each path runs R
times (alternating with the other) and each time column is its least over the R runs.

    .venv/bin/python benchmarks/bench_scaling.py [--sizes 20x50,50x100,100x200] [--time-limit 600] [--repeat R]
    .venv/bin/python benchmarks/bench_scaling.py --sizes 200x1000      # opt-in: about 25 min
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(__file__))

PATHS = ("pyomo", "direct")


def rss_mb() -> float:
    """Resident memory now, MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def synthetic_data(size: str, seed: int):
    from optimizer.instance import load_instance
    from optimizer.schema import BUILTIN_DESIGNS
    from optimizer.tables import derive
    from synthetic import instance
    members, workstreams = (int(x) for x in size.split("x"))
    return derive(load_instance(instance(members, workstreams, seed=seed)).spec,
                  BUILTIN_DESIGNS["consortium"], "consortium")


def run_pyomo(data, options) -> dict:
    from optimizer.highs import HighsSession
    from optimizer.model import build_model
    from optimizer.solver import solve_stages
    t0 = time.perf_counter()
    m = build_model(data)
    t1 = time.perf_counter()
    session = HighsSession(m, options)
    t2 = time.perf_counter()
    clock = session.seconds()
    stages = solve_stages(session, stages=1)
    t3 = time.perf_counter()
    h = session.highs
    return {"variables": h.getNumCol(), "rows": h.getNumRow(), "nonzeros": h.getNumNz(),
            "build": t1 - t0, "hand_over": t2 - t1, "highs": session.seconds() - clock, "total": t3 - t0,
            "status": stages.status.value, "gap": stages.mip_gap, "nodes": stages.nodes,
            "objective": stages.values.get(data.objective[0])}


def run_direct(data, options) -> dict:
    import highspy
    import direct_matrix
    from optimizer.highs import gap_of
    t0 = time.perf_counter()
    matrix = direct_matrix.build(data)
    t1 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for name, value in options.as_dict().items():  # the options Pyomo's interface passes at solve
        if value is not None:
            h.setOptionValue({"mip_gap": "mip_rel_gap"}.get(name, name), value)
    matrix.pass_to(h)
    t2 = time.perf_counter()
    clock = h.getRunTime()
    h.run()
    highs = h.getRunTime() - clock
    t3 = time.perf_counter()
    info, status = h.getInfo(), h.getModelStatus()
    found = info.primal_solution_status == 2  # kSolutionStatusFeasible
    objective = info.objective_function_value if found else None
    if status == highspy.HighsModelStatus.kOptimal:
        label = "optimal"
    elif status == highspy.HighsModelStatus.kInfeasible:
        label = "infeasible"
    else:
        label = "feasible" if found else "no_solution"
    return {"variables": matrix.num_col, "rows": matrix.num_row, "nonzeros": h.getNumNz(),
            "build": t1 - t0, "hand_over": t2 - t1, "highs": highs, "total": t3 - t0, "status": label,
            "gap": gap_of(objective, info.mip_dual_bound) if found else None, "nodes": max(0, info.mip_node_count),
            "objective": objective}


def worker(path: str, data_file: str, time_limit: float) -> None:
    """One path on one ModelData (pickled by the parent), in this fresh process; one JSON line on
    stdout, last. The instance was generated and derived in the parent, so this process's peak
    memory is its imports, the ModelData and the model (not pydantic's validation of the instance)."""
    import pickle
    from optimizer.highs import SolverOptions
    if path == "direct":
        import direct_matrix  # noqa: F401  (its imports are part of the base, as Pyomo's are)
    else:
        import optimizer.solver  # noqa: F401
    with open(data_file, "rb") as f:
        data = pickle.load(f)
    base = rss_mb()
    options = SolverOptions(time_limit=time_limit, check_unique=False)
    out = (run_pyomo if path == "pyomo" else run_direct)(data, options)
    out.update(other=out["total"] - out["build"] - out["hand_over"] - out["highs"], base_mb=base, peak_mb=peak_mb())
    print("\n" + json.dumps(out), flush=True)  # after HiGHS' banner, which creating Highs() prints


def measure(path: str, data_file: str, time_limit: float) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", path, "--data", data_file,
           "--time-limit", str(time_limit)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{path} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


TIMES = ("build", "hand_over", "highs", "other", "total")


def best(runs: list[dict]) -> dict:
    """Several runs of one path: each time its least (on a shared machine the least is the one
    least disturbed), the rest from the first run (the same problem, the same search)."""
    out = dict(runs[0])
    for key in TIMES + ("peak_mb",):
        out[key] = min(run[key] for run in runs)
    return out


def agree(a: dict, b: dict) -> bool | None:
    """Do two optima agree within the larger reported gap (1e-6 at least)? None: one is missing."""
    if a["objective"] is None or b["objective"] is None:
        return None
    tolerance = max(a["gap"] or 0.0, b["gap"] or 0.0, 1e-6)
    return abs(a["objective"] - b["objective"]) <= tolerance * max(abs(a["objective"]), abs(b["objective"]), 1e-9)


def versions() -> str:
    from importlib.metadata import version
    return (f"python {sys.version.split()[0]}, HiGHS {version('highspy')}, Pyomo {version('pyomo')}, "
            f"numpy {version('numpy')}, nproc {os.cpu_count()}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="20x50,50x100,100x200", help="comma-separated MxW (200x1000: opt-in)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=600.0, help="seconds for HiGHS' solve, per path")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each path, each time the least (default 1)")
    ap.add_argument("--worker", choices=PATHS, help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, args.data, args.time_limit)
        return 0
    print(f"# {datetime.datetime.now().isoformat(timespec='seconds')}  {versions()}")
    print(f"# seed {args.seed}, design consortium, first stage (compute), time limit {args.time_limit:g} s, "
          f"best of {args.repeat}, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    head = ("size", "path", "vars", "rows", "nonzeros", "build s", "hand-over s", "HiGHS s", "other s", "total s",
            "status", "gap", "nodes", "base MB", "peak MB")
    line = "{:>9} {:>6} {:>8} {:>8} {:>9} {:>8} {:>11} {:>8} {:>8} {:>8} {:>11} {:>8} {:>7} {:>8} {:>8}"
    print(line.format(*head))
    failed = False
    for n, size in enumerate(args.sizes.split(",")):
        order = PATHS if n % 2 == 0 else PATHS[::-1]  # alternate who runs first, against drift
        with tempfile.NamedTemporaryFile(suffix=".pickle") as f:
            pickle.dump(synthetic_data(size, args.seed), f)
            f.flush()
            runs = [{path: measure(path, f.name, args.time_limit) for path in order} for _ in range(args.repeat)]
        result = {path: best([run[path] for run in runs]) for path in PATHS}
        for path in PATHS:
            r = result[path]
            gap = "-" if r["gap"] is None else f"{r['gap']:.1e}"
            print(line.format(size, path, r["variables"], r["rows"], r["nonzeros"], f"{r['build']:.2f}",
                              f"{r['hand_over']:.2f}", f"{r['highs']:.2f}", f"{r['other']:.2f}", f"{r['total']:.2f}",
                              r["status"], gap, r["nodes"], f"{r['base_mb']:.0f}", f"{r['peak_mb']:.0f}"))
        p, d = result["pyomo"], result["direct"]
        same = agree(p, d)
        failed |= same is False
        verdict = {True: "agree", False: "DISAGREE", None: "not both found"}[same]
        made = (p["build"] + p["hand_over"]) / (d["build"] + d["hand_over"])
        above = (p["peak_mb"] - p["base_mb"]) / max(d["peak_mb"] - d["base_mb"], 1)
        print(f"{size:>9}  Pyomo/direct: build+hand-over {made:.1f}x, "
              f"peak memory {p['peak_mb'] / d['peak_mb']:.2f}x (above base {above:.1f}x), "
              f"HiGHS {p['highs'] / max(d['highs'], 1e-9):.2f}x, total {p['total'] / d['total']:.2f}x; "
              f"optima {verdict} ({p['objective']} vs {d['objective']})", flush=True)
    print(f"# load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
