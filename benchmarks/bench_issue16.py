#!/usr/bin/env python
"""Every row of issue 16's table, measured for one source tree in one run.

Run it once per tree (the code as it was when the issue was filed, and the current one), one
after the other, and put the two tables side by side (benchmarks/README.md, "Issue 16"):

    nice -n -5 .venv/bin/python benchmarks/bench_issue16.py --tree /path/to/checkout \\
        [--rows 1,2,3,5,6,7] [--heavy] [--out /tmp/bench16-before.json] [--quick]

This process never imports the measured tree's ``optimizer``: every measurement runs in a fresh
subprocess with ``PYTHONPATH=TREE`` (which wins over the venv's editable install), the same
interpreter, a private bytecode cache (``PYTHONPYCACHEPREFIX``, filled by untimed warm-up runs)
and a scratch working directory under /tmp. Inputs that both trees must share — the synthetic
instances, the flagship, the MPS file of the highspy baseline — come from *this* tree (its
``benchmarks/synthetic.py``, its ``instances/``, its model) and are written once under
``--data`` (default /tmp/bench16-data), so a second run on another tree reads the same bytes
(their sha256 is in the JSON).

Rows (issue 16's table):

1. GAP gapa-gapc end to end: ``benchmarks/bench_gap.py --tree TREE`` (``consortium solve`` vs
   the hand-written highspy GAP model, ratio of end-to-end totals; every objective checked
   against the published optima). Goal <= 1.10x.
2. Flagship ``solve --json``, whole process, median of 5, against a fresh process that imports
   highspy, reads the MPS file of the matrix this tree's model hands HiGHS (the consortium
   design's first objective stage, written untimed) and solves it once: the baseline gets its
   matrix for free, so it is a lower bound for "a highspy script". Goal <= 0.35 s. Also an
   ``-X importtime`` profile of one such process: the share of imports in its wall time.
3. Model build and hand-over at 100 members x 200 workstreams (synthetic, seed 1): the tree's
   own ``optimizer.model.build_model`` and ``HighsSession(model, SolverOptions())`` (Pyomo's
   persistent ``set_instance``), timed in one process, median of ``--build-repeat``; nonzeros as
   HiGHS counts them after the hand-over. (The goal is a ratio to a direct matrix build:
   ``benchmarks/direct_matrix.py``; this row gives the seconds.)
4. (``--heavy`` only, run last) 200 x 1000: ``solve --time-limit 600 --json`` under
   ``/usr/bin/time -v``: wall time, status, reported gap, peak RSS; killed at ``--heavy-cap``.
5. Sweep of the flagship, 20 samples, seed 1, 1 worker (every design, as the CLI's default), in
   one process: one untimed warm-up sweep, one plain (wall time, a clock around the function
   that runs HiGHS, and the tree's own ``Sweep.overhead_share``), one under cProfile: the share
   of its wall time outside the cumulative time of the call that runs HiGHS
   (``_interruptible_run`` in both trees; any other highspy ``run``/``solve`` call is added).
   cProfile slows the Python side, not HiGHS, so the plain share is the one judged. Before
   each measured sweep the before tree's per-process model cache is emptied. Goal <= 20%.
6. Exact Shapley on the flagship, 2 workers: ``allocate FILE --method shapley --workers 2
   --json`` as one process; coalitions solved (from its JSON) per second of wall time.
   Goal >= 200/s.
7. 5,000 members with one need each (synthetic, 50 workstreams, seed 1, ``--needs 1``), every
   budget below 1.1x the cost of the member's needs and their prerequisites at its own price
   raised to that (as generated, the pre-solve check finds the instance infeasible and nothing
   is solved): ``solve --json``, whole process, capped at 600 s. Goal <= 20 s.

Prints a table and writes every figure as JSON to ``--out``. ``--quick`` shrinks every row
(for developing the harness; its figures mean nothing). ``--table BEFORE.json AFTER.json``
prints two runs' tables side by side in Markdown.
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks"
FLAGSHIP = ROOT / "instances" / "open-moe-consortium.yaml"
PYTHON = sys.executable

GOALS = {
    1: ("<= 1.10x", lambda r: r.get("ratio") is not None and r["ratio"] <= 1.10 and r.get("all_optima")),
    2: ("<= 0.35 s", lambda r: r.get("project_s") is not None and r["project_s"] <= 0.35),
    3: ("<= 3x direct", None),
    4: ("plan + gap in <= 10 min, <= 1.2x direct's memory", None),
    5: ("<= 20%", lambda r: r.get("outside_share") is not None and r["outside_share"] <= 0.20),
    6: (">= 200/s", lambda r: r.get("per_second") is not None and r["per_second"] >= 200),
    7: ("<= 20 s", lambda r: r.get("wall_s") is not None and r.get("ok") and r["wall_s"] <= 20),
}

# The highspy script of row 2: import highspy, read the matrix, solve, print the objective.
BASELINE_CODE = """
import json, sys, highspy
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.setOptionValue("mip_rel_gap", 1e-6)
h.setOptionValue("random_seed", 0)
h.readModel(sys.argv[1])
h.run()
print(json.dumps({"status": h.modelStatusToString(h.getModelStatus()), "objective": h.getInfo().objective_function_value}))
"""


# ---------------------------------------------------------------------------------------------
# probes: run in a subprocess with PYTHONPATH=TREE (they import that tree's optimizer)
# ---------------------------------------------------------------------------------------------

def _tree_api():
    """The tree's own model building and hand-over functions (their homes moved between trees)."""
    import optimizer
    from optimizer.instance import load_instance
    from optimizer.model import build_model
    from optimizer.tables import derive
    home = Path(optimizer.__file__).resolve().parent
    if os.environ.get("PYTHONPATH") and not str(home).startswith(str(Path(os.environ["PYTHONPATH"]).resolve())):
        raise RuntimeError(f"optimizer imported from {home}, not from PYTHONPATH")
    # not try/except ImportError: the venv's editable install would serve a module the tree lacks
    # from the main checkout
    if (home / "highs.py").exists():
        from optimizer.highs import HighsSession, SolverOptions  # after: one module for HiGHS
    else:
        from optimizer.solver import HighsSession, SolverOptions  # before
    for obj in (build_model, HighsSession):
        if not str(Path(sys.modules[obj.__module__].__file__).resolve()).startswith(str(home)):
            raise RuntimeError(f"{obj.__module__} is not from {home}")
    return load_instance, derive, build_model, HighsSession, SolverOptions


