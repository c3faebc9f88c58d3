"""A report page, independent of its format: a list of blocks, rendered to Markdown and to HTML.

Every report kind (plan, comparison, cost sharing, sweep) says what it shows as blocks; this
module is the only place that knows how a block looks. HTML comes from a Jinja2 template with
autoescaping (``templates/page.html.j2``, its CSS in ``templates/page.css`` inlined at render
time), so nothing a user wrote can become markup; Markdown is escaped here.
"""
from __future__ import annotations

import json
import re
from html import escape
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Iterable, Union



@dataclass(frozen=True)
class Mark:
    """Text with a kind: 'bind' (a binding limit), 'strong', 'muted', 'id' (never broken across
    lines), 'code', 'file' (a link to a file of the report), 'br' (a line break)."""
    text: str
    kind: str


Cell = Union[str, Mark, list]  # a list is a sequence of str/Mark pieces
BR = Mark("", "br")


@dataclass
class Title:
    text: str
    subtitle: str


@dataclass
class Status:
    level: str          # ok | warn | bad
    label: str          # OPTIMAL, FEASIBLE, INFEASIBLE, NO SOLUTION, ...
    text: str


@dataclass
class Figure:
    label: str
    value: str
    unit: str = ""
    note: str = ""
    key: bool = False       # one of the figures the report is about


@dataclass
class Figures:
    items: list[Figure]


@dataclass
class Heading:
    text: str
    anchor: str


@dataclass
class Para:
    pieces: list[Cell]


@dataclass
class Bullets:
    items: list[Cell]


@dataclass
class Table:
    headers: list[tuple[str, str]]                 # (name, unit or "")
    rows: list[list[Cell]]
    numeric: set[int] = field(default_factory=set)
    empty: str = "nothing to show"
    wide: set[int] = field(default_factory=set)    # columns holding long lists
    nowrap: set[int] = field(default_factory=set)  # columns whose lines must not wrap

    def column_class(self, k: int) -> str:
        return "num" if k in self.numeric else "wide" if k in self.wide else "nowrap" if k in self.nowrap else ""


@dataclass
class Chart:
    name: str
    alt: str
    caption: str


@dataclass
class KeyValues:
    items: list[tuple[str, Cell]]


Block = Union[Title, Status, Figures, Heading, Para, Bullets, Table, Chart, KeyValues]


@dataclass
class Page:
    """One report page: its blocks, the SVG charts they show (by name), the window title's kind
    and the footer. A chart given as None had nothing to draw: it is left out, and so is its
    Chart block, so a kind can list every chart it may show."""
    blocks: list[Block]
    charts: dict[str, str | None]
    kind: str
    footer: list[Cell]

    def __post_init__(self):
        self.charts = {name: svg for name, svg in self.charts.items() if svg is not None}
        self.blocks = [b for b in self.blocks if not isinstance(b, Chart) or b.name in self.charts]

    def files(self, stem: str) -> dict[str, bytes]:
        """``<stem>.md``, ``<stem>.html`` and one ``<name>.svg`` per chart."""
        out = {f"{stem}.md": render_markdown(self.blocks).encode("utf-8"),
               f"{stem}.html": render_html(self).encode("utf-8")}
        out.update({f"{name}.svg": svg.encode("utf-8") for name, svg in self.charts.items()})
        return out


# --- words every report uses ----------------------------------------------------------------------
def pct(x: float | None) -> str:
    if x is None:
        return "n/a"
    if x == 0:
        return "0%"
    if abs(x) < 0.0001:
        return "< 0.01%"
    return f"{x:.1%}" if abs(x) >= 0.001 else f"{x:.2%}"


def joined(pieces: Iterable[list[Cell]], sep: Cell = BR) -> list[Cell]:
    out: list[Cell] = []
    for k, p in enumerate(pieces):
        out += ([sep] if k else []) + p
    return out


def ids(items: Iterable[str]) -> list[Cell]:
    """A comma-separated list of ids that line-wraps between ids, never inside one."""
    return joined(([Mark(x, "id")] for x in items), ", ")


def binds_badge(binds: bool) -> list[Cell]:
    """' binds' after a limit that binds; nothing otherwise."""
    return [" ", Mark("binds", "bind")] if binds else []


def sentence(parts: list[tuple[str, list[str]]]) -> str:
    """[("not in the core: {}", ["a", "b"]), ("not checked: {}", ["c"])] -> "Not in the core: a, b; not
    checked: c.": a status line naming what each part is about; a part naming nothing is left out."""
    text = "; ".join(what.format(", ".join(names)) for what, names in parts if names)
    return text[0].upper() + text[1:] + "."


def compute_unit(units: dict) -> str:
    """The compute unit as a page says it."""
    return units.get("compute") or "compute units"


def code_spans(text: str) -> list[Cell]:
    """'as `x` does' -> ['as ', Mark('x', 'code'), ' does']."""
    return [Mark(p, "code") if k % 2 else p for k, p in enumerate(text.split("`")) if p]


def units_text(units: dict) -> str:
    return f"compute: {units.get('compute', 'n/a')}; money: {units.get('money', 'n/a')}"


def closing(assumptions: list[tuple[str, Cell]], files: list[tuple[str, str]]) -> list[Block]:
    """How every page ends: what the report assumed, then its files, each a link (a pattern
    such as ``designs/<design>/`` as code) and what it holds."""
    return [Heading("Assumptions", "assumptions"), KeyValues(assumptions), Heading("Files", "files"),
            Bullets([[Mark(name, "code" if "<" in name else "file"), " — ", *code_spans(what)]
                     for name, what in files])]


