"""Job shops: the scheduling problem as data, its working calendars, and its timed net.

An ``Instance`` holds jobs (each a sequence of operations), machines (each in a capability
group and on a calendar) and calendars (weekly shifts, breaks, holidays). Times are integers:
the instance's own unit for OR-Library and Brandimarte files, minutes for a plant's CSV data
(``time_unit``). ``instance_net`` turns an instance into a timed coloured net whose
controllable bindings are the scheduling decisions (operation x eligible machine); the
scheduler in ``control.scheduling`` plays the same rules faster.

>>> inst = Instance.from_routes([[(0, 3), (1, 2)], [(1, 4), (0, 1)]])
>>> inst.n_jobs, inst.n_machines, inst.n_operations, inst.lower_bound()
(2, 2, 4, 6)
"""
from __future__ import annotations

import bisect
import datetime as _dt
from array import array
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter

from .errors import NetError
from .model import InputArc, Net, OutputArc, Token

__all__ = ["Operation", "new_operation", "Job", "OperationArrays", "Calendar", "Instance",
           "instance_net", "WEEKDAYS", "CALENDAR_SPAN"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = 24 * 60
_WEEK = 7 * _DAY
#: how far a calendar's working windows reach: ten years (520 weeks, in minutes) from its start
CALENDAR_SPAN = 520 * _WEEK


class _computed_once:
    """A property computed at its first reading and kept in the object (like
    ``functools.cached_property``, without the lock that Python 3.11 takes at every first
    reading: instances make thousands of operations, each read once or twice)."""

    def __init__(self, compute):
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.compute(obj)
        return value


@dataclass(frozen=True)
class Operation:
    """One step of a job: the machines that can do it and how long each takes.

    ``machines`` are machine indices, ``durations`` the time on each (same order);
    ``splittable``: the operation may stop at a break and go on, on the same machine, when
    work resumes; otherwise it must fit between two breaks.
    """

    job: int
    index: int
    machines: tuple[int, ...]
    durations: tuple[int, ...]
    splittable: bool = False

    def duration(self, machine: int) -> int:
        return self.durations[self.machines.index(machine)]

    @_computed_once
    def min_duration(self) -> int:
        return min(self.durations)

    @_computed_once
    def mean_duration(self) -> float:
        return sum(self.durations) / len(self.durations)


_new = object.__new__
_set = object.__setattr__


def new_operation(job: int, index: int, machines: tuple[int, ...], durations: tuple[int, ...],
                  splittable: bool = False) -> Operation:
    """``Operation(job, index, machines, durations, splittable)``, made without the frozen
    dataclass's ``__init__`` (one ``object.__setattr__`` per field): the same object in
    half the time, for code that makes thousands of operations from checked data."""
    op = _new(Operation)
    _set(op, "__dict__", {"job": job, "index": index, "machines": machines,
                          "durations": durations, "splittable": splittable})
    return op


@dataclass
class Job:
    """A job: its name, its operations in order, release, due time (or None) and priority."""

    name: str
    operations: list[Operation]
    release: int = 0
    due: int | None = None
    priority: float = 1.0


class Calendar:
    """When a group of machines works: weekly shifts minus breaks, minus holidays.

    ``shifts`` and ``breaks`` map a weekday (0 = Monday) to ``(start, end)`` pairs in minutes
    from midnight (an end past midnight runs into the next day); ``holidays`` are dates on
    which nothing works. Time 0 is midnight at the start of ``start`` (a date). Working
    windows are computed as far ahead as asked and cached.

    >>> cal = Calendar("day", {d: [(360, 840)] for d in range(5)}, {d: [(720, 750)] for d in range(5)},
    ...                start=_dt.date(2026, 1, 5))
    >>> cal.window_at(400), cal.window_at(730), cal.next_start(730)
    ((360, 720), None, 750)
    """

    def __init__(self, name: str, shifts: dict, breaks: dict | None = None,
                 holidays=(), start: _dt.date | None = None):
        self.name = name
        self.shifts = {d: sorted(v) for d, v in shifts.items() if v}
        self.breaks = {d: sorted(v) for d, v in (breaks or {}).items() if v}
        self.holidays = frozenset(holidays)
        self.start = start or _dt.date(2026, 1, 5)
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._horizon = 0
        if not self.shifts:
            raise NetError("the calendar has no working time", element=f"calendar {name}")

    def copy(self) -> "Calendar":
        """The same calendar with the working windows computed so far, extended on its own
        from here (a calendar computed once can serve many instances, one copy each)."""
        twin = Calendar.__new__(Calendar)
        twin.__dict__.update(self.__dict__)
        twin._starts = list(self._starts)
        twin._ends = list(self._ends)
        return twin

    def weekly_minutes(self) -> int:
        """Working minutes in a week without holidays."""
        if getattr(self, "_weekly", None) is None:
            self._weekly = sum(e - s for s, e in self._day_windows_all())
        return self._weekly

    def _day_windows_all(self):
        out = []
        for d in range(7):
            out += self._windows_of_week_day(d, 0)
        return out

    def _windows_of_week_day(self, weekday: int, base: int) -> list[tuple[int, int]]:
        """Working intervals of shifts starting on that weekday, breaks removed."""
        out = []
        for s, e in self.shifts.get(weekday, ()):
            pieces = [(base + s, base + e)]
            for bd, brs in self.breaks.items():
                for bs, be in brs:
                    for shift_day in (-7, 0, 7):   # breaks repeat weekly
                        off = base + (bd - weekday + shift_day) * _DAY
                        lo, hi = off + bs, off + be
                        pieces = [q for p in pieces for q in _cut(p, lo, hi)]
            out += [p for p in pieces if p[1] > p[0]]
        return out

    def _extend(self, until: int) -> None:
        """Compute working windows until at least ``until``."""
        while self._horizon <= until:
            base = self._horizon
            for day in range(7):
                date = self.start + _dt.timedelta(minutes=base + day * _DAY)
                if date in self.holidays:
                    continue
                for s, e in self._windows_of_week_day(date.weekday(), base + day * _DAY):
                    self._add(s, e)
            self._horizon = base + _WEEK
            if self._horizon > CALENDAR_SPAN:
                if not self._starts:
                    raise NetError("the calendar has no working time in ten years",
                                   element=f"calendar {self.name}")
                raise NetError(f"the schedule would run past the calendar's end, ten years "
                               f"from {self.start} (time {CALENDAR_SPAN})",
                               element=f"calendar {self.name}")

    def _add(self, s: int, e: int) -> None:
        # holidays apply to the day a shift starts; overlapping windows merge
        if self._ends and s <= self._ends[-1]:
            self._ends[-1] = max(self._ends[-1], e)
        else:
            self._starts.append(s)
            self._ends.append(e)

    def windows(self, until: int) -> list[tuple[int, int]]:
        """The working windows ``(start, end)`` that start before ``until``."""
        self._extend(until + _WEEK)
        k = bisect.bisect_left(self._starts, until)
        return list(zip(self._starts[:k], self._ends[:k]))

    def window_at(self, t: int) -> tuple[int, int] | None:
        """The working window open at ``t`` (start <= t < end), or None."""
        self._extend(t + _WEEK)
        k = bisect.bisect_right(self._starts, t) - 1
        if k >= 0 and t < self._ends[k]:
            return self._starts[k], self._ends[k]
        return None

    def next_start(self, t: int) -> int:
        """The start of the first working window that starts after ``t``."""
        while True:
            self._extend(t + _WEEK)
            k = bisect.bisect_right(self._starts, t)
            if k < len(self._starts):
                return self._starts[k]
            self._extend(self._horizon + _WEEK)

    def finish(self, t: int, work: int) -> int:
        """When ``work`` minutes of work started at ``t`` end, going on after breaks."""
        starts, ends = self._starts, self._ends
        while work > 0:
            self._extend(t + _WEEK)
            k = bisect.bisect_right(starts, t) - 1
            if k < 0 or t >= ends[k]:
                t = self.next_start(t)
                continue
            last = len(starts) - 1            # every window but the last is complete
            while True:
                piece = min(work, ends[k] - t)
                work -= piece
                t += piece
                if work <= 0 or k == last:
                    break
                k += 1
                t = starts[k]
        return t

    def finish_many(self, times, works) -> list[int]:
        """``[finish(t, w) for t, w in zip(times, works)]``, worked out on arrays: the
        working minutes before each window, one search for where each piece of work starts
        and one for where it ends."""
        import numpy as np
        times = np.asarray(times, np.int64)
        works = np.asarray(works, np.int64)
        if len(times) == 0:
            return []
        windows = self.windows(int(times.max()) + 2 * _WEEK)
        ws = np.fromiter((w[0] for w in windows), np.int64, len(windows))
        we = np.fromiter((w[1] for w in windows), np.int64, len(windows))
        before = np.zeros(len(ws) + 1, np.int64)        # working minutes before window k
        np.cumsum(we - ws, out=before[1:])
        k = np.searchsorted(ws, times, side="right") - 1
        inside = (k >= 0) & (times < we[np.maximum(k, 0)])
        done = np.where(inside, before[np.maximum(k, 0)] + times - ws[np.maximum(k, 0)],
                        before[k + 1])
        target = done + works
        q = np.searchsorted(before[1:], target, side="left")
        late = q >= len(ws) - 1         # in the last window laid out, or past it: step by step
        q = np.minimum(q, len(ws) - 1)
        out = np.where(works > 0, ws[q] + target - before[q], times).tolist()
        for i in np.flatnonzero(late & (works > 0)).tolist():
            out[i] = self.finish(int(times[i]), int(works[i]))
        return out

    def longest_window(self) -> int:
        """The longest stretch of work without a break, over a year."""
        if getattr(self, "_longest", None) is None:
            self._extend(53 * _WEEK)
            self._longest = max((e - s for s, e in zip(self._starts, self._ends)), default=0)
        return self._longest

    def __repr__(self):
        return f"Calendar({self.name!r}, {self.weekly_minutes()} min/week)"


def _few_machine_sets(jobs: list[Job], a: "OperationArrays", entry_op, n_ops: int,
                      n_machines: int) -> bool:
    """Whether the operations name 300 different sets of machines at most. Counted first on
    the arrays: each set as the sum of a 64-bit code per machine (splitmix64 of its number:
    equal sets, equal sums; different ones hardly ever alike, so more than 300 different
    sums means more than 300 sets); else, or when an operation names a machine twice, set
    by set."""
    import numpy as np
    if n_ops <= 300:
        return True
    pairs = np.sort(entry_op * n_machines + a.machine)
    if not np.any(pairs[1:] == pairs[:-1]):          # no machine named twice by one operation
        u64 = np.uint64
        code = (np.arange(1, n_machines + 1, dtype=u64) * u64(0x9E3779B97F4A7C15))
        code ^= code >> u64(30)
        code *= u64(0xBF58476D1CE4E5B9)
        code ^= code >> u64(27)
        code *= u64(0x94D049BB133111EB)
        code ^= code >> u64(31)
        sums = np.sort(np.add.reduceat(code[a.machine], a.first_entry[:-1]))
        if 1 + np.count_nonzero(sums[1:] != sums[:-1]) > 300:
            return False
    ops = chain.from_iterable(map(_OPERATIONS, jobs))
    return len(set(map(frozenset, map(_MACHINES, ops)))) <= 300


_OPERATIONS = attrgetter("operations")
_MACHINES = attrgetter("machines")


@dataclass(frozen=True)
class OperationArrays:
    """An instance's operations as arrays (``Instance.operation_arrays``): the operations
    are numbered job by job, job ``j``'s from ``first_op[j]`` to ``first_op[j + 1] - 1``;
    operation ``i`` can run on the machines ``machine[first_entry[i]:first_entry[i + 1]]``
    taking ``duration[...]`` on each (its ``machines`` and ``durations``, in their order);
    ``splittable[i]``: whether it may be split. ``duration`` holds 64-bit integers when every
    time is one (else what numpy makes of them: floats, or Python's numbers)."""

    first_op: "np.ndarray"
    first_entry: "np.ndarray"
    machine: "np.ndarray"
    duration: "np.ndarray"
    splittable: "np.ndarray"

    @classmethod
    def of(cls, jobs: list[Job]) -> "OperationArrays":
        import numpy as np
        i64 = np.int64
        per_job = [job.operations for job in jobs]
        ops = list(chain.from_iterable(per_job))
        first_op = np.zeros(len(jobs) + 1, i64)
        np.cumsum(np.fromiter(map(len, per_job), i64, len(jobs)), out=first_op[1:])
        machines = [op.machines for op in ops]
        first_entry = np.zeros(len(ops) + 1, i64)
        np.cumsum(np.fromiter(map(len, machines), i64, len(ops)), out=first_entry[1:])
        n = int(first_entry[-1])
        machine = np.fromiter(chain.from_iterable(machines), i64, n)
        times = list(chain.from_iterable([op.durations for op in ops]))
        try:
            duration = np.frombuffer(array("q", times), i64)
        except (TypeError, OverflowError):              # not all 64-bit integers
            duration = np.array(times)
        if len(duration) != n:
            raise ValueError("an operation lists more or fewer times than machines")
        splittable = np.fromiter([op.splittable for op in ops], bool, len(ops))
        return cls(first_op, first_entry, machine, duration, splittable)


def _cut(piece, lo, hi):
    s, e = piece
    if hi <= s or lo >= e:
        return [piece]
    return [p for p in ((s, lo), (hi, e)) if p[1] > p[0]]


@dataclass
class Instance:
    """A scheduling problem: jobs, machines with capability groups and calendars."""

    name: str
    jobs: list[Job]
    machine_names: list[str]
    machine_groups: list[str] = field(default_factory=list)
    machine_calendars: list[int] = field(default_factory=list)
    calendars: list[Calendar] = field(default_factory=list)
    time_unit: str = ""          # "" for abstract units, "minute" for plant data
    start: _dt.datetime | None = None
    source: str = ""

    def __post_init__(self):
        if not self.machine_groups:
            self.machine_groups = list(self.machine_names)
        if not self.machine_calendars:
            self.machine_calendars = [-1] * len(self.machine_names)

    @classmethod
    def from_routes(cls, routes, name: str = "jobshop") -> "Instance":
        """A classic job shop from per-job lists of ``(machine, duration)`` pairs."""
        n_machines = 1 + max((m for r in routes for m, _ in r), default=-1)
        jobs = [Job(str(j), [Operation(j, k, (m,), (d,)) for k, (m, d) in enumerate(r)])
                for j, r in enumerate(routes)]
        return cls(name, jobs, [str(m) for m in range(n_machines)])

    # -- sizes ------------------------------------------------------------------------------------
    @property
    def n_jobs(self) -> int:
        return len(self.jobs)

    @property
    def n_machines(self) -> int:
        return len(self.machine_names)

    @property
    def n_operations(self) -> int:
        return sum([len(j.operations) for j in self.jobs])

    @property
    def has_calendars(self) -> bool:
        return any(c >= 0 for c in self.machine_calendars)

    def operations(self):
        for job in self.jobs:
            yield from job.operations

    def calendar_of(self, machine: int) -> Calendar | None:
        c = self.machine_calendars[machine]
        return self.calendars[c] if c >= 0 else None

    def total_work(self) -> int:
        return sum(op.min_duration for op in self.operations())

    # -- bounds -----------------------------------------------------------------------------------
    def lower_bound(self) -> int:
        """No schedule ends before this (computed once)."""
        if getattr(self, "_lower_bound", None) is None:
            self._lower_bound = self._compute_lower_bound()
        return self._lower_bound

    def operation_arrays(self) -> "OperationArrays":
        """The operations numbered job by job and the machines that can do each, as arrays
        (computed once; see ``OperationArrays``)."""
        arrays = getattr(self, "_operation_arrays", None)
        if arrays is None:
            arrays = self._operation_arrays = OperationArrays.of(self.jobs)
        return arrays

    def _compute_lower_bound(self) -> int:
        """No schedule ends before this: the longest job (release plus the shortest way
        through its operations) and the load of every set of machines that some operations
        can only run on (their shortest times shared among the set's machines).

        The jobs' ends are worked out per calendar on arrays (``Calendar.finish_many``); the
        sets are the machines of operations (up to 300 different ones), each group and all
        machines, and memory stays linear in the operations and machines. The operations'
        shortest times, the jobs' work and the groups' loads are sums over
        ``operation_arrays`` (exact: numbers too large for 64 bits are summed as Python's)."""
        import numpy as np
        i64 = np.int64
        a = self.operation_arrays()
        calendars, which = self.calendars, self.machine_calendars
        n_jobs, n_ops = len(self.jobs), len(a.first_entry) - 1
        if n_ops == 0:
            return max((job.release for job in self.jobs), default=0)
        starts = a.first_entry[:-1]
        if np.any(a.first_entry[1:] == starts):
            raise ValueError(f"{self.name}: an operation that no machine can do")
        duration = a.duration
        if duration.dtype.kind != "i" or \
                int(np.abs(duration).max()) * (len(duration) + 1) >= 2 ** 62:
            duration = duration.astype(object)
        op_min = np.minimum.reduceat(duration, starts)      # each operation's shortest time
        work = np.zeros(n_jobs, op_min.dtype)               # each job's shortest work
        some = np.flatnonzero(a.first_op[1:] > a.first_op[:-1])
        work[some] = np.add.reduceat(op_min, a.first_op[some])
        work = work.tolist()
        release = [job.release for job in self.jobs]
        # the jobs: on machines without a calendar, release + work; else the end of that
        # work from the release on the calendar of the machine working the most minutes a
        # week (the first such machine when calendars work as many minutes)
        weekly = np.array([-1 if c < 0 else calendars[c].weekly_minutes() for c in which], i64)
        entry_weekly = weekly[a.machine]
        job_entries = a.first_entry[a.first_op]             # each job's first entry, and the end
        has = np.flatnonzero(job_entries[1:] > job_entries[:-1])     # jobs with operations
        free = np.ones(n_jobs, bool)
        best = 0
        if len(has):
            cut = job_entries[has]
            least = np.minimum.reduceat(entry_weekly, cut)
            most = np.maximum.reduceat(entry_weekly, cut)
            free[has] = least < 0
        for j in np.flatnonzero(free).tolist():
            best = max(best, release[j] + work[j])
        if not free.all():
            timed = has[least >= 0]
            used = {c for c in which if c >= 0}
            if len({calendars[c].weekly_minutes() for c in used}) == len(used):
                by_week = {calendars[c].weekly_minutes(): c for c in used}
                chosen = [by_week[w] for w in most[least >= 0].tolist()]
            else:
                top = entry_weekly == np.repeat(most, job_entries[has + 1] - cut)
                first = np.minimum.reduceat(np.where(top, a.machine, len(which)), cut)
                chosen = [calendars.index(calendars[which[m]])
                          for m in first[least >= 0].tolist()]
            by_calendar: dict[int, tuple[list, list]] = {}
            for j, c in zip(timed.tolist(), chosen):
                times, works = by_calendar.setdefault(c, ([], []))
                times.append(release[j])
                works.append(work[j])
            for c, (times, works) in by_calendar.items():
                best = max(best, *calendars[c].finish_many(times, works))
        total = op_min.sum()
        if not total:
            return best
        # the sets of machines: all, each group, and the machines of operations (when there
        # are 300 different ones at most), each with the shortest work of the operations
        # that run only on its machines
        sets: dict[frozenset, int] = {frozenset(range(self.n_machines)): int(total)}
        groups: dict[str, list[int]] = {}
        for m, g in enumerate(self.machine_groups):
            groups.setdefault(g, []).append(m)
        group_number = {g: k for k, g in enumerate(groups)}
        entry_group = np.array([group_number[g] for g in self.machine_groups], i64)[a.machine]
        op_group = entry_group[starts]                        # the group of its first machine
        entry_op = np.repeat(np.arange(n_ops), np.diff(a.first_entry))
        one_group = np.minimum.reduceat(entry_group == op_group[entry_op], starts)
        in_group = np.zeros(len(groups), op_min.dtype)
        np.add.at(in_group, op_group[one_group], op_min[one_group])
        for (g, members), d in zip(groups.items(), in_group.tolist()):
            sets[frozenset(members)] = d
        if _few_machine_sets(self.jobs, a, entry_op, n_ops, len(which)):
            ops = list(chain.from_iterable(map(_OPERATIONS, self.jobs)))
            # the machines of operations -> their shortest work
            load: dict[tuple[int, ...], int] = dict.fromkeys(map(_MACHINES, ops), 0)
            for ms, d in zip(map(_MACHINES, ops), op_min.tolist()):
                load[ms] += d
            kinds: dict[frozenset, int] = {}
            for machines, d in load.items():
                key = frozenset(machines)
                kinds[key] = kinds.get(key, 0) + d
            for key in kinds:
                sets[key] = sum([d for other, d in kinds.items() if other <= key])
        fastest = self._fastest_calendar
        for key, total in sets.items():
            if not total:
                continue
            machines = sorted(key)
            per = -(-total // len(machines))
            cal = fastest(machines)
            best = max(best, cal.finish(0, per) if cal else per)
        return best

    def _fastest_calendar(self, machines) -> Calendar | None:
        """The calendar with the most working minutes a week among those of ``machines``
        (the first such in their order); None if one of them has none, or there are none."""
        which, calendars = self.machine_calendars, self.calendars
        best, most = None, -1
        for m in machines:
            c = which[m]
            if c < 0:
                return None
            if c != best:
                w = calendars[c].weekly_minutes()
                if w > most:
                    best, most = c, w
        return None if best is None else calendars[best]

    def horizon(self) -> int:
        """A time by which any schedule without idle machines has ended (for nets with
        calendars: how far working windows are laid out)."""
        work = sum(max(op.durations) for op in self.operations())
        release = max((j.release for j in self.jobs), default=0)
        if not self.has_calendars:
            return release + work
        longest = max(max(op.durations) for op in self.operations())
        cal_end = 0
        for c in {c for c in self.machine_calendars if c >= 0}:
            cal_end = max(cal_end, self.calendars[c].finish(release, work + longest))
        # a non-splittable operation may wait one window per operation at worst
        return cal_end + self.n_operations * 7 * _DAY // 7

    def to_hours(self, t: int) -> float:
        return t / 60 if self.time_unit == "minute" else t

    def date_of(self, t: int) -> _dt.datetime | None:
        if self.start is None:
            return None
        return self.start + _dt.timedelta(minutes=t)


# ---------------------------------------------------------------------------------------------
# The timed net
# ---------------------------------------------------------------------------------------------

def _ident(name: str) -> str:
    out = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name)
    return out if out and not out[0].isdigit() else "g_" + out


def instance_net(inst: Instance, horizon: int | None = None) -> Net:
    """The instance as a timed coloured net.

    Places: ``waiting`` holds one token ``(job, operation)`` per job, stamped when the job
    may go on; ``finished`` the jobs done; one resource place per capability group holds its
    machines (machine indices), stamped when each is free. One controllable transition
    ``process_<group>`` per group takes a waiting operation and a machine of the group that
    can do it (table ``duration[job, operation, machine]``) and gives both back after the
    processing time. With calendars, place ``open`` holds a timed token ``(calendar, window)``
    per working window, ready when the window opens and taken away by ``close`` when it ends
    (``closing`` holds the end tokens); an operation starts only inside a window of its
    machine's calendar and only if it ends before the window does, unless it is splittable:
    then it works to the window's end and ``suspended`` holds ``(job, operation, machine,
    work left)`` until ``resume_<group>`` goes on at the next window.
    """
    net = Net(_ident(inst.name) or "jobshop", description=f"job shop {inst.name}: "
              f"{inst.n_jobs} jobs, {inst.n_machines} machines")
    cal = inst.has_calendars
    net.add_colour_set("Machine", "int", low=0, high=max(inst.n_machines - 1, 0), timed=True)
    net.add_colour_set("JobId", "int", low=0, high=max(inst.n_jobs - 1, 0), timed=True)
    net.add_colour_set("Step", "int", timed=True)
    net.add_colour_set("JobStep", components=("JobId", "Step"), timed=True)
    durations = {(op.job, op.index, m): d for op in inst.operations()
                 for m, d in zip(op.machines, op.durations)}
    net.add_table("duration", durations, key=("job", "operation", "machine"), value="duration")
    net.add_table("length", {j: len(job.operations) for j, job in enumerate(inst.jobs)},
                  key=("job",), value="operations")
    net.add_place("waiting", "JobStep", initial=[
        Token((j, 0), 1, job.release) for j, job in enumerate(inst.jobs) if job.operations],
        description="each job's next operation, stamped when the job may go on")
    net.add_place("finished", "JobId", description="jobs whose last operation is done")
    groups: dict[str, list[int]] = {}
    for m, g in enumerate(inst.machine_groups):
        groups.setdefault(g, []).append(m)
    if cal:
        horizon = inst.horizon() if horizon is None else horizon
        net.add_colour_set("Work", "int", timed=True)
        net.add_colour_set("Window", components=("Work", "Work"), timed=True)
        net.add_colour_set("Suspended", components=("JobId", "Step", "Machine", "Work"), timed=True)
        net.add_table("calendar", {m: c for m, c in enumerate(inst.machine_calendars)},
                      key=("machine",), value="calendar")
        net.add_table("splittable", {(op.job, op.index): op.splittable for op in inst.operations()},
                      key=("job", "operation"), value="splittable")
        ends, opens, closings = {}, [], []
        for c, calendar in enumerate(inst.calendars):
            if c not in inst.machine_calendars:
                continue
            for w, (s, e) in enumerate(calendar.windows(horizon)):
                ends[(c, w)] = e
                opens.append(Token((c, w), 1, s))
                closings.append(Token((c, w), 1, e))
        net.add_table("window_end", ends, key=("calendar", "window"), value="end")
        net.add_place("open", "Window", initial=opens,
                      description="working windows, ready when they open")
        net.add_place("closing", "Window", initial=closings,
                      description="working windows, ready when they close")
        net.add_place("suspended", "Suspended",
                      description="split operations waiting for the next working window")
        net.add_transition("close", priority=2, inputs=[("open", "(c, w)"), ("closing", "(c, w)")],
                           description="a working window ends")
    for g, machines in groups.items():
        place = "machines_" + _ident(g)
        net.add_place(place, "Machine", initial=machines,
                      description=f"machines of capability group {g}")
        if not cal:
            net.add_transition(
                "process_" + _ident(g), controllable=True,
                guard="(j, k, m) in duration", delay="duration[j, k, m]",
                inputs=[("waiting", "(j, k)"), (place, "m")],
                outputs=[OutputArc(place, "m"),
                         OutputArc("waiting", "(j, k + 1)", "1 if k + 1 < length[j] else 0"),
                         OutputArc("finished", "j", "1 if k + 1 == length[j] else 0")],
                description=f"an operation starts on a machine of group {g}")
            continue
        left = "window_end[c, w] - clock"
        for kind, src, pattern, work in (
                ("process", "waiting", "(j, k)", "duration[j, k, m]"),
                ("resume", "suspended", "(j, k, m, r)", "r")):
            fits = f"{work} <= {left}"
            if kind == "process":
                guard = (f"(j, k, m) in duration and calendar[m] == c and clock < window_end[c, w]"
                         f" and ({fits} or splittable[j, k])")
            else:
                guard = "calendar[m] == c and clock < window_end[c, w]"
            net.add_transition(
                f"{kind}_{_ident(g)}", controllable=(kind == "process"),
                priority=0 if kind == "process" else 1, guard=guard,
                delay=f"min({work}, {left})",
                inputs=[InputArc(src, pattern), InputArc(place, "m"),
                        InputArc("open", "(c, w)", 1, "read")],
                outputs=[OutputArc(place, "m"),
                         OutputArc("waiting", "(j, k + 1)",
                                   f"1 if {fits} and k + 1 < length[j] else 0"),
                         OutputArc("finished", "j", f"1 if {fits} and k + 1 == length[j] else 0"),
                         OutputArc("suspended", f"(j, k, m, {work} - ({left}))",
                                   f"0 if {fits} else 1")],
                description=(f"an operation starts on a machine of group {g}" if kind == "process"
                             else f"a split operation goes on, on its machine of group {g}"))
    return net
