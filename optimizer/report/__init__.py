"""Allocation reports rendered from a result dict alone (``Result.to_dict()`` or a result.json).

``write_report(doc, out_dir)`` writes report.md, report.html, the chart SVGs, tidy CSVs and
result.json into ``out_dir`` atomically: everything is rendered into a temporary sibling
directory which then replaces ``out_dir``, so a report directory is complete or absent, and
an existing report is replaced only once the new one is complete. ``write_comparison(rows,
docs, out_dir)`` does the same for a comparison of several designs (see :mod:`.comparison`),
``write_allocation_report(...)`` for a cost-sharing allocation (:mod:`.allocation`) and
``write_sweep_report(sw, out_dir)`` for an uncertainty sweep (:mod:`.sweep`). See docs/reports.md.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Collection, Mapping

from ..errors import UsageError
from . import charts as _charts
from . import content, csvs, html, markdown
from .allocation import (ALLOCATION_FILES, check_allocation_dir, default_allocation_dir, render_allocation,
                         write_allocation_report)
from .comparison import (COMPARISON_FILES, check_comparison_dir, default_comparison_dir, design_settings,
                         render_comparison, write_comparison)
from .model import BINDING, check, default_out_dir, load_result_json, normalise, slugify
from .sweep import SWEEP_FILES, check_sweep_dir, default_sweep_dir, render_sweep, write_sweep_report

__all__ = ["ALLOCATION_FILES", "BINDING", "COMPARISON_FILES", "REPORT_FILES", "SWEEP_FILES",
           "check_allocation_dir", "check_comparison_dir", "check_out_dir", "check_sweep_dir",
           "default_allocation_dir", "default_comparison_dir", "default_out_dir", "default_sweep_dir",
           "design_settings", "load_result_json", "render", "render_allocation", "render_comparison",
           "render_sweep", "slugify", "write_allocation_report", "write_comparison", "write_report",
           "write_sweep_report"]

# Every file a report directory may hold; nothing else is ever deleted when replacing one.
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
        files[name] = build(doc).to_csv(index=False, lineterminator="\n").encode("utf-8")
    return files


def check_out_dir(out_dir: str | os.PathLike) -> Path:
    """Refuse an ``out_dir`` we must not replace: a file, a symlink, or a directory that
    holds anything but a report of ours. Returns it as a Path."""
    return refuse_unless_ours(Path(out_dir), REPORT_FILES, "result.json", "report")


def refuse_unless_ours(out: Path, known: Collection[str], marker: str, kind: str) -> Path:
    """Raise UsageError unless ``out`` is absent, empty, or a directory holding ``marker`` and
    nothing but the ``known`` entries: the checks behind every ``--out`` directory."""
    if out.is_symlink():
        raise UsageError(f"{out}: is a symbolic link; give the {kind} directory itself")
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a directory; refusing to replace it with a {kind}")
    if out.is_dir():
        entries = sorted(p.name for p in out.iterdir())
        foreign = [e for e in entries if e not in known]
        if foreign or (entries and marker not in entries):
            shown = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
            why = f"it holds files a {kind} does not write ({shown})" if foreign else f"it has no {marker}"
            raise UsageError(f"{out}: exists and does not look like a consortium {kind} directory: {why}; "
                             "refusing to replace it. Choose another --out directory, or remove it yourself.")
    return out


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_report(doc: Mapping[str, Any], out_dir: str | os.PathLike) -> Path:
    """Write the report for result dict ``doc`` into ``out_dir`` (created or replaced atomically)."""
    check(dict(doc) if isinstance(doc, Mapping) else doc)
    given = check_out_dir(out_dir)
    replace_dir(given, lambda: render(doc), check_out_dir)
    return given


def replace_dir(given: Path, files: Callable[[], Mapping[str, bytes]], recheck: Callable[[Path], Any]) -> None:
    """Render ``files()`` ({relative path: content}; '/' makes subdirectories) into a temporary
    sibling of ``given``, then swap it in: the directory is complete or absent, and an existing
    one (``recheck``-ed right before) is replaced only once the new one is complete."""
    out = Path(os.path.abspath(given))       # so '.', '..' or 'x/..' name a real directory entry
    parent, name = out.parent, out.name
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())     # mkdtemp makes it 0700; a report is as readable as any dir
        for fname, data in files().items():
            path = tmp / fname
            if path.parent != tmp:
                path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if out.exists():
            recheck(out)                      # re-check right before replacing
            old = tmp.with_name(tmp.name.replace(".tmp-", ".old-", 1))
            os.rename(out, old)
            try:
                os.rename(tmp, out)
            except BaseException:
                os.rename(old, out)           # put the previous report back
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
