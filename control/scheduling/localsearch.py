"""Fast tabu search for job shops (one machine per operation, no calendars).

The neighbourhood is N7 (Zhang, Li, Guan and Rao, 2007) on the critical blocks of one
critical path: each operation of a block moved to the block's front or end, and the block's
first and last operations moved inside it (the N5 swaps of Nowicki and Smutnicki are among
these). Each move is scored without re-timing the schedule: the operations whose machine
order it changes are re-timed from the heads and tails around them (Taillard's estimate),
which costs the length of the moved stretch. Only the chosen move is applied and the heads
and tails recomputed (one pass in topological order, which also refuses a move that would
make a cycle). A move that puts back an order changed in the last few steps is tabu unless
its estimate beats the best schedule; after a run of steps without progress the search
starts again from one of the best schedules found (the elite, as in i-TSAB) with a few
random moves.

The inner loop is ``control.scheduling._lskernel``, compiled with numba when it is installed
(``pip install -e ".[fast]"``) and run as plain Python otherwise (the same code, more than a
hundred times slower: 8 µs against 1.2 ms per step on a 15x15 job shop).
"""
from __future__ import annotations

import threading
import time as _time
import types
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from petri.jobshop import Instance

from . import _lskernel
from .schedule import Schedule

__all__ = ["applies", "tabu_search", "kernels", "numba_available"]

_COMPILED = None


def numba_available() -> bool:
    try:
        import numba  # noqa: F401
        return True
    except ImportError:
        return False


def kernels(compiled: bool | None = None):
    """The kernel functions as a namespace: compiled by numba (``compiled`` True, or None
    and numba installed) or plain Python."""
    global _COMPILED
    if compiled is None:
        compiled = numba_available()
    if not compiled:
        return _lskernel
    if _COMPILED is None:
        import numba
        g = {"np": np, "__name__": _lskernel.__name__, "__file__": _lskernel.__file__}
        g.update({k: getattr(_lskernel, k) for k in ("IT", "SINCE", "BEST", "CUR", "RUNBEST",
                                                      "RESTARTS")})
        for name in _lskernel.FUNCTIONS:
            f = getattr(_lskernel, name)
            clone = types.FunctionType(f.__code__, g, name, f.__defaults__)
            clone.__module__ = _lskernel.__name__
            clone.__qualname__ = name
            g[name] = numba.njit(cache=True, nogil=True)(clone)
        _COMPILED = types.SimpleNamespace(**{k: g[k] for k in _lskernel.FUNCTIONS})
    return _COMPILED


_WARM: threading.Event | None = None


def warm_up() -> threading.Event:
    """Compile the kernels (or load them from numba's cache) in the background; the event
    is set when they are ready. Compiling takes seconds to minutes on a busy machine, once
    per installation: a caller with a deadline waits for the event only as long as it can."""
    global _WARM
    if _WARM is None:
        _WARM = threading.Event()
        done = _WARM

        def work():
            two = Instance.from_routes([[(0, 1), (1, 1)], [(1, 1), (0, 1)]])
            from .schedule import ScheduledOperation
            ops = [ScheduledOperation(0, 0, 0, 0, 1), ScheduledOperation(0, 1, 1, 1, 2),
                   ScheduledOperation(1, 0, 1, 0, 1), ScheduledOperation(1, 1, 0, 1, 2)]
            tabu_search(two, Schedule(two, ops), _time.perf_counter() + 1, max_iterations=1,
                        compiled=True, workers=1)
            done.set()
        threading.Thread(target=work, name="tabu-kernel-compile", daemon=True).start()
    return _WARM


def applies(inst: Instance) -> bool:
    """Whether the fast search handles ``inst``: one machine per operation, no calendars."""
    return not inst.has_calendars and all(len(op.machines) == 1 for op in inst.operations())


class _Arrays:
    def __init__(self, inst: Instance, schedule: Schedule):
        ops = [op for job in inst.jobs for op in job.operations]
        n = len(ops)
        offset, k = [], 0
        for job in inst.jobs:
            offset.append(k)
            k += len(job.operations)
        self.offset = offset
        self.jpred = np.full(n, -1, np.int64)
        self.jsucc = np.full(n, -1, np.int64)
        self.rel = np.zeros(n, np.int64)
        self.job = np.zeros(n, np.int64)
        self.mach = np.array([op.machines[0] for op in ops], np.int64)
        self.dur = np.array([op.durations[0] for op in ops], np.int64)
        for j, job in enumerate(inst.jobs):
            q0 = offset[j]
            self.rel[q0] = job.release if job.operations else 0
            for i in range(len(job.operations)):
                self.job[q0 + i] = j
                if i:
                    self.jpred[q0 + i] = q0 + i - 1
                    self.jsucc[q0 + i - 1] = q0 + i
        per: list[list[tuple]] = [[] for _ in range(inst.n_machines)]
        for o in schedule.operations:
            g = offset[o.job] + o.operation
            per[o.machine].append((o.start, o.end, g))
        width = max((len(p) for p in per), default=0) or 1
        self.seq = np.full((inst.n_machines, width), -1, np.int64)
        self.seqlen = np.zeros(inst.n_machines, np.int64)
        for m, p in enumerate(per):
            p.sort()
            self.seqlen[m] = len(p)
            self.seq[m, :len(p)] = [g for _, _, g in p]