def _qualname(obj) -> str:
    return f"{obj.__module__}.{obj.__qualname__}"


def probe_build(path: str, repeat: str) -> dict:
    import gc
    load_instance, derive, build_model, HighsSession, SolverOptions = _tree_api()
    t0 = time.perf_counter()
    inst = load_instance(path)
    t1 = time.perf_counter()
    variant, settings = inst.design("consortium")
    data = derive(variant, settings, "consortium")
    t2 = time.perf_counter()
    builds, hands, sizes = [], [], None
    for _ in range(int(repeat)):
        gc.collect()
        a = time.perf_counter()
        m = build_model(data)
        b = time.perf_counter()
        session = HighsSession(m, SolverOptions())
        c = time.perf_counter()
        builds.append(b - a)
        hands.append(c - b)
        lp = session.highs.getLp()
        sizes = {"columns": lp.num_col_, "rows": lp.num_row_, "nonzeros": len(lp.a_matrix_.value_)}
        del session, m
    return {"load_s": t1 - t0, "derive_s": t2 - t1, "build_s": statistics.median(builds),
            "handover_s": statistics.median(hands), "builds": builds, "handovers": hands, **sizes,
            "functions": [_qualname(build_model), _qualname(HighsSession)]}


def probe_mps(path: str, out: str) -> dict:
    """Write the matrix this tree's model hands HiGHS (untimed: the baseline gets it for free)."""
    load_instance, derive, build_model, HighsSession, SolverOptions = _tree_api()
    inst = load_instance(path)
    variant, settings = inst.design("consortium")
    m = build_model(derive(variant, settings, "consortium"))
    session = HighsSession(m, SolverOptions())
    session.highs.writeModel(out)
    lp = session.highs.getLp()
    import pyomo.core as pyo
    active = [o.name for o in m.component_objects(pyo.Objective, active=True)]
    return {"columns": lp.num_col_, "rows": lp.num_row_, "nonzeros": len(lp.a_matrix_.value_),
            "objective": active}


