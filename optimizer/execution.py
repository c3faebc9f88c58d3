"""Where independent solves run: one Executor interface, local processes or a Dask cluster.

`compare`, `allocate` and `sweep` hand lists of independent tasks to an Executor and
get results back in task order, whatever order they finished in, so their output
does not depend on how many workers ran them.
"""
from __future__ import annotations

import os
import sys
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any, Callable, Iterable, Sequence

from tqdm import tqdm


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


class Executor:
    """Runs ``fn(task)`` for every task; results come back in task order.

    ``workers=1`` runs in this process (no pickling, easiest to debug); more workers use
    a local process pool; ``scheduler="tcp://host:port"`` submits to an existing Dask
    distributed cluster through the same interface.
    """

    def __init__(self, workers: int | None = None, scheduler: str | None = None, progress: bool | None = None):
        self.workers = workers or default_workers()
        self.scheduler = scheduler
        # progress bars only where a person is watching (a terminal on stderr)
        self.progress = sys.stderr.isatty() if progress is None else progress

    def __repr__(self) -> str:
        return f"Executor(workers={self.workers}, scheduler={self.scheduler!r})"

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], label: str = "solving",
            on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
        tasks = list(tasks)
        results: list[Any] = [None] * len(tasks)
        bar = tqdm(total=len(tasks), desc=label, disable=not self.progress or len(tasks) < 2,
                   file=sys.stderr, leave=False)

        def done(k: int, value: Any) -> None:
            results[k] = value
            bar.update(1)
            if on_result:
                on_result(k, value)

        try:
            if self.scheduler:
                self._map_dask(fn, tasks, done)
            elif self.workers == 1 or len(tasks) < 2:
                for k, task in enumerate(tasks):
                    done(k, fn(task))
            else:
                self._map_pool(fn, tasks, done)
        finally:
            bar.close()
        return results

    def _map_pool(self, fn, tasks, done) -> None:
        with ProcessPoolExecutor(max_workers=min(self.workers, len(tasks))) as pool:
            futures: dict[Future, int] = {pool.submit(fn, t): k for k, t in enumerate(tasks)}
            try:
                for fut in as_completed(futures):
                    done(futures[fut], fut.result())
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise

    def _map_dask(self, fn, tasks, done) -> None:
        try:
            from dask.distributed import Client, as_completed as dask_completed
        except ImportError as exc:  # pragma: no cover - depends on the environment
            from .errors import UsageError
            raise UsageError("--scheduler needs the 'distributed' package "
                             "(pip install 'consortium-optimizer[dask]')") from exc
        with Client(self.scheduler) as client:
            futures = client.map(fn, tasks, pure=False)
            index = {f.key: k for k, f in enumerate(futures)}
            for fut in dask_completed(futures):
                done(index[fut.key], fut.result())


def chunks(items: Iterable[Any], size: int) -> list[list[Any]]:
    items = list(items)
    return [items[k:k + size] for k in range(0, len(items), size)]
