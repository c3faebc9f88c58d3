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
    return dict(zip(r.members["member"], r.members["spent"]))


# --- teaching-timeline.yaml: the hand-worked optimum in its comments ---------------------------

@pytest.fixture(scope="module")
def timeline():
    inst = optimizer.load_instance(TIMELINE)
    return {d: optimizer.solve(inst, d, mip_gap=0.0) for d in ("consortium", "silo", "no-deadline", "no-lag")}


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
