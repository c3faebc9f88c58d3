"""The instance file schema (the contract's input format, v2), as strict pydantic models.

Only shapes, types and ranges live here; references between ids (needs, requires,
fleet, estimates, accelerators, design members) and acyclicity are checked in
:mod:`optimizer.validate`, which also turns errors into positioned messages.
Field names are exactly the instance file's keys. Every key carries its documentation
(:func:`key`: meaning, unit, example, and the default where it is not a plain value), from
which :mod:`optimizer.instance_format` generates the JSON Schema (`consortium schema`) and
docs/instance-format.md; documentation never changes what validates.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag, model_validator

Id = Annotated[str, StringConstraints(min_length=1, strip_whitespace=False)]
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]

# Units of the documentation (the `x-unit` of each key in the JSON Schema)
COMPUTE = "compute units (units.compute)"
MONEY = "money (units.money)"
PRICE = "money per compute unit"
FRACTION = "fraction, 0 to 1"
MULTIPLIER = "multiplier"
HOURS = "hours per accelerator"
PERIODS = "periods"
PERIOD = "a period of horizon.periods"
ACCELERATORS = "accelerators"


def key(description: str, *, example: Any = None, unit: str | None = None, default: str | None = None,
        ids: str | None = None) -> Any:
    """A key's documentation, as pydantic ``Field`` metadata (it changes no validation): what it
    means, an example value, its unit, the default in words where the key's default is not a
    plain value (``None`` standing for "derived from another key"), and for a mapping of ids
    what its keys are. Becomes ``description``, ``examples``, ``x-unit``, ``x-default`` and
    ``x-keys`` in the JSON Schema."""
    extra = {k: v for k, v in (("x-unit", unit), ("x-default", default), ("x-keys", ids)) if v is not None}
    return Field(description=description, examples=None if example is None else [example],
                 json_schema_extra=extra or None)


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
    """Labels of the two units the instance's figures are written in; they only label reports
    (no figure is converted)."""

    compute: Annotated[str, key("Label of the compute unit: workstream compute, estimates, and what an "
                                "accelerator delivers in an hour (throughput) are in it.", example="H100-hours")] \
        = "compute units"
    money: Annotated[str, key("Label of the money unit: budgets, prices and costs are in it.", example="USD")] \
        = "money"


class Defaults(Strict):
    """Values used where a member, a workstream or the horizon sets none."""

    hours: Annotated[Positive, key("Hours each accelerator is available over the whole plan; with a horizon, "
                                   "the default of horizon.hours is this divided by the number of periods.",
                                   example=4380, unit=HOURS)] = 2190.0
    adoption: Annotated[Fraction, key("Share of a workstream's compute (and cost) a member spends to adopt its "
                                      "published result, for workstreams without their own adoption.",
                                      example=0.15, unit=FRACTION)] = 0.1
    price: Annotated[NonNegative, key("Price of one compute unit (one H100-hour equivalent when compute is in "
                                      "H100-hours), for members that set no price. Not a price per accelerator-hour: "
                                      "see Prices.", example=2.0, unit=PRICE)] = 2.0
    publish_lag: Annotated[Annotated[int, Field(ge=0)] | None, key(
        "Horizon only: periods between the end of a run and others adopting its result.",
        example=1, unit=PERIODS, default="0 (with a horizon)")] = None


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


# More periods than any plan needs, and few enough to list (a count of 1e11 once exhausted memory).
MAX_PERIODS = 10_000


class Horizon(Strict):
    """Consecutive planning periods: with a horizon the plan is also a schedule (runs start and
    end in periods, adoptions are ready in a period, needs can be due)."""

    # labels may be written as numbers (2027, 2028): they are output as strings
    periods: Annotated[one_or_list(Annotated[int, Field(ge=1, le=MAX_PERIODS)],
                                   Annotated[list[text_or_count(Label, int)], Field(min_length=1,
                                                                                    max_length=MAX_PERIODS)]),
                       key("The periods, in order: a list of unique labels (numbers allowed; output as strings), "
                           "or a whole number N for the periods 1 to N.",
                           example=["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"])]
    hours: Annotated[Positive | None, key("Hours each accelerator is available in one period.", example=1095,
                                          unit="hours per accelerator per period",
                                          default="defaults.hours / number of periods")] = None

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
    """An accelerator type."""

    throughput: Annotated[Positive, key("Compute units one accelerator of this type delivers per hour (1.0 for the "
                                        "accelerator compute is counted in, e.g. the H100 when compute is in "
                                        "H100-hours). A run of compute c takes c / throughput hours of the fleet.",
                                        example=0.28, unit="compute units per accelerator-hour")]


class Estimate(Strict):
    """One member's own figures for one workstream (either or both)."""

    compute: Annotated[Positive | None, key("This member's compute for one execution of the workstream.",
                                            example=180000, unit=COMPUTE, default="the workstream's compute")] = None
    cost: Annotated[NonNegative | None, key("This member's money for one execution (adopting costs the workstream's "
                                            "adoption share of it).", example=300000, unit=MONEY,
                                            default="compute x the member's price")] = None


