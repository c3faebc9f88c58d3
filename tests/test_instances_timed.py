"""The shipped timed instances (spec v2, "Horizon").

* ``instances/teaching-timeline.yaml``: every figure of the optimum worked out by hand in the
  file's comments (silo, consortium, designs no-deadline and no-lag) is checked here.
* ``instances/open-moe-consortium-timed.yaml``: the flagship over four quarters. Its figures are
  recorded regression values (solved with the pinned HiGHS), not hand-worked: the file's comments
  say where each timing input comes from; a change here means the model or the file changed.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import optimizer

INSTANCES = Path(__file__).resolve().parents[1] / "instances"
TIMELINE = INSTANCES / "teaching-timeline.yaml"
FLAGSHIP_TIMED = INSTANCES / "open-moe-consortium-timed.yaml"


def runs(r):
    return sorted((x.member, x.workstream, x.start, x.end) for x in r.plan.runs)


def adoptions(r):
    return sorted((a.member, a.workstream, a.ready) for a in r.plan.adoptions)


def ready(r, workstream):
    return {s.member: s.ready for s in r.plan.schedule if s.workstream == workstream}


def spent(r):
    return r.members.spent.to_dict()


# --- teaching-timeline.yaml: the hand-worked optimum in its comments ---------------------------

@pytest.fixture(scope="module")
def timeline():
    inst = optimizer.load_instance(TIMELINE)
    return {d: optimizer.solve(inst, d, options=optimizer.SolverOptions(mip_gap=0.0)) for d in ("consortium", "silo", "no-deadline", "no-lag")}


def test_timeline_silo(timeline):
    """Silo: every lab runs fp8 in Q1 and the recipe in Q2-Q3: 900 + 1,100 + 1,100 = 3,100;
    time 3 x (1 + 3) = 12; money 1,620 + 2,200 + 2,750 = 6,570; everyone ready by 2027-Q3."""
    r = timeline["silo"]
    assert r.status == "optimal" and r.unique is True
    assert runs(r) == [(lab, w, s, e) for lab in ("lab-a", "lab-b", "lab-c")
                       for w, s, e in (("fp8-kernels", "2027-Q1", "2027-Q1"),
                                       ("moe-rl-recipe", "2027-Q2", "2027-Q3"))]
    assert adoptions(r) == []
    assert r.objectives == {"compute": 3100.0, "time": 12.0, "money": 6570.0}
    assert r.plan.time_to_needs == 12 and r.plan.last_ready == "2027-Q3"
    assert spent(r) == {"lab-a": 1620.0, "lab-b": 2200.0, "lab-c": 2750.0}


def test_timeline_consortium(timeline):
    """Consortium (lab-b due 2027-Q3, publish lag 1): an adoption of the recipe is ready in Q4 at
    the earliest, so lab-b runs fp8 in Q1 and the recipe in Q2-Q3 (1,100); lab-a and lab-c adopt
    fp8 (ready Q2: 10 each) and the recipe (ready Q4: 80 and 100): 1,300, adoption 200, savings
    1,800; time (1 + 3) + (2 + 4) + (2 + 4) = 16; last ready 2027-Q4; money 2,200 + 162 + 275."""
    r = timeline["consortium"]
    assert r.status == "optimal" and r.unique is True
    assert runs(r) == [("lab-b", "fp8-kernels", "2027-Q1", "2027-Q1"),
                       ("lab-b", "moe-rl-recipe", "2027-Q2", "2027-Q3")]
    assert adoptions(r) == [("lab-a", "fp8-kernels", "2027-Q2"), ("lab-a", "moe-rl-recipe", "2027-Q4"),
                            ("lab-c", "fp8-kernels", "2027-Q2"), ("lab-c", "moe-rl-recipe", "2027-Q4")]
    assert r.objectives == {"compute": 1300.0, "time": 16.0, "money": 2637.0}
    assert (r.total_compute, r.adoption_compute, r.duplicated_compute) == (1300.0, 200.0, 0.0)
    assert (r.silo_compute, r.savings) == (3100.0, 1800.0)
    assert r.savings / r.silo_compute == pytest.approx(0.581, abs=5e-4)
    assert r.plan.time_to_needs == 16 and r.plan.last_ready == "2027-Q4"
    assert ready(r, "moe-rl-recipe") == {"lab-a": "2027-Q4", "lab-b": "2027-Q3", "lab-c": "2027-Q4"}
    assert {(s.member, s.due) for s in r.plan.schedule if s.workstream == "moe-rl-recipe"} == \
        {("lab-a", "2027-Q4"), ("lab-b", "2027-Q3"), ("lab-c", "2027-Q4")}
    assert spent(r) == {"lab-a": 162.0, "lab-b": 2200.0, "lab-c": 275.0}


def test_timeline_without_the_deadline(timeline):
    """no-deadline: lab-a (recipe 800) runs fp8 Q1 and the recipe Q2-Q3; the others adopt (fp8 Q2,
    recipe Q4): 900 + 110 + 110 = 1,120, adoption 220, savings 1,980; time 4 + 6 + 6 = 16; money
    2,115. The deadline costs 1,300 - 1,120 = 180 compute and no time."""
    r = timeline["no-deadline"]
    assert r.status == "optimal" and r.unique is True
    assert runs(r) == [("lab-a", "fp8-kernels", "2027-Q1", "2027-Q1"),
                       ("lab-a", "moe-rl-recipe", "2027-Q2", "2027-Q3")]
    assert adoptions(r) == [("lab-b", "fp8-kernels", "2027-Q2"), ("lab-b", "moe-rl-recipe", "2027-Q4"),
                            ("lab-c", "fp8-kernels", "2027-Q2"), ("lab-c", "moe-rl-recipe", "2027-Q4")]
    assert r.objectives == {"compute": 1120.0, "time": 16.0, "money": 2115.0}
    assert (r.adoption_compute, r.savings) == (220.0, 1980.0)
    assert r.plan.last_ready == "2027-Q4"
    assert timeline["consortium"].total_compute - r.total_compute == 180
    assert timeline["consortium"].plan.time_to_needs == r.plan.time_to_needs


def test_timeline_without_the_publish_lag(timeline):
    """no-lag: adoptions are ready in the run's end quarter, so lab-b adopts lab-a's recipe in Q3,
    by its due date: runs as in no-deadline, fp8 adopted in Q1, the recipe in Q3: 1,120, time 12,
    last ready 2027-Q3 (as fast as the silo, 36% of its compute); money 2,115, unique (lab-b or
    lab-c running fp8 would cost 2,133 or 2,178)."""
    r = timeline["no-lag"]
    assert r.status == "optimal" and r.unique is True
    assert runs(r) == runs(timeline["no-deadline"])
    assert adoptions(r) == [("lab-b", "fp8-kernels", "2027-Q1"), ("lab-b", "moe-rl-recipe", "2027-Q3"),
                            ("lab-c", "fp8-kernels", "2027-Q1"), ("lab-c", "moe-rl-recipe", "2027-Q3")]
    assert r.objectives == {"compute": 1120.0, "time": 12.0, "money": 2115.0}
    assert r.plan.last_ready == timeline["silo"].plan.last_ready == "2027-Q3"
    assert r.total_compute / r.silo_compute == pytest.approx(0.361, abs=5e-4)


# --- open-moe-consortium-timed.yaml: recorded regression values --------------------------------

# design: (total compute, time_to_needs, last_ready, {member: quarter it has moe-rl-recipe})
RECIPE_Q3 = {m: "2027-Q3" for m in ("us-open-lab", "chip-vendor-lab", "openweight-h800-lab", "tpu-lab")}
ONE_RUN = {**RECIPE_Q3, "us-open-lab": "2027-Q4", "chip-vendor-lab": "2027-Q4", "tpu-lab": "2027-Q4"}
FLAGSHIP_TIMED_FIGURES = {
    "consortium": (5981837.5, 257, "2027-Q4", ONE_RUN),
    "silo": (18398400.0, 169, "2027-Q3", RECIPE_Q3),
    "open-consortium": (5981837.5, 257, "2027-Q4", ONE_RUN),
    "fork-heavy": (11537200.0, 257, "2027-Q4", ONE_RUN),
    "closed-leaders": (8285687.5, 253, "2027-Q4", {**ONE_RUN, "us-open-lab": "2027-Q3"}),
    "pooled-funding": (5981837.5, 257, "2027-Q4", ONE_RUN),
    "small-core": (4359112.5, 98, "2027-Q4", {"us-open-lab": "2027-Q3"}),
    "no-lag": (5981837.5, 169, "2027-Q3", RECIPE_Q3),
    "rival-deadline": (8228237.5, 256, "2027-Q4", {**ONE_RUN, "chip-vendor-lab": "2027-Q3"}),
}


@pytest.fixture(scope="module")
def flagship_timed():
    inst = optimizer.load_instance(FLAGSHIP_TIMED)
    return {d: optimizer.solve(inst, d, options=optimizer.SolverOptions(check_unique=False)) for d in inst.design_names}


def test_flagship_timed_designs(flagship_timed):
    assert sorted(flagship_timed) == sorted(FLAGSHIP_TIMED_FIGURES)


@pytest.mark.parametrize("design", sorted(FLAGSHIP_TIMED_FIGURES))
def test_flagship_timed_figures(flagship_timed, design):
    """Compute and time are the first two stages, proven optimal in every design; recipe
    readiness per lab as in the file's snapshot."""
    r = flagship_timed[design]
    compute, time, last, recipe = FLAGSHIP_TIMED_FIGURES[design]
    assert r.status in ("optimal", "feasible") and r.mip_gap is not None and r.mip_gap <= 1e-6
    assert r.total_compute == pytest.approx(compute, rel=1e-9)
    assert r.plan.time_to_needs == time and r.objectives["time"] == pytest.approx(time, abs=1e-5)
    assert r.plan.last_ready == last
    assert ready(r, "moe-rl-recipe") == recipe
    assert r.silo_compute == pytest.approx(5270100.0 if design == "small-core" else 18398400.0, rel=1e-9)


