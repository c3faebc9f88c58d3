"""The Executor's worker state: one per worker, made for a run and dropped at its end."""
from __future__ import annotations

import os

from optimizer.execution import Executor


class Tally:
    """A worker state (module level, so that worker processes can make one)."""

    def __init__(self) -> None:
        self.tasks = 0


def count(task: int, state: Tally) -> tuple[int, int]:
    state.tasks += 1
    return os.getpid(), state.tasks


def test_worker_state_in_process_is_made_per_run():
    ex = Executor(workers=1, progress=False)
    assert [n for _, n in ex.map(count, range(3), state=Tally)] == [1, 2, 3]
    assert [n for _, n in ex.map(count, range(3), state=Tally)] == [1, 2, 3]  # nothing kept from the last run


def test_worker_state_in_a_pool_is_one_per_worker_process():
    results = Executor(workers=2, progress=False).map(count, range(8), state=Tally)
    by_worker: dict[int, list[int]] = {}
    for pid, n in results:
        by_worker.setdefault(pid, []).append(n)
    assert os.getpid() not in by_worker
    for counts in by_worker.values():  # each worker's state saw its own tasks, counted from 1
        assert sorted(counts) == list(range(1, len(counts) + 1))
    assert sum(len(c) for c in by_worker.values()) == 8


def test_tasks_without_state_take_the_task_only():
    assert Executor(workers=2, progress=False).map(abs, [-1, -2, 3]) == [1, 2, 3]