class Member(Strict):
    """A member of the consortium: a lab with a budget, perhaps a fleet, and needs."""

    budget: Annotated[one_or_list(NonNegative, Annotated[list[NonNegative], Field(min_length=1)]), key(
        "Money the member has for R&D over the whole plan. With a horizon also a list of one amount per period: a "
        "limit per period, unspent money not carried over.", example=4.0e6, unit=MONEY)]
    price: Annotated[NonNegative | None, key(
        "Price of one compute unit for this member (one H100-hour equivalent when compute is in H100-hours): a run "
        "costs compute x price unless an estimate gives its cost. Not a price per accelerator-hour: a price P per "
        "accelerator-hour on an accelerator of throughput t is P / t per compute unit (see Prices).",
        example=2.6, unit=PRICE, default="defaults.price")] = None
    fleet: Annotated[dict[Id, Annotated[int, Field(ge=0)]] | None, key(
        "Accelerators the member owns, by type (types of the accelerators section). Its runs on a type use "
        "compute / throughput of that type's hours (count x hours). Without a fleet the member rents: one run "
        "option, no capacity limit.", example={"H100": 1024}, unit=ACCELERATORS, ids="accelerator type",
        default="none: the member rents")] = None
    needs: Annotated[list[Id], key("Workstreams whose results the member must have, run or adopted (no repeats).",
                                   example=["eval-suite", "moe-rl-recipe"])] = []
    publishes: Annotated[bool, key("Whether others may adopt what this member runs.", example=False)] = True
    estimates: Annotated[dict[Id, Estimate], key("The member's own compute and/or cost of workstreams, by workstream.",
                                                 example={"moe-rl-recipe": {"compute": 180000, "cost": 300000}},
                                                 ids="workstream")] = {}
    due: Annotated[dict[Id, PeriodName], key(
        "Horizon only: by workstream (one of the member's needs), the period by whose end it must be ready.",
        example={"moe-rl-recipe": "2027-Q3"}, unit=PERIOD, ids="workstream (a need)",
        default="the last period, for every need")] = {}


class Workstream(Strict):
    """A shared R&D workstream: run once (or a few times) by members, adopted by the others."""

    compute: Annotated[Positive, key("Compute of one execution.", example=250000, unit=COMPUTE)]
    accelerators: Annotated[list[Id] | None, key("Accelerator types it can run on.", example=["H100", "H800"],
                                                 default="every type")] = None
    min_accelerators: Annotated[Annotated[int, Field(ge=1)], key(
        "Smallest fleet of one type that can run it (renting members are not limited).", example=512,
        unit=ACCELERATORS)] = 1
    requires: Annotated[list[Id], key("Prerequisite workstreams: running or adopting this one needs them too "
                                      "(no cycles).", example=["fp8-kernels"])] = []
    replicas: Annotated[Annotated[int, Field(ge=1)], key(
        "Independent executions wanted whenever a member has it (replication).", example=2)] = 1
    adoption: Annotated[Fraction | None, key("Share of its compute and cost an adopter spends.", example=0.15,
                                             unit=FRACTION, default="defaults.adoption")] = None
    required: Annotated[bool, key("Must be executed (replicas times) even if no member needs it.",
                                  example=True)] = False
    duration: Annotated[Annotated[int, Field(ge=1)] | None, key(
        "Horizon only: periods one execution takes (its compute spread evenly over them).", example=2,
        unit=PERIODS, default="1 (with a horizon)")] = None
    release: Annotated[PeriodName | None, key("Horizon only: the earliest period a run may start.",
                                              example="2027-Q2", unit=PERIOD, default="the first period")] = None


class Design(Strict):
    """A named variant of the instance, solved and compared next to the built-in consortium and silo."""

    sharing: Annotated[Literal["open", "none"], key(
        "open: members may adopt each other's published results; none: no adoption, every member alone "
        "(replicas and required are then ignored).", example="none")] = "open"
    adoption_factor: Annotated[Positive, key("Multiplies every adoption share (capped at 1): an ecosystem that forks "
                                             "open tools pays more to adopt.", example=4, unit=MULTIPLIER)] = 1.0
    members: Annotated[list[Id] | None, key("Only these members take part; the needs of the others disappear.",
                                            example=["lab-a", "lab-b"], default="every member")] = None
    funding: Annotated[Literal["lead", "pooled"], key(
        "lead: a member pays for what it runs and adopts; pooled: the members who have a workstream fund its "
        "runs, wherever they run.", example="pooled")] = "lead"
    objective: Annotated[ObjectiveList | None, key("This design's objective order, instead of the instance's.",
                                                   example=["compute", "money"],
                                                   default="the instance's objective")] = None
    overrides: Annotated[dict[str, Any] | None, key(
        "A partial instance merged into this one for the design, then validated: mappings merge key by key, "
        "lists and scalars replace.", example={"members": {"lab-a": {"budget": 5.0e6}}}, default="none")] = None