def _highs_seconds(stats) -> tuple[float, list[str]]:
    """Cumulative seconds inside the calls that run HiGHS, not counting one inside another."""
    def is_run(key) -> bool:
        file, _line, name = key
        if name == "_interruptible_run":
            return True
        if "highspy" in name and re.search(r"'(run|solve|startSolve|wait)'", name):
            return True  # a built-in method of a highspy object
        return "highspy" in file and name in ("run", "solve")
    runs = {k for k in stats.stats if is_run(k)}
    total = 0.0
    for k in runs:
        _cc, _nc, _tt, ct, callers = stats.stats[k]
        total += ct - sum(v[3] for c, v in callers.items() if c in runs)
    names = sorted(f"{Path(k[0]).name}:{k[2]} ({stats.stats[k][3]:.3f} s cumulative)" for k in runs)
    return total, names


def probe_sweep(path: str, samples: str, seed: str) -> dict:
    import cProfile
    import pstats
    from optimizer.execution import Executor
    from optimizer.sweep import sweep
    HighsSession = _tree_api()[3]

    module = sys.modules[sweep.__module__]

    def run(n: int = int(samples)):
        # before: a per-process cache of persistent models (sweep._PROBLEMS) outlives a sweep; each
        # measured sweep starts without it, as in a fresh `consortium sweep` process
        cached = getattr(module, "_PROBLEMS", None)
        if cached is not None:
            cached.clear()
        return sweep(path, None, samples=n, seed=int(seed), executor=Executor(workers=1, progress=False))
    run(2)  # warm-up: lazy imports, caches of the interpreter
    # the plain run: only a clock around the function that runs HiGHS (HighsSession looks it up
    # as a module global each time it hands a model over)
    home = sys.modules[HighsSession.__module__]
    original, clock = home._interruptible_run, [0.0, 0]

    def timed_run(highs):
        t = time.perf_counter()
        try:
            return original(highs)
        finally:
            clock[0] += time.perf_counter() - t
            clock[1] += 1
    home._interruptible_run = timed_run
    t0 = time.perf_counter()
    sw = run()
    plain = time.perf_counter() - t0
    home._interruptible_run = original
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    sw2 = run()
    prof.disable()
    profiled = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    highs, names = _highs_seconds(stats)
    top = sorted(((v[3], f"{Path(k[0]).name}:{k[1]}:{k[2]}") for k, v in stats.stats.items()), reverse=True)[:25]
    return {"plain_s": plain, "plain_highs_s": clock[0], "highs_runs": clock[1],
            "plain_outside_share": 1 - clock[0] / plain, "highs_home": f"{home.__name__}._interruptible_run",
            "profiled_s": profiled, "highs_s": highs, "outside_share": 1 - highs / profiled,
            "own_overhead_share": float(sw.overhead_share), "designs": list(sw.designs) if hasattr(sw, "designs") else None,
            "highs_calls": names, "same_tables": sw.to_dict() == sw2.to_dict(),
            "model_cache_cleared": hasattr(module, "_PROBLEMS"),
            "top_cumulative": [f"{s:8.3f}  {name}" for s, name in top]}


PROBES = {"build": probe_build, "mps": probe_mps, "sweep": probe_sweep}


# ---------------------------------------------------------------------------------------------
# the harness (this process imports no optimizer)
# ---------------------------------------------------------------------------------------------

