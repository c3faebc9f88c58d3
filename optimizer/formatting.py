"""How numbers are written for people: in the terminal and in every report alike."""
from __future__ import annotations

import math


def num(x: float | None, unit: str = "") -> str:
    """1234567.8 -> '1,234,568'; 0.5 -> '0.5'; 3.3e24 -> '3.3e+24' (digits beyond a float's 15
    significant ones would be noise); None -> 'n/a'."""
    if x is None:
        return "n/a"
    text = f"{x:,.0f}" if 100 <= abs(x) < 1e15 else f"{x:,.4g}" if abs(x) < 100 else f"{x:.6g}"
    return f"{text} {unit}".rstrip()


def noun(n: int, singular: str, plural: str | None = None) -> str:
    """The word for ``n`` things, for counts printed to people: noun(1, "workstream") ->
    'workstream', noun(2, "workstream") -> 'workstreams'; ``plural`` for irregular words."""
    return singular if n == 1 else (plural or singular + "s")


SIGNIFICANT = 12  # digits kept of every reported figure: above solver and summation noise (1e-15)


def clean(x: float | None, like: float | None = None, digits: int = SIGNIFICANT) -> float | None:
    """A reported figure without float noise, whatever its unit: rounded to ``digits`` significant
    digits of ``like`` (by default of itself; pass the operands' size for a difference, whose noise
    is theirs), -0.0 made 0.0, and None for no figure or a non-finite one."""
    if x is None or not math.isfinite(x):
        return None
    size = abs(like if like is not None else x)
    if size == 0 or not math.isfinite(size):
        return 0.0 if x == 0 else float(x)
    r = round(float(x), digits - 1 - math.floor(math.log10(size)))
    return 0.0 if r == 0 else r


def fraction(x: float | None) -> float | None:
    """A share (utilisation, a relative gap): unitless, so 6 decimals say all there is."""
    return clean(x, like=1e5)


SOLVER_DIGITS = 9  # of figures the solver computes (payment splits): its tolerances are ~1e-9


def text_table(rows: list[list[str]], left: int = 1) -> list[str]:
    """Aligned plain-text table for the terminal: the first ``left`` columns left-aligned, the
    others (numbers) right-aligned, a rule under the header row."""
    widths = [max(len(row[k]) for row in rows) for k in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if k < left else c.rjust(w) for k, (c, w) in enumerate(zip(row, widths)))
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines
