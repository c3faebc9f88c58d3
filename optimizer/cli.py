"""`consortium` command line: a thin shell over the Python API.

Exit codes (spec): 0 solved (optimal or feasible), 2 invalid input or usage,
3 infeasible, 4 no solution within limits, 130 interrupted, 1 unexpected internal error.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import math
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from . import __version__, interrupt
from .api import comparison_table, solve, solve_designs
from .execution import Executor, default_workers, scheduler_address
from .formatting import num
from .errors import InputError, LimitReached, UsageError
from .instance import load_instance
from .results import PLAN_WORDS, Result
from .status import Status

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_SOLUTION, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
STATUS_EXIT = {Status.OPTIMAL: EXIT_OK, Status.FEASIBLE: EXIT_OK, Status.INFEASIBLE: EXIT_INFEASIBLE,
               Status.NO_SOLUTION: EXIT_NO_SOLUTION}


def _positive_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(x) or x <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return x


def _fraction(text: str) -> float:
    x = _positive_float(text) if text.strip() not in ("0", "0.0") else 0.0
    if x >= 1:
        raise argparse.ArgumentTypeError(f"expected a relative gap in [0, 1), got {text!r}")
    return x


def _whole(text: str, low: int, high: int | None = None, why: str = "") -> int:
    try:
        x = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if x < low or (high is not None and x > high):
        span = f">= {low}" if high is None else f"from {low} to {high}{why}"
        raise argparse.ArgumentTypeError(f"expected a whole number {span}, got {text!r}")
    return x


def _threads(text: str) -> int:
    # more threads than cores only slows HiGHS down (1,000 threads: 6x slower)
    return _whole(text, 1, os.cpu_count() or 1, " (this machine's cores)")


def _seed(text: str) -> int:
    return _whole(text, 0, 2**31 - 1)


def _workers(text: str) -> int:
    return _whole(text, 1, default_workers(), " (this machine's cores)")


MAX_SWEEP_SAMPLES = 10_000        # each sample solves every design: 10,000 x 10 designs is hours already
MAX_SHAPLEY_SAMPLES = 1_000_000   # member orders; each costs up to n coalition solves (mostly cached)


def _sweep_samples(text: str) -> int:
    return _whole(text, 1, MAX_SWEEP_SAMPLES)


def _shapley_samples(text: str) -> int:
    return _whole(text, 1, MAX_SHAPLEY_SAMPLES)


def _scheduler(text: str) -> str:
    try:
        return scheduler_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_solver_options(p: argparse.ArgumentParser, unique: bool = True) -> None:
    p.add_argument("--time-limit", type=_positive_float, metavar="S",
                   help="seconds per MIP solve (each objective stage is one)")
    p.add_argument("--mip-gap", type=_fraction, metavar="G",
                   help="relative MIP gap at which to stop (default 1e-6)")
    p.add_argument("--threads", type=_threads, metavar="N", help=f"HiGHS threads (1 to {os.cpu_count() or 1})")
    p.add_argument("--random-seed", type=_seed, default=0, metavar="N",
                   help="HiGHS random seed (default 0); a plan reported unique does not depend on it")
    if unique:
        p.add_argument("--no-check-unique", dest="check_unique", action="store_false",
                       help="skip the extra solve that says whether the plan is the only optimal one")


def _solver_kw(args: argparse.Namespace) -> dict:
    return {"time_limit": args.time_limit, "mip_gap": args.mip_gap, "threads": args.threads,
            "random_seed": args.random_seed, "check_unique": args.check_unique}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="consortium",
        description="Plan who runs which shared R&D workstream, on what hardware, and who adopts it.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check an instance file and summarise it")
    p.add_argument("file")

    p = sub.add_parser("solve", help="solve one design of an instance")
    p.add_argument("file")
    p.add_argument("--design", default="consortium", help="design to solve (default: consortium)")
    p.add_argument("--json", action="store_true", help="print the result object as JSON")
    p.add_argument("--out", nargs="?", const="", default=None, metavar="DIR",
                   help="also write a report directory (default DIR: reports/<instance-slug>/, "
                        "reports/<instance-slug>-<design>/ for other designs); put it after FILE")
    _add_solver_options(p)

    p = sub.add_parser("compare", help="solve several designs and compare them side by side")
    p.add_argument("file")
    p.add_argument("--design", action="append", dest="designs", metavar="NAME",
                   help="design to include (repeatable; default: all, silo included)")
    p.add_argument("--json", action="store_true", help="print a list of row objects as JSON")
    p.add_argument("--out", nargs="?", const="", default=None, metavar="DIR",
                   help="also write a comparison report directory (default DIR: "
                        "reports/<instance-slug>-compare/); put it after FILE")
    p.add_argument("--workers", type=_workers, default=None,
                   help=f"parallel solves (default: all cores, here {default_workers()})")
    _add_solver_options(p)

    p = sub.add_parser("allocate", help="split the consortium's compute fairly among its members")
    p.add_argument("file")
    p.add_argument("--design", default="consortium", help="design whose members share (default: consortium)")
    p.add_argument("--method", action="append", dest="methods", metavar="M",
                   choices=["shapley", "least-core", "nucleolus", "proportional"],
                   help="shapley (default), least-core, nucleolus or proportional; repeatable")
    p.add_argument("--samples", type=_shapley_samples, default=2000,
                   help=f"member orders for Monte Carlo Shapley above 12 members (default 2000, at most "
                        f"{MAX_SHAPLEY_SAMPLES:,})")
    p.add_argument("--seed", type=_seed, default=0, help="random seed for Monte Carlo Shapley")
    p.add_argument("--unmet-penalty", type=_positive_float, default=3.0, metavar="X",
                   help="price of a need a coalition cannot meet, in multiples of its compute (default 3)")
    p.add_argument("--workers", type=_workers, default=None,
                   help=f"parallel coalition solves (default: all cores, here {default_workers()})")
    p.add_argument("--json", action="store_true", help="print the allocation object(s) as JSON")
    p.add_argument("--out", nargs="?", const="", default=None, metavar="DIR",
                   help="also write an allocation report (default DIR: reports/<instance-slug>-allocation/)")
    p.add_argument("--time-limit", type=_positive_float, metavar="S", help="seconds per coalition solve")

    p = sub.add_parser("sweep", help="solve designs under sampled estimates (the uncertainty: section)")
    p.add_argument("file")
    p.add_argument("--design", action="append", dest="designs", metavar="NAME",
                   help="design to include (repeatable; default: all, silo included)")
    p.add_argument("--samples", type=_sweep_samples, default=100,
                   help=f"Latin-hypercube samples (default 100, at most {MAX_SWEEP_SAMPLES:,})")
    p.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    p.add_argument("--workers", type=_workers, default=None,
                   help=f"local worker processes (default: all cores, here {default_workers()})")
    p.add_argument("--scheduler", metavar="ADDRESS", type=_scheduler,
                   help="run on an existing Dask distributed cluster, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--json", action="store_true", help="print the summaries as JSON")
    p.add_argument("--out", nargs="?", const="", default=None, metavar="DIR",
                   help="also write a sweep report (default DIR: reports/<instance-slug>-sweep/)")
    p.add_argument("--time-limit", type=_positive_float, metavar="S", help="seconds per MIP solve")

    p = sub.add_parser("report", help="re-render a report directory from a result JSON, without solving")
    p.add_argument("result", metavar="RESULT_JSON", help="output of `solve --json`, or a report's result.json")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="report directory (default: reports/<instance-slug>[-<design>]/)")
    return parser


def text_table(rows: list[list[str]], left: int = 1) -> list[str]:
    """Aligned plain-text table: the first ``left`` columns left-aligned, numbers right-aligned."""
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if k < left else c.rjust(w) for k, (c, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


fmt = num  # one number format for the terminal and the reports


def objectives_text(objectives: dict, units: dict) -> str:
    """'compute 6,045,288 H100-hours, then money 11,141,473 USD' (the lexicographic order)."""
    unit = {"compute": units.get("compute", ""), "money": units.get("money", "")}
    return ", then ".join(f"{name} {fmt(value, unit.get(name, ''))}" for name, value in objectives.items())


def uniqueness_text(unique: bool | None, alternative: dict | None) -> str:
    if unique is None:
        return "uniqueness not checked (or not settled within the limits)"
    if unique:
        return "unique: no other plan reaches these objective values"
    moved = [f"{k['member']} runs {k['workstream']}" for k in (alternative or {}).get("runs_added", [])[:2]]
    example = f" (e.g. one where {'; '.join(moved)})" if moved else ""
    return f"one of several optimal plans{example}; see `alternative` in --json"


def summary_text(r: Result) -> str:
    units = r.data.units if r.data else {"compute": "", "money": ""}
    cu = units.get("compute", "")
    lines = [f"{r.instance} — design {r.design}: {r.status}"
             + (f" (gap {r.mip_gap:.2%})" if r.status == Status.FEASIBLE and r.mip_gap is not None else "")]
    if r.solved:
        lines.append(f"  objectives          {objectives_text(r.objectives, units)}")
        lines.append(f"  plan                {uniqueness_text(r.unique, r.alternative)}")
        lines.append(f"  total R&D compute   {fmt(r.total_compute, cu)}")
        lines.append(f"  total money         {fmt(r.total_money, units.get('money', ''))}")
        if r.silo_compute is not None:
            pct = f" ({r.savings / r.silo_compute:.1%})" if r.silo_compute else ""
            lines.append(f"  silo compute        {fmt(r.silo_compute, cu)}")
            lines.append(f"  duplication avoided {fmt(r.savings, cu)}{pct}")
        else:
            lines.append("  silo compute        n/a (infeasible alone: "
                         + ", ".join(r.standalone_infeasible) + ")")
        lines.append(f"  adoption compute    {fmt(r.adoption_compute, cu)}")
        lines.append(f"  duplicated compute  {fmt(r.duplicated_compute, cu)} (second and later runs)")
        lines.append("")
        lines.append("  workstream: who runs it (on what) / who adopts it")
        for w in (r.data.workstreams if r.data else sorted(set(r.runs.workstream))):
            ran = r.runs[r.runs.workstream == w]
            got = r.adoptions[r.adoptions.workstream == w]
            if ran.empty and got.empty:
                continue
            runners = ", ".join(f"{a.member} ({a.accelerator})" for a in ran.itertuples())
            adopters = ", ".join(got.member) or "-"
            lines.append(f"    {w}: {runners or '-'} / {adopters}")
    elif r.status == Status.INFEASIBLE:
        lines.append("  the plan cannot work:" if r.diagnosis else "  (no diagnosis available)")
        lines += [f"  - {f['message']}" for f in r.diagnosis]
    elif r.status == Status.NO_SOLUTION and r.diagnosis:
        lines += [f"  {f['message']}" for f in r.diagnosis]
    elif r.status == Status.NO_SOLUTION:
        lines.append("  no plan found within the limits; raise --time-limit or relax --mip-gap")
    return "\n".join(lines)


def cmd_validate(args: argparse.Namespace) -> int:
    inst = load_instance(args.file)
    emit(f"valid: {inst.summary()}")
    return EXIT_OK


def cmd_solve(args: argparse.Namespace) -> int:
    inst = load_instance(args.file)
    out_dir = _out_dir(args.out, "report", inst.slug, args.design)
    result = solve(inst, args.design, **_solver_kw(args))
    if args.json:
        emit(json_text(result.to_dict()))
    else:
        emit(summary_text(result))
    if out_dir is not None:
        from .report import write_report
        write_report(result.to_dict(), out_dir)
        note(f"report written to {out_dir}/", args.json)
    return STATUS_EXIT[result.status]


def _out_dir(out: str | None, kind: str, *default_args: str) -> Path | None:
    """None when `--out` was not given; else the directory it names (or the default one for
    ``kind``), checked before any solving so a refusal costs nothing."""
    if out is None:
        return None
    from . import report  # matplotlib is imported only when a report is asked for
    check, default = {
        "report": (report.check_out_dir, report.default_out_dir),
        "comparison": (report.check_comparison_dir, report.default_comparison_dir),
        "allocation": (report.check_allocation_dir, report.default_allocation_dir),
        "sweep": (report.check_sweep_dir, report.default_sweep_dir),
    }[kind]
    path = check(Path(out) if out else default(*default_args))
    _can_write_under(path)
    return path


def _can_write_under(path: Path) -> None:
    """Refuse, before any solving, an --out directory that could not be written: its nearest
    existing ancestor must be a directory we can create entries in (tried, not guessed from the
    permission bits: root passes those on a read-only file system)."""
    ancestor = Path(os.path.abspath(path)).parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UsageError(f"{path}: cannot be created: {ancestor} is not a directory")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".consortium-probe-", dir=ancestor))
    except OSError as exc:
        raise UsageError(f"{path}: cannot write there ({exc.strerror or exc} in {ancestor})") from None


def cmd_report(args: argparse.Namespace) -> int:
    from .report import load_result_json, write_report
    doc = load_result_json(args.result)
    out_dir = _out_dir(args.out or "", "report", doc.get("instance_slug") or doc["instance"], doc["design"])
    write_report(doc, out_dir)
    emit(f"report written to {out_dir}/")
    return EXIT_OK


def comparison_text(table, units: dict) -> str:
    cu = units.get("compute", "")
    mu = units.get("money", "")
    head = ["design", "status", f"total ({cu})", f"money ({mu})", "duplicated", "adoption", "savings vs silo",
            "met", "max budget use", "plan", "time"]
    rows = [head]
    for r in table.itertuples(index=False):
        pct = f" ({r.savings_pct:.1f}%)" if r.savings_pct is not None else ""
        util = (f"{r.max_budget_utilisation:.0%} {r.max_budget_member}"
                if r.max_budget_utilisation is not None else "n/a")
        plan = PLAN_WORDS[r.unique]
        rows.append([r.design, r.status, fmt(r.total_compute), fmt(r.total_money), fmt(r.duplicated_compute),
                     fmt(r.adoption_compute), fmt(r.savings) + pct, f"{r.members_met}/{r.members_total}",
                     util, plan, f"{r.solve_seconds:.2f}s"])
    return "\n".join(text_table(rows, left=2))


def cmd_compare(args: argparse.Namespace) -> int:
    inst = load_instance(args.file)
    out_dir = _out_dir(args.out, "comparison", inst.slug)  # refused before possibly long solves
    results = solve_designs(inst, args.designs, executor=Executor(workers=args.workers), **_solver_kw(args))
    table = comparison_table(results, len(inst.spec.members))
    if args.json:
        emit(json_text(table.to_dict("records")))
    else:
        emit(f"{inst.name}: {len(results)} designs")
        emit(comparison_text(table, dict(inst.spec.units)))
    if out_dir is not None:
        from .report import design_settings, write_comparison
        write_comparison(table, [r.to_dict() for r in results], out_dir,
                         settings=design_settings(inst, [r.design for r in results]))
        note(f"comparison report written to {out_dir}/", args.json)
    return EXIT_OK  # a design's infeasibility is a finding of the comparison, shown in its row


def cmd_allocate(args: argparse.Namespace) -> int:
    from .allocation import share_costs
    inst = load_instance(args.file)
    inst.design(args.design)
    from .report.allocation import KIND, report_slug, summary_text
    out_dir = _out_dir(args.out, "allocation", report_slug(inst.slug, args.design))
    sharing = share_costs(inst, args.methods or ["shapley"], args.design, samples=args.samples, seed=args.seed,
                          unmet_penalty=args.unmet_penalty, executor=Executor(workers=args.workers),
                          time_limit=args.time_limit)
    if args.json:
        docs = [a.to_dict() for a in sharing.allocations]
        emit(json_text(docs[0] if len(docs) == 1 else docs))
    else:
        emit(summary_text(sharing))
    if out_dir is not None:
        KIND.write(sharing, out_dir)
        note(f"report written to {out_dir}/", args.json)
    return EXIT_OK


def sweep_text(sw) -> str:
    cu = sw.units.get("compute", "")
    s = sw.summary()
    head = ["design", "infeasible", f"savings mean ({cu})", "P5", "P50", "P95", "base plan fits",
            "base plan regret"]
    rows = [head]
    for r in s.itertuples(index=False):
        rows.append([r.design, f"{r.infeasible_share:.0%}", fmt(r.savings_mean), fmt(r.savings_p5),
                     fmt(r.savings_p50), fmt(r.savings_p95), f"{r.base_plan_feasible_share:.0%}",
                     fmt(r.base_plan_regret_mean)])
    lines = [f"{sw.instance}: {sw.inputs.shape[0]} samples (seed {sw.seed}) x {len(sw.designs)} designs, "
             f"{sw.inputs.shape[1]} uncertain inputs"] + text_table(rows)
    sens = sw.sensitivity().dropna()
    if len(sens):
        top = sens.reindex(sens.spearman_rho.abs().sort_values(ascending=False).index).head(5)
        lines.append("inputs that move savings most (Spearman rank correlation):")
        lines += [f"  {r.design}: {r.input} {r.spearman_rho:+.2f}" for r in top.itertuples()]
    return "\n".join(lines)


def cmd_sweep(args: argparse.Namespace) -> int:
    from .sweep import sweep
    inst = load_instance(args.file)
    out_dir = _out_dir(args.out, "sweep", inst.slug)
    sw = sweep(inst, args.designs, samples=args.samples, seed=args.seed,
               executor=Executor(workers=args.workers, scheduler=args.scheduler), time_limit=args.time_limit)
    if args.json:
        emit(json_text(sw.to_dict()))
    else:
        emit(sweep_text(sw))
    if out_dir is not None:
        from .report.sweep import write_sweep_report
        write_sweep_report(sw, out_dir)
        note(f"report written to {out_dir}/", args.json)
    return EXIT_OK


COMMANDS = {"sweep": cmd_sweep, "validate": cmd_validate, "solve": cmd_solve, "compare": cmd_compare, "report": cmd_report,
            "allocate": cmd_allocate}


def _finite(x):
    """JSON has no NaN or Infinity: a non-finite number (pandas' missing value) becomes null."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def json_text(doc) -> str:
    """The one JSON object (or list) a command prints with --json: strict JSON, always."""
    return json.dumps(_finite(doc), indent=2, allow_nan=False)


_results = None  # where emit() writes: the process's real stdout while main() runs


def emit(text: str) -> None:
    """Write a command's result (text or the one JSON object) to stdout."""
    print(text, file=_results or sys.stdout, flush=True)


def note(text: str, to_stderr: bool) -> None:
    """A side remark: on stdout in text mode, on stderr when stdout carries JSON."""
    print(text, file=sys.stderr) if to_stderr else emit(text)


@contextlib.contextmanager
def results_only_on_stdout():
    """While a command runs, file descriptor 1 points at stderr, so that nothing but our results
    reaches stdout: not HiGHS' banner or log lines (C code writing to fd 1), not a library's
    print(). Results go through :func:`emit` to a duplicate of the real stdout. When sys.stdout
    is not fd 1 (a caller captured it, as pytest does), results go to sys.stdout as it is."""
    global _results
    try:
        sys.stdout.flush()
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd != 1:
        _results = sys.stdout
        try:
            yield
        finally:
            _results = None
        return
    saved_stdout, real = sys.stdout, os.dup(1)
    os.dup2(2, 1)
    _results = open(real, "w", encoding="utf-8", closefd=False)
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        with contextlib.suppress(OSError):  # e.g. a closed pipe: nothing more to say there
            _results.flush()
        sys.stdout = saved_stdout
        os.dup2(real, 1)
        os.close(real)
        _results = None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        with results_only_on_stdout():
            return _run(args)
    except KeyboardInterrupt:  # outside a command (parsing options, restoring stdout): nothing done
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        n = len(exc.problems)
        if n > 1:
            print(f"{n} problems found", file=sys.stderr)
        return EXIT_INPUT
    except LimitReached as exc:
        print(f"consortium: {exc}", file=sys.stderr)
        return EXIT_NO_SOLUTION
    except BrokenPipeError:  # e.g. piped into `head`: not an error of ours
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:
        print("interrupted: solve cancelled, nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # pragma: no cover - the last line of defence
        if interrupt.happened():  # e.g. a C extension's import cut short by Ctrl-C
            print("interrupted: solve cancelled, nothing was written", file=sys.stderr)
            return EXIT_INTERRUPTED
        print(f"consortium: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


def entry_point() -> None:
    code = main()
    if code == EXIT_INTERRUPTED:
        # Leave without the interpreter's clean-up: an interrupt that landed in a C extension
        # (HiGHS, a half-done import) could leave it marked as killed by SIGINT, and it then
        # exited -2 instead of 130 (2 in about 40 tries). Everything we wrote is flushed first.
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
