"""The dispatcher: the job-shop net's token game, specialised for speed.

``dispatch(instance, controller)`` plays exactly the rules of ``petri.jobshop.instance_net``
(tests check it against the engine, decision for decision): at each instant, split
operations resume first; then, while some operation can start on some machine (the job is
waiting, the machine is free and can do it, the machine's working window is open and the
operation ends before it closes, or may be split), the controller chooses one of those
bindings; when none is left the clock moves to the next time a job, a machine or a working
window becomes ready. Only the pairs that involve a job or a machine that became ready are
examined anew, since the previous instant left no enabled binding behind.

A controller is anything with ``choose(shop, candidates) -> index``; ``candidates`` is a
``Candidates`` (parallel lists ``jobs``, ``machines``, ``durations``) and ``shop`` the
running ``Shop`` (clock and per-job / per-machine state).
"""
from __future__ import annotations

import heapq
import time as _time
from itertools import accumulate, chain

from petri.jobshop import Instance

from .features import NONE_SHORTER, starting_state, week_shares
from .schedule import Schedule, ScheduledOperation

__all__ = ["Shop", "Candidates", "dispatch"]

_JOB, _MACHINE, _RESUME = 0, 1, 2


class Candidates:
    """The enabled bindings at a decision: ``jobs[i]`` on ``machines[i]`` for ``durations[i]``."""

    __slots__ = ("jobs", "machines", "durations")

    def __init__(self):
        self.jobs: list[int] = []
        self.machines: list[int] = []
        self.durations: list[int] = []

    def __len__(self):
        return len(self.jobs)

    def add(self, j: int, m: int, d: int) -> None:
        self.jobs.append(j)
        self.machines.append(m)
        self.durations.append(d)

    def drop(self, job: int, machine: int) -> None:
        """Remove every binding of ``job`` or ``machine`` (both are taken now)."""
        keep = [i for i, (j, m) in enumerate(zip(self.jobs, self.machines))
                if j != job and m != machine]
        if len(keep) != len(self.jobs):
            self.jobs = [self.jobs[i] for i in keep]
            self.machines = [self.machines[i] for i in keep]
            self.durations = [self.durations[i] for i in keep]


class Shop:
    """The state of a dispatch run, as controllers read it.

    Per job: ``next_op`` (index of the waiting operation), ``ready`` (since when it waits),
    ``remaining_work`` (mean processing time of its operations not started, this one
    included) and ``remaining_ops``. Per machine: ``free`` (when it is free) and ``load``
    (the mean work still to come that it could do, shared among each operation's machines).
    Per operation, numbered job by job from ``first_op[j]``: ``op_min``, ``op_n_machines``,
    ``op_mean``, ``op_time_left``; per machine also ``machine_week``.
    """

    def __init__(self, inst: Instance):
        self.instance = inst
        self.clock = 0
        jobs = inst.jobs
        ops = [op for j in jobs for op in j.operations]
        n_ops, n_machines = len(ops), inst.n_machines
        # operations numbered job by job: job j's k-th is first_op[j] + k
        self.total_ops = [len(j.operations) for j in jobs]
        self.first_op = [0, *accumulate(self.total_ops)][:-1]
        self.next_op = [0] * len(jobs)
        self.ready = [j.release for j in jobs]
        self.remaining_ops = list(self.total_ops)
        self.free = [0] * n_machines
        self.due = [j.due for j in jobs]
        self.due_time = [0 if j.due is None else j.due for j in jobs]
        self.has_due = [j.due is not None for j in jobs]
        self.priority = [j.priority for j in jobs]
        # per operation its shortest, mean and stretched times, per job the work left, per
        # machine the load and its working share of the week (features.starting_state)
        self.op_min = [0] * n_ops
        self.op_n_machines = [0] * n_ops
        self.op_mean = [0.0] * n_ops
        self.op_time_left = [0.0] * n_ops
        self.remaining_work = [0.0] * len(jobs)
        self.load = [0.0] * n_machines
        self.machine_week = week_shares(inst)
        self.total_work, mean_sum = starting_state(
            [0, *accumulate(len(op.machines) for op in ops)],
            list(chain.from_iterable(op.machines for op in ops)),
            list(chain.from_iterable(op.durations for op in ops)), self.first_op,
            self.total_ops, [1.0 / w for w in self.machine_week], self.op_min,
            self.op_n_machines, self.op_mean, self.op_time_left, self.remaining_work, self.load)
        # scratch space of the features (see features.fill_features)
        self.per_machine = [0] * n_machines
        self.best_on = [NONE_SHORTER] * n_machines
        self.per_job = [0] * len(jobs)
        self.scheduled = 0
        self.n_operations = max(1, n_ops)
        self.top_priority = max((j.priority for j in jobs), default=1.0) or 1.0
        self.mean_duration = (mean_sum / max(1, n_ops)) or 1.0

    def operation(self, j: int):
        return self.instance.jobs[j].operations[self.next_op[j]]


