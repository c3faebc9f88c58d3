"""Ctrl-C, remembered: an interrupt that lands while a C extension initialises (numpy, pandas,
matplotlib or HiGHS being imported) can come out as ``ImportError: initialization failed`` instead
of KeyboardInterrupt. The command line installs :func:`install`'s handler first, so that it can
tell such an error from a real one (:func:`happened`) and still exit 130."""
from __future__ import annotations

import signal

_seen = False


def _handler(signum, frame) -> None:
    global _seen
    _seen = True
    raise KeyboardInterrupt


def install() -> None:
    """Handle SIGINT like Python does (raise KeyboardInterrupt), and remember that it came."""
    signal.signal(signal.SIGINT, _handler)


def happened() -> bool:
    return _seen