def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def versions() -> dict:
    out = {"python": platform.python_version()}
    for pkg in ("highspy", "pyomo", "numpy", "pandas", "pyarrow", "pydantic", "PyYAML"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def tree_state(tree: Path) -> dict:
    def git(*args):
        return subprocess.run(["git", "-C", str(tree), *args], capture_output=True, text=True).stdout.strip()
    digest = hashlib.sha256()
    for p in sorted((tree / "optimizer").rglob("*.py")):
        digest.update(str(p.relative_to(tree)).encode())
        digest.update(p.read_bytes())
    return {"path": str(tree), "head": git("rev-parse", "--short", "HEAD") or None,
            "dirty": bool(git("status", "--porcelain", "--", "optimizer")), "sources": digest.hexdigest()[:12]}


class Runner:
    def __init__(self, tree: Path, work: Path):
        self.tree = tree
        self.work = work
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        self.base_env = dict(env)
        self.base_env.pop("PYTHONPATH", None)
        env["PYTHONPATH"] = str(tree)
        self.env = env

    def run(self, cmd: list[str], timeout: float | None = None, env: dict | None = None) -> dict:
        """Run a fresh process in the scratch directory; wall time of the whole process."""
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=self.work, env=env or self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
            killed = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            killed = True
        return {"wall_s": time.perf_counter() - t0, "rc": proc.returncode, "stdout": out, "stderr": err,
                "killed": killed}

    def cli(self, *args: str, timeout: float | None = None) -> dict:
        return self.run([PYTHON, "-m", "optimizer", *args], timeout=timeout)

    def probe(self, name: str, *args: str, timeout: float | None = None) -> dict:
        r = self.run([PYTHON, str(Path(__file__).resolve()), "--probe", name, *args], timeout=timeout)
        if r["rc"] != 0:
            raise RuntimeError(f"probe {name} failed ({r['rc']}):\n{r['stderr'][-3000:]}")
        out = json.loads(r["stdout"].strip().splitlines()[-1])
        out["process_wall_s"] = r["wall_s"]
        return out


def last_json(text: str):
    """The JSON document a command printed (HiGHS >= 1.16 may print its banner first)."""
    start = text.find("{")
    return json.loads(text[start:]) if start >= 0 else None


def peak_rss_mb(stderr: str) -> float | None:
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return int(m.group(1)) / 1024 if m else None


def lift_budgets(mapping: dict, factor: float = 1.1) -> int:
    """Raise each member's budget to at least ``factor`` x what its needs and their prerequisites
    (transitively) cost it at its own price, so that every member can manage alone. Returns how
    many budgets were raised."""
    works = mapping["workstreams"]

    def closure(w: str, seen: set) -> set:
        if w not in seen:
            seen.add(w)
            for r in works[w].get("requires", []):
                closure(r, seen)
        return seen
    raised = 0
    for m in mapping["members"].values():
        seen: set = set()
        for w in m["needs"]:
            closure(w, seen)
        floor = float(round(factor * m["price"] * sum(works[w]["compute"] for w in seen)))
        if m["budget"] < floor:
            m["budget"], raised = floor, raised + 1
    return raised


def synthetic_file(data_dir: Path, members: int, workstreams: int, seed: int, needs: int | None,
                   lift: bool = False) -> Path:
    """Written once with this tree's generator; later runs (other trees) read the same file."""
    name = f"synthetic-{members}x{workstreams}-s{seed}" + (f"-n{needs}" if needs else "") + \
        ("-lifted" if lift else "") + ".yaml"
    path = data_dir / name
    if not path.exists():
        sys.path.insert(0, str(HERE))
        import yaml
        from synthetic import instance
        mapping = instance(members, workstreams, seed, needs)
        if lift:
            mapping["name"] += f", {lift_budgets(mapping)} budgets lifted to 1.1x their silo cost"
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(mapping, sort_keys=False))
        tmp.rename(path)
    return path


def import_profile(text: str) -> dict:
    """Parse ``-X importtime``: total of the top-level imports, and the biggest packages."""
    top, named = [], {}
    for line in text.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if not m:
            continue
        cum, indent, mod = int(m.group(2)) / 1e6, len(m.group(3)), m.group(4)
        if indent == 0:
            top.append((cum, mod))
        if mod in ("pandas", "numpy", "pyarrow", "pyomo.environ", "pyomo.core", "pyomo.contrib.solver.solvers.highs",
                   "highspy", "matplotlib", "pydantic", "yaml", "scipy", "optimizer.api", "optimizer.cli"):
            named[mod] = cum
    return {"imports_s": sum(c for c, _ in top), "top": [f"{c:.3f} {m}" for c, m in sorted(top, reverse=True)[:8]],
            "packages_s": named}


# ------------------------------------------------------------------------------------- rows

def row1(r: Runner, args) -> dict:
    out = r.work / "gap.json"
    cmd = [PYTHON, str(HERE / "bench_gap.py"), "--tree", str(r.tree), "--json-out", str(out)]
    cmd += ["--files", "gapa", "--problems", "2"] if args.quick else ["--files", "gapa", "gapb", "gapc"]
    res = r.run(cmd)
    (r.work / "gap.log").write_text(res["stdout"] + res["stderr"])
    print(res["stdout"], flush=True)
    if not out.exists():
        raise RuntimeError(f"bench_gap.py failed ({res['rc']}):\n{res['stderr'][-3000:]}")
    g = json.loads(out.read_text())
    gapa = [p for p in g["per_problem"] if p["problem"].startswith("a")]
    gapa_ratio = sum(p["proj_e2e"] for p in gapa) / sum(p["base_e2e"] for p in gapa) if gapa else None
    return {"ratio": g["headline"], "gapa_ratio": gapa_ratio, "all_optima": g["all_optima"],
            "project_total_s": g["totals"]["proj_e2e"], "baseline_total_s": g["totals"]["base_e2e"],
            "in_process_ratio": g["in_process_ratio"], "problems": len(g["per_problem"]), "bench_gap": g,
            "wall_s": res["wall_s"]}


