"""`consortium` command line: a thin shell over the Python API. :func:`main` parses the options
(:mod:`.cli_options`), runs the command (:mod:`.cli_commands`) with only its results on stdout
(:mod:`.cli_output`) and maps what went wrong to an exit code; nothing heavy is imported until a
command runs, so ``--help`` and a usage error are instant.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Sequence

from . import interrupt
from .cli_commands import COMMANDS
from .cli_options import build_parser
from .cli_output import (EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_NO_SOLUTION, EXIT_OK,
                         results_only_on_stdout)
from .errors import InputError, LimitReached


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
