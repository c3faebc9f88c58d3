"""report.html: one self-contained page — inline CSS, charts as inline SVG, no scripts,
no external fonts, images or links; readable on screen and in print."""
from __future__ import annotations

from html import escape

from . import content as c
from .charts import inline_svg

CSS = """
:root {
  --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --soft: #f6f8fa;
  --ok: #1a7f37; --ok-bg: #dafbe1; --warn: #9a6700; --warn-bg: #fff8c5;
  --bad: #cf222e; --bad-bg: #ffebe9; --accent: #0072B2;
}
* { box-sizing: border-box; }
html { font-size: 15px; -webkit-text-size-adjust: 100%; }
body {
  margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "DejaVu Sans", sans-serif;
}
main { max-width: 1180px; margin: 0 auto; padding: 2rem 1.5rem 3rem; }
header h1 { font-size: 1.85rem; line-height: 1.2; margin: 0 0 .25rem; }
header .subtitle { color: var(--muted); margin: 0 0 .75rem; }
nav { font-size: .9rem; color: var(--muted); margin-bottom: 1rem; display: flex; flex-wrap: wrap; row-gap: .2rem; }
nav a { color: var(--accent); text-decoration: none; margin-right: .9rem; white-space: nowrap; }
nav a:hover { text-decoration: underline; }
.status { border-left: 6px solid; border-radius: 6px; padding: .7rem 1rem; margin: 0 0 1.5rem; }
.status .badge { font-weight: 700; letter-spacing: .05em; margin-right: .5rem; }
.status.ok { border-color: var(--ok); background: var(--ok-bg); }
.status.ok .badge { color: var(--ok); }
.status.warn { border-color: var(--warn); background: var(--warn-bg); }
.status.warn .badge { color: var(--warn); }
.status.bad { border-color: var(--bad); background: var(--bad-bg); font-size: 1.2rem; padding: 1rem 1.2rem; }
.status.bad .badge { color: var(--bad); }
h2 { font-size: 1.3rem; border-bottom: 1px solid var(--line); padding-bottom: .3rem; margin: 2.2rem 0 1rem; }
.figures { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: .75rem;
           margin: 0 0 1rem; padding: 0; list-style: none; }
.figures li { border: 1px solid var(--line); border-radius: 8px; padding: .7rem .9rem; background: var(--soft); }
.figures li.key { border-color: var(--accent); background: #eef6fb; }
.figures .label { display: block; font-size: .75rem; text-transform: uppercase; letter-spacing: .05em;
                  color: var(--muted); }
.figures .value { display: block; font-size: 1.3rem; font-weight: 650; font-variant-numeric: tabular-nums;
                  line-height: 1.3; margin: .15rem 0; }
.figures .value .unit { font-size: .8rem; font-weight: 500; color: var(--muted); }
.figures .note { display: block; font-size: .82rem; color: var(--muted); }
figure { margin: 0 0 2rem; }
figure svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption { color: var(--muted); font-size: .88rem; margin-top: .4rem; text-align: center; }
svg.chart * { stroke-linejoin: round; stroke-linecap: butt; }
.table-wrap { overflow-x: auto; margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; }
th, td { padding: .42rem .6rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--soft); font-weight: 600; border-bottom: 2px solid var(--line); vertical-align: bottom; }
.id { white-space: nowrap; }
th .unit { display: block; white-space: nowrap; font-weight: 400; font-size: .78rem; color: var(--muted); }
tbody tr:nth-child(even) { background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
td.wide { min-width: 13em; }
td.nowrap { white-space: nowrap; }
td:first-child { font-weight: 600; white-space: nowrap; }
.bind { display: inline-block; padding: 0 .45em; border-radius: 999px; background: var(--bad-bg);
        color: var(--bad); font-size: .75rem; font-weight: 600; line-height: 1.5; }
.muted { color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace;
       font-size: .85em; background: var(--soft); padding: .05em .3em; border-radius: 4px; word-break: break-all; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1.4rem; margin: 0; }
dl.kv dt { font-weight: 600; }
dl.kv dd { margin: 0; }
ul { padding-left: 1.3rem; }
footer { color: var(--muted); font-size: .82rem; border-top: 1px solid var(--line); margin-top: 2.5rem;
         padding-top: .8rem; }
@media (max-width: 900px) {
  .figures { grid-template-columns: repeat(2, minmax(0, 1fr)); }
}
@media (max-width: 640px) {
  main { padding: 1rem .8rem 2rem; }
  .figures { grid-template-columns: 1fr; }
  dl.kv { grid-template-columns: 1fr; }
}
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  html { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  .status, .figures li, thead th, .bind, tbody tr { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; page-break-after: avoid; margin-top: 1.4rem; }
  figure, tr, .figures li, .status, dl.kv { break-inside: avoid; page-break-inside: avoid; }
  figure svg { max-height: 240mm; width: auto; }
  .table-wrap { overflow: visible; }
  table { font-size: 8.5pt; }
  th, td { padding: .25rem .4rem; }
}
""".strip()


