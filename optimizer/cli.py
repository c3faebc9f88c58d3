"""`consortium` command line: a thin shell over the Python API.

Exit codes (spec): 0 solved (optimal or feasible), 2 invalid input or usage,
3 infeasible, 4 no solution within limits, 130 interrupted, 1 unexpected internal error.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import json
import os
import math
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from . import __version__, interrupt
from .api import comparison_of, solve, solve_designs
from .execution import DEFAULT_SWEEP_SAMPLES, Executor, default_workers, scheduler_address
from .formatting import num, text_table
from .errors import InputError, LimitReached, UsageError
from .instance import load_instance
from .solver import SolverOptions
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


REPORT_HELP = ("also write a report to the default directory, {default}; "
               "--out DIR writes it to DIR instead")


def _report_dir(text: str, command: str = "") -> str:
    """An --out value: a directory to write a report to. A name that is an existing file, or that
    ends like an instance or result file, is refused here, before anything else is read: it is
    almost always the FILE argument swallowed (`solve --out x.yaml` meaning `solve x.yaml --report`)."""
    if not text:
        raise argparse.ArgumentTypeError("expected a directory, got an empty name")
    is_file = os.path.lexists(text) and not os.path.isdir(text)
    if is_file or Path(text).suffix.lower() in (".yaml", ".yml", ".json"):
        hint = (f"; to write the report to the default directory use --report (`consortium {command} {text} "
                "--report`), to write it elsewhere --out DIR") if command else ""
        raise argparse.ArgumentTypeError(f"expected a report directory, got {'the file' if is_file else 'a file name'} "
                                         f"{text!r}{hint}")
    return text


class Parser(argparse.ArgumentParser):
    """argparse, with a hint where its own message leaves a user guessing."""

    def error(self, message: str):
        if message == "argument --out: expected one argument" and self.prog != "consortium report":
            message += " (a directory; --report writes to the default one)"
        super().error(message)


def _add_report_options(p: argparse.ArgumentParser, default: str) -> None:
    """--report (the default directory) and --out DIR (a directory of one's own): both mean
    "also write a report"; only --out takes a value, so it can never swallow FILE."""
    p.add_argument("--report", action="store_true", help=REPORT_HELP.format(default=default))
    p.add_argument("--out", type=functools.partial(_report_dir, command=p.prog.split()[-1]), default=None, metavar="DIR",
                   help="also write a report, to DIR (created, or replaced if it is a report of the same kind)")


def _scheduler(text: str) -> str:
    try:
        return scheduler_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


ONE_THREAD_EACH = "; default 1 per solve: solves run side by side"


def _add_solver_options(p: argparse.ArgumentParser, unique: bool = True, gap: str = "", threads: str = "") -> None:
    """The solver flags of every command that solves; :func:`solver_options` reads them."""
    p.add_argument("--time-limit", type=_positive_float, metavar="S",
                   help="seconds per MIP solve (each objective stage is one)")
    p.add_argument("--mip-gap", type=_fraction, metavar="G",
                   help=f"relative MIP gap at which to stop (default 1e-6){gap}")
    p.add_argument("--threads", type=_threads, metavar="N", help=f"HiGHS threads (1 to {os.cpu_count() or 1}){threads}")
    p.add_argument("--random-seed", type=_seed, metavar="N",
                   help="HiGHS random seed (default 0); a plan reported unique does not depend on it")
    if unique:
        p.add_argument("--no-check-unique", dest="check_unique", action="store_false", default=None,
                       help="skip the extra solve that says whether the plan is the only optimal one")


def solver_options(args: argparse.Namespace) -> SolverOptions:
    """The one SolverOptions of a command, from its solver flags (a flag not given, or not
    offered by the command: SolverOptions' default)."""
    given = {f.name: getattr(args, f.name, None) for f in dataclasses.fields(SolverOptions)}
    return SolverOptions(**{k: v for k, v in given.items() if v is not None})


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="consortium",
        description="Plan who runs which shared R&D workstream, on what hardware, and who adopts it.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check an instance file and summarise it")
    p.add_argument("file")

    p = sub.add_parser("schema", help="print the instance format: a JSON Schema (for editors), or its reference page",
                       description="Print the JSON Schema (draft 2020-12) of instance files, one JSON object, for "
                                   "editors with the YAML language server; --markdown prints "
                                   "docs/instance-format.md instead.")
    p.add_argument("--markdown", action="store_true", help="print the reference page (docs/instance-format.md)")

    p = sub.add_parser("solve", help="solve one design of an instance")
    p.add_argument("file")
    p.add_argument("--design", default="consortium", help="design to solve (default: consortium)")
    p.add_argument("--json", action="store_true", help="print the result object as JSON")
    _add_report_options(p, "reports/<instance-slug>/ (reports/<instance-slug>-<design>/ for other designs)")
    _add_solver_options(p)

    p = sub.add_parser("compare", help="solve several designs and compare them side by side")
    p.add_argument("file")
    p.add_argument("--design", action="append", dest="designs", metavar="NAME",
                   help="design to include (repeatable; default: all, silo included)")
    p.add_argument("--json", action="store_true", help="print a list of row objects as JSON")
    _add_report_options(p, "reports/<instance-slug>-compare/")
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
    _add_report_options(p, "reports/<instance-slug>-allocation/ (reports/<instance-slug>-<design>-allocation/ "
                           "for other designs)")
    _add_solver_options(p, unique=False, threads=ONE_THREAD_EACH,
                        gap="; for the design's own plan: coalition values are always solved to gap 0")

    p = sub.add_parser("sweep", help="solve designs under sampled estimates (the uncertainty: section)")
    p.add_argument("file")
    p.add_argument("--design", action="append", dest="designs", metavar="NAME",
                   help="design to include (repeatable; default: all, silo included)")
    p.add_argument("--samples", type=_sweep_samples, default=DEFAULT_SWEEP_SAMPLES,
                   help=f"Latin-hypercube samples (default {DEFAULT_SWEEP_SAMPLES}, at most {MAX_SWEEP_SAMPLES:,})")
    p.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    p.add_argument("--workers", type=_workers, default=None,
                   help=f"local worker processes (default: all cores, here {default_workers()})")
    p.add_argument("--scheduler", metavar="ADDRESS", type=_scheduler,
                   help="run on an existing Dask distributed cluster, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--json", action="store_true", help="print the summaries as JSON")
    _add_report_options(p, "reports/<instance-slug>-sweep/")
    _add_solver_options(p, unique=False, threads=ONE_THREAD_EACH)

    p = sub.add_parser("import", help="turn a workbook (.xlsx) or a directory of CSVs into a validated instance file")
    p.add_argument("book", metavar="BOOK", help="an .xlsx workbook or a directory of CSVs, laid out as in "
                                                "docs/spreadsheets.md")
    p.add_argument("--out", required=True, metavar="FILE", help="instance file to write (never replaced)")

    p = sub.add_parser("export", help="write an instance file as a workbook that `import` reads back")
    p.add_argument("file")
    p.add_argument("--out", required=True, metavar="BOOK.xlsx", help="workbook to write (never replaced)")

    p = sub.add_parser("report", help="re-render a report directory from a result JSON, without solving")
    p.add_argument("result", metavar="RESULT_JSON", help="output of `solve --json`, or a report's result.json")
    p.add_argument("--out", metavar="DIR", default=None, type=_report_dir,
                   help="report directory (default: reports/<instance-slug>[-<design>]/)")
    return parser


def cmd_validate(args: argparse.Namespace) -> int:
    inst = load_instance(args.file)
    emit("\n".join([f"valid: {inst.summary()}"] + [w.labelled("note") for w in inst.warnings]))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from . import instance_format
    emit(instance_format.markdown().rstrip("\n") if args.markdown else json_text(instance_format.json_schema()))
    return EXIT_OK


def load(file: str):
    """The instance a solving command reads, its warnings said on stderr (never on stdout: it may
    carry the one JSON object)."""
    inst = load_instance(file)
    for w in inst.warnings:
        print(w.labelled("warning"), file=sys.stderr)
    return inst


def cmd_solve(args: argparse.Namespace) -> int:
    from .report import plan
    inst = load(args.file)
    out_dir = _out_dir(_report_wanted(args), "plan", inst.slug, args.design)
    result = solve(inst, args.design, options=solver_options(args))
    # The report first, then stdout: a Ctrl-C while writing leaves neither (exit 130).
    written = plan.KIND.write(result.plan, out_dir) if out_dir is not None else None
    emit(json_text(result.to_dict()) if args.json else plan.summary_text(result.plan))
    if written is not None:
        note(f"report written to {written}/", args.json)
    return STATUS_EXIT[result.status]


def _report_wanted(args: argparse.Namespace) -> str | None:
    """Where a command's report goes: None (no report), "" (--report: the default directory) or
    the --out DIR given (which wins over --report when both are)."""
    if args.out is not None:
        return args.out
    return "" if args.report else None


def _out_dir(out: str | None, kind: str, *default_args: str) -> Path | None:
    """None when no report was asked for; else the directory ``out`` names (or, for "", the
    default one for ``kind``), checked before any solving so a refusal costs nothing."""
    if out is None:
        return None
    from . import report  # matplotlib is imported only when a report is asked for
    k = report.kind(kind)
    path = k.check_dir(Path(out) if out else k.default_dir(*default_args))
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
    from .report import plan
    result = plan.load_result_json(args.result)
    out_dir = _out_dir(args.out or "", "plan", result.instance_slug or result.instance, result.design)
    plan.KIND.write(result, out_dir)
    emit(f"report written to {out_dir}/")
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    from .report import comparison
    inst = load(args.file)
    out_dir = _out_dir(_report_wanted(args), "comparison", inst.slug)  # refused before possibly long solves
    results = solve_designs(inst, args.designs, executor=Executor(workers=args.workers),
                            options=solver_options(args))
    compared = comparison_of(inst, results)
    written = comparison.KIND.write(compared, out_dir) if out_dir is not None else None
    emit(json_text(compared.to_dict()) if args.json else comparison.summary_text(compared))
    if written is not None:
        note(f"comparison report written to {written}/", args.json)
    return EXIT_OK  # a design's infeasibility is a finding of the comparison, shown in its row


def cmd_allocate(args: argparse.Namespace) -> int:
    from .allocation import share_costs
    inst = load(args.file)
    inst.design(args.design)
    from .report.allocation import KIND, summary_text
    out_dir = _out_dir(_report_wanted(args), "allocation", inst.slug, args.design)
    sharing = share_costs(inst, args.methods or ["shapley"], args.design, samples=args.samples, seed=args.seed,
                          unmet_penalty=args.unmet_penalty, executor=Executor(workers=args.workers),
                          options=solver_options(args))
    written = KIND.write(sharing, out_dir) if out_dir is not None else None
    docs = [a.to_dict() for a in sharing.allocations]
    emit(json_text(docs[0] if len(docs) == 1 else docs) if args.json else summary_text(sharing))
    if written is not None:
        note(f"report written to {written}/", args.json)
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    from .sweep import sweep
    inst = load(args.file)
    out_dir = _out_dir(_report_wanted(args), "sweep", inst.slug)
    sw = sweep(inst, args.designs, samples=args.samples, seed=args.seed,
               executor=Executor(workers=args.workers, scheduler=args.scheduler), options=solver_options(args))
    from .report.sweep import KIND, summary_text
    written = KIND.write(sw, out_dir) if out_dir is not None else None
    emit(json_text(sw.to_dict()) if args.json else summary_text(sw))
    if written is not None:
        note(f"report written to {written}/", args.json)
    return EXIT_OK


def _new_file(out: str, suffixes: tuple[str, ...]) -> Path:
    """--out of import/export: a file of one of ``suffixes`` that does not exist yet."""
    path = Path(out)
    if path.suffix.lower() not in suffixes:
        raise UsageError(f"{path}: expected a file name ending in {' or '.join(suffixes)}")
    if os.path.lexists(path):
        raise UsageError(f"{path}: exists; refusing to replace it (choose another --out, or remove it yourself)")
    return path


def cmd_import(args: argparse.Namespace) -> int:
    from .spreadsheets import import_book, write_new
    out = _new_file(args.out, (".yaml", ".yml"))
    imported = import_book(args.book, str(out))
    write_new(out, imported.text.encode("utf-8"))
    emit(f"instance written to {out}: {imported.instance.summary()}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from .spreadsheets import export_book, write_new
    out = _new_file(args.out, (".xlsx",))
    write_new(out, export_book(args.file))
    emit(f"workbook written to {out}")
    return EXIT_OK


COMMANDS = {"sweep": cmd_sweep, "validate": cmd_validate, "schema": cmd_schema, "solve": cmd_solve, "compare": cmd_compare,
            "report": cmd_report, "allocate": cmd_allocate, "import": cmd_import, "export": cmd_export}


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
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:  # argparse: a usage error (it printed why) is 2, --help/--version 0
            return exc.code if isinstance(exc.code, int) else EXIT_INPUT if exc.code else EXIT_OK
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