def row2(r: Runner, args) -> dict:
    flagship = str(args.flagship)
    mps = args.data / f"flagship-{sha(args.flagship)}.mps"
    if not mps.exists():  # the after tree's matrix (this file's tree), for either measured tree
        writer = Runner(ROOT, r.work)
        info = writer.probe("mps", flagship, str(mps))
        (mps.with_suffix(".json")).write_text(json.dumps(info))
    info = json.loads(mps.with_suffix(".json").read_text())
    base_cmd = [PYTHON, "-c", BASELINE_CODE, str(mps)]
    proj, base, objectives, base_obj = [], [], set(), set()
    repeat = 2 if args.quick else args.repeat
    r.run(base_cmd, env=r.base_env)
    r.cli("solve", flagship, "--json")  # warm-up: bytecode cache, page cache
    for k in range(repeat):
        order = ("base", "proj") if k % 2 == 0 else ("proj", "base")
        for side in order:
            if side == "base":
                res = r.run(base_cmd, env=r.base_env)
                doc = last_json(res["stdout"])
                base.append(res["wall_s"])
                base_obj.add((doc["status"], round(doc["objective"], 6)))
            else:
                res = r.cli("solve", flagship, "--json")
                doc = last_json(res["stdout"])
                proj.append(res["wall_s"])
                objectives.add((doc["status"], doc["objective"]))
    imp = r.run([PYTHON, "-X", "importtime", "-m", "optimizer", "solve", flagship, "--json"])
    prof = import_profile(imp["stderr"])
    prof["wall_s"] = imp["wall_s"]
    prof["share"] = prof["imports_s"] / imp["wall_s"]
    cli_imp = import_profile(r.run([PYTHON, "-X", "importtime", "-c", "import optimizer.cli"])["stderr"])
    p, b = statistics.median(proj), statistics.median(base)
    return {"project_s": p, "baseline_s": b, "ratio": p / b, "project_runs": proj, "baseline_runs": base,
            "results": sorted(map(list, objectives)), "baseline_results": sorted(map(list, base_obj)),
            "flagship": flagship, "flagship_sha": sha(args.flagship), "mps": str(mps), "mps_info": info,
            "importtime_solve": prof, "importtime_cli": cli_imp}


def row3(r: Runner, args) -> dict:
    n, w = (20, 40) if args.quick else (100, 200)
    path = synthetic_file(args.data, n, w, 1, None)
    out = r.probe("build", str(path), str(1 if args.quick else args.build_repeat))
    out.update({"size": f"{n}x{w}", "file": str(path), "file_sha": sha(path)})
    return out


def timed_solve(r: Runner, path: Path, cap: float, extra: list[str]) -> dict:
    res = r.run(["/usr/bin/time", "-v", PYTHON, "-m", "optimizer", "solve", str(path), "--json", *extra],
                timeout=cap)
    doc = None if res["killed"] else last_json(res["stdout"])
    out = {"wall_s": res["wall_s"], "rc": res["rc"], "killed": res["killed"], "cap_s": cap,
           "peak_rss_mb": peak_rss_mb(res["stderr"]), "file": str(path), "file_sha": sha(path)}
    if doc:
        out.update({"status": doc.get("status"), "objective": doc.get("objective"), "mip_gap": doc.get("mip_gap"),
                    "ok": doc.get("status") in ("optimal", "feasible", "time_limit") and doc.get("objective") is not None})
    else:
        out.update({"status": "killed at cap" if res["killed"] else f"exit {res['rc']}", "ok": False,
                    "stderr_tail": res["stderr"][-1500:]})
    return out


def row4(r: Runner, args) -> dict:
    n, w, limit = (20, 100, 30) if args.quick else (200, 1000, 600)
    path = synthetic_file(args.data, n, w, 1, None)
    out = timed_solve(r, path, args.heavy_cap, ["--time-limit", str(limit)])
    out.update({"size": f"{n}x{w}", "time_limit": limit})
    return out