@pytest.mark.parametrize("design", sorted(FLAGSHIP_TIMED_FIGURES))
def test_flagship_timed_solves_optimal(flagship_timed, design):
    """Every stage proven optimal: the time stage's whole-number level keeps the optimum in the money
    stage (a relative 1e-9 above HiGHS' 256.9999976 once cut off every plan of time 257)."""
    assert flagship_timed[design].status == "optimal"


def test_flagship_timed_recipe_runs(flagship_timed):
    """Who runs the recipe, when: the silo four times in Q2-Q3; the consortium once, by the lab
    with the 2027-Q3 due date; rival-deadline a second run by chip-vendor-lab, whose extra compute
    is 0.9 x 2,451,000 (a run instead of an adoption) + 0.9 x 45,000 (rl-rollout-infra too)."""
    def recipe_runs(d):
        return sorted((x.member, x.start, x.end) for x in flagship_timed[d].plan.runs
                      if x.workstream == "moe-rl-recipe")
    assert recipe_runs("silo") == sorted((m, "2027-Q2", "2027-Q3") for m in RECIPE_Q3)
    assert recipe_runs("consortium") == [("openweight-h800-lab", "2027-Q2", "2027-Q3")]
    assert recipe_runs("rival-deadline") == [("chip-vendor-lab", "2027-Q2", "2027-Q3"),
                                             ("openweight-h800-lab", "2027-Q2", "2027-Q3")]
    extra = flagship_timed["rival-deadline"].total_compute - flagship_timed["consortium"].total_compute
    assert extra == pytest.approx(0.9 * 2451000 + 0.9 * 45000)
    assert flagship_timed["consortium"].plan.model == {"variables": 1629, "constraints": 1989}


def test_flagship_prerequisites_do_not_fit_four_quarters():
    """With the flagship's prerequisites of the recipe (sft-recipe, reward-models, rl-rollout-infra,
    moe-router-ablations) the chain eval-suite -> sft-recipe -> reward-models -> recipe takes
    1 + 1 + 1 + 2 = 5 quarters: infeasible, and the diagnosis says why (the file's comments)."""
    data = yaml.safe_load(FLAGSHIP_TIMED.read_text())
    data["designs"] = {"flagship-chain": {"overrides": {"workstreams": {"moe-rl-recipe": {
        "requires": ["sft-recipe", "reward-models", "rl-rollout-infra", "moe-router-ablations"]}}}}}
    r = optimizer.solve(data, "flagship-chain", options=optimizer.SolverOptions(check_unique=False))
    assert r.status == "infeasible"
    late = [f.message for f in r.plan.diagnosis if f.kind == "late"]
    assert any("openweight-h800-lab's need moe-rl-recipe cannot be ready within the horizon" in m for m in late)