def dispatch(inst: Instance, controller, method: str = "") -> Schedule:
    """Play the instance's net with ``controller`` choosing every binding; the schedule."""
    t0 = _time.perf_counter()
    shop = Shop(inst)
    if hasattr(controller, "reset"):
        controller.reset(shop)
    cals = [inst.calendar_of(m) for m in range(inst.n_machines)]
    jobs = inst.jobs
    waiting_on: list[dict[int, None]] = [{} for _ in range(inst.n_machines)]  # ordered sets
    heap: list = []
    for j, job in enumerate(jobs):
        if job.operations:
            heapq.heappush(heap, (job.release, _JOB, j))
    suspended: dict[int, tuple[int, int, int, list]] = {}    # job -> (op, machine, left, pieces)
    result: list[ScheduledOperation] = []
    rechecks: set[tuple[int, int]] = set()
    free, ready, next_op = shop.free, shop.ready, shop.next_op
    choose = controller.choose

    def finish_piece(j, k, m, start, end, left, pieces):
        """Record a piece; when the work is done, the job moves on."""
        pieces.append((start, end))
        free[m] = end
        heapq.heappush(heap, (end, _MACHINE, m))
        if left > 0:
            suspended[j] = (k, m, left, pieces)
            cal = cals[m]
            heapq.heappush(heap, (cal.next_start(end - 1), _RESUME, j))
            return
        result.append(ScheduledOperation(j, k, m, pieces[0][0], end, tuple(pieces)))
        ready[j] = end
        if k + 1 < len(jobs[j].operations):
            next_op[j] = k + 1
            heapq.heappush(heap, (end, _JOB, j))
        else:
            next_op[j] = k + 1

    def run_piece(j, k, m, t, work, pieces):
        cal = cals[m]
        if cal is None:
            finish_piece(j, k, m, t, t + work, 0, pieces)
            return
        w_end = cal.window_at(t)[1]
        piece = min(work, w_end - t)
        finish_piece(j, k, m, t, t + piece, work - piece, pieces)

    while heap:
        t = heap[0][0]
        shop.clock = t
        touched: dict[int, None] = {}
        resumes = []
        while heap and heap[0][0] == t:
            _, kind, x = heapq.heappop(heap)
            if kind == _MACHINE:
                touched[x] = None
            elif kind == _JOB:
                op = jobs[x].operations[next_op[x]]
                for m in op.machines:
                    waiting_on[m][x] = None
                    touched[m] = None
            else:
                resumes.append(x)
        # 1. split operations go on first (priority above every decision)
        for j in sorted(resumes):
            k, m, left, pieces = suspended.pop(j)
            run_piece(j, k, m, t, left, pieces)
        # 2. the enabled bindings among the jobs and machines that became ready
        cand = Candidates()
        for m in sorted(touched):
            if free[m] > t or not waiting_on[m]:
                continue
            cal = cals[m]
            window = cal.window_at(t) if cal is not None else None
            if cal is not None and window is None:
                _recheck(heap, rechecks, cal.next_start(t), m)
                continue
            blocked = False
            for j in waiting_on[m]:
                op = jobs[j].operations[next_op[j]]
                d = op.durations[op.machines.index(m)]
                if window is not None and t + d > window[1] and not op.splittable:
                    blocked = True
                    continue
                cand.add(j, m, d)
            if blocked:
                _recheck(heap, rechecks, cal.next_start(t), m)
        _sort(cand)
        # 3. the controller chooses until nothing is enabled at this instant
        while len(cand):
            i = choose(shop, cand)
            j, m, d = cand.jobs[i], cand.machines[i], cand.durations[i]
            k = next_op[j]
            op = jobs[j].operations[k]
            for q in op.machines:
                waiting_on[q].pop(j, None)
            shop.remaining_work[j] -= op.mean_duration
            shop.total_work -= op.mean_duration
            shop.remaining_ops[j] -= 1
            share = op.mean_duration / len(op.machines)
            for q in op.machines:
                shop.load[q] -= share
            shop.scheduled += 1
            run_piece(j, k, m, t, d, [])
            cand.drop(j, m)
    wall = _time.perf_counter() - t0
    return Schedule(inst, result, method=method, wall_seconds=wall, lower_bound=inst.lower_bound())


def _recheck(heap, rechecks, when: int, m: int) -> None:
    """Look at machine ``m`` again when its next working window opens."""
    if (when, m) not in rechecks:
        rechecks.add((when, m))
        heapq.heappush(heap, (when, _MACHINE, m))


def _sort(cand: Candidates) -> None:
    """Bindings sorted by job, then machine (controllers break ties on the values
    themselves, so the order matters only for reading)."""
    order = sorted(range(len(cand)), key=lambda i: (cand.jobs[i], cand.machines[i]))
    cand.jobs = [cand.jobs[i] for i in order]
    cand.machines = [cand.machines[i] for i in order]
    cand.durations = [cand.durations[i] for i in order]
