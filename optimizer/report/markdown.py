"""report.md: GitHub-flavoured Markdown, charts as the SVG files written beside it."""
from __future__ import annotations

import re

from . import content as c

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def esc(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def cell(x: c.Cell) -> str:
    if isinstance(x, list):
        return "".join(cell(p) for p in x)
    if isinstance(x, c.Mark):
        if x.kind in ("bind", "strong"):
            return f"**{esc(x.text)}**"
        if x.kind == "muted":
            return f"*{esc(x.text)}*"
        if x.kind == "id":
            return esc(x.text)
        if x.kind == "br":
            return "<br>"
        if x.kind == "file":
            return f"[`{x.text}`]({x.text})"
        return f"`{x.text.replace('`', '')}`"
    return esc(x)


def render(blocks: list[c.Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, c.Title):
            out += [f"# {esc(b.text)}", "", b.subtitle, ""]
        elif isinstance(b, c.Status):
            out += [f"> **Status: {b.label}.** {esc(b.text)}", ""]
        elif isinstance(b, c.Figures):
            out += [f"- **{esc(f.label)}:** {esc(f.value)}{' ' + esc(f.unit) if f.unit else ''}"
                    f"{' — ' + esc(f.note) if f.note else ''}" for f in b.items] + [""]
        elif isinstance(b, c.Heading):
            out += [f"## {esc(b.text)}", ""]
        elif isinstance(b, c.Para):
            out += [cell(b.pieces), ""]
        elif isinstance(b, c.Bullets):
            out += [f"- {cell(item)}" for item in b.items] + [""]
        elif isinstance(b, c.Chart):
            out += [f"![{esc(b.alt)}]({b.name}.svg)", "", f"*{esc(b.caption)}*", ""]
        elif isinstance(b, c.KeyValues):
            out += [f"- **{esc(k)}:** {cell(v)}" for k, v in b.items] + [""]
        elif isinstance(b, c.Table):
            if not b.rows:
                out += [f"*{esc(b.empty)}*", ""]
                continue
            out.append("| " + " | ".join(esc(f"{h} ({u})" if u else h) for h, u in b.headers) + " |")
            out.append("|" + "|".join("---:" if k in b.numeric else "---" for k in range(len(b.headers))) + "|")
            out += ["| " + " | ".join(cell(x) for x in row) + " |" for row in b.rows]
            out.append("")
        else:  # pragma: no cover - every block type is handled above
            raise TypeError(f"unknown block {b!r}")
    return "\n".join(out).rstrip("\n") + "\n"
