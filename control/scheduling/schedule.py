"""A schedule: when each operation runs on which machine, and the checker that trusts nothing.

``check_schedule`` recomputes everything from the instance alone (precedence, one operation
per machine at a time, eligibility, durations, release times, calendars), independent of
the code that built the schedule.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from petri.jobshop import Instance

__all__ = ["ScheduledOperation", "Schedule", "check_schedule"]


@dataclass(frozen=True)
class ScheduledOperation:
    """Operation ``operation`` of job ``job`` on machine ``machine`` from ``start`` to ``end``;
    ``pieces`` are the working stretches of a split operation (one piece otherwise)."""

    job: int
    operation: int
    machine: int
    start: int
    end: int
    pieces: tuple[tuple[int, int], ...] = ()


@dataclass
class Schedule:
    """The result of scheduling an instance: every operation, the makespan and a lower bound."""

    instance: Instance
    operations: list[ScheduledOperation]
    method: str = ""
    wall_seconds: float = 0.0
    lower_bound: int = 0
    stats: dict = field(default_factory=dict)

    @property
    def makespan(self) -> int:
        return max((o.end for o in self.operations), default=0)

    @property
    def gap(self) -> float:
        """How far the makespan is above the lower bound, as a fraction of the bound."""
        return (self.makespan - self.lower_bound) / self.lower_bound if self.lower_bound else 0.0

    def machine_sequences(self) -> list[list[ScheduledOperation]]:
        seqs: list[list[ScheduledOperation]] = [[] for _ in range(self.instance.n_machines)]
        for o in sorted(self.operations, key=lambda o: (o.start, o.job)):
            seqs[o.machine].append(o)
        return seqs

    def summary(self) -> dict:
        inst = self.instance
        out = {
            "instance": inst.name,
            "makespan": inst.to_hours(self.makespan),
            "lower_bound": inst.to_hours(self.lower_bound),
            "gap": round(self.gap, 6),
            "jobs": inst.n_jobs,
            "machines": inst.n_machines,
            "operations": inst.n_operations,
            "method": self.method,
            "wall_seconds": round(self.wall_seconds, 6),
            "time_unit": "hour" if inst.time_unit == "minute" else "unit",
        }
        if inst.start is not None:
            out["start"] = inst.date_of(0).isoformat(timespec="minutes")
            out["end"] = inst.date_of(self.makespan).isoformat(timespec="minutes")
        out.update(self.stats)
        return out

    def to_csv(self) -> str:
        """One row per operation: job, operation, machine, start, end (numbered from 0 in file
        order, machines as named in the file; plant data keep their names, hours and dates)."""
        inst = self.instance
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        plant = inst.time_unit == "minute"
        if plant:
            w.writerow(["job", "operation", "machine", "start", "end", "start_date", "end_date"])
        else:
            w.writerow(["job", "operation", "machine", "start", "end"])
        for o in sorted(self.operations, key=lambda o: (o.job, o.operation)):
            if plant:
                w.writerow([inst.jobs[o.job].name, o.operation, inst.machine_names[o.machine],
                            _num(inst.to_hours(o.start)), _num(inst.to_hours(o.end)),
                            inst.date_of(o.start).isoformat(sep=" ", timespec="minutes"),
                            inst.date_of(o.end).isoformat(sep=" ", timespec="minutes")])
            else:
                w.writerow([o.job, o.operation, inst.machine_names[o.machine], o.start, o.end])
        return buf.getvalue()


def _num(x: float):
    return int(x) if float(x).is_integer() else round(x, 4)


def check_schedule(inst: Instance, schedule: Schedule) -> list[str]:
    """Every way ``schedule`` breaks the instance's rules, as sentences (empty: feasible)."""
    problems: list[str] = []
    by_op = {}
    for o in schedule.operations:
        key = (o.job, o.operation)
        if key in by_op:
            problems.append(f"job {o.job} operation {o.operation} is scheduled twice")
        by_op[key] = o
    calendars = [inst.calendar_of(m) for m in range(inst.n_machines)]
    busy: dict[int, list] = {}
    for j, job in enumerate(inst.jobs):
        prev_end = job.release
        for op in job.operations:
            o = by_op.get((j, op.index))
            if o is None:
                problems.append(f"job {j} operation {op.index} is not scheduled")
                continue
            m = o.machine
            if m not in op.machines:
                problems.append(f"job {j} operation {op.index} runs on machine {m}, which "
                                f"cannot do it")
                continue
            if o.start < prev_end:
                problems.append(f"job {j} operation {op.index} starts at {o.start}, before "
                                f"{prev_end} (release or the end of the operation before)")
            d = op.durations[op.machines.index(m)]
            pieces = o.pieces or ((o.start, o.end),)
            if len(pieces) == 1:
                s, e = pieces[0]
                in_order = s == o.start and e == o.end and e >= s
                work = e - s
            else:
                in_order = pieces[0][0] == o.start and pieces[-1][1] == o.end
                work, before = 0, pieces[0][0]
                for s, e in pieces:         # each piece after the one before, not backwards
                    if s < before or e < s:
                        in_order = False
                    work += e - s
                    before = e
            if not in_order:
                problems.append(f"job {j} operation {op.index}: its pieces do not run in "
                                f"order from start to end")
            if work != d:
                problems.append(f"job {j} operation {op.index} works {work}, but takes {d} on "
                                f"machine {m}")
            cal = calendars[m]
            if cal is not None:
                if len(pieces) > 1 and not op.splittable:
                    problems.append(f"job {j} operation {op.index} is split but may not be")
                opened = [None if e == s else cal.window_at(s) for s, e in pieces]
                for (s, e), w in zip(pieces, opened):
                    if e != s and (w is None or e > w[1]):
                        problems.append(f"job {j} operation {op.index} runs from {s} to {e}, "
                                        f"outside the working time of machine {m}")
                if len(pieces) > 1:
                    for (s0, e0), (s1, e1), w in zip(pieces, pieces[1:], opened):
                        if e0 == s0:
                            w = cal.window_at(s0)
                        if w is None or e0 != w[1] or cal.next_start(e0 - 1) != s1:
                            problems.append(f"job {j} operation {op.index} stops at {e0} and "
                                            f"goes on at {s1}, not at a break and the next "
                                            f"working time")
            elif len(pieces) > 1:
                problems.append(f"job {j} operation {op.index} is split on a machine without "
                                f"a calendar")
            prev_end = o.end
    for o in schedule.operations:
        for s, e in (o.pieces or ((o.start, o.end),)):
            if e > s:
                busy.setdefault(o.machine, []).append((s, e, o.job, o.operation))
    for m, spans in busy.items():
        spans.sort()
        for a, b in zip(spans, spans[1:]):
            if b[0] < a[1]:
                problems.append(f"machine {m} runs job {a[2]} operation {a[3]} and job {b[2]} "
                                f"operation {b[3]} at once ({b[0]} < {a[1]})")
    return problems
