"""A hypothesis strategy for tiny timed instances (2-3 members, 2-3 workstreams, 2-3 periods),
small enough for tests/reference_timed.py to enumerate every timed plan.

Drawn: period labels (an int N, or strings) and hours per period small enough that capacity per
period binds; durations 1-2, releases, due dates, publish lag 0-1; number and list budgets;
fleets of one or two types, rented members; prerequisites, replicas 2, required workstreams;
and a variant design with pooled funding, sharing none, member subsets, adoption factors,
overrides and objective orders (time first, money first, ...). Nothing here imports the project.
"""
from __future__ import annotations

from hypothesis import strategies as st

import reference_timed as rt

MAX_PLANS = 5000  # per design, after pruning: the reference enumerates them all

# (the first entry of each list is where hypothesis starts and shrinks to: a roomy one)
NUMBERS = {"budget": [1000, 60, 100, 200, 400, 20, 0], "per_period": [100, 20, 40, 60, 400, 30],
           "price": [1, 2, 0], "compute": [10, 5, 20, 30, 40], "adoption": [0.1, 0, 0.25, 0.5, 1]}
OBJECTIVES = [["time", "compute", "money"], ["money", "compute", "time"], ["money", "time", "compute"],
              ["compute", "money", "time"], ["time"], ["money"], ["compute", "money"], ["time", "money"]]


@st.composite
def timed_instances(draw) -> dict:
    n = draw(st.integers(2, 3))
    m = draw(st.integers(2, 3))
    T = draw(st.integers(2, 3))
    members = [f"m{k}" for k in range(n)]
    works = [f"w{k}" for k in range(m)]
    style = draw(st.sampled_from(["int", "str", "labels"]))
    labels = [str(t) for t in range(1, T + 1)] if style != "labels" else [f"Q{t}" for t in range(1, T + 1)]

    def label(t: int):
        return t if style == "int" else labels[t - 1]

    horizon: dict = {"periods": T if style != "labels" else labels}
    doc: dict = {"name": "random timed", "horizon": horizon, "defaults": {}}
    if draw(st.booleans()):
        horizon["hours"] = draw(st.sampled_from([20, 10, 40, 15, 1000]))
    else:
        doc["defaults"]["hours"] = draw(st.sampled_from([60, 30, 120, 45, 3000]))
    if draw(st.booleans()):
        doc["defaults"]["publish_lag"] = draw(st.integers(0, 1))
    if draw(st.booleans()):
        doc["defaults"]["adoption"] = draw(st.sampled_from(NUMBERS["adoption"]))
    types = draw(st.sampled_from([["A"], [], ["A", "B"], ["A"]]))
    if types:
        doc["accelerators"] = {h: {"throughput": draw(st.sampled_from([0.5, 1.0, 2.0]))} for h in types}
    doc["workstreams"] = {}
    finish: dict = {}  # w -> the earliest end of a run of w, prerequisites (finish-to-start) included
    for k, w in enumerate(works):
        ws: dict = {"compute": draw(st.sampled_from(NUMBERS["compute"]))}
        duration = draw(st.sampled_from([1, 2, 1]))
        if duration > 1 or draw(st.booleans()):
            ws["duration"] = duration
        last_start = T - duration + 1  # releases and prerequisites leave room for a run (see the report)
        if last_start > 1 and draw(st.integers(0, 2)) == 0:
            ws["release"] = label(draw(st.integers(2, last_start)))
        start = labels.index(str(ws["release"])) + 1 if "release" in ws else 1
        earlier = [v for v in works[:k] if finish[v] + 1 <= last_start]
        if earlier and draw(st.integers(0, 2)) == 0:
            ws["requires"] = draw(st.lists(st.sampled_from(earlier), min_size=1, max_size=2, unique=True))
            start = max([start] + [finish[v] + 1 for v in ws["requires"]])
        finish[w] = start + duration - 1
        if draw(st.integers(0, 3)) == 0:
            ws["replicas"] = 2
        if draw(st.integers(0, 7)) == 0:
            ws["required"] = True
        if draw(st.booleans()):
            ws["adoption"] = draw(st.sampled_from(NUMBERS["adoption"]))
        if types and draw(st.integers(0, 3)) == 0:
            ws["accelerators"] = draw(st.lists(st.sampled_from(types), min_size=1, max_size=len(types), unique=True))
        if types and draw(st.integers(0, 4)) == 0:
            ws["min_accelerators"] = 2
        doc["workstreams"][w] = ws

    doc["members"] = {}
    for i in members:
        mem: dict = {}
        if draw(st.integers(0, 2)) == 0:
            mem["budget"] = [draw(st.sampled_from(NUMBERS["per_period"])) for _ in range(T)]
        else:
            mem["budget"] = draw(st.sampled_from(NUMBERS["budget"]))
        if draw(st.booleans()):
            mem["price"] = draw(st.sampled_from(NUMBERS["price"]))
        if types and draw(st.integers(0, 3)) > 0:
            mem["fleet"] = {h: draw(st.sampled_from([1, 2, 1, 1, 2, 0])) for h in draw(
                st.lists(st.sampled_from(types), min_size=1, max_size=len(types), unique=True))}
        mem["needs"] = draw(st.lists(st.sampled_from(works), min_size=draw(st.sampled_from([1, 0, 1])), max_size=m, unique=True))
        if mem["needs"] and draw(st.booleans()):
            mem["due"] = {w: label(draw(st.integers(finish[w], T) if draw(st.integers(0, 5)) else st.integers(1, T)))
                          for w in draw(st.lists(st.sampled_from(mem["needs"]), min_size=1, unique=True))}
        if draw(st.integers(0, 4)) == 0:
            mem["publishes"] = False
        if draw(st.integers(0, 4)) == 0:
            w = draw(st.sampled_from(works))
            mem["estimates"] = {w: draw(st.fixed_dictionaries({}, optional={
                "compute": st.sampled_from(NUMBERS["compute"]), "cost": st.sampled_from([0, 10, 50])}))}
        doc["members"][i] = mem
    design: dict = {}
    if draw(st.integers(0, 2)) == 0:
        design["funding"] = "pooled"
    if draw(st.integers(0, 3)) == 0:
        design["adoption_factor"] = draw(st.sampled_from([0.5, 2, 4]))
    if draw(st.integers(0, 3)) == 0:
        design["members"] = draw(st.lists(st.sampled_from(members), min_size=1, max_size=n - 1, unique=True))
    if draw(st.integers(0, 5)) == 0:
        design["sharing"] = "none"
    if draw(st.booleans()):
        design["objective"] = draw(st.sampled_from(OBJECTIVES))
    if draw(st.integers(0, 3)) == 0:
        who = draw(st.sampled_from(members))
        if draw(st.booleans()):
            design["overrides"] = {"members": {who: {"budget": draw(st.sampled_from(NUMBERS["budget"]))}}}
        else:
            design["overrides"] = {"defaults": {"publish_lag": draw(st.integers(0, 1))}}
    doc["designs"] = {"variant": design}
    if draw(st.integers(0, 4)) == 0:
        doc["objective"] = draw(st.sampled_from(OBJECTIVES))
    if not doc["defaults"]:
        del doc["defaults"]
    return doc


def small_enough(doc: dict, limit: int = MAX_PLANS) -> bool:
    return all(rt.plan_count(rt.problem(doc, d)) <= limit for d in ("consortium", "silo", "variant"))
