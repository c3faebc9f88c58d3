"""What a `consortium` command gives back: its result (text or exactly one JSON object) on
stdout, everything else on stderr, and its exit code (spec): 0 solved (optimal or feasible),
2 invalid input or usage, 3 infeasible, 4 no solution within limits, 130 interrupted, 1 unexpected
internal error."""
from __future__ import annotations

import contextlib
import json
import math
import os
import sys

from .status import Status

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_NO_SOLUTION, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
STATUS_EXIT = {Status.OPTIMAL: EXIT_OK, Status.FEASIBLE: EXIT_OK, Status.INFEASIBLE: EXIT_INFEASIBLE,
               Status.NO_SOLUTION: EXIT_NO_SOLUTION}


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

