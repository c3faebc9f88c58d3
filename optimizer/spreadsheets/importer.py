"""A workbook in the layout of docs/spreadsheets.md -> the instance mapping, and where each key path
came from (a :class:`~optimizer.yamlsource.SourceMap` whose lines encode sheet and row, see
:mod:`.cells`), so that the validator's problems point at cells."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..cross_references import did_you_mean
from ..errors import InputError, Problem
from ..yamlsource import KeyPath, SourceMap, format_path, parse_yaml
from . import layout as L
from .cells import Book, Sheet

ORDER = ["name", "description", "units", "defaults", "objective", "horizon", "accelerators", "members",
         "workstreams", "designs", "uncertainty"]
MEMBER_ORDER = ["budget", "price", "fleet", "needs", "publishes", "estimates", "due"]


@dataclass
class Row:
    sheet: Sheet
    number: int
    cells: dict[str, tuple[Any, int]]  # column -> (value, column number)
    extra: dict[str, tuple[Any, int]] = field(default_factory=dict)  # budget:<period> columns by period

    def value(self, column: str) -> Any:
        return self.cells.get(column, (None, 0))[0]

    def col(self, column: str) -> int:
        return self.cells.get(column, (None, 1))[1] or 1


class Importer:
    def __init__(self, book: Book):
        self.book = book
        self.source = SourceMap(book.file)
        self.problems: list[Problem] = []
        self.data: dict[str, Any] = {}
        self.members: dict[str, dict] = {}
        self.first: dict[tuple, int] = {}  # (sheet, id...) -> row it was first given in

    # --- positions ----------------------------------------------------------------------------------------
    def mark(self, path: KeyPath, sheet: Sheet, row: int, col: int, *, key: bool = False) -> None:
        (self.source.keys if key else self.source.values)[tuple(path)] = (sheet.line(row), col)

    def problem(self, sheet: Sheet, row: int, col: int, message: str, path: KeyPath = ()) -> None:
        self.problems.append(Problem(self.book.file, sheet.line(row), col, format_path(path), message))

    def once(self, what: str, key: tuple, row: Row) -> bool:
        """False (and a problem) when ``key`` was given in an earlier row of the sheet."""
        if key in self.first:
            self.problem(row.sheet, row.number, 1, f"{what} is given twice (first in row {self.first[key]})")
            return False
        self.first[key] = row.number
        return True

    # --- tables -------------------------------------------------------------------------------------------
    def table(self, sheet: Sheet, columns: dict[str, str], *, per_period: bool = False) -> list[Row]:
        start = next((k for k, cells in enumerate(sheet.rows, 1) if cells), None)
        if start is None:
            return []
        sheet.header = start
        cols: dict[str, int] = {}
        extra: dict[str, int] = {}
        for c, head in enumerate(sheet.rows[start - 1], 1):
            if head is None:
                continue
            name = L.text(head)
            low = name.lower()
            if low in columns and low not in cols:
                cols[low] = c
            elif low in columns:
                self.problem(sheet, start, c, f"column {name!r} is given twice")
            elif per_period and low.startswith(L.BUDGET_PREFIX):
                extra[name[len(L.BUDGET_PREFIX):].strip()] = c
            else:
                hint = did_you_mean(low, list(columns) + ([L.BUDGET_PREFIX + "<period>"] if per_period else []))
                self.problem(sheet, start, c, f"unknown column {name!r} in sheet {sheet.title!r}{hint}")
        id_col = next(iter(columns))
        if id_col not in cols:
            self.problem(sheet, start, 1, f"sheet {sheet.title!r} has no column {id_col!r} (expected a header "
                                          f"row: {', '.join(columns)})")
            return []
        rows = []
        for r in range(start + 1, len(sheet.rows) + 1):
            cells = sheet.rows[r - 1]
            if not any(v is not None for v in cells):
                continue
            get = lambda c: cells[c - 1] if c <= len(cells) else None  # noqa: E731
            row = Row(sheet, r, {n: (get(c), c) for n, c in cols.items()}, {p: (get(c), c) for p, c in extra.items()})
            if row.value(id_col) is None:
                self.problem(sheet, r, cols[id_col], f"no {id_col} id in this row (expected one in column "
                                                     f"{id_col!r})")
                continue
            rows.append(row)
        return rows

    def put(self, target: dict, path: KeyPath, row: Row, column: str, kind: str, key: str | None = None) -> None:
        """Row's ``column`` (if not blank) as ``target[key or column]``, positioned at its cell."""
        value = row.value(column)
        if value is None:
            return
        name = key or column
        target[name] = L.convert(kind, value)
        self.mark(tuple(path) + (name,), row.sheet, row.number, row.col(column))
        self.mark(tuple(path) + (name,), row.sheet, row.number, row.col(column), key=True)
        if kind == L.LIST:
            for k in range(len(target[name])):
                self.mark(tuple(path) + (name, k), row.sheet, row.number, row.col(column))

    def entity(self, section: str, row: Row, id_column: str) -> tuple[str, dict] | None:
        ident = L.text(row.value(id_column))
        if not self.once(f"{id_column} {ident!r}", (row.sheet.name, ident), row):
            return None
        spec: dict = self.data.setdefault(section, {}).setdefault(ident, {})
        for key in (True, False):
            self.mark((section, ident), row.sheet, row.number, row.col(id_column), key=key)
        return ident, spec

    def member(self, row: Row) -> tuple[str, dict] | None:
        """The member a row of fleets/needs/due/estimates is about (it must be in the members sheet)."""
        i = L.text(row.value("member"))
        if i not in self.members:
            self.problem(row.sheet, row.number, row.col("member"),
                         f"unknown member {i!r}{did_you_mean(i, self.members)} (members are the rows of the "
                         "members sheet)")
            return None
        return i, self.members[i]

    # --- sheets -------------------------------------------------------------------------------------------
    def settings(self, sheet: Sheet) -> None:
        for r, cells in enumerate(sheet.rows, 1):
            key = L.text(cells[0]) if cells and cells[0] is not None else None
            value = cells[1] if len(cells) > 1 else None
            if key is None:
                if any(v is not None for v in cells):
                    self.problem(sheet, r, 2, "a value without a key in column A")
                continue
            if key.lower() == "key" and r == next(k for k, c in enumerate(sheet.rows, 1) if c):
                continue  # an optional header row: key, value
            if not self.once(f"setting {key!r}", ("settings", key), Row(sheet, r, {})):
                continue
            path = tuple(key.split("."))
            if path[0] in L.SHEETS:
                self.problem(sheet, r, 1, f"{path[0]!r} is a sheet of its own, not a setting")
                continue
            target = self.data
            for part in path[:-1]:
                target = target.setdefault(part, {})
                if not isinstance(target, dict):
                    self.problem(sheet, r, 1, f"{key!r} is inside {part!r}, which has a value of its own")
                    break
            else:
                if value is not None:
                    target[path[-1]] = L.convert(L.SETTINGS.get(key, "raw"), value)
                self.mark(path, sheet, r, 2)
                self.mark(path, sheet, r, 1, key=True)
                for k in range(len(target.get(path[-1]) or []) if isinstance(target.get(path[-1]), list) else 0):
                    self.mark(path + (k,), sheet, r, 2)

    def period_labels(self) -> list[str] | None:
        periods = (self.data.get("horizon") or {}).get("periods") if isinstance(self.data.get("horizon"), dict) else None
        if isinstance(periods, int) and not isinstance(periods, bool):
            return [str(t) for t in range(1, periods + 1)] if 0 < periods <= L.MAX_PERIODS else None
        return [str(p) for p in periods] if isinstance(periods, list) else None

    def members_sheet(self, sheet: Sheet) -> None:
        labels = self.period_labels()
        rows = self.table(sheet, L.COLUMNS["members"], per_period=True)
        for row in rows:
            got = self.entity("members", row, "member")
            if got is None:
                continue
            i, spec = got
            self.members[i] = spec
            base = ("members", i)
            self.put(spec, base, row, "budget", L.NUMBER)
            self.put(spec, base, row, "price", L.NUMBER)
            self.put(spec, base, row, "publishes", L.BOOL)
            if any(v is not None for v, _ in row.extra.values()):
                self.per_period_budget(row, spec, base, labels)
        given = rows[0].extra if rows else {}
        for period, (_, c) in given.items():
            if labels is None:
                self.problem(sheet, sheet.header, c, "a budget per period needs the horizon's periods "
                                                     "(a 'horizon.periods' row in the settings sheet)")
            elif period not in labels:
                self.problem(sheet, sheet.header, c, f"unknown period {period!r}{did_you_mean(period, labels)}")
        if given and labels:
            missing = [p for p in labels if p not in given]
            if missing:
                self.problem(sheet, sheet.header, 1, f"no column {L.BUDGET_PREFIX}{missing[0]} (expected one "
                                                     "budget column per period of the horizon)")

    def per_period_budget(self, row: Row, spec: dict, base: KeyPath, labels: list[str] | None) -> None:
        if labels is None or set(row.extra) != set(labels):
            return  # said once, at the header
        if "budget" in spec:
            self.problem(row.sheet, row.number, row.col("budget"), "both a budget and budgets per period "
                         "(expected one of them)", base + ("budget",))
            return
        cols = [row.extra[p] for p in labels]
        spec["budget"] = [L.number(v) for v, _ in cols]
        self.mark(base + ("budget",), row.sheet, row.number, min(c for _, c in cols))
        for k, (_, c) in enumerate(cols):
            self.mark(base + ("budget", k), row.sheet, row.number, c)

    def fleets(self, sheet: Sheet) -> None:
        for row in self.table(sheet, L.COLUMNS["fleets"]):
            got = self.member(row)
            if got is None:
                continue
            i, spec = got
            fleet = spec.setdefault("fleet", {})
            self.mark(("members", i, "fleet"), sheet, row.number, row.col("member"))
            if row.value("accelerator") is None:
                if row.value("count") is not None:
                    self.problem(sheet, row.number, row.col("accelerator"), "a count without an accelerator type")
                continue  # a fleet of nothing: the member owns no accelerators (and does not rent)
            h = L.text(row.value("accelerator"))
            if not self.once(f"{i}'s {h} fleet", ("fleets", i, h), row):
                continue
            self.put(fleet, ("members", i, "fleet"), row, "count", L.WHOLE, key=h)
            self.mark(("members", i, "fleet", h), sheet, row.number, row.col("accelerator"), key=True)
            if h not in fleet:
                self.problem(sheet, row.number, row.col("count"), "no accelerator count (expected a whole number)")

    def needs(self, sheet: Sheet) -> None:
        start = next((k for k, cells in enumerate(sheet.rows, 1) if cells), None)
        if start is None:
            return
        header = {L.text(h).lower() for h in sheet.rows[start - 1] if h is not None}
        if header and header <= set(L.NEEDS_LIST) and "workstream" in header:
            for row in self.table(sheet, L.NEEDS_LIST):
                if (got := self.member(row)) is not None:
                    self.need(got, row, L.text(row.value("workstream")) if row.value("workstream") else None,
                              row.col("workstream"))
                    if row.value("due") is not None:
                        self.due(got, row)
            return
        head = sheet.rows[start - 1]
        if not head or head[0] is None or L.text(head[0]).lower() != "member":
            self.problem(sheet, start, 1, "expected 'member' here: a matrix with a row per member and a column per "
                                          "workstream, or a list with columns member, workstream (and due)")
            return
        columns = {c: L.text(h) for c, h in enumerate(head, 1) if c > 1 and h is not None}
        for r in range(start + 1, len(sheet.rows) + 1):
            cells = sheet.rows[r - 1]
            if not cells or cells[0] is None:
                if any(v is not None for v in cells):
                    self.problem(sheet, r, 1, "no member id in this row (expected one in column 'member')")
                continue
            row = Row(sheet, r, {"member": (cells[0], 1)})
            if (got := self.member(row)) is None or not self.once(f"member {got[0]!r}", ("needs", got[0]), row):
                continue
            self.mark(("members", got[0], "needs"), sheet, r, 1)
            for c, w in columns.items():
                value = cells[c - 1] if c <= len(cells) else None
                mark = L.is_mark(value)
                if mark is None:
                    self.problem(sheet, r, c, f"got {value!r} (expected 1 or x where {got[0]} needs {w}, "
                                              "blank where it does not)")
                elif mark:
                    self.need(got, row, w, c)

    def need(self, got: tuple[str, dict], row: Row, w: str | None, col: int) -> None:
        i, spec = got
        if w is None:
            self.problem(row.sheet, row.number, col, "no workstream id in this row")
            return
        needs = spec.setdefault("needs", [])
        self.mark(("members", i, "needs"), row.sheet, row.number, col)
        self.mark(("members", i, "needs", len(needs)), row.sheet, row.number, col)
        needs.append(w)

    def due(self, got: tuple[str, dict], row: Row) -> None:
        i, spec = got
        w = L.text(row.value("workstream"))
        if not self.once(f"{i}'s due date for {w!r}", ("due", i, w), row):
            return
        self.put(spec.setdefault("due", {}), ("members", i, "due"), row, "due", L.PERIOD, key=w)
        self.mark(("members", i, "due", w), row.sheet, row.number, row.col("workstream"), key=True)

    def due_sheet(self, sheet: Sheet) -> None:
        for row in self.table(sheet, L.COLUMNS["due"]):
            if (got := self.member(row)) is not None and row.value("workstream") is not None:
                self.due(got, row)

    def estimates(self, sheet: Sheet) -> None:
        for row in self.table(sheet, L.COLUMNS["estimates"]):
            if (got := self.member(row)) is None or row.value("workstream") is None:
                continue
            i, spec = got
            w = L.text(row.value("workstream"))
            if not self.once(f"{i}'s estimate of {w!r}", ("estimates", i, w), row):
                continue
            base = ("members", i, "estimates", w)
            estimate = spec.setdefault("estimates", {}).setdefault(w, {})
            for key in (True, False):
                self.mark(base, sheet, row.number, row.col("workstream"), key=key)
            self.put(estimate, base, row, "compute", L.NUMBER)
            self.put(estimate, base, row, "cost", L.NUMBER)

    def simple(self, sheet: Sheet) -> None:
        """accelerators, workstreams, designs: one entity per row, a key per column."""
        section = sheet.name
        columns = L.COLUMNS[section]
        id_column = next(iter(columns))
        for row in self.table(sheet, columns):
            if (got := self.entity(section, row, id_column)) is None:
                continue
            ident, spec = got
            for column, kind in list(columns.items())[1:]:
                if kind == L.YAML:
                    self.yaml_cell(spec, (section, ident), row, column)
                else:
                    self.put(spec, (section, ident), row, column, kind)

    def yaml_cell(self, spec: dict, base: KeyPath, row: Row, column: str) -> None:
        text = row.value(column)
        if text is None:
            return
        col = row.col(column)
        try:
            value, _ = parse_yaml(L.text(text), "cell")
        except InputError as exc:
            for p in exc.problems:
                self.problem(row.sheet, row.number, col, f"{column}: {p.message}", base + (column,))
            return
        spec[column] = value
        self.mark_all(base + (column,), value, row.sheet, row.number, col)

    def mark_all(self, path: KeyPath, value: Any, sheet: Sheet, row: int, col: int) -> None:
        for key in (True, False):
            self.mark(path, sheet, row, col, key=key)
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for k, v in children:
            self.mark_all(path + (k,), v, sheet, row, col)

    def uncertainty(self, sheet: Sheet) -> None:
        for row in self.table(sheet, {"quantity": L.TEXT, **L.COLUMNS["uncertainty"]}):
            scope = L.text(row.value("scope")).lower() if row.value("scope") is not None else "all"
            quantity = L.text(row.value("quantity"))
            if scope == "all":
                path: KeyPath = ("uncertainty", quantity)
            elif scope in L.SCOPES and row.value("id") is not None:
                path = ("uncertainty", scope, L.text(row.value("id")), quantity)
            else:
                what = "an id in column 'id'" if scope in L.SCOPES else f"scope {scope!r}"
                self.problem(sheet, row.number, row.col("scope" if scope not in L.SCOPES else "id"),
                             f"expected {what}" if scope in L.SCOPES else
                             f"unknown {what} (expected all, {', '.join(L.SCOPES)})")
                continue
            if not self.once(f"uncertainty of {format_path(path[1:])}", ("uncertainty",) + path, row):
                continue
            target = self.data
            for part in path[:-1]:
                target = target.setdefault(part, {})
            dist = target.setdefault(path[-1], {})
            for k in range(1, len(path) + 1):
                for key in (True, False):
                    self.mark(path[:k], sheet, row.number, row.col("quantity"), key=key)
            for column in ("low", "mode", "high", "shared"):
                self.put(dist, path, row, column, L.COLUMNS["uncertainty"][column])

    # --- the whole book -----------------------------------------------------------------------------------
    def run(self) -> tuple[dict, SourceMap]:
        sheets = self.book.sheets
        for name, sheet in sheets.items():
            if name not in L.SHEETS:
                self.problem(sheet, 1, 1, f"unknown sheet {sheet.title!r}{did_you_mean(name, L.SHEETS)} "
                                          "(name a sheet of notes with a leading '#')")
        first = sheets.get("settings") or next(iter(sheets.values()), None)
        if first is not None:
            self.source.values[()] = (first.line(1), 1)
        for name in L.REQUIRED_SHEETS:
            if name not in sheets and first is not None:
                self.problem(first, 1, 1, f"no {name!r} sheet" + (" (expected a CSV file " + name + ".csv)"
                                                                 if self.book.csv else ""))
        handlers = {"settings": self.settings, "accelerators": self.simple, "members": self.members_sheet,
                    "fleets": self.fleets, "needs": self.needs, "due": self.due_sheet, "estimates": self.estimates,
                    "workstreams": self.simple, "designs": self.simple, "uncertainty": self.uncertainty}
        for name in L.SHEETS:
            if name in sheets:
                handlers[name](sheets[name])
        for i, spec in self.members.items():
            self.data["members"][i] = {k: spec[k] for k in MEMBER_ORDER if k in spec}
        data = {k: self.data[k] for k in ORDER if k in self.data}
        data.update({k: v for k, v in self.data.items() if k not in data})
        self.source.problems = self.problems
        return data, self.source


def document(book: Book) -> tuple[dict, SourceMap]:
    """The instance mapping a workbook describes, and where its key paths are (cells encoded)."""
    return Importer(book).run()
