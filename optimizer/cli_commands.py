"""The `consortium` commands, one ``cmd_<name>`` each: read the instance, call the API, write the
report if one was asked for, then print the result's summary (:mod:`optimizer.summaries`) or its
JSON. Each imports what it needs (pandas, Pyomo, HiGHS) when it runs, never before; matplotlib and
Jinja2 only when a report is written."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from .cli_options import solver_options
from .cli_output import EXIT_OK, STATUS_EXIT, emit, json_text, note
from .errors import UsageError


def cmd_validate(args: argparse.Namespace) -> int:
    from .instance import load_instance
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
    from .instance import load_instance
    inst = load_instance(file)
    for w in inst.warnings:
        print(w.labelled("warning"), file=sys.stderr)
    return inst


def cmd_solve(args: argparse.Namespace) -> int:
    from .api import solve
    from .summaries import plan_summary
    inst = load(args.file)
    out_dir = _out_dir(_report_wanted(args), "plan", inst.slug, args.design)
    result = solve(inst, args.design, options=solver_options(args))
    # The report first, then stdout: a Ctrl-C while writing leaves neither (exit 130).
    written = _write("plan", result.plan, out_dir)
    emit(json_text(result.to_dict()) if args.json else plan_summary(result.plan))
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


def _write(kind: str, result, out_dir: Path | None) -> Path | None:
    """The ``kind`` report of ``result`` at ``out_dir`` (checked by ``_out_dir``); None for no report."""
    if out_dir is None:
        return None
    from . import report
    return report.write(kind, result, out_dir)


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
    from .results import Plan
    result = Plan.read(args.result)
    out_dir = _out_dir(args.out or "", "plan", result.instance_slug or result.instance, result.design)
    _write("plan", result, out_dir)
    emit(f"report written to {out_dir}/")
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    from .api import comparison_of, solve_designs
    from .execution import Executor
    from .summaries import comparison_summary
    inst = load(args.file)
    out_dir = _out_dir(_report_wanted(args), "comparison", inst.slug)  # refused before possibly long solves
    results = solve_designs(inst, args.designs, executor=Executor(workers=args.workers),
                            options=solver_options(args))
    compared = comparison_of(inst, results)
    written = _write("comparison", compared, out_dir)
    emit(json_text(compared.to_dict()) if args.json else comparison_summary(compared))
    if written is not None:
        note(f"comparison report written to {written}/", args.json)
    return EXIT_OK  # a design's infeasibility is a finding of the comparison, shown in its row


def cmd_allocate(args: argparse.Namespace) -> int:
    from .allocation import share_costs
    from .execution import Executor
    inst = load(args.file)
    inst.design(args.design)
    from .summaries import allocation_summary
    out_dir = _out_dir(_report_wanted(args), "allocation", inst.slug, args.design)
    sharing = share_costs(inst, args.methods or ["shapley"], args.design, samples=args.samples, seed=args.seed,
                          unmet_penalty=args.unmet_penalty, executor=Executor(workers=args.workers),
                          options=solver_options(args))
    written = _write("allocation", sharing, out_dir)
    docs = [a.to_dict() for a in sharing.allocations]
    emit(json_text(docs[0] if len(docs) == 1 else docs) if args.json else allocation_summary(sharing))
    if written is not None:
        note(f"report written to {written}/", args.json)
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    from .execution import Executor
    from .sweep import sweep
    inst = load(args.file)
    out_dir = _out_dir(_report_wanted(args), "sweep", inst.slug)
    sw = sweep(inst, args.designs, samples=args.samples, seed=args.seed,
               executor=Executor(workers=args.workers, scheduler=args.scheduler), options=solver_options(args))
    from .summaries import sweep_summary
    written = _write("sweep", sw, out_dir)
    emit(json_text(sw.to_dict()) if args.json else sweep_summary(sw))
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

