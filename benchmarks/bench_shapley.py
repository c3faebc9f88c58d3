#!/usr/bin/env python
"""Exact Shapley value of the 12-member flagship: wall time and coalition solves per second.

Runs the same allocation with 1 worker and with 2 workers in one process run and prints
the speed-up (target for the 2-core machine: exact Shapley under 60 s), then the share of a
coalition's time spent outside HiGHS (one game in this process, every 4th coalition).

Usage: .venv/bin/python benchmarks/bench_shapley.py [--instance FILE] [--workers 1 2] [--no-share]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.allocation import allocate  # noqa: E402
from optimizer.execution import Executor  # noqa: E402
from optimizer.game import CoalitionGame  # noqa: E402
from optimizer.instance import load_instance  # noqa: E402

TARGET_SECONDS = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instance", default=str(ROOT / "instances" / "open-moe-consortium.yaml"))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-share", action="store_true", help="skip the time-outside-HiGHS measurement")
    args = parser.parse_args()
    times = {}
    first = None
    print(f"{'workers':>7} {'seconds':>8} {'coalitions':>10} {'per second':>10}")
    for w in args.workers:
        start = time.perf_counter()
        alloc = allocate(args.instance, "shapley", executor=Executor(workers=w, progress=False))
        times[w] = time.perf_counter() - start
        print(f"{w:>7} {times[w]:>8.1f} {alloc.coalitions_solved:>10} {alloc.coalitions_solved / times[w]:>10.1f}")
        values = [round(x, 4) for x in alloc.allocated]
        if first is None:
            first = values
        elif values != first:
            print("MISMATCH: allocations differ between worker counts")
            return 1
    best = min(times.values())
    base = times[args.workers[0]]
    for w in args.workers[1:]:
        print(f"speed-up {args.workers[0]} -> {w} workers: {base / times[w]:.2f}x")
    print(f"fastest exact Shapley: {best:.1f} s (target < {TARGET_SECONDS:.0f} s: "
          f"{'met' if best < TARGET_SECONDS else 'NOT met'})")
    if not args.no_share:
        game = CoalitionGame(load_instance(args.instance))
        game.value(game.grand)  # the model's build and hand-over are not a coalition's time
        masks = list(range(1, game.grand))[::4]
        start, inside = time.perf_counter(), game.highs_seconds
        game.values(masks)
        wall, inside = time.perf_counter() - start, game.highs_seconds - inside
        print(f"one game in this process: {len(masks)} coalitions in {wall:.1f} s ({len(masks) / wall:.1f}/s), "
              f"{inside:.1f} s inside HiGHS, {1 - inside / wall:.0%} outside")
    return 0


if __name__ == "__main__":
    sys.exit(main())
