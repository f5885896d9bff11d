"""The learned policy's greedy one pass, compiled: the same schedule as the dispatcher, faster.

``policy_pass(instance, policy)`` gives exactly the schedule of
``dispatch(instance, PolicyController(policy))`` (every operation on the same machine at the
same times, in the same order): it runs ``control.scheduling._passkernel`` compiled by numba
when numba is installed (the ``fast`` extra) and its compiled code is ready, and the
dispatcher otherwise. The kernel uses the dispatcher's ``Shop`` for its starting state and
``features.fill_features`` for the features, so there is one definition of each.

Compiling takes seconds (once per installation: numba keeps the code on disk); ``warm_up()``
compiles in the background and until then every pass runs in the dispatcher. Instances the
kernel does not take (an operation listing a machine twice, a working window longer than a
week, whose end depends on how far ahead the calendar was laid out) go to the dispatcher.
"""
from __future__ import annotations

import threading
import time as _time
import types
from itertools import accumulate, chain

import numpy as np

from petri.jobshop import Instance

from . import _passkernel as K
from .dispatch import Shop, dispatch
from .policy import TIE, Policy, PolicyController
from .schedule import Schedule, ScheduledOperation

__all__ = ["policy_pass", "warm_up", "kernel", "numba_available"]

_WEEK = 7 * 24 * 60
_COMPILED = None
_WARM: threading.Event | None = None
_LOCK = threading.Lock()


def numba_available() -> bool:
    try:
        import numba  # noqa: F401
        return True
    except ImportError:
        return False


def kernel(compiled: bool = True):
    """The kernel's functions as a namespace: compiled by numba, or the plain Python."""
    global _COMPILED
    if not compiled:
        return types.SimpleNamespace(**{k: getattr(K, k) for k in K.FUNCTIONS})
    with _LOCK:
        if _COMPILED is None:
            import numba
            g = {"np": np, "math": K.math, "__name__": K.__name__, "__file__": K.__file__}
            g.update({k: getattr(K, k) for k in ("N_FEATURES", "NONE_SHORTER", "JOB", "MACHINE",
                                                  "RESUME", "DONE", "NEED_WINDOWS",
                                                  "NEED_PIECES", "STOPPED", "STATUS", "RESULTS",
                                                  "PIECES", "LOG2_E", "LN2_HIGH", "LN2_LOW",
                                                  "C2", "C3", "C4", "C5", "C6", "C7", "C8",
                                                  "C9", "C10", "C11", "C12", "C13",
                                                  "BOUND_MARGIN")})
            for name in K.FUNCTIONS:
                f = getattr(K, name)
                clone = types.FunctionType(f.__code__, g, name, f.__defaults__)
                clone.__module__ = f.__module__
                clone.__qualname__ = name
                fastmath = {"reassoc", "contract"} if name in K.REASSOCIATED else False
                g[name] = numba.njit(cache=True, nogil=True, fastmath=fastmath)(clone)
            _COMPILED = types.SimpleNamespace(**{k: g[k] for k in K.FUNCTIONS})
    return _COMPILED


def warm_up() -> threading.Event:
    """Compile the kernel (or load it from numba's cache) in the background, by running it
    on a tiny instance; the event is set when it is ready (at once without numba: it never
    will be, and ``policy_pass`` runs the dispatcher)."""
    global _WARM
    with _LOCK:
        if _WARM is not None:
            return _WARM
        _WARM = done = threading.Event()
    if not numba_available():
        return done

    def compile_it():
        try:
            tiny = Instance.from_routes([[(0, 2), (1, 1)], [(1, 2), (0, 3)]], name="warm-up")
            _run(tiny, Policy.random(hidden=2), kernel(True))
        finally:
            done.set()
    threading.Thread(target=compile_it, daemon=True, name="petri-compile-pass").start()
    return done


def policy_pass(inst: Instance, policy: Policy, method: str = "policy",
                compiled: bool | None = None) -> Schedule:
    """The greedy policy's schedule of ``inst``. ``compiled``: None, the compiled kernel
    when ``warm_up()`` has made it ready (else the dispatcher); True, compile it now if need
    be (numba required); False, the dispatcher."""
    t0 = _time.perf_counter()
    ops = None
    if compiled is None:
        compiled = _WARM is not None and _WARM.is_set() and _COMPILED is not None
    if compiled:
        ops = _run(inst, policy, kernel(True))
    if ops is None:
        return dispatch(inst, PolicyController(policy), method=method)
    wall = _time.perf_counter() - t0
    return Schedule(inst, ops, method=method, wall_seconds=wall, lower_bound=inst.lower_bound())


