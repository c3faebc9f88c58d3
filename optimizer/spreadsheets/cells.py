"""A workbook (.xlsx) or a directory of CSVs read as sheets of cell values, and where each cell is.

Problems found later (by the importer, or by the instance validator through its key paths) carry a
line and a column; here a *line* encodes the sheet and the row (``(sheet number + 1) * ROWS +
row``), so that every existing piece of validation keeps working unchanged, and :meth:`Book.cells`
turns such problems back into ``book.xlsx:members!C4`` (``data/members.csv!C4`` for a CSV).
"""
from __future__ import annotations

import csv
import datetime
import io
import os
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..yamlsource import read_text

ROWS = 10_000_000  # more rows than a sheet can have (1,048,576)
MAX_BOOK_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # an .xlsx is a zip: what it unpacks to is bounded too
MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_ROWS, MAX_COLUMNS = 100_000, 2_000  # instance sheets hold a few hundred at most


@dataclass(frozen=True, order=True)
class CellProblem(Problem):
    """A problem located at a cell: ``book.xlsx:members!C4: path: message``."""

    where: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.path}: {self.message}" if self.path else f"{self.where}: {self.message}"


# the validator speaks of YAML sections; in a workbook they are sheets and settings rows
WORDS = [("under the top-level 'accelerators:' section", "in the accelerators sheet"),
         ("top-level 'accelerators:' section", "accelerators sheet"),
         ("a 'horizon:' section", "a horizon (a 'horizon.periods' row in the settings sheet)"),
         ("got null (", "got a blank cell (")]


def column_letter(col: int) -> str:
    out = ""
    while col > 0:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out


@dataclass
class Sheet:
    name: str   # as the layout names it: 'members' (lower case, no .csv)
    title: str  # as written: 'Members', 'members.csv'
    number: int
    rows: list[list[Any]] = field(default_factory=list)  # rows[0] is row 1; None for a blank cell
    header: int = 1  # the row of its column names, once read as a table

    def line(self, row: int) -> int:
        return (self.number + 1) * ROWS + row


@dataclass
class Book:
    file: str
    csv: bool
    sheets: dict[str, Sheet]
    ignored: list[str] = field(default_factory=list)

    def at(self, sheet: Sheet, row: int, col: int) -> str:
        cell = f"{column_letter(col)}{row}"
        return f"{self.file.rstrip('/')}/{sheet.title}!{cell}" if self.csv else f"{self.file}:{sheet.title}!{cell}"

    def cells(self, problems: list[Problem]) -> list[Problem]:
        """Problems with encoded lines as CellProblems naming sheet, row and column."""
        by_number = {s.number: s for s in self.sheets.values()}
        out = []
        for p in problems:
            sheet = by_number.get(p.line // ROWS - 1)
            message = re.sub(r"\(line (\d+)\)", lambda m: f"({self._row(by_number, int(m.group(1)))})", p.message)
            for yaml_words, book_words in WORDS:
                message = message.replace(yaml_words, book_words)
            where = self.at(sheet, p.line % ROWS, max(p.column, 1)) if sheet else self.file
            out.append(CellProblem(p.file, p.line, p.column, p.path, message, where))
        return out

    def _row(self, by_number: dict[int, Sheet], line: int) -> str:
        sheet = by_number.get(line // ROWS - 1)
        return f"{sheet.title} row {line % ROWS}" if sheet else f"line {line}"


def _fail(file: str, message: str) -> InputError:
    return InputError([Problem(file, 1, 1, "", message)])


def clean(value: Any) -> Any:
    """A cell as read: text stripped and NFC-normalised ('' is blank), dates as ISO text."""
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value.strip())
        return value or None
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    return value


def _rows(file: str, title: str, values) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for k, row in enumerate(values, start=1):
        if k > MAX_ROWS:
            raise _fail(file, f"sheet {title!r} has more than {MAX_ROWS:,} rows")
        cells = [clean(v) for v in row]
        if len(cells) > MAX_COLUMNS and any(v is not None for v in cells[MAX_COLUMNS:]):
            raise _fail(file, f"sheet {title!r} has more than {MAX_COLUMNS:,} columns")
        while cells and cells[-1] is None:
            cells.pop()
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _sheet_key(title: str) -> str:
    return (title[:-4] if title.lower().endswith(".csv") else title).strip().lower()


def _regular_file(path: Path, limit: int, what: str) -> None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise _fail(str(path), "no such file") from None
    except OSError as exc:
        raise _fail(str(path), f"cannot read it ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise _fail(str(path), f"not a regular file (expected {what})")
    if st.st_size > limit:
        raise _fail(str(path), f"file is larger than {limit:,} bytes, the limit for {what}")


def _add(book: Book, title: str, rows: list[list[Any]]) -> None:
    key = _sheet_key(title)
    if title.startswith("#"):
        book.ignored.append(title)
        return
    if key in book.sheets:
        raise _fail(book.file, f"sheets {book.sheets[key].title!r} and {title!r} are the same sheet "
                               "(names are compared ignoring case)")
    book.sheets[key] = Sheet(key, title, len(book.sheets), rows)


def read_workbook(path: str | os.PathLike) -> Book:
    """Every sheet of an .xlsx workbook (cached values of formulas; sheets named '#...' ignored)."""
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    name = str(path)
    _regular_file(Path(path), MAX_BOOK_BYTES, "an .xlsx workbook")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BOOK_BYTES + 1)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise _fail(name, f"the workbook unpacks to {unpacked:,} bytes, more than the {MAX_UNPACKED_BYTES:,} "
                              "an instance workbook may hold")
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError, EOFError) as exc:
        raise _fail(name, f"cannot read it as an .xlsx workbook ({exc.__class__.__name__}: {exc}); "
                          "save it from your spreadsheet program as 'Excel Workbook (.xlsx)'") from None
    book = Book(name, False, {})
    try:
        for ws in wb.worksheets:
            _add(book, ws.title, _rows(name, ws.title, ws.iter_rows(values_only=True)))
    finally:
        wb.close()
    return book


def read_csv_dir(path: str | os.PathLike) -> Book:
    """Every ``*.csv`` file of a directory, each one sheet (UTF-8, with or without a BOM)."""
    directory = Path(path)
    book = Book(str(path), True, {})
    for file in sorted(directory.iterdir(), key=lambda p: p.name):
        if not file.name.lower().endswith(".csv") or file.name.startswith("."):
            continue
        text = read_text(file, MAX_CSV_BYTES, "a CSV file").removeprefix("\ufeff")
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error as exc:
            raise _fail(str(file), f"not a readable CSV file ({exc})") from None
        _add(book, file.name, _rows(str(file), file.name, rows))
    if not book.sheets:
        raise _fail(book.file, "no .csv files in this directory (expected members.csv, workstreams.csv, ...)")
    return book


def read_book(path: str | os.PathLike) -> Book:
    """A workbook file or a directory of CSVs."""
    p = Path(path)
    if p.is_dir():
        return read_csv_dir(p)
    if p.suffix.lower() not in (".xlsx", ".xlsm"):
        raise _fail(str(p), "expected an .xlsx workbook or a directory of CSV files"
                            + (" (save .xls/.ods workbooks as .xlsx)" if p.suffix.lower() in (".xls", ".ods") else ""))
    return read_workbook(p)
