"""The cost-sharing report: who pays what share of the grand coalition's compute c(N).

``KIND.write(sharing, out_dir)`` writes a :class:`~optimizer.costsharing.CostSharing` (from
:func:`optimizer.allocation.share_costs`) as the files of ``FILES``, by default into
``reports/<instance-slug>-allocation/``; a pure function of the study, so the same allocations give
byte-identical files. See docs/reports.md.
"""
from __future__ import annotations

from ..costsharing import Allocation, CostSharing
from ..formatting import noun, num
from ..instance import slugify
from . import csvs
from ..summaries import share_rows, share_text
from .charts import Z, standalone_vs_allocated_chart
from .kind import ReportKind, files_of
from .page import (Block, Bullets, Cell, Chart, Figure, Figures, Heading, Mark, Page, Para, Status, Table, Title,
                   closing, compute_unit, pct, regenerate_footer, sentence, units_text)

CHART = "standalone-vs-allocated"
METHOD_NAMES = {"shapley": "Shapley value", "least-core": "Least core", "nucleolus": "Nucleolus",
                "proportional": "Proportional to standalone cost"}
COMPUTE_COLUMNS = ("standalone", "allocated", "savings", "std_error", "grand_coalition")  # suffixed with the unit
CSV_COLUMNS = ["method", "member", "standalone", "allocated", "savings", "savings_fraction", "std_error", "in_core",
               "grand_coalition"]  # of CostSharing.table(), reset

FILES = [
    ("allocation.html", "this report as one self-contained page (chart inline)"),
    ("allocation.md", "this report in Markdown, the chart as the SVG file beside it"),
    ("allocation.csv", "one row per method and member: standalone, allocated, savings, std_error, in_core"),
    ("allocation.json", "the allocations as a JSON list, one object per method, as `allocate --json` prints them"),
    ("allocation.xlsx", "allocation.csv as the sheet of a workbook (units in the headers, numbers as numbers)"),
    (f"{CHART}.svg", "the chart above"),
]


# --- the page ---------------------------------------------------------------------------------
def _coalition(a: Allocation) -> str:
    return "{" + ", ".join(a.objection.coalition) + "}"


def _core_text(a: Allocation) -> list[Cell]:
    if a.in_core is None:
        return [Mark("core not checked", "muted"), ": too many coalitions and none solved"]
    if a.in_core:
        return ["in the core: no coalition pays more than it would need alone"]
    ob = a.objection
    return [Mark("not in the core", "bind"), ": ", Mark(_coalition(a), "strong"),
            f" would pay {num(ob.pays)} but needs only {num(ob.alone)} alone (excess {num(ob.excess)})"]


def _status(sharing: CostSharing) -> Status:
    outside = [a.method for a in sharing.allocations if a.in_core is False]
    unknown = [a.method for a in sharing.allocations if a.in_core is None]
    n = len(sharing.allocations)
    if not outside and not unknown:
        word = "Every allocation" if n > 1 else "The allocation"
        return Status("ok", "IN THE CORE", f"{word} is in the core: no coalition of members would pay more "
                                           "inside the consortium than it needs on its own.")
    text = sentence([("not in the core: {} (some coalition would do better alone; see its table)", outside),
                     ("core not checked: {}", unknown)])
    return Status("warn", f"{n - len(outside) - len(unknown)} OF {n} IN THE CORE", text)


def _headline(sharing: CostSharing, cu: str) -> Figures:
    total = sharing.total
    items = [Figure("Grand coalition c(N)", num(sharing.grand_coalition), cu, "optimal compute of all members together",
                    key=True),
             Figure("Sum of standalone costs", num(total.standalone), cu, "each member alone: Σ c({i})"),
             Figure("Saved by cooperating", num(total.savings), cu,
                    f"{pct(total.savings_fraction)} of the standalone sum" if total.standalone else "", key=True),
             Figure("Methods", str(len(sharing.allocations)), "", ", ".join(sharing.methods))]
    for a in sharing.allocations:
        label = f"{a.method}: in the core?"
        if a.in_core is None:
            items.append(Figure(label, "n/a", "", "not checked"))
        elif a.in_core:
            items.append(Figure(label, "yes", "", "no coalition objects"))
        else:
            items.append(Figure(label, "no", "", f"{_coalition(a)} objects: excess {num(a.objection.excess)} {cu}",
                                key=True))
    return Figures(items)


def _method_table(a: Allocation, cu: str) -> Table:
    se = a.monte_carlo
    headers = [("Member", ""), ("Standalone c({i})", cu), ("Allocated", cu), ("Savings", cu),
               ("Savings", "% of standalone")] + ([("95% interval", f"± {cu}")] if se else [])
    rows: list[list[Cell]] = list(share_rows(a))
    t = a.total
    rows.append([Mark(x, "strong") for x in ("all members", num(t.standalone), num(t.allocated), num(t.savings),
                                             share_text(t.savings_fraction))] + ([""] if se else []))
    return Table(headers, rows, numeric=set(range(1, len(headers))), empty="no members")


