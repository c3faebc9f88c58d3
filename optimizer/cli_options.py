"""The `consortium` command line's options: argparse's parser of every command, each value checked
(bounded) as it is parsed, and :func:`solver_options`, the solver flags read back. Building the
parser imports nothing heavy (no pandas, Pyomo or HiGHS), so ``--help`` is instant."""
from __future__ import annotations

import argparse
import dataclasses
import functools
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .execution import DEFAULT_SWEEP_SAMPLES, default_workers, scheduler_address

if TYPE_CHECKING:
    from .highs import SolverOptions


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
    from .highs import SolverOptions  # HiGHS and Pyomo: only once a command solves
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