def _run(inst: Instance, policy: Policy, k,
         n_pieces: int | None = None) -> list[ScheduledOperation] | None:
    """The kernel's schedule of ``inst``, or None when the kernel does not take it;
    ``n_pieces``: room for so many pieces at first (more is made when they run out)."""
    shop = Shop(inst)
    J, M = inst.n_jobs, inst.n_machines
    i64, f64 = np.int64, np.float64
    ops = [op for job in inst.jobs for op in job.operations]
    counts = shop.op_n_machines
    n_entries = sum(counts)
    entry_first = [0, *accumulate(counts)]
    entry_machine = np.fromiter(chain.from_iterable(op.machines for op in ops), i64, n_entries)
    entry_duration = np.fromiter(chain.from_iterable(op.durations for op in ops), i64,
                                 n_entries)
    entry_op = np.repeat(np.arange(len(ops), dtype=i64), counts)
    if len(np.unique(entry_op * M + entry_machine)) != n_entries:
        return None                      # an operation that lists a machine twice
    entry_job = np.repeat(np.repeat(np.arange(J, dtype=i64), shop.total_ops), counts)
    splittable = [op.splittable for op in ops]
    share = [m / c for m, c in zip(shop.op_mean, counts)]      # as Shop's load
    cal_windows = _windows(inst, _first_horizon(inst))
    if cal_windows is None:
        return None
    a = policy.arrays
    weights = (a["mean"], 1.0 / a["scale"], np.ascontiguousarray(a["w1"]), a["b1"],
               np.ascontiguousarray(a["w2"]), a["b2"], a["w3"].reshape(-1),
               float(a["b3"].reshape(-1)[0]), TIE)
    static = (np.array([j.release for j in inst.jobs], i64), np.array(shop.total_ops, i64),
              np.array(shop.first_op, i64), np.array(entry_first, i64),
              np.array(entry_machine, i64), np.array(entry_duration, i64),
              np.array(entry_job, i64), np.array(splittable, np.bool_), np.array(share, f64),
              np.array(inst.machine_calendars, i64))
    n_pieces = n_pieces or 4 * inst.n_operations + 64
    while True:
        cal_first, win_start, win_end, covered = cal_windows
        results = np.empty((6, inst.n_operations), i64)
        pieces = np.empty((3, n_pieces), i64)
        status = np.zeros(3, i64)
        k.policy_pass(*static, cal_first, win_start, win_end, covered,
                      np.array(shop.next_op, i64), np.array(shop.ready, i64),
                      np.array(shop.remaining_work, f64), np.array(shop.remaining_ops, i64),
                      np.array(shop.due_time, i64), np.array(shop.has_due, np.bool_),
                      np.array(shop.priority, f64), np.array(shop.op_min, i64),
                      np.array(shop.op_n_machines, i64), np.array(shop.op_mean, f64),
                      np.array(shop.free, i64), np.array(shop.load, f64), shop.total_work,
                      1.0 / shop.mean_duration, float(shop.top_priority),
                      shop.n_operations, np.array(shop.op_time_left, f64),
                      np.array(shop.machine_week, f64), *weights, results, pieces, status)
        if status[0] == K.DONE:
            break
        if status[0] == K.NEED_PIECES:
            n_pieces *= 4
        elif status[0] == K.NEED_WINDOWS:
            cal_windows = _windows(inst, 2 * int(covered.max()) + _WEEK)
            if cal_windows is None:
                return None
        else:
            return None
    r, starts, ends, nexts = results, pieces[0].tolist(), pieces[1].tolist(), pieces[2].tolist()
    out = []
    for j, op, m, s, e, p in zip(*(row[:status[1]].tolist() for row in r)):
        if nexts[p] < 0:
            out.append(ScheduledOperation(j, op, m, s, e, ((s, e),)))
            continue
        split = []
        while p >= 0:
            split.append((starts[p], ends[p]))
            p = nexts[p]
        out.append(ScheduledOperation(j, op, m, s, e, tuple(split)))
    return out


def _first_horizon(inst: Instance) -> int:
    """How far to lay out working windows at first: eight weeks past the last release."""
    return max((j.release for j in inst.jobs), default=0) + 8 * _WEEK


def _windows(inst: Instance, until: int):
    """Every used calendar's working windows that start before ``until``, as arrays; None
    when one of them is longer than a week."""
    used = {c for c in inst.machine_calendars if c >= 0}
    first, starts, ends = [0], [], []
    for c, cal in enumerate(inst.calendars):
        if c in used:
            for s, e in cal.windows(until):
                if e - s > _WEEK:
                    return None
                starts.append(s)
                ends.append(e)
        first.append(len(starts))
    n = max(1, len(inst.calendars))
    return (np.array(first + [len(starts)] * (n + 1 - len(first)), np.int64),
            np.array(starts, np.int64), np.array(ends, np.int64),
            np.full(n, until, np.int64))