class Distribution(Strict):
    """A multiplier on an estimate: triangular {low, mode, high}, or uniform {low, high}."""

    low: Annotated[Positive, key("Smallest multiplier.", example=0.8, unit=MULTIPLIER)]
    mode: Annotated[Positive | None, key("Most likely multiplier (triangular distribution), between low and high.",
                                         example=1.0, unit=MULTIPLIER,
                                         default="none: uniform between low and high")] = None
    high: Annotated[Positive, key("Largest multiplier.", example=1.5, unit=MULTIPLIER)]
    shared: Annotated[bool, key("On a section-wide entry: one multiplier for every id it covers, instead of one "
                                "each.", example=True)] = False

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


NOT_UNCERTAIN = "none: not uncertain"
TRIANGLE = {"low": 0.8, "mode": 1.0, "high": 1.5}


def uncertain(what: str) -> Any:
    return key(f"Multiplier on {what}.", example=TRIANGLE, unit=MULTIPLIER, default=NOT_UNCERTAIN)


class WorkstreamUncertainty(Strict):
    """One workstream's own uncertainty."""

    compute: Annotated[Distribution | None, uncertain("its compute (and members' estimates of it)")] = None
    adoption: Annotated[Distribution | None, uncertain("its adoption share (capped at 1)")] = None


class MemberUncertainty(Strict):
    """One member's own uncertainty."""

    budget: Annotated[Distribution | None, uncertain("its budget")] = None


class AcceleratorUncertainty(Strict):
    """One accelerator type's own uncertainty."""

    throughput: Annotated[Distribution | None, uncertain("its throughput")] = None


class Uncertainty(Strict):
    """Multiplicative uncertainty on estimates, sampled by `consortium sweep` (docs/sweeps.md).
    Section-wide entries apply to every id without an entry of its own."""

    compute: Annotated[Distribution | None, uncertain(
        "every workstream's compute (and compute and cost estimates)")] = None
    adoption: Annotated[Distribution | None, uncertain("every adoption share (capped at 1)")] = None
    budget: Annotated[Distribution | None, uncertain("every member's budget")] = None
    throughput: Annotated[Distribution | None, uncertain("every accelerator type's throughput")] = None
    workstreams: Annotated[dict[Id, WorkstreamUncertainty], key(
        "Workstreams' own uncertainty, by workstream.", example={"moe-rl-recipe": {"compute": TRIANGLE}},
        ids="workstream")] = {}
    members: Annotated[dict[Id, MemberUncertainty], key(
        "Members' own uncertainty, by member.", example={"lab-a": {"budget": {"low": 0.9, "high": 1.1}}},
        ids="member")] = {}
    accelerators: Annotated[dict[Id, AcceleratorUncertainty], key(
        "Accelerator types' own uncertainty, by type.", example={"H20": {"throughput": {"low": 0.8, "high": 1.1}}},
        ids="accelerator type")] = {}


class InstanceFile(Strict):
    """A consortium instance: members, the workstreams they need, and the designs to compare."""

    name: Annotated[str, StringConstraints(min_length=1, strip_whitespace=True),
                    key("Name of the instance, shown in every report.", example="Open MoE consortium 2027")]
    description: Annotated[str | None, key("Free text about the instance, shown in reports.",
                                           example="Twelve archetypal labs, 2027", default="none")] = None
    units: Annotated[Units, key("Labels of the units figures are written in.",
                                example={"compute": "H100-hours", "money": "USD"})] = Units()
    defaults: Annotated[Defaults, key("Values for keys a member, workstream or the horizon leaves out.",
                                      example={"hours": 4380, "price": 2.0})] = Defaults()
    accelerators: Annotated[dict[Id, Accelerator], key(
        "Accelerator types, by name (needed as soon as a fleet or a workstream names a type).",
        example={"H100": {"throughput": 1.0}, "Ascend-910B": {"throughput": 0.28}}, ids="accelerator type")] = {}
    members: Annotated[dict[Id, Member], Field(min_length=1), key(
        "The members, by id (at least one).", example={"lab-a": {"budget": 4.0e6, "needs": ["eval-suite"]}},
        ids="member")]
    workstreams: Annotated[dict[Id, Workstream], Field(min_length=1), key(
        "The workstreams, by id (at least one).", example={"eval-suite": {"compute": 20000}}, ids="workstream")]
    objective: Annotated[ObjectiveList | None, key(
        "Which optimal plan is reported: minimise the first objective, among plans as good the second, and so "
        "on (each name at most once; time only with a horizon).", example=["compute", "money"],
        default="[compute, money]; [compute, time, money] with a horizon")] = None
    horizon: Annotated[Horizon | None, key("Planning periods; without a horizon nothing is timed.",
                                           example={"periods": 4}, default="none: nothing is timed")] = None
    designs: Annotated[dict[Id, Design], key(
        "Designs of the instance's own, by name (consortium and silo are built in and cannot be redefined).",
        example={"fork-heavy": {"adoption_factor": 4}}, ids="design")] = {}
    uncertainty: Annotated[Uncertainty | None, key("Uncertainty of the estimates, for `consortium sweep`.",
                                                   example={"compute": TRIANGLE},
                                                   default="none: no sweep")] = None


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
