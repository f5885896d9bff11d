"""Running independent tasks: in this process, in worker processes, or on a Ray cluster.

An experiment grid (instances x methods x seeds, scenarios x controllers x cases) or a batch of
training rollouts is a list of tasks, each the arguments of one call of a plain function that
needs nothing but its arguments. ``run_tasks`` calls the function on every task and hands
each result back in this process as it arrives::

    from petri.parallel import Backend, run_tasks

    finished = run_tasks(run_one, [(instance, method, seed) for ...], Backend(workers=2))
    finished.results       # one per task, in task order (None where a task did not finish)
    finished.interrupted   # Ctrl-C: the results that arrived are kept, the rest is dropped

Where the calls run is a ``Backend``: ``workers=1`` in this process (the default), more
workers in as many local processes, or ``ray="ADDRESS"`` on a Ray cluster (``ray="local"``
starts a private one on this machine with ``workers`` CPUs). The function and its
arguments travel by pickle, so they must be module-level functions and plain data; each
call must depend only on its arguments (seeds included), so that every backend gives the
same results. Ray is optional (``pip install "petri-flow[ray]"``).
"""
from __future__ import annotations

import logging
import os
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from .errors import CommandError
from .interrupt import Interrupt

__all__ = ["Backend", "Finished", "run_tasks", "RAY_HINT"]

#: what to do when Ray is asked for and not installed
RAY_HINT = ('--ray needs Ray, which is not installed: pip install "petri-flow[ray]" '
            '(or pip install "ray>=2.60")')


@dataclass(frozen=True)
class Backend:
    """Where tasks run: ``workers`` local processes (1: this process), or the Ray cluster
    at ``ray`` (an address such as ``10.0.0.5:6379``, ``ray://host:10001``, ``auto``, or
    ``local`` for a private cluster of ``workers`` CPUs on this machine)."""

    workers: int = 1
    ray: str | None = None

    @classmethod
    def parse(cls, workers: int | None = None, ray: str | None = None,
              default_workers: int = 1) -> "Backend":
        """The backend of the command-line options ``--workers N`` and ``--ray ADDRESS``;
        without ``--workers``: ``default_workers``, or one per CPU for ``--ray local``."""
        if ray is not None:
            ray = ray.strip()
            if not ray:
                raise CommandError("--ray: give a cluster address (host:port, ray://host:port, "
                                   "auto) or local")
            if workers is None and ray == "local":
                workers = os.cpu_count() or 1
        return cls(workers=max(1, workers or default_workers), ray=ray)


@dataclass
class Finished:
    """The results of ``run_tasks``: one per task in task order (None for a task that did
    not finish: a task's function returns something else), and whether Ctrl-C stopped the
    run."""

    results: list = field(default_factory=list)
    interrupted: bool = False

    @property
    def done(self) -> int:
        return sum(r is not None for r in self.results)


def run_tasks(fn: Callable[..., Any], tasks: Sequence[tuple], backend: Backend | None = None,
              on_result: Callable[[int, Any], None] | None = None) -> Finished:
    """``fn(*task)`` for every task on ``backend``; ``on_result(index, result)`` is called in
    this process as each result arrives (in the order they finish). An exception raised by a
    task is raised here (the other tasks are dropped). Ctrl-C stops the run and keeps the
    results that arrived (``interrupted`` is then True)."""
    backend = backend or Backend()
    tasks = list(tasks)
    finished = Finished([None] * len(tasks))

    def collect(i: int, result) -> None:
        finished.results[i] = result
        if on_result is not None:
            on_result(i, result)

    if not tasks:
        return finished
    if backend.ray is not None:
        finished.interrupted = _on_ray(fn, tasks, backend, collect)
    elif backend.workers <= 1 or len(tasks) == 1:
        finished.interrupted = _here(fn, tasks, collect)
    else:
        finished.interrupted = _in_processes(fn, tasks, backend.workers, collect)
    return finished


