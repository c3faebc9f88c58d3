"""Allocation reports rendered from a result dict alone (``Result.to_dict()`` or a result.json).

``write_report(doc, out_dir)`` writes report.md, report.html, the chart SVGs, tidy CSVs and
result.json into ``out_dir`` atomically: everything is rendered into a temporary sibling
directory which then replaces ``out_dir``, so a report directory is complete or absent, and
an existing report is replaced only once the new one is complete. See docs/reports.md.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Mapping

from ..errors import UsageError
from . import charts as _charts
from . import content, csvs, html, markdown
from .model import BINDING, check, default_out_dir, load_result_json, normalise, slugify

__all__ = ["BINDING", "REPORT_FILES", "check_out_dir", "default_out_dir", "load_result_json", "render",
           "slugify", "write_report"]

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
    out = Path(out_dir)
    if out.is_symlink():
        raise UsageError(f"{out}: is a symbolic link; give the report directory itself")
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a directory; refusing to replace it with a report")
    if out.is_dir():
        entries = sorted(p.name for p in out.iterdir())
        foreign = [e for e in entries if e not in REPORT_FILES]
        if foreign or (entries and "result.json" not in entries):
            shown = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
            why = f"it holds files a report does not write ({shown})" if foreign else "it has no result.json"
            raise UsageError(f"{out}: exists and does not look like a consortium report directory: {why}; "
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
    out = Path(os.path.abspath(given))       # so '.', '..' or 'x/..' name a real directory entry
    parent, name = out.parent, out.name
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=parent))
    try:
        os.chmod(tmp, 0o777 & ~_umask())     # mkdtemp makes it 0700; a report is as readable as any dir
        for fname, data in render(doc).items():
            (tmp / fname).write_bytes(data)
        if out.exists():
            check_out_dir(out)                # re-check right before replacing
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
    return given
