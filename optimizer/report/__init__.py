"""Reports: every kind a pure function of its typed result, written by one protocol.

Each kind (``plan``, ``comparison``, ``allocation``, ``sweep``) is a module declaring a
:class:`~optimizer.report.kind.ReportKind`; ``write(kind, result, out_dir)`` renders it and
replaces ``out_dir`` atomically, only over a report of ours (:mod:`optimizer.safeio`). The layers
and where to add a section: docs/architecture.md; the files: docs/reports.md.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from ..safeio import MARKER, marker_bytes
from .kind import ReportKind

__all__ = ["KINDS", "MARKER", "ReportKind", "kind", "marker_bytes", "write"]

# kind name -> module declaring its KIND (imported on first use: a sweep report needs pyarrow)
KINDS = {"plan": "plan", "comparison": "comparison", "allocation": "allocation", "sweep": "sweep"}


def kind(name: str) -> ReportKind:
    return importlib.import_module(f".{KINDS[name]}", __name__).KIND


def write(name: str, result: Any, out_dir: str | os.PathLike) -> Path:
    """Write the ``name`` report of ``result`` at ``out_dir`` (created or replaced atomically)."""
    return kind(name).write(result, out_dir)
