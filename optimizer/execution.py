"""Where independent solves run: one Executor interface, local processes or a Dask cluster.

`compare`, `allocate` and `sweep` hand lists of independent tasks to an Executor and
get results back in task order, whatever order they finished in, so their output
does not depend on how many workers ran them.

What a worker keeps between the tasks of one run (persistent models, counters) is the run's
*worker state*: ``Executor.map(fn, tasks, state=factory)`` makes one ``factory()`` per worker
before its first task and drops it when the run ends, and calls ``fn(task, state)``. In this
process that is one state per ``map`` call; a process pool makes it in each worker's
initializer (and it ends with the pool); a Dask worker keeps one per run and thread until the
run ends. Nothing is kept from one run to the next.
"""
from __future__ import annotations

import os
import re
import socket
import sys
import threading
import uuid
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any, Callable, Iterable, Sequence


# Samples of a sweep unless told otherwise: the one default of `optimizer.sweep.sweep`,
# `consortium sweep --samples` and `make reports` (kept here, where the command line can read it
# without importing scipy).
DEFAULT_SWEEP_SAMPLES = 40


def interactive() -> bool:
    """Is a person watching? A terminal on stderr, or a Jupyter kernel (where bars are widgets)."""
    if sys.stderr.isatty():
        return True
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def progress_bar(total: int, label: str, enabled: bool):
    """A progress bar of ``total`` things (samples, coalitions) through ``tqdm.auto``: a widget in
    a notebook, on stderr in a terminal; disabled unless ``enabled`` and there are 2 or more."""
    try:
        from tqdm.auto import tqdm
        return tqdm(total=total, desc=label, disable=not enabled or total < 2, file=sys.stderr, leave=False)
    except ImportError:  # a notebook without ipywidgets: the terminal's bar, on stderr
        from tqdm import tqdm
        return tqdm(total=total, desc=label, disable=not enabled or total < 2, file=sys.stderr, leave=False)


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
        # progress bars only where a person is watching (a terminal or a notebook), unless told
        self.progress = interactive() if progress is None else progress

    def __repr__(self) -> str:
        return f"Executor(workers={self.workers}, scheduler={self.scheduler!r})"

    def map(self, fn: Callable[..., Any], tasks: Sequence[Any], label: str = "solving",
            on_result: Callable[[int, Any], None] | None = None,
            state: Callable[[], Any] | None = None, sizes: Sequence[int] | None = None) -> list[Any]:
        """``fn(task)`` for every task, results in task order; with ``state`` (a picklable factory,
        e.g. a module-level class), ``fn(task, worker_state)`` with one ``state()`` per worker
        for this run (see the module's docstring). The progress bar counts ``sizes[k]`` things
        for task k (the samples or coalitions of a chunk; default 1 each)."""
        tasks = list(tasks)
        sizes = [1] * len(tasks) if sizes is None else list(sizes)
        results: list[Any] = [None] * len(tasks)
        bar = progress_bar(sum(sizes), label, self.progress)

        def done(k: int, value: Any) -> None:
            results[k] = value
            bar.update(sizes[k])
            if on_result:
                on_result(k, value)

        try:
            if self.scheduler:
                self._map_dask(fn, tasks, done, state)
            elif self.workers == 1 or len(tasks) < 2:
                local = state() if state is not None else None  # this run's, dropped when map returns
                for k, task in enumerate(tasks):
                    done(k, fn(task) if state is None else fn(task, local))
            else:
                self._map_pool(fn, tasks, done, state)
        finally:
            bar.close()
        return results

    def _map_pool(self, fn, tasks, done, state) -> None:
        with ProcessPoolExecutor(max_workers=min(self.workers, len(tasks)),
                                 initializer=None if state is None else _start_pool_worker,
                                 initargs=() if state is None else (state,)) as pool:
            submit = (lambda t: pool.submit(fn, t)) if state is None else (lambda t: pool.submit(_with_pool_state, fn, t))
            futures: dict[Future, int] = {submit(t): k for k, t in enumerate(tasks)}
            try:
                for fut in as_completed(futures):
                    done(futures[fut], fut.result())
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise

    def _map_dask(self, fn, tasks, done, state) -> None:
        try:
            from dask.distributed import Client, as_completed as dask_completed
        except ImportError as exc:  # pragma: no cover - depends on the environment
            from .errors import UsageError
            raise UsageError("--scheduler needs the 'distributed' package "
                             "(pip install 'consortium-optimizer[dask]')") from exc
        with connect(self.scheduler, Client) as client:
            run = uuid.uuid4().hex
            if state is None:
                futures = client.map(fn, tasks, pure=False)
            else:
                futures = client.map(_with_dask_state, tasks, fn=fn, state=state, run=run, pure=False)
            index = {f.key: k for k, f in enumerate(futures)}
            try:
                for fut in dask_completed(futures):
                    done(index[fut.key], fut.result())
            except BaseException:
                client.cancel(futures)
                raise
            finally:
                if state is not None:
                    client.run(_end_dask_run, run)


# --- worker state (see the module's docstring) ------------------------------------------------
# Set in worker processes only: by a pool's initializer (the pool's processes end with the run),
# or per (run, thread) by a Dask worker's first task of a run, until the run's end drops it.
_POOL_STATE: list[Any] = []
_DASK_STATE: dict[tuple[str, int], Any] = {}
_DASK_LOCK = threading.Lock()


def _start_pool_worker(state: Callable[[], Any]) -> None:
    _POOL_STATE[:] = [state()]


def _with_pool_state(fn: Callable[[Any, Any], Any], task: Any) -> Any:
    return fn(task, _POOL_STATE[0])


def _with_dask_state(task: Any, fn: Callable[[Any, Any], Any], state: Callable[[], Any], run: str) -> Any:
    key = (run, threading.get_ident())  # a Dask worker may run several tasks at once, in threads
    with _DASK_LOCK:
        if key not in _DASK_STATE:
            _DASK_STATE[key] = state()
        mine = _DASK_STATE[key]
    return fn(task, mine)


def _end_dask_run(run: str) -> None:
    with _DASK_LOCK:
        for key in [k for k in _DASK_STATE if k[0] == run]:
            del _DASK_STATE[key]


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