def _by_method_table(sharing: CostSharing, cu: str) -> Table:
    alone = sharing.standalone
    by = [dict(zip(a.members, a.allocated)) for a in sharing.allocations]
    headers = [("Member", ""), ("Standalone", cu)] + [(m, cu) for m in sharing.methods]
    rows = [[m, num(alone[m])] + [num(b.get(m)) for b in by] for m in sharing.members]
    return Table(headers, rows, numeric=set(range(1, len(headers))), empty="no members")


def _game(sharing: CostSharing) -> list[Block]:
    return [
        Para(["The consortium is a cost game. For every coalition S of members, ",
              Mark("c(S)", "code"), " is the optimal total R&D compute when only the members of S take part "
              "(the design with ", Mark("members: S", "code"), "), each workstream's replicas capped at the "
              "number of members of S able to run it. A need that S cannot meet at all is priced at ",
              f"{sharing.unmet_penalty:g} times its compute, so every c(S) is finite. ", Mark("c(N)", "code"),
              " is the grand coalition's compute: the amount to share. A member's standalone cost ",
              Mark("c({i})", "code"), " is what it needs alone."]),
        Bullets([
            [Mark("Shapley value", "strong"), ": each member's marginal cost c(S ∪ {i}) − c(S), averaged "
             "over every order in which the members could join (exact from all coalitions up to 12 members, "
             "otherwise a Monte Carlo estimate with a standard error)."],
            [Mark("Least core", "strong"), ": an allocation that minimises the largest excess "
             "x(S) − c(S) any coalition pays over its own cost. The least core can hold many allocations; this "
             "is the one the linear programme returns, so it may favour some members arbitrarily."],
            [Mark("Nucleolus", "strong"), ": the least core refined lexicographically (after the largest "
             "excess, the next largest, …); unique, and in the core whenever the core is non-empty."],
            [Mark("Proportional", "strong"), ": c(N) split in proportion to the standalone costs; the simple "
             "reference rule."],
            [Mark("The core", "strong"), ": allocations under which no coalition pays more than c(S). "
             "An allocation outside it names the coalition with the largest excess: those members would be "
             "better off on their own."],
        ]),
        Para(["Every allocation is efficient: the members' shares add up to c(N). Savings are standalone "
              "minus allocated; a negative allocation means the member is paid for what it brings."]),
    ]


def _notes(sharing: CostSharing) -> Bullets:
    allocations = sharing.allocations
    common = [n for n in allocations[0].notes if all(n in a.notes for a in allocations)]
    items: list[Cell] = list(common)
    for a in allocations:
        items += [[Mark(a.method, "strong"), f": {n}"] for n in a.notes if n not in common]
    if sharing.coalitions_solved:
        items.append(f"{sharing.coalitions_solved:,} {noun(sharing.coalitions_solved, 'coalition')} solved (c(S) for every S other than the empty one "
                     "that a method or the core check needed), shared by all methods.")
    return Bullets(items)


def build(sharing: CostSharing) -> list[Block]:
    cu = compute_unit(sharing.units)
    blocks: list[Block] = [
        Title(sharing.instance, f"Cost sharing · design {sharing.design} · {len(sharing.members)} {noun(len(sharing.members), 'member')}"),
        _status(sharing),
        Heading("Headline", "headline"),
        _headline(sharing, cu),
        Heading("Standalone vs allocated cost", "chart"),
        Chart(CHART, "Standalone cost vs allocated cost per member, by method",
              "Per member, the grey bar is its standalone cost c({i}); the coloured bars are what each method "
              f"allocates to it. The gap is its saving from cooperating. Monte Carlo estimates carry ±{Z} "
              "standard-error bars."),
    ]
    if len(sharing.allocations) > 1:
        blocks += [Para(["Allocated cost by method, side by side:"]), _by_method_table(sharing, cu)]
    blocks.append(Heading("The cost game", "game"))
    blocks += _game(sharing)
    for a in sharing.allocations:
        blocks += [Heading(METHOD_NAMES.get(a.method, a.method), f"method-{slugify(a.method)}"),
                   Para([Mark(a.method, "code"), f": c(N) = {num(a.grand_coalition)} {cu}; ", *_core_text(a), "."]),
                   _method_table(a, cu)]
    return blocks + [Heading("Notes", "notes"), _notes(sharing), *closing(
        [("Instance", sharing.instance), ("Design", sharing.design), ("Units", units_text(sharing.units)),
         ("Cost", "total R&D compute (runs plus adoptions) of the coalition's optimal plan"),
         ("Methods", ", ".join(sharing.methods))], FILES)]


def render(sharing: CostSharing) -> dict[str, bytes]:
    """{file name: content} of the report; a pure function of the study."""
    cu = csvs.unit_label(sharing.units.get("compute"), "compute-units")
    table = sharing.table().reset_index()[CSV_COLUMNS].rename(columns=csvs.with_unit(COMPUTE_COLUMNS, cu))
    methods = " ".join(f"--method {m}" for m in sharing.methods)
    footer = regenerate_footer(f"consortium allocate FILE --design {sharing.design} {methods} --out DIR")
    page = Page(build(sharing), {CHART: standalone_vs_allocated_chart(sharing)}, "cost sharing", footer)
    return files_of(page, "allocation", "allocation.json", [a.to_dict() for a in sharing.allocations],
                    {"allocation": table})


KIND = ReportKind("allocation report", frozenset(name for name, _ in FILES), render,
                  suffix="-allocation")


