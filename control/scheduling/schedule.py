"""A schedule: when each operation runs on which machine, and the checker that trusts nothing.

``check_schedule`` recomputes everything from the instance alone (precedence, one operation
per machine at a time, eligibility, durations, release times, calendars), independent of
the code that built the schedule.
"""
from __future__ import annotations

import csv
import io
from array import array
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter

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


_END = attrgetter("end")


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
        return max(map(_END, self.operations), default=0)

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
    """Every way ``schedule`` breaks the instance's rules, as sentences (empty: feasible).

    The rules are checked first on arrays, all operations at once (``_rules_hold``); only
    when that finds a fault, or meets a case it leaves to the sentences (a working window
    longer than a week, times near the calendars' end), are they checked again operation by
    operation, which words each fault."""
    if _rules_hold(inst, schedule.operations):
        return []
    return _problems(inst, schedule.operations)


def _problems(inst: Instance, operations) -> list[str]:
    """The faults of ``operations``, operation by operation, each in a sentence."""
    problems: list[str] = []
    by_op = {}
    for o in operations:
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
    for o in operations:
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


_WEEK = 7 * 24 * 60


def _integers(values):
    """``values`` as an array of 64-bit integers, or None when one of them is no integer
    (a float, say) or does not fit in 64 bits."""
    import numpy as np
    try:
        return np.frombuffer(array("q", values), np.int64)
    except (TypeError, OverflowError):
        return None


def _rules_hold(inst: Instance, operations) -> bool:
    """Whether ``operations`` keep every rule that ``check_schedule`` words, checked on
    arrays (the schedule's, in the order of its list, and the instance's
    ``operation_arrays``): True only when ``check_schedule`` would find nothing; False when
    some rule is broken or the case is one this check leaves to the sentences."""
    import numpy as np

    from petri.jobshop import CALENDAR_SPAN
    i64 = np.int64
    n = len(operations)
    arrays = inst.operation_arrays()
    first = arrays.first_op
    if n != int(first[-1]) or n == 0:
        return n == 0 == int(first[-1])
    n_ops = np.diff(first)
    columns = [_integers([o.job for o in operations]),
               _integers([o.operation for o in operations]),
               _integers([o.machine for o in operations]),
               _integers([o.start for o in operations]), _integers([o.end for o in operations])]
    if any(c is None for c in columns) or arrays.duration.dtype.kind != "i":
        return False                             # numbers other than integers: the sentences
    job, k, machine, start, end = columns
    if job.min() < 0 or job.max() >= len(n_ops) or k.min() < 0:
        return False
    if np.any(k >= n_ops[job]):
        return False
    at = first[job] + k                          # the operation's number, job by job
    if np.any(np.bincount(at, minlength=n) != 1):       # each exactly once
        return False
    if machine.min() < 0 or machine.max() >= inst.n_machines:
        return False
    # eligibility and duration: the time on the first of the operation's machines that is
    # the one it runs on
    entry_op = np.repeat(np.arange(n), np.diff(arrays.first_entry))
    runs_on = np.empty(n, i64)
    runs_on[at] = machine
    match = np.flatnonzero(arrays.machine == runs_on[entry_op])
    of = entry_op[match]
    match = match[np.flatnonzero(np.diff(of, prepend=-1))]     # the first one of each
    if len(match) != n:
        return False
    duration = arrays.duration[match][at]
    # precedence: after the release or the end of the job's operation before
    order = np.empty(n, i64)
    order[at] = np.arange(n)                     # operation number -> position in the list
    before = np.empty(n, i64)
    before[1:] = end[order[:-1]]
    jobs = inst.jobs
    before[first[:-1][n_ops > 0]] = [job.release for job in jobs if job.operations]
    if np.any(start[order] < before):
        return False
    # the pieces: in order from start to end, working the operation's duration
    pieces = [o.pieces for o in operations]
    if not all(pieces):                          # no pieces: one from start to end
        pieces = [p or ((o.start, o.end),) for p, o in zip(pieces, operations)]
    n_pieces = np.fromiter(map(len, pieces), i64, n)
    total = int(n_pieces.sum())
    flat = _integers(list(chain.from_iterable(chain.from_iterable(pieces))))
    if flat is None or len(flat) != 2 * total:
        return False
    ps, pe = flat[0::2], flat[1::2]
    piece_first = np.zeros(n, i64)
    np.cumsum(n_pieces[:-1], out=piece_first[1:])
    piece_last = piece_first + n_pieces - 1
    if np.any(pe < ps) or np.any(ps[piece_first] != start) or np.any(pe[piece_last] != end):
        return False
    later = np.ones(total, bool)
    later[piece_first] = False
    if np.any(ps[1:][later[1:]] < pe[:-1][later[1:]]):
        return False
    if np.any(np.add.reduceat(pe - ps, piece_first) != duration):
        return False
    # calendars: split only where allowed; each piece within a working window; a split
    # operation stops at a window's end and goes on when the next one opens
    calendar = np.asarray(inst.machine_calendars, i64)[machine]
    split = n_pieces > 1
    if np.any(split & (calendar < 0)):
        return False
    if np.any(split & ~arrays.splittable[at]):
        return False
    piece_op = np.repeat(np.arange(n), n_pieces)
    piece_calendar = calendar[piece_op]
    until = int(max(flat.max(), 0)) + 2 * _WEEK
    if until + 2 * _WEEK > CALENDAR_SPAN and np.any(piece_calendar >= 0):
        return False
    next_piece = np.flatnonzero(later)           # pieces that follow one of the same operation
    for c in np.unique(piece_calendar[piece_calendar >= 0]).tolist():
        if inst.calendars[c].longest_window() > _WEEK:
            return False
        windows = inst.calendars[c].windows(until)
        ws = np.array([w[0] for w in windows], i64)
        we = np.array([w[1] for w in windows], i64)
        if len(ws) == 0 or np.any(we - ws > _WEEK):
            return False
        mine = np.flatnonzero((piece_calendar == c) & (pe != ps))
        w = np.searchsorted(ws, ps[mine], side="right") - 1
        if np.any(w < 0):
            return False
        if np.any(ps[mine] >= we[w]) or np.any(pe[mine] > we[w]):
            return False
        mine = next_piece[piece_calendar[next_piece] == c]
        s0, e0 = ps[mine - 1], pe[mine - 1]
        w = np.searchsorted(ws, s0, side="right") - 1
        if np.any(w < 0) or np.any(s0 >= we[np.maximum(w, 0)]) or np.any(e0 != we[w]):
            return False
        nxt = np.searchsorted(ws, e0 - 1, side="right")
        if np.any(nxt >= len(ws)) or np.any(ws[np.minimum(nxt, len(ws) - 1)] != ps[mine]):
            return False
    # one operation at a time on each machine
    busy = np.flatnonzero(pe > ps)
    m, bs, be = machine[piece_op[busy]], ps[busy], pe[busy]
    by = np.lexsort((be, bs, m))
    m, bs, be = m[by], bs[by], be[by]
    same = m[1:] == m[:-1]
    return not np.any(bs[1:][same] < be[:-1][same])
