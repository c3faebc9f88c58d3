"""Allocation reports rendered from a result dict alone (``Result.to_dict()`` or a result.json).

``write_report(doc, out_dir)`` writes report.md, report.html, the chart SVGs, tidy CSVs and
result.json into ``out_dir``, replacing it atomically (see :mod:`.safeio`): everything is
rendered into a temporary sibling directory which is then exchanged with ``out_dir``, so the
name always holds one complete report, and only a directory this tool wrote (it carries a
``.consortium-report`` marker) is ever replaced. ``write_comparison(rows, docs, out_dir)``
does the same for a comparison of several designs (see :mod:`.comparison`),
``write_allocation_report(...)`` for a cost-sharing allocation (:mod:`.allocation`) and
``write_sweep_report(sw, out_dir)`` for an uncertainty sweep (:mod:`.sweep`). See docs/reports.md.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

from . import charts as _charts
from . import content, csvs, html, markdown
from .allocation import (ALLOCATION_FILES, check_allocation_dir, default_allocation_dir, render_allocation,
                         write_allocation_report)
from .comparison import (COMPARISON_FILES, check_comparison_dir, default_comparison_dir, design_settings,
                         render_comparison, write_comparison)
from .resultdoc import BINDING, check, default_out_dir, load_result_json, normalise, slugify
from .safeio import MARKER, marker_bytes, refuse_unless_ours, replace_dir
from .sweep import SWEEP_FILES, check_sweep_dir, default_sweep_dir, render_sweep, write_sweep_report

__all__ = ["ALLOCATION_FILES", "BINDING", "COMPARISON_FILES", "MARKER", "REPORT_FILES", "SWEEP_FILES",
           "check_allocation_dir", "check_comparison_dir", "check_out_dir", "check_sweep_dir",
           "default_allocation_dir", "default_comparison_dir", "default_out_dir", "default_sweep_dir",
           "design_settings", "load_result_json", "marker_bytes", "refuse_unless_ours", "render",
           "render_allocation", "render_comparison", "render_sweep", "replace_dir", "slugify",
           "write_allocation_report", "write_comparison", "write_report", "write_sweep_report"]

# Every file a report directory may hold besides its marker; nothing else is ever deleted when
# replacing one.
REPORT_FILES = frozenset(
    ["report.md", "report.html", "result.json", *csvs.TABLES] + [f"{name}.svg" for name in _charts.CHARTS])


def render(doc: Mapping[str, Any]) -> dict[str, bytes]:
    """{file name: content} of the report for ``doc``; a pure function of the dict."""
    doc = normalise(dict(doc))
    svgs = _charts.render_all(doc)
    blocks = content.build(doc, svgs)
    files: dict[str, bytes] = {
        "result.json": (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
                        + "\n").encode("utf-8"),
        "report.md": markdown.render(blocks).encode("utf-8"),
        "report.html": html.render(blocks, svgs, doc["tool_version"]).encode("utf-8"),
    }
    files.update({f"{name}.svg": svg.encode("utf-8") for name, svg in svgs.items()})
    for name, build in csvs.TABLES.items():
        files[name] = csvs.csv_bytes(build(doc))
    return files


def check_out_dir(out_dir: str | os.PathLike, *, dir_fd: int | None = None) -> Path:
    """Refuse an ``out_dir`` we must not replace: a file, a symbolic link, or a directory that
    is neither empty nor a report of ours (see :func:`refuse_unless_ours`). Returns it as a Path."""
    return refuse_unless_ours(Path(out_dir), REPORT_FILES, "report", dir_fd=dir_fd)


def write_report(doc: Mapping[str, Any], out_dir: str | os.PathLike) -> Path:
    """Write the report for result dict ``doc`` into ``out_dir`` (created or replaced atomically)."""
    check(dict(doc) if isinstance(doc, Mapping) else doc)
    given = check_out_dir(out_dir)
    replace_dir(given, lambda: render(doc), check_out_dir, "report")
    return given