def row5(r: Runner, args) -> dict:
    samples = 3 if args.quick else 20
    out = r.probe("sweep", str(args.flagship), str(samples), "1")
    out.update({"samples": samples, "seed": 1, "workers": 1})
    return out


def row6(r: Runner, args) -> dict:
    cmd = ["allocate", str(args.flagship), "--method", "shapley", "--workers", "2", "--json"]
    if args.quick:
        cmd += ["--design", "small-core"]
    res = r.cli(*cmd)
    doc = last_json(res["stdout"])
    if doc is None:
        raise RuntimeError(f"allocate failed ({res['rc']}):\n{res['stderr'][-3000:]}")
    n = doc["coalitions_solved"]
    return {"coalitions": n, "wall_s": res["wall_s"], "per_second": n / res["wall_s"],
            "method": doc.get("method"), "allocated": doc.get("allocated"), "design": "small-core" if args.quick else "consortium"}


def row7(r: Runner, args) -> dict:
    n, w = (500, 50) if args.quick else (5000, 50)
    path = synthetic_file(args.data, n, w, 1, 1, lift=True)
    out = timed_solve(r, path, 600.0, [])
    out.update({"size": f"{n} members x {w} workstreams, 1 need each"})
    return out


ROWS = {1: ("GAP gapa-gapc e2e / raw highspy", row1), 2: ("flagship solve --json, whole process", row2),
        3: ("Pyomo build + hand-over, 100x200", row3), 4: ("200 members x 1000 workstreams", row4),
        5: ("sweep, share outside HiGHS", row5), 6: ("exact Shapley, flagship, 2 workers", row6),
        7: ("5,000 members, one need each", row7)}


def summary(k: int, r: dict) -> str:
    if "error" in r:
        return f"error: {r['error'].splitlines()[0][:80]}"
    if k == 1:
        return (f"{r['ratio']:.2f}x (gapa {r['gapa_ratio']:.2f}x; {r['project_total_s']:.1f} s / "
                f"{r['baseline_total_s']:.1f} s; optima {'ok' if r['all_optima'] else 'MISMATCH'})")
    if k == 2:
        return f"{r['project_s']:.3f} s ({r['ratio']:.1f}x the highspy script's {r['baseline_s']:.3f} s)"
    if k == 3:
        return (f"build {r['build_s']:.2f} s + hand-over {r['handover_s']:.2f} s = "
                f"{r['build_s'] + r['handover_s']:.2f} s; {r['nonzeros']:,} nonzeros")
    if k in (4, 7):
        gap = r.get("mip_gap")
        gap = "-" if gap is None else f"{gap:.2%}"
        rss = "?" if r.get("peak_rss_mb") is None else f"{r['peak_rss_mb'] / 1024:.2f} GB"
        return f"{r['wall_s']:.1f} s, {r['status']}, gap {gap}, peak RSS {rss}"
    if k == 5:
        return (f"{r['outside_share']:.0%} outside HiGHS under cProfile ({r['profiled_s']:.1f} s); "
                f"{r['plain_outside_share']:.0%} unprofiled ({r['plain_s']:.1f} s, timer on the run call)")
    if k == 6:
        return f"{r['per_second']:.0f} coalitions/s ({r['coalitions']} in {r['wall_s']:.1f} s)"
    return ""


def verdict(k: int, r: dict) -> str:
    if "error" in r:
        return "-"
    goal, judge = GOALS[k]
    if judge is None:
        return "see README"
    return "met" if judge(r) else "not met"


