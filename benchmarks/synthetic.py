"""Synthetic consortium instances of any size, for scaling benchmarks (issue 16).

``instance(members, workstreams, seed)`` returns an instance mapping (what a YAML file gives):
members with budgets, a price, half of them owning fleets of one or two of three accelerator
types (the others rent), each needing a random 20% of the workstreams (or ``needs`` of them); workstreams with compute
drawn log-uniformly over two orders of magnitude, a prerequisite on an earlier workstream one
time in four, two replicas one time in ten, and an accelerator list one time in three. Budgets
are drawn so that a member can afford about its own needs alone (some bind, some do not), fleet
capacities so that a fleet can hold about a third of what its owner could run. The same
arguments give the same instance (numpy's default generator, seeded).

    python benchmarks/synthetic.py 20 50 --seed 1 > big.yaml
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
import yaml

TYPES = {"H100": 1.0, "H800": 1.0, "Ascend-910B": 0.3}


def instance(members: int, workstreams: int, seed: int = 0, needs: int | None = None) -> dict:
    rng = np.random.default_rng(seed)
    works = [f"w{k:04d}" for k in range(workstreams)]
    compute = {w: float(np.round(10 ** rng.uniform(3, 5), 0)) for w in works}
    spec_w: dict = {}
    for k, w in enumerate(works):
        ws: dict = {"compute": compute[w]}
        if k and rng.random() < 0.25:
            ws["requires"] = [works[int(rng.integers(0, k))]]
        if rng.random() < 0.1:
            ws["replicas"] = 2
        if rng.random() < 0.33:
            ws["accelerators"] = sorted(rng.choice(list(TYPES), size=int(rng.integers(1, 3)), replace=False).tolist())
        spec_w[w] = ws
    spec_m: dict = {}
    for i in range(members):
        name = f"m{i:04d}"
        wanted = sorted(rng.choice(works, size=needs or max(1, workstreams // 5), replace=False).tolist())
        price = float(np.round(rng.uniform(1.5, 3.0), 2))
        alone = sum(compute[w] for w in wanted) * price
        m: dict = {"budget": float(np.round(alone * rng.uniform(0.4, 1.6), 0)), "price": price, "needs": wanted}
        if rng.random() < 0.5:
            types = sorted(rng.choice(list(TYPES), size=int(rng.integers(1, 3)), replace=False).tolist())
            hours = 2190.0
            # about a third of what it could run, spread over its types
            m["fleet"] = {h: max(1, int(sum(compute[w] for w in wanted) / 3 / len(types) / TYPES[h] / hours))
                          for h in types}
        spec_m[name] = m
    return {"name": f"synthetic {members}x{workstreams} (seed {seed})",
            "units": {"compute": "H100-hours", "money": "USD"},
            "accelerators": {h: {"throughput": t} for h, t in TYPES.items()},
            "members": spec_m, "workstreams": spec_w}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("members", type=int)
    ap.add_argument("workstreams", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--needs", type=int, default=None, help="needs per member (default: 20%% of the workstreams)")
    args = ap.parse_args(argv)
    yaml.safe_dump(instance(args.members, args.workstreams, args.seed, args.needs), sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
