"""Units the solver can work in, whatever units the user writes.

HiGHS works with absolute thresholds: matrix entries below 1e-9 are dropped, entries above 1e15
are refused, bounds above 1e20 are infinite, and rows are feasible within 1e-7. Compute in FLOP
(3e24) or money in cents are as valid as H100-hours and dollars, so before a model is built every
number is divided by a unit of its own kind (:class:`Scale`):

* compute (objective ``compute``) by one power of two near the middle of the instance's compute
  figures, money (objective ``money``, budgets, payments) by one near the middle of its money
  figures, and each fleet-capacity row by one near the middle of that row's hours.
* Powers of two, so that dividing is exact: an instance already written in sensible units gives
  bit for bit the same model as before scaling, and the same instance in other units gives the
  same plan.

Numbers that cannot bind are first brought into range without changing which plans are feasible
(:func:`clipped`): a budget above everything its member could ever spend, a capacity above every
run on the fleet at once, or (lead funding) a positive budget below the cheapest thing its member
could buy. What then still spans more than :data:`MAX_RANGE` within one kind is refused by
:func:`range_problems` before any model is built: no single unit represents both ends within the
solver's precision.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from .tables import ModelData

# Largest ratio of two non-zero numbers of one kind (compute, or money) in one model: after
# scaling both ends lie within 1e-6..1e6 of the unit, well inside HiGHS' 1e-9..1e15.
MAX_RANGE = 1e12


def power_of_two_unit(values) -> float:
    """2**k closest (in log scale) to the geometric middle of the non-zero |values|; 1 if none."""
    sizes = [abs(v) for v in values if v]
    if not sizes:
        return 1.0
    middle = (math.log2(min(sizes)) + math.log2(max(sizes))) / 2
    return math.ldexp(1.0, round(middle))


def max_spend(d: ModelData) -> dict[str, float]:
    """More than each member can ever spend: every run it could fund (its own, or under pooled
    funding anyone's) plus every adoption at full cost."""
    everyone = math.fsum(d.cost[j, w] * len(d.options[j, w]) for j in d.members for w in d.workstreams)
    return {i: (everyone if d.pooled else math.fsum(d.cost[i, w] for w in d.workstreams if d.options[i, w]))
            + math.fsum(d.cost[i, w] for w in d.workstreams) for i in d.members}


def clipped(d: ModelData) -> ModelData:
    """``d`` with budgets and capacities that cannot bind moved next to the numbers they bound.

    Every plan feasible before is feasible after and vice versa:
    * budget[i] >= max_spend(i): no plan spends that much; 2 * max_spend bounds it as well.
    * lead funding, 0 < budget[i] < the least positive cost of anything i could run or adopt: i can
      buy nothing that costs money; half that least cost excludes exactly the same.
    * capacity >= the hours of all runs on the fleet together: 2 * those hours is as loose;
      capacity < the fewest hours of one run: no run fits; half of those hours keeps it so.
      With a horizon the same holds per period, with the hours a run uses in each of its periods.
    """
    budget = {}
    spend = max_spend(d)
    for i, b in d.budget.items():
        most = spend[i]
        costs = [d.cost[i, w] for w in d.workstreams if d.cost[i, w] > 0]
        if b >= most:
            b = 2 * most
        elif not d.pooled and costs and 0 < b < min(costs) and not d.per_period(i):
            b = min(costs) / 2
        budget[i] = b
    # a period's limit is clipped from above only: a run spends cost / duration in each period
    period_budget = {(i, t): min(b, 2 * spend[i]) for (i, t), b in d.period_budget.items()}
    capacity = {}
    for (i, h), cap in d.capacity.items():
        # what one run uses of each period's capacity (its whole use untimed)
        hours = [d.hours[i, w, h] / d.duration.get(w, 1) for w in d.workstreams
                 if h in d.options[i, w] and d.hours[i, w, h] > 0]
        if hours and cap >= math.fsum(hours):
            cap = 2 * math.fsum(hours)
        elif hours and cap < min(hours):
            cap = min(hours) / 2
        capacity[i, h] = cap
    return replace(d, budget=budget, capacity=capacity, period_budget=period_budget)


@dataclass(frozen=True)
class Scale:
    """What one unit of the model is in the user's units (all powers of two)."""

    compute: float = 1.0
    money: float = 1.0
    hours: dict[tuple[str, str], float] = field(default_factory=dict)  # per capacity row (i, h)

    @classmethod
    def of(cls, d: ModelData) -> "Scale":
        d = clipped(d)
        money = list(d.cost.values()) + list(d.budget.values())
        rows = {k: power_of_two_unit([d.hours[i, w, h] for w in d.workstreams if h in d.options[i, w]]
                                     + [d.capacity[k]]) for k in d.capacity for i, h in [k]}
        return cls(power_of_two_unit(d.compute.values()), power_of_two_unit(money), rows)

    def objective(self, name: str) -> float:
        """The unit of objective ``name``: compute, money, or 1 (periods, the diagnosis' unitless score)."""
        return {"compute": self.compute, "money": self.money}.get(name, 1.0)

    def apply(self, d: ModelData) -> ModelData:
        """``d`` in model units: what :func:`optimizer.model.build_model` builds from."""
        d = clipped(d)
        c, mo = self.compute, self.money
        return replace(
            d,
            compute={k: v / c for k, v in d.compute.items()},
            cost={k: v / mo for k, v in d.cost.items()},
            budget={k: v / mo for k, v in d.budget.items()},
            period_budget={k: v / mo for k, v in d.period_budget.items()},
            hours={(i, w, h): v / self.hours[i, h] for (i, w, h), v in d.hours.items()},
            capacity={k: v / self.hours[k] for k, v in d.capacity.items()},
        )


def range_problems(d: ModelData) -> list[tuple[str, tuple, float, tuple, float]]:
    """Kinds whose non-zero numbers span more than MAX_RANGE after :func:`clipped`, or that are
    not finite: (kind, key of the largest, its value, key of the smallest, its value)."""
    d = clipped(d)
    out = []
    kinds = {"compute": {("compute",) + k: v for k, v in d.compute.items()},
             "money": {**{("cost",) + k: v for k, v in d.cost.items()},
                       **{("budget", i): v for i, v in d.budget.items()}}}
    for kind, table in kinds.items():
        sizes = {k: abs(v) for k, v in table.items() if v}
        if not sizes:
            continue
        big = max(sizes, key=lambda k: (sizes[k], k))
        small = min(sizes, key=lambda k: (sizes[k], k))
        if not math.isfinite(sizes[big]) or sizes[big] > MAX_RANGE * sizes[small]:
            out.append((kind, big, table[big], small, table[small]))
    return out
