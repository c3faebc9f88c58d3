"""The instance file schema (spec v2), as strict pydantic models.

Only shapes, types and ranges live here; references between ids (needs, requires,
fleet, estimates, accelerators, design members) and acyclicity are checked in
:mod:`optimizer.validate`, which also turns errors into positioned messages.
Field names are exactly the instance file's keys.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag, model_validator

Id = Annotated[str, StringConstraints(min_length=1, strip_whitespace=False)]
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


OBJECTIVES = ("compute", "money", "time")  # the names the contract knows
DEFAULT_OBJECTIVE = ("compute", "money")  # without a horizon
DEFAULT_TIMED_OBJECTIVE = ("compute", "time", "money")  # with a horizon


def _objective_list(names: list[str]) -> list[str]:
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"objective {repeated[0]!r} is listed twice (expected each name at most once)")
    return names  # `time` without a `horizon:` is a cross-reference, checked in validate


ObjectiveList = Annotated[list[Literal["compute", "money", "time"]], Field(min_length=1),
                          AfterValidator(_objective_list)]


class Strict(BaseModel):
    # strict: no silent "1024" -> 1024 or true -> 1; extra="forbid": unknown keys are errors
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class Units(Strict):
    compute: str = "compute units"
    money: str = "money"


class Defaults(Strict):
    hours: Positive = 2190.0
    adoption: Fraction = 0.1
    price: NonNegative = 2.0
    publish_lag: Annotated[int, Field(ge=0)] | None = None  # periods; only with a horizon (default 0)


# Keys that may hold one of two shapes (a number or a list, a label or a count) are tagged unions,
# so that a wrong value gets one message, for the shape it has; validate strips these tags from
# error locations.
UNION_TAGS = ("<one>", "<list>")


def one_or_list(one: Any, many: Any) -> Any:
    pick = Discriminator(lambda v: "<list>" if isinstance(v, list) else "<one>")
    return Annotated[Annotated[one, Tag("<one>")] | Annotated[many, Tag("<list>")], pick]


def text_or_count(text: Any, count: Any) -> Any:
    pick = Discriminator(lambda v: "<list>" if isinstance(v, int) and not isinstance(v, bool) else "<one>")
    return Annotated[Annotated[text, Tag("<one>")] | Annotated[count, Tag("<list>")], pick]


Label = Annotated[str, StringConstraints(min_length=1)]
# A period as the user names it: a label of `horizon.periods`, or (with `periods: N`) 1..N
PeriodName = text_or_count(Label, int)  # validate says which periods exist


class Horizon(Strict):
    """Consecutive planning periods (spec v2, "Horizon")."""

    # labels may be written as numbers (2027, 2028): they are output as strings
    periods: one_or_list(Annotated[int, Field(ge=1)], Annotated[list[text_or_count(Label, int)], Field(min_length=1)])
    hours: Positive | None = None  # accelerator hours per period; None: defaults.hours / T

    @property
    def labels(self) -> list[str]:
        return [str(t) for t in range(1, self.periods + 1)] if isinstance(self.periods, int) else list(self.periods)

    def index(self, name: str | int) -> int | None:
        """The period number t = 1..T a release or due names, None if it names none."""
        labels = self.labels
        if str(name) in labels:
            return labels.index(str(name)) + 1
        return None


class Accelerator(Strict):
    throughput: Positive


class Estimate(Strict):
    compute: Positive | None = None
    cost: NonNegative | None = None


class Member(Strict):
    budget: one_or_list(NonNegative, Annotated[list[NonNegative], Field(min_length=1)])  # a list: per period
    price: NonNegative | None = None
    fleet: dict[Id, Annotated[int, Field(ge=0)]] | None = None
    needs: list[Id] = []
    publishes: bool = True
    estimates: dict[Id, Estimate] = {}
    due: dict[Id, PeriodName] = {}  # need -> period by whose end it is ready (horizon only)


class Workstream(Strict):
    compute: Positive
    accelerators: list[Id] | None = None
    min_accelerators: Annotated[int, Field(ge=1)] = 1
    requires: list[Id] = []
    replicas: Annotated[int, Field(ge=1)] = 1
    adoption: Fraction | None = None
    required: bool = False
    duration: Annotated[int, Field(ge=1)] | None = None  # periods one run takes (horizon only; default 1)
    release: PeriodName | None = None  # earliest start period (horizon only)


class Design(Strict):
    sharing: Literal["open", "none"] = "open"
    adoption_factor: Positive = 1.0
    members: list[Id] | None = None
    funding: Literal["lead", "pooled"] = "lead"
    objective: ObjectiveList | None = None  # replaces the instance's order
    overrides: dict[str, Any] | None = None


class Distribution(Strict):
    """A multiplier on an estimate: triangular {low, mode, high}, or uniform {low, high}.

    ``shared: true`` (only meaningful on the section-wide entries) draws one multiplier
    for every workstream/member/type instead of one each.
    """

    low: Positive
    mode: Positive | None = None
    high: Positive
    shared: bool = False

    @model_validator(mode="after")
    def _ordered(self):
        mode = self.low if self.mode is None else self.mode
        if not self.low <= mode <= self.high:
            raise ValueError(f"expected low <= mode <= high, got low={self.low:g}, "
                             f"mode={mode:g}, high={self.high:g}")
        return self

    @property
    def centre(self) -> float:
        """The point the base plan is solved at: the mode, or the middle of a uniform."""
        return self.mode if self.mode is not None else (self.low + self.high) / 2


class WorkstreamUncertainty(Strict):
    compute: Distribution | None = None
    adoption: Distribution | None = None


class MemberUncertainty(Strict):
    budget: Distribution | None = None


class AcceleratorUncertainty(Strict):
    throughput: Distribution | None = None


class Uncertainty(Strict):
    """Multiplicative uncertainty on estimates (docs/sweeps.md). Section-wide entries apply to
    every id without an entry of its own."""

    compute: Distribution | None = None  # every workstream's compute (and compute/cost estimates)
    adoption: Distribution | None = None  # every adoption fraction (result capped at 1)
    budget: Distribution | None = None  # every member's budget
    throughput: Distribution | None = None  # every accelerator type's throughput
    workstreams: dict[Id, WorkstreamUncertainty] = {}
    members: dict[Id, MemberUncertainty] = {}
    accelerators: dict[Id, AcceleratorUncertainty] = {}


class InstanceFile(Strict):
    name: Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
    description: str | None = None
    units: Units = Units()
    defaults: Defaults = Defaults()
    accelerators: dict[Id, Accelerator] = {}
    members: Annotated[dict[Id, Member], Field(min_length=1)]
    workstreams: Annotated[dict[Id, Workstream], Field(min_length=1)]
    objective: ObjectiveList | None = None  # lexicographic order; None: DEFAULT_(TIMED_)OBJECTIVE
    horizon: Horizon | None = None  # None: nothing is timed (v1)
    designs: dict[Id, Design] = {}
    uncertainty: Uncertainty | None = None


BUILTIN_DESIGNS: dict[str, Design] = {
    "consortium": Design(),
    "silo": Design(sharing="none"),
}

# Keys per section, for did-you-mean hints on misspelt keys.
KNOWN_KEYS: dict[str, list[str]] = {
    "": list(InstanceFile.model_fields),
    "units": list(Units.model_fields),
    "defaults": list(Defaults.model_fields),
    "horizon": list(Horizon.model_fields),
    "accelerator": list(Accelerator.model_fields),
    "member": list(Member.model_fields),
    "estimate": list(Estimate.model_fields),
    "workstream": list(Workstream.model_fields),
    "design": list(Design.model_fields),
    "uncertainty": list(Uncertainty.model_fields),
    "distribution": list(Distribution.model_fields),
    "uncertainty.workstreams": list(WorkstreamUncertainty.model_fields),
    "uncertainty.members": list(MemberUncertainty.model_fields),
    "uncertainty.accelerators": list(AcceleratorUncertainty.model_fields),
}
