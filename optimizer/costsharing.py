"""The result of a cost-sharing study (:func:`optimizer.allocation.share_costs`), typed.

A :class:`CostSharing` is one design's grand-coalition compute c(N) split by each method
asked for: one :class:`Allocation` per method, one :class:`Share` per member, and the
:class:`Objection` of the coalition that would do better alone when an allocation is not in
the core. ``Allocation.to_dict()`` is what `allocate --json` prints and allocation.json holds;
the same class validates such an object read back. The report and the CLI only read these.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import ConfigDict, Field, field_validator, model_validator

from . import frames
from .formatting import clean, fraction
from .records import Count, Flag, Number, Record, Text

if TYPE_CHECKING:  # pandas is imported where a table is made, not by a solve
    import pandas as pd

CONFIDENCE_Z = 1.96  # Monte Carlo estimates: 95% normal interval, allocated ± CONFIDENCE_Z x std_error


class Objection(Record):
    """The coalition with the largest excess over its own cost under an allocation: its members
    would pay ``pays`` inside but need only ``alone`` = c(S) on their own."""
    coalition: list[Text]
    pays: Number
    alone: Number
    excess: Number


class Share(Record):
    """One member's part of an allocation, in compute; figures rounded by ``formatting.clean``."""
    member: Text
    standalone: Number                # c({i})
    allocated: Number                 # its share of c(N)
    savings: Number                   # standalone - allocated
    std_error: Number | None = None   # Monte Carlo estimates only

    @property
    def savings_fraction(self) -> float | None:
        """Savings as a share of standalone (None when standalone is 0)."""
        return fraction(self.savings / self.standalone) if self.standalone else None


class Allocation(Record):
    """One method's split of the grand coalition's compute c(N) among the design's members.

    ``to_dict()`` is the JSON object `allocate --json` prints and allocation.json holds; the
    same class validates such an object read back (``Allocation.model_validate(doc)``)."""
    model_config = ConfigDict(populate_by_name=True)  # shares=... in Python, "allocation" in JSON

    method: Text
    grand_coalition: Number
    in_core: Flag | None              # None: not checkable (too many coalitions and none cached)
    objection: Objection | None = None  # the most objecting coalition when not in the core
    shares: list[Share] = Field(alias="allocation", min_length=1)
    notes: list[Text] = Field(default_factory=list)
    coalitions_solved: Count = 0
    design_total_compute: Number | None = None  # the design's own plan (None: no feasible plan)

    @model_validator(mode="after")
    def _objection_outside_the_core(self) -> Allocation:
        if self.in_core is False and self.objection is None:
            raise ValueError("an allocation outside the core names its objecting coalition (objection)")
        return self

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    # the per-member figures as lists, in member order
    @property
    def members(self) -> list[str]:
        return [s.member for s in self.shares]

    @property
    def standalone(self) -> list[float]:
        return [s.standalone for s in self.shares]

    @property
    def allocated(self) -> list[float]:
        return [s.allocated for s in self.shares]

    @property
    def std_error(self) -> list[float | None]:
        return [s.std_error for s in self.shares]

    @property
    def monte_carlo(self) -> bool:
        """An estimate with standard errors (Monte Carlo Shapley)."""
        return any(e is not None for e in self.std_error)

    @property
    def total(self) -> Share:
        """The members together: standalone sum, allocated sum (c(N) up to rounding), savings."""
        alone, allocated = sum(self.standalone), sum(self.allocated)
        return Share(member="all members", standalone=alone, allocated=allocated, savings=alone - allocated)


class CostSharing(Record):
    """A cost-sharing study: one design's c(N) split by each method asked for; what the
    allocation report and `allocate`'s summary show."""
    instance: Text                    # the instance's name
    design: Text
    units: dict[str, Text]
    unmet_penalty: Number             # c(S) prices an unmet need at this multiple of its compute
    allocations: list[Allocation] = Field(min_length=1)
    # member -> its price (money per compute unit): the money columns of table()
    prices: dict[Text, Number] = Field(default_factory=dict)

    @field_validator("allocations")
    @classmethod
    def _one_per_method(cls, allocations: list[Allocation]) -> list[Allocation]:
        methods = [a.method for a in allocations]
        twice = sorted({m for m in methods if methods.count(m) > 1})
        if twice:
            raise ValueError("the same method twice: " + ", ".join(twice))
        return allocations

    @property
    def methods(self) -> list[str]:
        return [a.method for a in self.allocations]

    @property
    def members(self) -> list[str]:
        return list(dict.fromkeys(m for a in self.allocations for m in a.members))

    @property
    def standalone(self) -> dict[str, float]:
        """c({i}) per member (the same under every method)."""
        out: dict[str, float] = {}
        for a in self.allocations:
            for s in a.shares:
                out.setdefault(s.member, s.standalone)
        return out

    @property
    def grand_coalition(self) -> float:
        return self.allocations[0].grand_coalition

    @property
    def total(self) -> Share:
        """The members together: the sum of standalone costs, c(N), and what cooperating saves."""
        alone = sum(self.standalone.values())
        return Share(member="all members", standalone=alone, allocated=self.grand_coalition,
                     savings=alone - self.grand_coalition)

    @property
    def coalitions_solved(self) -> int:
        return max(a.coalitions_solved for a in self.allocations)

    COMPUTE: ClassVar[tuple[str, ...]] = ("standalone", "allocated", "savings")  # table() columns in money too

    def table(self) -> pd.DataFrame:
        """One row per method and member (index ``(method, member)``, in the order computed):
        ``standalone``, ``allocated``, ``savings`` and ``std_error`` in compute (std_error NaN
        unless Monte Carlo), ``savings_fraction`` (of standalone; NaN when that is 0), then the
        first three in money (``standalone_money``, ``allocated_money``, ``savings_money``: the
        compute at the member's price, NaN without one), the method's ``in_core`` and
        ``grand_coalition`` c(N). Rounded by ``formatting.clean`` (docs/api.md)."""
        rows = []
        for a in self.allocations:
            for s in a.shares:
                price = self.prices.get(s.member)
                money = {f"{c}_money": None if price is None else clean(getattr(s, c) * price, like=s.standalone * price)
                         for c in self.COMPUTE}
                rows.append({"method": a.method, "member": s.member, "standalone": s.standalone,
                             "allocated": s.allocated, "savings": s.savings, "savings_fraction": s.savings_fraction,
                             "std_error": s.std_error, **money, "in_core": a.in_core,
                             "grand_coalition": a.grand_coalition})
        columns = ["method", "member", "standalone", "allocated", "savings", "savings_fraction", "std_error",
                   *(f"{c}_money" for c in self.COMPUTE), "in_core", "grand_coalition"]
        kinds = {c: frames.FIGURE for c in columns} | {"method": frames.TEXT, "member": frames.TEXT,
                                                        "in_core": frames.FLAG}
        return frames.table(rows, columns, kinds, ["method", "member"])

    def __repr__(self) -> str:
        return (f"CostSharing({frames.short(self.instance)!r}, design={frames.short(self.design, 24)!r}, "
                f"methods={frames.short(','.join(self.methods), 48)!r}, members={len(self.members)}, "
                f"grand_coalition={self.grand_coalition:,.6g})")
