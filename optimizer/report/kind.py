"""What every kind of report directory has in common: its files, its default place, its safe
replacement. Each report module (plan, comparison, allocation, sweep) declares one
:class:`ReportKind`; the CLI and the API write any of them the same way."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from ..instance import slugify
from ..safeio import refuse_unless_ours, replace_dir
from ..spreadsheets.workbook import xlsx_bytes
from .csvs import csv_bytes
from .page import Page, json_bytes


def files_of(page: Page, stem: str, json_file: str, doc: Any, tables: Mapping[str, Any],
             sort_keys: bool = False) -> dict[str, bytes]:
    """What every report directory holds: the page (``<stem>.md``, ``<stem>.html``, its charts as
    SVG), one JSON document, one CSV per table (``<name>.csv``) and all the tables as the sheets
    of one workbook (``<stem>.xlsx``)."""
    files = {json_file: json_bytes(doc, sort_keys), **page.files(stem)}
    files.update({f"{name}.csv": csv_bytes(df) for name, df in tables.items()})
    files[f"{stem}.xlsx"] = xlsx_bytes(tables)
    return files


@dataclass(frozen=True)
class ReportKind:
    """One kind of report directory.

    ``name`` is what its marker file says it is ("report", "comparison report", ...);
    ``files`` every file it may hold besides the marker (nothing else is ever deleted when
    replacing one); ``subdirs`` checks for its subdirectories (name -> check(dir fd, path));
    ``suffix`` makes the default directory ``reports/<instance-slug><suffix>``; ``render``
    turns the typed result into {relative path: bytes}, a pure function.
    """

    name: str
    files: frozenset[str]
    render: Callable[[Any], Mapping[str, bytes]]
    suffix: str = ""
    subdirs: Mapping[str, Callable[[int, Path], Any]] = field(default_factory=dict)

    def default_dir(self, instance_slug: str, design: str = "consortium") -> Path:
        """``reports/<slug><suffix>/``; for a design other than consortium
        ``reports/<slug>-<design><suffix>/``."""
        slug = slugify(instance_slug)
        if design != "consortium":
            slug = f"{slug}-{slugify(design)}"
        return Path("reports") / f"{slug}{self.suffix}"

    def check_dir(self, out_dir: str | os.PathLike, *, dir_fd: int | None = None) -> Path:
        """Refuse an ``out_dir`` we must not replace: a file, a symbolic link, or a directory
        that is neither empty nor a report of this kind of ours. Returns it as a Path."""
        return refuse_unless_ours(Path(out_dir), self.files, self.name, self.subdirs, dir_fd=dir_fd)

    def write(self, result: Any, out_dir: str | os.PathLike) -> Path:
        """Render ``result`` and put it at ``out_dir``, created or replaced atomically."""
        given = self.check_dir(out_dir)
        files = self.render(result)               # bad input fails before anything is written
        replace_dir(given, lambda: files, self.check_dir, self.name)
        return given