def json_bytes(doc: Any, sort_keys: bool = False) -> bytes:
    """A report's JSON file: strict JSON (never NaN), UTF-8, two-space indent, final newline."""
    return (json.dumps(doc, indent=2, sort_keys=sort_keys, ensure_ascii=False, allow_nan=False) + "\n").encode()


def regenerate_footer(command: str, *after: Cell, version: str | None = None) -> list[Cell]:
    """'Generated by consortium-optimizer <version>; regenerate with `command`' and ``after``
    (a full stop when not given)."""
    from .. import __version__
    return [f"Generated by consortium-optimizer {version or __version__}; regenerate with ", Mark(command, "code"),
            *(after or ["."])]


# --- Markdown ---------------------------------------------------------------------------------------
_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md_escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def md_cell(x: Cell) -> str:
    if isinstance(x, list):
        return "".join(md_cell(p) for p in x)
    if isinstance(x, Mark):
        if x.kind in ("bind", "strong"):
            return f"**{md_escape(x.text)}**"
        if x.kind == "muted":
            return f"*{md_escape(x.text)}*"
        if x.kind == "id":
            return md_escape(x.text)
        if x.kind == "br":
            return "<br>"
        if x.kind == "file":
            return f"[`{x.text}`]({x.text})"
        return f"`{x.text.replace('`', '')}`"
    return md_escape(x)


def render_markdown(blocks: list[Block]) -> str:
    """GitHub-flavoured Markdown; charts are the SVG files written beside it."""
    esc, out = md_escape, []
    for b in blocks:
        if isinstance(b, Title):
            out += [f"# {esc(b.text)}", "", b.subtitle, ""]
        elif isinstance(b, Status):
            out += [f"> **Status: {b.label}.** {esc(b.text)}", ""]
        elif isinstance(b, Figures):
            out += [f"- **{esc(f.label)}:** {esc(f.value)}{' ' + esc(f.unit) if f.unit else ''}"
                    f"{' — ' + esc(f.note) if f.note else ''}" for f in b.items] + [""]
        elif isinstance(b, Heading):
            out += [f"## {esc(b.text)}", ""]
        elif isinstance(b, Para):
            out += [md_cell(b.pieces), ""]
        elif isinstance(b, Bullets):
            out += [f"- {md_cell(item)}" for item in b.items] + [""]
        elif isinstance(b, Chart):
            out += [f"![{esc(b.alt)}]({b.name}.svg)", "", f"*{esc(b.caption)}*", ""]
        elif isinstance(b, KeyValues):
            out += [f"- **{esc(k)}:** {md_cell(v)}" for k, v in b.items] + [""]
        elif isinstance(b, Table):
            if not b.rows:
                out += [f"*{esc(b.empty)}*", ""]
                continue
            out.append("| " + " | ".join(esc(f"{h} ({u})" if u else h) for h, u in b.headers) + " |")
            out.append("|" + "|".join("---:" if k in b.numeric else "---" for k in range(len(b.headers))) + "|")
            out += ["| " + " | ".join(md_cell(x) for x in row) + " |" for row in b.rows]
            out.append("")
        else:  # pragma: no cover - every block type is handled above
            raise TypeError(f"unknown block {b!r}")
    return "\n".join(out).rstrip("\n") + "\n"


# --- HTML -------------------------------------------------------------------------------------------
@cache
def _template():
    import jinja2
    env = jinja2.Environment(loader=jinja2.PackageLoader("optimizer.report", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.globals.update(block_type=lambda b: type(b).__name__, is_mark=lambda x: isinstance(x, Mark),
                       is_list=lambda x: isinstance(x, list))
    return env.get_template("page.html.j2")


@cache
def _css() -> str:
    from importlib.resources import files
    return files("optimizer.report").joinpath("templates", "page.css").read_text("utf-8").strip()


def render_html(page: Page) -> str:
    """One self-contained page: inline CSS, charts as inline SVG, no scripts, no external
    fonts, images or links; readable on screen and in print."""
    from markupsafe import Markup
    title = next(b.text for b in page.blocks if isinstance(b, Title))
    svgs = {}
    for b in page.blocks:
        if isinstance(b, Chart):
            # our own SVG, made inert by inline_svg (no scripts, no URLs): safe to include as markup
            svgs[b.name] = Markup(inline_svg(page.charts[b.name], f"chart-{b.name}", b.alt))
    return _template().render(title=title, kind=page.kind, css=Markup(_css()), blocks=page.blocks,
                              headings=[b for b in page.blocks if isinstance(b, Heading)], svgs=svgs,
                              footer=page.footer)


_ID = re.compile(r'\bid="([^"]+)"')


def inline_svg(svg: str, prefix: str, label: str) -> str:
    """An SVG document made fit to sit inside HTML: no XML prolog, DOCTYPE, metadata or
    namespace declarations (so no URLs at all), ids prefixed to stay unique in the page,
    ``xlink:href`` as plain ``href``, and an accessible label."""
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg, flags=re.S)
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'\s*<style type="text/css">.*?</style>', "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = svg.replace("xlink:href=", "href=")
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{prefix}-{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', svg)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" class="chart" ', 1)
    return svg.strip()
