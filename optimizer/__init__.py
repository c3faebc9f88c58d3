"""Consortium budget optimizer: who runs which shared R&D workstream, on what, and who adopts it.

The names below are imported on first use (PEP 562), so that ``import optimizer`` and the
command line start without pandas, Pyomo and HiGHS until a command needs them, and a Ctrl-C
during those imports reaches the command line's handler (:mod:`optimizer.__main__`).
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {"compare": "api", "compare_designs": "api", "Comparison": "comparison", "Plan": "results", "solve": "api", "solve_designs": "api", "InputError": "errors",
            "Problem": "errors", "Executor": "execution", "Instance": "instance", "load_instance": "instance",
            "Result": "results", "SolverOptions": "highs"}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
