"""Per-binding features: what the learned policy sees of one (operation x machine) choice.

Every feature is a ratio or a time divided by the instance's mean processing time, so that
the same policy reads instances of any size and time scale. ``FEATURES`` names them in
column order; the policy file records this list and inference refuses a file whose list
differs.
"""
from __future__ import annotations

import numpy as np

__all__ = ["FEATURES", "binding_features"]

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
    "machine_queue",         # offered bindings on this machine / offered bindings
    "job_choices",           # offered bindings of this job / offered bindings
    "duration_vs_queue",     # processing time / the shortest offered on this machine
    "progress",              # operations started / all operations
    "due_slack",             # (due - now - work left) / mean time, clipped to [-10, 10]; 0 if none
    "has_due",               # 1 if the job has a due time
    "priority",              # job priority / the highest priority in the instance
    "next_duration",         # the job's next operation's mean time / mean time (0 if last)
]


def binding_features(shop, cand) -> np.ndarray:
    """The feature matrix (one row per offered binding, columns as ``FEATURES``)."""
    mu = shop.mean_duration
    inv = 1.0 / mu
    t = shop.clock
    jobs, machines, durations = cand.jobs, cand.machines, cand.durations
    n = len(jobs)
    ops = [shop.operation(j) for j in jobs]
    work = [shop.remaining_work[j] for j in jobs]
    left = [shop.remaining_ops[j] for j in jobs]
    max_work = max(work) or 1.0
    max_left = max(left) or 1
    per_machine: dict[int, int] = {}
    best_on: dict[int, int] = {}
    per_job: dict[int, int] = {}
    for j, m, d in zip(jobs, machines, durations):
        per_machine[m] = per_machine.get(m, 0) + 1
        per_job[j] = per_job.get(j, 0) + 1
        if d < best_on.get(m, 1 << 62):
            best_on[m] = d
    total_left = shop.total_work
    avg_load = total_left / len(shop.load)
    top_priority = shop.top_priority
    jobs_ops = shop.instance.jobs
    rows = []
    for i in range(n):
        j, m, d, op = jobs[i], machines[i], durations[i], ops[i]
        due = shop.due[j]
        k = shop.next_op[j]
        nxt = jobs_ops[j].operations[k + 1].mean_duration if k + 1 < shop.total_ops[j] else 0.0
        rows.append((
            d * inv,
            d / (op.min_duration or 1),
            1.0 / len(op.machines),
            work[i] * inv,
            work[i] / max_work,
            left[i] / shop.total_ops[j],
            left[i] / max_left,
            (t - shop.ready[j]) * inv,
            shop.load[m] / avg_load if avg_load > 0 else 0.0,
            (t - shop.free[m]) * inv,
            per_machine[m] / n,
            per_job[j] / n,
            d / (best_on[m] or 1),
            shop.scheduled / shop.n_operations,
            0.0 if due is None else max(-10.0, min(10.0, (due - t - work[i]) * inv)),
            0.0 if due is None else 1.0,
            shop.priority[j] / top_priority,
            nxt * inv,
        ))
    return np.asarray(rows, dtype=np.float64)
