"""Spreadsheets in and out: ``consortium import`` and ``consortium export`` (docs/spreadsheets.md).

``import_book(path)`` reads a workbook (.xlsx) or a directory of CSVs in the layout of
docs/spreadsheets.md, validates the instance it describes (every problem located at the cell it
came from: ``book.xlsx:members!C4``) and returns its YAML text; ``export_book(instance)`` writes
an instance as such a workbook, so that ``export`` then ``import`` gives back the same instance.
``write_new(path, data)`` puts a file where none exists (never replacing one).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, UsageError
from ..instance import Instance, from_document, load_instance, parse_instance
from .workbook import xlsx_bytes
from .cells import CellProblem, read_book
from .exporter import tables
from .importer import document
from .yamltext import instance_yaml

__all__ = ["CellProblem", "Imported", "export_book", "import_book", "write_new"]


@dataclass(frozen=True)
class Imported:
    """What ``import_book`` made: the instance file's text and the instance it validates to."""

    text: str
    instance: Instance


def import_book(path: str | os.PathLike, out_name: str = "<imported>") -> Imported:
    """The validated instance a workbook or CSV directory describes, as YAML text.

    Raises :class:`~optimizer.errors.InputError` naming sheet, row and column of every problem."""
    book = read_book(path)
    data, source = document(book)
    try:
        from_document(data, source, str(path))
    except InputError as exc:
        raise InputError(book.cells(exc.problems)) from None
    header = (f"Written by `consortium import {Path(path).name}`: the workbook is the source; edit it and import "
              "again\n(or edit this file and `consortium export` it back to a workbook).")
    text = instance_yaml(data, header)
    return Imported(text, parse_instance(text, out_name))  # what is written reads back as valid


def export_book(instance: str | os.PathLike | Instance) -> bytes:
    """The workbook (.xlsx bytes) of an instance file, in the layout ``import_book`` reads."""
    return xlsx_bytes(tables(load_instance(instance)))


def write_new(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path``, which must not exist yet: written beside it, then linked into
    place, so that an existing file (or one appearing meanwhile) is never replaced."""
    out = Path(path)
    if os.path.lexists(out):
        raise UsageError(f"{out}: exists; refusing to replace it (choose another --out, or remove it yourself)")
    if not out.parent.is_dir():
        raise UsageError(f"{out}: cannot be created: {out.parent} is not a directory")
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, out)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: create it exclusively instead
            with open(out, "xb") as fh:
                fh.write(data)
    except FileExistsError:
        raise UsageError(f"{out}: exists; refusing to replace it (choose another --out, or remove it yourself)") from None
    except OSError as exc:
        raise UsageError(f"{out}: cannot write it ({exc.strerror or exc})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return out