def _here(fn, tasks, collect) -> bool:
    # Ctrl-C ends the running task at its next safe point (loops that watch the flag) and
    # the run; a task cut short this way is dropped
    with Interrupt() as stop:
        try:
            for i, t in enumerate(tasks):
                result = fn(*t)
                if stop.flag:
                    break
                collect(i, result)
        except KeyboardInterrupt:
            return True
        return stop.flag


def _quiet_worker():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _in_processes(fn, tasks, workers, collect) -> bool:
    import multiprocessing
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), initializer=_quiet_worker)
    pending: dict = {}
    interrupted = False
    try:
        it = iter(enumerate(tasks))
        for i, t in it:
            pending[pool.submit(fn, *t)] = i
            if len(pending) >= 2 * workers:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                i = pending.pop(fut)
                collect(i, fut.result())
                nxt = next(it, None)
                if nxt is not None:
                    pending[pool.submit(fn, *nxt[1])] = nxt[0]
    except KeyboardInterrupt:
        interrupted = True
        for fut in pending:
            fut.cancel()
        for child in multiprocessing.active_children():     # end the tasks they run
            try:
                os.kill(child.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
    finally:
        pool.shutdown(wait=not interrupted, cancel_futures=True)
    return interrupted


def _connect(backend: Backend):
    """Ray, initialised for ``backend`` (an existing connection is reused)."""
    try:
        import ray
    except ImportError:
        raise CommandError(RAY_HINT) from None
    if ray.is_initialized():
        return ray, False
    kwargs: dict = {"log_to_driver": False, "logging_level": logging.ERROR,
                    "include_dashboard": False}
    if backend.ray == "local":
        kwargs.update(num_cpus=backend.workers, object_store_memory=200 * 2 ** 20)
    else:
        _reachable(backend.ray)
        kwargs["address"] = backend.ray
    try:
        ray.init(**kwargs)
    except (ConnectionError, ValueError, RuntimeError, TimeoutError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CommandError(f"--ray {backend.ray}: cannot reach the Ray cluster ({first}); "
                           f"start one with 'ray start --head' or use --ray local") from None
    return ray, True


def _reachable(address: str) -> None:
    """Refuse at once a ``host:port`` nothing listens on (Ray itself retries for minutes)."""
    import socket
    if address == "auto" or "://" in address:
        return
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise CommandError(f"--ray {address}: not a cluster address (host:port, "
                           f"ray://host:port, auto) nor local")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=10).close()
    except OSError as e:
        raise CommandError(f"--ray {address}: cannot reach the Ray cluster ({e.strerror or e}); "
                           f"start one with 'ray start --head' or use --ray local") from None


def _on_ray(fn, tasks, backend, collect) -> bool:
    ray, started = _connect(backend)
    remote = ray.remote(num_cpus=1, max_retries=0)(fn)
    capacity = max(1, int(ray.cluster_resources().get("CPU", backend.workers)))
    pending: dict = {}
    interrupted = False
    try:
        it = iter(enumerate(tasks))
        for i, t in it:
            pending[remote.remote(*t)] = i
            if len(pending) >= 2 * capacity:
                break
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                i = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayTaskError as e:
                    cause = getattr(e, "cause", None)
                    if isinstance(cause, BaseException):
                        raise cause from None
                    raise
                collect(i, result)
                nxt = next(it, None)
                if nxt is not None:
                    pending[remote.remote(*nxt[1])] = nxt[0]
    except KeyboardInterrupt:
        # the runs still going end with the connection below (Ray ends a driver's tasks when
        # it leaves); cancelling them one by one races with their completion inside Ray
        interrupted = True
    finally:
        if started:
            ray.shutdown()
    return interrupted


def add_ray_option(p) -> None:
    """The ``--ray ADDRESS`` option of a command that runs a grid of tasks."""
    p.add_argument("--ray", metavar="ADDRESS",
                   help="run on a Ray cluster: its address (host:port from 'ray start "
                        "--head', ray://host:port, auto), or local for a private one on this "
                        "machine with --workers CPUs (needs the ray extra)")
