"""The learned policy's greedy one pass, compiled: the same schedule as the dispatcher, faster.

``policy_pass(instance, policy)`` gives exactly the schedule of
``dispatch(instance, PolicyController(policy))`` (every operation on the same machine at the
same times, in the same order): it runs ``control.scheduling._passkernel`` compiled by numba
when numba is installed (the ``fast`` extra) and its compiled code is ready, and the
dispatcher otherwise. The kernel gets the instance as flat arrays (per job, per operation, per
machine, and each operation's machines and times one after the other) and works out its
starting state with ``features.starting_state``, as the dispatcher's ``Shop`` does, and the
features with ``features.fill_features``, so there is one definition of each.

Compiling takes seconds (once per installation: numba keeps the code on disk); ``warm_up()``
compiles in the background and until then every pass runs in the dispatcher. Instances the
kernel does not take (an operation listing a machine twice, a working window longer than a
week, whose end depends on how far ahead the calendar was laid out) go to the dispatcher.
"""
from __future__ import annotations

import threading
import time as _time
import types
from itertools import chain

import numpy as np

from petri.jobshop import Instance

from . import _passkernel as K
from .dispatch import dispatch
from .features import week_shares
from .policy import Policy, PolicyController
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
    cal_windows = _windows(inst, _first_horizon(inst))
    if cal_windows is None:
        return None
    i64, f64 = np.int64, np.float64
    jobs = inst.jobs
    J, n_ops = len(jobs), inst.n_operations
    ops = [op for job in jobs for op in job.operations]
    entry_first = np.zeros(n_ops + 1, i64)
    np.cumsum(np.fromiter([len(op.machines) for op in ops], i64, n_ops), out=entry_first[1:])
    n_entries = int(entry_first[-1])
    due = [j.due for j in jobs]
    arrays = (np.fromiter([j.release for j in jobs], i64, J),
              np.fromiter([len(j.operations) for j in jobs], i64, J),
              np.fromiter([0 if d is None else d for d in due], i64, J),
              np.fromiter([d is not None for d in due], np.bool_, J),
              np.fromiter([j.priority for j in jobs], f64, J), entry_first,
              np.fromiter(chain.from_iterable([op.machines for op in ops]), i64, n_entries),
              np.fromiter(chain.from_iterable([op.durations for op in ops]), i64, n_entries),
              np.fromiter([op.splittable for op in ops], np.bool_, n_ops),
              np.array(inst.machine_calendars, i64), np.array(week_shares(inst), f64))
    weights = policy.kernel_weights()
    n_pieces = n_pieces or 4 * n_ops + 64
    while True:
        results = np.empty((6, n_ops), i64)
        pieces = np.empty((3, n_pieces), i64)
        status = np.zeros(3, i64)
        k.policy_pass(*arrays, *cal_windows, *weights, results, pieces, status)
        if status[0] == K.DONE:
            break
        if status[0] == K.NEED_PIECES:
            n_pieces *= 4
        elif status[0] == K.NEED_WINDOWS:
            cal_windows = _windows(inst, 2 * int(cal_windows[3].max()) + _WEEK)
            if cal_windows is None:
                return None
        else:
            return None
    return _operations(results[:, :status[K.RESULTS]], pieces[:, :status[K.PIECES]])


def _operations(results, pieces) -> list[ScheduledOperation]:
    """The scheduled operations from the kernel's ``results`` and ``pieces``."""
    starts, ends, nexts = pieces.tolist()
    out = []
    add = out.append
    for j, k, m, s, e, p in zip(*results.tolist()):
        if nexts[p] < 0:
            add(ScheduledOperation(j, k, m, s, e, ((s, e),)))
            continue
        split = []
        while p >= 0:
            split.append((starts[p], ends[p]))
            p = nexts[p]
        add(ScheduledOperation(j, k, m, s, e, tuple(split)))
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
