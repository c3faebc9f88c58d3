"""``python -m optimizer`` and the ``consortium`` command: the command line, with Ctrl-C during
start-up exiting 130 quietly too. Importing the command line is quick (no pandas, Pyomo or HiGHS:
each command imports those when it runs, and :func:`optimizer.cli.main` handles a Ctrl-C there)."""
from __future__ import annotations

import os
import sys

INTERRUPTED = 130


def main() -> None:
    from . import interrupt
    interrupt.install()
    try:
        from .cli import entry_point
    except BaseException as exc:
        if not (isinstance(exc, KeyboardInterrupt) or interrupt.happened()):
            raise
        print("interrupted: nothing was done", file=sys.stderr, flush=True)
        # not sys.exit: a half-imported extension module can leave the interpreter marked as
        # killed by SIGINT, and it then exits -2 instead of 130 (seen 1 in 12). Nothing is open
        # for writing yet, so skipping the interpreter's clean-up loses nothing.
        os._exit(INTERRUPTED)
    entry_point()


if __name__ == "__main__":
    main()
