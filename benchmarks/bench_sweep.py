#!/usr/bin/env python
"""Sweep throughput on the flagship: samples per second with 1 and 2 workers, and the share of
worker time spent outside HiGHS (model updates, hand-over, result reading).

Targets (issue 7): speed-up >= 1.8x at 2 workers; overhead < 20% of a sample's time.

Usage: .venv/bin/python benchmarks/bench_sweep.py [--samples 200] [--designs consortium silo]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optimizer.execution import Executor  # noqa: E402
from optimizer.sweep import sweep  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instance", default=str(ROOT / "instances" / "open-moe-consortium.yaml"))
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--designs", nargs="+", default=None, help="default: every design")
    args = parser.parse_args()
    rate, summaries = {}, {}
    print(f"{'workers':>7} {'seconds':>8} {'samples/s':>9} {'HiGHS share':>11} {'overhead':>8}")
    for w in (1, 2):
        start = time.perf_counter()
        sw = sweep(args.instance, args.designs, samples=args.samples, seed=args.seed,
                   executor=Executor(workers=w, progress=False))
        elapsed = time.perf_counter() - start
        rate[w] = args.samples / elapsed
        summaries[w] = sw.to_dict()
        print(f"{w:>7} {elapsed:>8.2f} {rate[w]:>9.1f} {1 - sw.overhead_share:>10.0%} {sw.overhead_share:>8.0%}")
    print(f"speed-up at 2 workers: {rate[2] / rate[1]:.2f}x (target >= 1.8x)")
    print("results (summaries, plans, run frequencies) identical across worker counts:",
          summaries[1] == summaries[2])
    return 0 if summaries[1] == summaries[2] else 1


if __name__ == "__main__":
    sys.exit(main())
