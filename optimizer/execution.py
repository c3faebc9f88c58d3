"""Where independent solves run: one Executor interface, local processes or a Dask cluster.

`compare`, `allocate` and `sweep` hand lists of independent tasks to an Executor and
get results back in task order, whatever order they finished in, so their output
does not depend on how many workers ran them.
"""
from __future__ import annotations

import os
import re
import socket
import sys
import threading
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
        with connect(self.scheduler, Client) as client:
            futures = client.map(fn, tasks, pure=False)
            index = {f.key: k for k, f in enumerate(futures)}
            for fut in dask_completed(futures):
                done(index[fut.key], fut.result())


SCHEDULER_TIMEOUT = 15.0  # seconds to reach a Dask scheduler and hear back from it

_ADDRESS = re.compile(r"^(?:(tcp|tls)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)"
                      r":([0-9]{1,5})$")


def scheduler_address(text: str) -> str:
    """'tcp://host:port' (or tls://, or plain host:port) with a port from 1 to 65535; ValueError else."""
    match = _ADDRESS.match(text.strip())
    if not match or not 0 < int(match.group(3)) < 65536:
        raise ValueError(f"expected a Dask scheduler address such as tcp://10.0.0.5:8786, got {text!r}")
    return f"{match.group(1) or 'tcp'}://{match.group(2)}:{int(match.group(3))}"


def connect(address: str, client_class: Callable, timeout: float = SCHEDULER_TIMEOUT):
    """A Dask client of the scheduler at ``address``, or a UsageError within ``timeout`` seconds.

    Dask's own connect timeout does not cover its handshake: a port that accepts TCP but is no
    scheduler (an HTTP server, say) kept the client waiting for minutes. So a plain TCP connect
    comes first (nothing listening: a clear message at once) and the client is made in a thread
    that is given up on after ``timeout``.
    """
    from .errors import UsageError
    _, _, rest = address.partition("://")
    host, _, port = rest.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise UsageError(f"--scheduler {address}: cannot connect ({exc.strerror or exc}); is a Dask scheduler "
                         "running there?") from None
    box: dict[str, Any] = {}

    def attempt() -> None:
        try:
            box["client"] = client_class(address, timeout=timeout)
        except BaseException as exc:  # noqa: BLE001 - reported below, in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=attempt, name="dask-connect", daemon=True)
    thread.start()
    thread.join(timeout + 2)
    if "client" in box:
        return box["client"]
    why = box.get("error")
    raise UsageError(f"--scheduler {address}: " + (
        f"no Dask scheduler answered ({type(why).__name__}: {why})" if why is not None else
        f"something accepts connections there but did not answer as a Dask scheduler within {timeout:g} s"))


def chunks(items: Iterable[Any], size: int) -> list[list[Any]]:
    items = list(items)
    return [items[k:k + size] for k in range(0, len(items), size)]
