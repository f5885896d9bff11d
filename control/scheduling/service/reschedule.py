"""Repairing a schedule: a machine breaks down, or time has moved on.

``reschedule(instance, operations, now=..., down=...)`` keeps every operation that started
before ``now`` where it is. The others are placed again one by one in the order they had
(by start time), each as early as its job, its machine and ``now`` allow; no operation runs
on the broken machine between ``down``'s start and end (one that would is pushed to the end
of the breakdown, or moved to another machine that can do it, if that finishes it sooner).
Nothing starts earlier than planned unless the plan left the room; the result is checked by
``check_schedule`` like any other.
"""
from __future__ import annotations

from petri.jobshop import Instance

from ..schedule import Schedule, ScheduledOperation

__all__ = ["reschedule"]


def reschedule(instance: Instance, operations: list[ScheduledOperation], now: int = 0,
               down: tuple[int, int, int] | None = None) -> Schedule:
    """The repaired schedule; ``down`` = (machine index, start, end)."""
    ready_job = [job.release for job in instance.jobs]
    ready_machine = [0] * instance.n_machines
    ops = sorted(operations, key=lambda o: (o.start, o.job, o.operation))
    kept = [o for o in ops if o.start < now]
    out: list[ScheduledOperation] = []
    for o in kept:
        out.append(o)
        ready_job[o.job] = max(ready_job[o.job], o.end)
        ready_machine[o.machine] = max(ready_machine[o.machine], o.end)
    for o in ops:
        if o.start < now:
            continue
        op = instance.jobs[o.job].operations[o.operation]
        earliest = max(now, ready_job[o.job])

        def placed(m: int) -> tuple[int, int]:
            d = op.duration(m)
            s = max(earliest, ready_machine[m])
            if down is not None and m == down[0] and s < down[2] and (s + d > down[1]
                                                                       or (d == 0 and s >= down[1])):
                s = down[2]
            return s, s + d

        machine = o.machine
        start, end = placed(machine)
        if down is not None and machine == down[0]:
            for m in op.machines:
                s, e = placed(m)
                if e < end:
                    machine, start, end = m, s, e
        out.append(ScheduledOperation(o.job, o.operation, machine, start, end))
        ready_job[o.job] = end
        ready_machine[machine] = max(ready_machine[machine], end)
    out.sort(key=lambda o: (o.job, o.operation))
    return Schedule(instance, out, method="reschedule", lower_bound=instance.lower_bound())
