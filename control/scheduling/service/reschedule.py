"""Repairing a schedule: a machine breaks down, or time has moved on.

``reschedule(instance, operations, now=..., down=...)`` keeps every operation that started
before ``now`` where it is. The others are placed again one by one in the order they had
(by start time), each as early as its job, its machine and ``now`` allow; no operation runs
on the broken machine between ``down``'s start and end (one that would is pushed to the end
of the breakdown, or moved to another machine that can do it, if that finishes it sooner).
On a machine with a working calendar an operation is placed by the dispatcher's rule: it
starts inside a working window and fits in it, or, if it is splittable, stops at each break
and goes on when work resumes; none of its pieces may touch the breakdown.
Nothing starts earlier than planned unless the plan left the room; the result is checked by
``check_schedule`` like any other.
"""
from __future__ import annotations

from petri.jobshop import Instance

from ..improve import place_in_calendar
from ..schedule import Schedule, ScheduledOperation

__all__ = ["reschedule"]


def _overlaps(pieces, down) -> bool:
    """Whether a piece of work touches the breakdown ``down`` = (machine, start, end)."""
    return any((s < down[2] and e > down[1]) or (s == e and down[1] <= s < down[2])
               for s, e in pieces)


def reschedule(instance: Instance, operations: list[ScheduledOperation], now: int = 0,
               down: tuple[int, int, int] | None = None) -> Schedule:
    """The repaired schedule; ``down`` = (machine index, start, end)."""
    ready_job = [job.release for job in instance.jobs]
    ready_machine = [0] * instance.n_machines
    cals = [instance.calendar_of(m) for m in range(instance.n_machines)]
    ops = sorted(operations, key=lambda o: (o.start, o.job, o.operation))
    out: list[ScheduledOperation] = []
    for o in ops:
        if o.start >= now:
            continue
        op = instance.jobs[o.job].operations[o.operation]
        pieces = o.pieces
        if not pieces and cals[o.machine] is not None:    # stored without its pieces
            s, e, pieces = place_in_calendar(cals[o.machine], o.start, op.duration(o.machine),
                                             op.splittable)
            if (s, e) != (o.start, o.end):                # not where the rule puts it
                pieces = ()
        out.append(ScheduledOperation(o.job, o.operation, o.machine, o.start, o.end, pieces))
        ready_job[o.job] = max(ready_job[o.job], o.end)
        ready_machine[o.machine] = max(ready_machine[o.machine], o.end)
    for o in ops:
        if o.start < now:
            continue
        op = instance.jobs[o.job].operations[o.operation]
        earliest = max(now, ready_job[o.job])

        def placed(m: int) -> tuple[int, int, tuple]:
            d = op.duration(m)
            t = max(earliest, ready_machine[m])
            while True:
                if cals[m] is None:
                    s, e, pieces = t, t + d, ((t, t + d),)
                else:
                    s, e, pieces = place_in_calendar(cals[m], t, d, op.splittable)
                if down is None or m != down[0] or not _overlaps(pieces, down):
                    return s, e, pieces
                t = max(t, down[2])

        machine = o.machine
        start, end, pieces = placed(machine)
        if down is not None and machine == down[0]:
            for m in op.machines:
                s, e, p = placed(m)
                if e < end:
                    machine, start, end, pieces = m, s, e, p
        out.append(ScheduledOperation(o.job, o.operation, machine, start, end,
                                      pieces if cals[machine] is not None else ()))
        ready_job[o.job] = end
        ready_machine[machine] = max(ready_machine[machine], end)
    out.sort(key=lambda o: (o.job, o.operation))
    return Schedule(instance, out, method="reschedule", lower_bound=instance.lower_bound())
