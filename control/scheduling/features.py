"""Per-binding features: what the learned policy sees of one (operation x machine) choice.

Every feature is a ratio, a rank or a time divided by the instance's mean processing time,
and none of them shrinks as the number of offered bindings grows (counts are taken against
their mean, not their total), so that the same policy reads instances of any size and time
scale. ``FEATURES`` names them in column order; the policy file records this list and
inference refuses a file whose list differs.

With calendars, an hour of work takes more than an hour of the clock: a machine working
``w`` of the week's 168 hours stretches its work by ``168 / w``. ``job_time_left`` measures a
job's remaining work that way (each operation at the mean stretch of its machines).

``fill_features`` is the one definition of the features. It is written in the subset of
Python that numba compiles and reads only indexing and arithmetic, so the dispatcher runs it
as plain Python on the ``Shop``'s lists (``binding_features``) and the compiled one-pass
kernel (``control.scheduling._passkernel``) runs the same code on arrays.
"""
from __future__ import annotations

import numpy as np

__all__ = ["FEATURES", "binding_features", "fill_features", "starting_state", "week_shares"]

FEATURES = [
    "duration",              # processing time on this machine / mean processing time
    "duration_vs_best",      # processing time here / the operation's shortest time
    "flexibility",           # 1 / number of machines that can do the operation
    "job_work_left",         # job's remaining work (this operation included) / mean time
    "job_work_left_rank",    # job's remaining work / the largest among the offered bindings
    "job_ops_left",          # job's remaining operations / its number of operations
    "job_ops_left_rank",     # job's remaining operations / the most among the offered bindings
    "job_waiting",           # time the job has waited / mean time
    "machine_load",          # work still to come for this machine / the average machine's
    "machine_idle",          # time the machine has been idle / mean time
    "machine_queue",         # offered bindings on this machine / their mean per offered machine
    "job_choices",           # offered bindings of this job / their mean per offered job
    "duration_vs_queue",     # processing time / the shortest offered on this machine
    "progress",              # operations started / all operations
    "due_slack",             # (due - now - work left) / mean time, clipped to [-10, 10]; 0 if none
    "has_due",               # 1 if the job has a due time
    "priority",              # job priority / the highest priority in the instance
    "next_duration",         # the job's next operation's mean time / mean time (0 if last)
    "job_time_left",         # job's remaining work stretched by its machines' calendars / mean time
    "job_time_left_rank",    # share of the offered bindings whose job has less of it
    "machine_week",          # the machine's working share of the week (1 without a calendar)
]
N_FEATURES = len(FEATURES)

#: no processing time is this long: the start value of "the shortest on this machine"
NONE_SHORTER = 1 << 62


def fill_features(x, n, jobs, machines, durations, clock, scheduled, total_work,
                  next_op, first_op, total_ops, ready, remaining_work, remaining_ops,
                  due, has_due, priority, op_min, op_n_machines, op_mean, free, load,
                  inv_mean, top_priority, n_operations, per_machine, best_on, per_job,
                  op_time_left, machine_week, time_left):
    """Write the features of the ``n`` offered bindings (``jobs[i]`` on ``machines[i]`` for
    ``durations[i]``) into ``x``, row after row (``x[i * N_FEATURES + f]``).

    Per job: ``next_op`` (the waiting operation's index in the job), ``first_op`` (the
    job's first operation in the instance's numbering, job by job), ``total_ops``, ``ready``,
    ``remaining_work``, ``remaining_ops``, ``due`` and ``has_due``, ``priority``. Per
    operation: ``op_min`` (shortest time), ``op_n_machines``, ``op_mean`` (mean time). Per
    machine: ``free``, ``load``, ``machine_week``; per operation also ``op_time_left``
    (``starting_state``). ``per_machine`` and ``per_job`` must hold zeros and ``best_on``
    ``NONE_SHORTER`` on entry; they are left so on return. ``time_left``: a float array of
    at least ``n`` entries (scratch).
    """
    F = 21
    max_work = 0.0
    max_left = 0
    n_machines = 0
    n_jobs = 0
    for i in range(n):
        j, m, d = jobs[i], machines[i], durations[i]
        if i == 0 or remaining_work[j] > max_work:
            max_work = remaining_work[j]
        if i == 0 or remaining_ops[j] > max_left:
            max_left = remaining_ops[j]
        if per_machine[m] == 0:
            n_machines += 1
        if per_job[j] == 0:
            n_jobs += 1
        per_machine[m] += 1
        per_job[j] += 1
        if d < best_on[m]:
            best_on[m] = d
        time_left[i] = op_time_left[first_op[j] + next_op[j]]
    # rank: how many offered bindings have a job with strictly less stretched work left
    ranks = np.searchsorted(np.sort(time_left[:n]), time_left[:n])
    queue_mean = n / n_machines
    choices_mean = n / n_jobs
    if max_work == 0:
        max_work = 1.0
    if max_left == 0:
        max_left = 1
    avg_load = total_work / len(load)
    progress = scheduled / n_operations
    for i in range(n):
        j, m, d = jobs[i], machines[i], durations[i]
        o = first_op[j] + next_op[j]
        work = remaining_work[j]
        left = remaining_ops[j]
        row = i * F
        x[row] = d * inv_mean
        x[row + 1] = d / (op_min[o] if op_min[o] != 0 else 1)
        x[row + 2] = 1.0 / op_n_machines[o]
        x[row + 3] = work * inv_mean
        x[row + 4] = work / max_work
        x[row + 5] = left / total_ops[j]
        x[row + 6] = left / max_left
        x[row + 7] = (clock - ready[j]) * inv_mean
        x[row + 8] = load[m] / avg_load if avg_load > 0 else 0.0
        x[row + 9] = (clock - free[m]) * inv_mean
        x[row + 10] = per_machine[m] / queue_mean
        x[row + 11] = per_job[j] / choices_mean
        x[row + 12] = d / (best_on[m] if best_on[m] != 0 else 1)
        x[row + 13] = progress
        if has_due[j]:
            x[row + 14] = max(-10.0, min(10.0, (due[j] - clock - work) * inv_mean))
            x[row + 15] = 1.0
        else:
            x[row + 14] = 0.0
            x[row + 15] = 0.0
        x[row + 16] = priority[j] / top_priority
        x[row + 17] = (op_mean[o + 1] if next_op[j] + 1 < total_ops[j] else 0.0) * inv_mean
        x[row + 18] = time_left[i] * inv_mean
        x[row + 19] = ranks[i] / n
        x[row + 20] = machine_week[m]
    for i in range(n):
        per_machine[machines[i]] = 0
        per_job[jobs[i]] = 0
        best_on[machines[i]] = NONE_SHORTER