def cell(x: c.Cell) -> str:
    if isinstance(x, list):
        return "".join(cell(p) for p in x)
    if isinstance(x, c.Mark):
        t = escape(x.text)
        if x.kind == "bind":
            return f'<span class="bind">{t}</span>'
        if x.kind == "strong":
            return f"<strong>{t}</strong>"
        if x.kind == "muted":
            return f'<span class="muted">{t}</span>'
        if x.kind == "br":
            return "<br>"
        if x.kind == "id":
            return f'<span class="id">{t}</span>'
        return f"<code>{t}</code>"
    return escape(str(x))


def _table(t: c.Table) -> str:
    if not t.rows:
        return f'<p class="empty">{escape(t.empty)}</p>'
    num = ' class="num"'
    head = "".join(f'<th scope="col"{num if k in t.numeric else ""}>{escape(h)}'
                   + (f'<span class="unit">{escape(u)}</span>' if u else "") + "</th>"
                   for k, (h, u) in enumerate(t.headers))
    body = []
    for row in t.rows:
        tds = []
        for k, x in enumerate(row):
            cls = "num" if k in t.numeric else "wide" if k in t.wide else "nowrap" if k in t.nowrap else ""
            tds.append(f'<td class="{cls}">{cell(x)}</td>' if cls else f"<td>{cell(x)}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    return ('<div class="table-wrap"><table>\n<thead><tr>' + head + "</tr></thead>\n<tbody>\n"
            + "\n".join(body) + "\n</tbody>\n</table></div>")


def render(blocks: list[c.Block], charts: dict[str, str], tool_version: str, *,
           footer: c.Cell | None = None, kind: str = "consortium plan") -> str:
    """The page; ``footer`` (default: how to re-render a report) and ``kind`` (in the window
    title) let the comparison report reuse it."""
    title = next(b.text for b in blocks if isinstance(b, c.Title))
    headings = [b for b in blocks if isinstance(b, c.Heading)]
    parts: list[str] = []
    for b in blocks:
        if isinstance(b, c.Title):
            parts.append(f"<header><h1>{escape(b.text)}</h1><p class=\"subtitle\">{escape(b.subtitle)}</p></header>")
            parts.append("<nav>" + "".join(f'<a href="#{h.anchor}">{escape(h.text)}</a>' for h in headings)
                         + "</nav>")
        elif isinstance(b, c.Status):
            parts.append(f'<div class="status {b.level}" role="status"><span class="badge">{escape(b.label)}</span>'
                         f"{escape(b.text)}</div>")
        elif isinstance(b, c.Figures):
            key = ' class="key"'
            items = "".join(
                f'<li{key if f.key else ""}><span class="label">{escape(f.label)}</span>'
                f'<span class="value">{escape(f.value)}'
                + (f' <span class="unit">{escape(f.unit)}</span>' if f.unit else "")
                + f'</span><span class="note">{escape(f.note)}</span></li>'
                for f in b.items)
            parts.append(f'<ul class="figures">{items}</ul>')
        elif isinstance(b, c.Heading):
            parts.append(f'<h2 id="{b.anchor}">{escape(b.text)}</h2>')
        elif isinstance(b, c.Para):
            parts.append(f"<p>{cell(b.pieces)}</p>")
        elif isinstance(b, c.Bullets):
            parts.append("<ul>" + "".join(f"<li>{cell(i)}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, c.Chart):
            svg = inline_svg(charts[b.name], f"chart-{b.name}", b.alt)
            parts.append(f"<figure>\n{svg}\n<figcaption>{escape(b.caption)}</figcaption></figure>")
        elif isinstance(b, c.KeyValues):
            parts.append('<dl class="kv">' + "".join(f"<dt>{escape(k)}</dt><dd>{cell(v)}</dd>" for k, v in b.items)
                         + "</dl>")
        elif isinstance(b, c.Table):
            parts.append(_table(b))
        else:  # pragma: no cover
            raise TypeError(f"unknown block {b!r}")
    if footer is None:
        foot = (f"<footer>Generated by consortium-optimizer {escape(tool_version)} from <code>result.json</code>; "
                "re-render with <code>consortium report result.json --out DIR</code>.</footer>")
    else:
        foot = f"<footer>{cell(footer)}</footer>"
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{escape(title)} — {escape(kind)}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(parts) + f"\n{foot}\n</main>\n</body>\n</html>\n")
