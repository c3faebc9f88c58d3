"""Property-based: whatever a mutated instance file holds, `consortium` answers with an exit
code of the spec (0, 2, 3 or 4) and never with a traceback or an internal error."""
from __future__ import annotations

import copy
import os
import math
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.cli import main

ROOT = Path(__file__).resolve().parents[1]
BASES = [yaml.safe_load((ROOT / "instances" / name).read_text())
         for name in ("teaching-capacity.yaml", "teaching-pooled.yaml", "infeasible-budget.yaml")]

ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.text(max_size=8),
    st.sampled_from([0, -1, 0.0, 1e308, -1e308, math.inf, -math.inf, math.nan, 1e-308, 2**63]),
    st.lists(st.integers(0, 3), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def paths(doc, prefix=()):
    """Every key path in a nested mapping/list document."""
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for k, v in enumerate(doc):
            yield from paths(v, prefix + (k,))


def get_parent(doc, path):
    for part in path[:-1]:
        doc = doc[part]
    return doc


@st.composite
def mutated(draw):
    doc = copy.deepcopy(draw(st.sampled_from(BASES)))
    ids = [str(k) for section in ("members", "workstreams", "accelerators") for k in doc.get(section, {})]
    for _ in range(draw(st.integers(1, 4))):
        candidates = [p for p in paths(doc) if p]
        if not candidates:
            break
        path = draw(st.sampled_from(candidates))
        parent = get_parent(doc, path)
        action = draw(st.sampled_from(["delete", "replace", "swap_id", "scale"]))
        key = path[-1]
        if action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(ODD_VALUES)
        elif action == "swap_id" and ids:
            parent[key] = draw(st.sampled_from(ids))
        elif action == "scale" and isinstance(parent[key], (int, float)) and not isinstance(parent[key], bool):
            parent[key] = parent[key] * draw(st.sampled_from([0, -1, 1e-9, 1e9, 1e300]))
    return doc


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "120")), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=mutated())
def test_mutated_instances_only_exit_with_spec_codes(doc, tmp_path, capsys):
    path = tmp_path / "mutated.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    code = main(["solve", str(path), "--json", "--time-limit", "5"])
    out, err = capsys.readouterr()
    assert code in (0, 2, 3, 4), err
    assert "Traceback" not in err and "internal error" not in err
    if code == 2:
        assert err.strip(), "invalid input must say what is wrong"
    else:
        assert out.lstrip().startswith("{")  # the JSON result object, whatever the status