def binding_features(shop, cand) -> np.ndarray:
    """The feature matrix (one row per offered binding, columns as ``FEATURES``)."""
    n = len(cand)
    x = [0.0] * (n * N_FEATURES)
    fill_features(x, n, cand.jobs, cand.machines, cand.durations, shop.clock, shop.scheduled,
                  shop.total_work, shop.next_op, shop.first_op, shop.total_ops, shop.ready,
                  shop.remaining_work, shop.remaining_ops, shop.due_time, shop.has_due,
                  shop.priority, shop.op_min, shop.op_n_machines, shop.op_mean, shop.free,
                  shop.load, 1.0 / shop.mean_duration, shop.top_priority, shop.n_operations,
                  shop.per_machine, shop.best_on, shop.per_job, shop.op_time_left,
                  shop.machine_week, np.empty(n))
    return np.array(x, dtype=np.float64).reshape(n, N_FEATURES)


def week_shares(inst) -> list[float]:
    """Per machine, its working share of the week (1 without a calendar)."""
    week = 7 * 24 * 60
    shares = [1.0 if cal is None else max(cal.weekly_minutes(), 1) / week
              for cal in inst.calendars]
    return [1.0 if c < 0 else shares[c] for c in inst.machine_calendars]


def starting_state(entry_first, entry_machine, entry_duration, first_op, total_ops,
                   machine_stretch, op_min, op_n_machines, op_mean, op_time_left,
                   remaining_work, load):
    """The dispatch's starting state from the instance's operations, written into the
    given lists or arrays; returns the total work and the sum of the operations' mean times.

    Operation ``o`` (numbered job by job, job ``j``'s from ``first_op[j]``, ``total_ops[j]``
    of them) can run on ``entry_machine[e]`` for ``entry_duration[e]``, ``e`` from
    ``entry_first[o]`` to ``entry_first[o + 1]``; ``machine_stretch``: per machine, ``1 /``
    its working share of the week (``week_shares``). Per operation: ``op_min`` (shortest
    time), ``op_n_machines``, ``op_mean`` (mean time) and ``op_time_left``, the job's work
    from it to its end with each operation's mean time stretched by the mean stretch of its
    machines (an hour of work takes ``168 / w`` hours of the clock on a machine working ``w``
    of the week's 168). Per job: ``remaining_work``, the sum of its operations' mean times.
    Per machine (zeros on entry): ``load``, the mean work that it could do, each
    operation's shared among its machines. Sums run in this order, so the dispatcher (plain
    Python on its ``Shop``'s lists) and the compiled pass (on arrays) get the same numbers."""
    total_work = 0.0
    mean_sum = 0.0
    for j in range(len(first_op)):
        first = first_op[j]
        last = first + total_ops[j]
        work = 0.0
        for o in range(first, last):
            lo = entry_first[o]
            hi = entry_first[o + 1]
            total = 0
            shortest = entry_duration[lo]
            stretch = 0.0
            for e in range(lo, hi):
                d = entry_duration[e]
                total += d
                if d < shortest:
                    shortest = d
                stretch += machine_stretch[entry_machine[e]]
            count = hi - lo
            mean = total / count
            op_min[o] = shortest
            op_n_machines[o] = count
            op_mean[o] = mean
            mean_sum += mean
            work += mean
            share = mean / count
            for e in range(lo, hi):
                load[entry_machine[e]] += share
            op_time_left[o] = mean * (stretch / count)
        remaining_work[j] = work
        total_work += work
        left = 0.0
        for o in range(last - 1, first - 1, -1):
            left += op_time_left[o]
            op_time_left[o] = left
    return total_work, mean_sum