def side_by_side(before: Path, after: Path) -> int:
    runs = [json.loads(before.read_text()), json.loads(after.read_text())]
    print("| row | what | before | after | goal | met (after)? |")
    print("|---|---|---|---|---|---|")
    for k in sorted(ROWS):
        cells = [summary(k, d["rows"][str(k)]) if str(k) in d["rows"] else "not run" for d in runs]
        met = verdict(k, runs[1]["rows"][str(k)]) if str(k) in runs[1]["rows"] else "-"
        print(f"| {k} | {ROWS[k][0]} | {cells[0]} | {cells[1]} | {GOALS[k][0]} | {met} |")
    for d in runs:
        t = d["tree"]
        print(f"\n{t['path']} at {t['head']}: {d['started']} to {d.get('finished')}, load average "
              f"{d['load_start']} at the start, {d.get('load_end')} at the end")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--probe"]:
        print(json.dumps(PROBES[argv[1]](*argv[2:])))
        return 0
    if argv[:1] == ["--table"]:  # --table BEFORE.json AFTER.json: the two runs side by side (Markdown)
        return side_by_side(Path(argv[1]), Path(argv[2]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tree", type=Path, required=True, help="source tree to measure (a checkout with optimizer/)")
    ap.add_argument("--rows", default="1,2,3,5,6,7", help="rows to run, e.g. 2,3 (4 needs --heavy)")
    ap.add_argument("--heavy", action="store_true", help="also row 4 (200x1000, up to --heavy-cap seconds), last")
    ap.add_argument("--heavy-cap", type=float, default=900.0, help="row 4: kill the solve after this many seconds")
    ap.add_argument("--out", type=Path, default=None, help="JSON of the figures (default /tmp/bench16-<tree>.json)")
    ap.add_argument("--data", type=Path, default=Path("/tmp/bench16-data"),
                    help="shared inputs (synthetic instances, MPS), written once, read by every run")
    ap.add_argument("--flagship", type=Path, default=FLAGSHIP)
    ap.add_argument("--repeat", type=int, default=5, help="row 2: runs per side (median)")
    ap.add_argument("--build-repeat", type=int, default=3, help="row 3: builds per tree (median)")
    ap.add_argument("--quick", action="store_true", help="small settings, to try the harness")
    args = ap.parse_args(argv)
    tree = args.tree.resolve()
    if not (tree / "optimizer" / "__init__.py").exists():
        ap.error(f"{tree} has no optimizer/ package")
    rows = sorted({int(x) for x in args.rows.split(",") if x.strip()})
    if 4 in rows and not args.heavy:
        rows.remove(4)
    if args.heavy and 4 not in rows:
        rows.append(4)
    rows = [k for k in rows if k != 4] + ([4] if 4 in rows else [])  # the heavy row last
    args.data.mkdir(parents=True, exist_ok=True)
    out_path = args.out or Path(f"/tmp/bench16-{tree.name}.json")
    state = tree_state(tree)
    doc = {"started": datetime.datetime.now().isoformat(timespec="seconds"), "tree": state, "harness": tree_state(ROOT),
           "versions": versions(), "cpus": os.cpu_count(), "nice": os.nice(0), "load_start": load(),
           "quick": args.quick, "flagship": str(args.flagship), "rows": {}}
    print(f"# issue 16 benchmark  {doc['started']}  tree {tree} ({state['head']}{' dirty' if state['dirty'] else ''}, "
          f"sources {state['sources']})")
    print(f"# {' '.join(f'{k} {v}' for k, v in doc['versions'].items())}  cpus {doc['cpus']}  nice {doc['nice']}")
    print(f"# load average at start {doc['load_start']}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench16-") as tmp:
        runner = Runner(tree, Path(tmp))
        for k in rows:
            title, fn = ROWS[k]
            start_load, t0 = load(), time.perf_counter()
            print(f"## row {k}: {title}  (load {start_load})", flush=True)
            try:
                res = fn(runner, args)
            except Exception as exc:  # keep the other rows
                res = {"error": f"{type(exc).__name__}: {exc}"}
            res.update({"load_start": start_load, "load_end": load(), "row_wall_s": time.perf_counter() - t0})
            doc["rows"][str(k)] = res
            print(f"   {summary(k, res)}  [{verdict(k, res)}]  (load at end {res['load_end']}, "
                  f"{res['row_wall_s']:.0f} s)", flush=True)
            out_path.write_text(json.dumps(doc, indent=1, default=str))
    doc["load_end"] = load()
    doc["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
    doc["tree_at_end"] = tree_state(tree)
    out_path.write_text(json.dumps(doc, indent=1, default=str))
    print()
    print(f"{'row':<4} {'what':<38} {'figure':<95} {'goal':<10} met?")
    for k in rows:
        res = doc["rows"][str(k)]
        print(f"{k:<4} {ROWS[k][0]:<38} {summary(k, res):<95} {GOALS[k][0]:<10} {verdict(k, res)}")
    print(f"# load average at end {doc['load_end']}  ({doc['finished']})")
    if doc["tree_at_end"]["sources"] != state["sources"]:
        print("WARNING: the tree's sources changed during the run")
    print(f"# figures written to {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