def tabu_search(inst: Instance, schedule: Schedule, deadline: float, seed: int = 0,
                max_iterations: int | None = None, compiled: bool | None = None,
                stats: dict | None = None, workers: int | None = None) -> Schedule:
    """The best schedule found from ``schedule`` before ``deadline`` (a
    ``time.perf_counter()`` value) or after ``max_iterations`` steps; never worse than
    ``schedule`` (which is returned when nothing better is found). ``compiled``: use the
    numba kernels (default: when numba is installed). ``workers``: independent searches
    (seeds ``seed``, ``seed + 1``, ...) run at once in threads, the compiled kernel
    releasing the interpreter (default: one per available core when compiled, else one)."""
    if not applies(inst):
        raise ValueError("the fast tabu search needs one machine per operation and no calendars")
    if compiled is None:
        compiled = numba_available()
    k = kernels(compiled)
    a = _Arrays(inst, schedule)
    if len(a.dur) == 0:
        return schedule
    if workers is None:
        from .cpsat import cores
        workers = cores() if compiled else 1
    workers = max(1, int(workers))
    lb = inst.lower_bound()
    stop = threading.Event()
    if workers == 1:
        runs = [_run(k, inst, a, a.seq.copy(), seed, deadline, max_iterations, lb, stop)]
    else:
        with ThreadPoolExecutor(workers) as pool:
            futures = [pool.submit(_run, k, inst, a, a.seq.copy(), seed + w, deadline,
                                   max_iterations, lb, stop) for w in range(workers)]
            runs = [f.result() for f in futures]
    if stats is not None:
        stats["tabu_iterations"] = sum(int(st[_lskernel.IT]) for _, _, st in runs)
        stats["tabu_restarts"] = sum(int(st[_lskernel.RESTARTS]) for _, _, st in runs)
        if workers > 1:
            stats["tabu_workers"] = workers
    best_ms, best_seq, _ = min(runs, key=lambda r: r[0])
    if best_ms < 0 or best_ms >= schedule.makespan:
        return schedule              # nothing better (or the starting orders make a cycle)
    return _to_schedule(inst, a, best_seq)


def _run(k, inst, a: _Arrays, seq, seed: int, deadline: float, max_iterations, lb: int,
         stop: threading.Event):
    """One search from the machine orders ``seq``: (best makespan or -1 for a cycle, its
    orders, the kernel's state)."""
    n = len(a.dur)
    best_seq = seq.copy()
    elite = np.repeat(seq[None, :, :], 8, axis=0)
    elite_ms = np.full(8, np.iinfo(np.int64).max, np.int64)
    tabu = np.zeros((n, max(inst.n_jobs, 1)), np.int64)
    state = np.zeros(8, np.int64)
    big = np.iinfo(np.int64).max
    state[_lskernel.BEST] = big
    state[_lskernel.RUNBEST] = big
    # tenure grows with the jobs per machine (Zhang et al.: 10 + n/m, up to 1.4 times that)
    lo = 10 + inst.n_jobs // max(inst.n_machines, 1)
    hi = int(lo * 1.4) + 1
    patience = max(2000, 20 * n)
    k.seed_rng(int(seed) & 0x7FFFFFFF)
    steps = 0
    chunk = 5 if k is _lskernel else 200       # plain Python: about a millisecond a step
    while not stop.is_set():
        t0 = _time.perf_counter()
        todo = chunk if max_iterations is None else min(chunk, max_iterations - steps)
        if todo <= 0:
            break
        got = k.search(a.jpred, a.jsucc, a.dur, a.rel, a.job, a.mach, seq, a.seqlen, best_seq,
                       elite, elite_ms, tabu, state, todo, patience, lo, hi, lb)
        if got < 0:
            return -1, best_seq, state
        steps += todo
        if state[_lskernel.BEST] <= lb:
            stop.set()               # optimal: the other searches can stop too
            break
        if _time.perf_counter() >= deadline:
            break
        if _time.perf_counter() - t0 < 0.02:     # look at the clock about every 20-40 ms
            chunk = min(chunk * 2, 1_000_000)
    return int(state[_lskernel.BEST]), best_seq, state


def _to_schedule(inst: Instance, a: _Arrays, seq) -> Schedule:
    """The semi-active schedule of the machine orders ``seq``, re-timed by the general
    re-timing of ``control.scheduling.improve`` (not by the kernel)."""
    from .improve import Solution, _Index, timing, to_schedule
    idx = _Index(inst)
    machine = [int(m) for m in a.mach]
    order = [[int(o) for o in seq[m, :a.seqlen[m]]] for m in range(inst.n_machines)]
    sol = Solution(machine, order)
    timed = timing(idx, sol)
    if timed is None:
        raise AssertionError("the tabu search produced machine orders with a cycle")
    return to_schedule(idx, sol, timed, "tabu")
