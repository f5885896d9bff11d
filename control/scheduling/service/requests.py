"""What a request may contain, checked by pydantic, and how it becomes an ``Instance``.

A schedule request carries either an instance as text (``format``: ``orlib`` or ``fjs``, as
``petri schedule`` reads them) or jobs as JSON: each job a list of operations, each operation
the machines that can do it with their processing times. Times are whole numbers in the
instance's own unit, finite and not negative. Limits: ``MAX_JOBS`` jobs and
``MAX_OPERATIONS`` operations per request.
"""
from __future__ import annotations

import datetime as _dt
import io
import json
import threading
from collections import OrderedDict
from operator import gt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator

from petri.errors import PetriError
from petri.jobshop import WEEKDAYS, Calendar, Instance, Job, new_operation

__all__ = ["MAX_JOBS", "MAX_OPERATIONS", "MAX_TIME", "ScheduleRequest", "RescheduleRequest",
           "RequestError", "build_instance", "instance_from_source", "instance_request"]

MAX_JOBS = 5_000
MAX_OPERATIONS = 50_000
#: the largest time accepted (about 1900 years in minutes): sums stay exact
MAX_TIME = 10 ** 12
#: the longest improvement a request may ask for, in seconds
MAX_TIME_LIMIT = 600.0

Time = Annotated[StrictInt, Field(ge=0, le=MAX_TIME)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Finite = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class RequestError(ValueError):
    """A request that passed the field checks but describes no valid instance; ``field``
    names where (e.g. ``jobs[2].operations[0].machines``)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OperationIn(_Strict):
    machines: Annotated[dict[Name, Time], Field(min_length=1)]
    splittable: bool = False


class JobIn(_Strict):
    name: Name | None = None
    operations: Annotated[list[OperationIn], Field(min_length=1, max_length=MAX_OPERATIONS)]
    release: Time = 0
    due: Time | None = None
    priority: Finite = 1.0


class MachineIn(_Strict):
    name: Name
    group: Name | None = None
    calendar: Name | None = None


Window = Annotated[list[Annotated[StrictInt, Field(ge=0, le=2 * 24 * 60)]],
                   Field(min_length=2, max_length=2)]


class CalendarIn(_Strict):
    """Weekly working time: ``shifts`` and ``breaks`` map a weekday (mon..sun) to
    ``[start, end]`` pairs in minutes from midnight; ``holidays`` are dates (YYYY-MM-DD)."""

    name: Name
    shifts: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                 Annotated[list[Window], Field(max_length=24)]]
    breaks: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                 Annotated[list[Window], Field(max_length=24)]] = {}
    holidays: Annotated[list[_dt.date], Field(max_length=1000)] = []


class ScheduleRequest(_Strict):
    """``instance`` + ``format``, or ``jobs`` (+ ``machines``, ``calendars``)."""

    instance: str | None = None
    format: Literal["orlib", "fjs"] | None = None
    name: Name | None = None
    jobs: Annotated[list[JobIn], Field(max_length=MAX_JOBS)] | None = None
    machines: Annotated[list[Name | MachineIn], Field(max_length=MAX_OPERATIONS)] | None = None
    calendars: Annotated[list[CalendarIn], Field(max_length=100)] | None = None
    start: _dt.date | None = None
    method: Annotated[str, Field(max_length=64)] = "policy"
    time_limit: Annotated[float, Field(ge=0, le=MAX_TIME_LIMIT, allow_inf_nan=False)] | None = None
    seed: Annotated[StrictInt, Field(ge=0, le=2 ** 31)] = 0

    @model_validator(mode="after")
    def _one_kind(self):
        if self.instance is None and self.jobs is None:
            raise ValueError("give either 'instance' (with 'format') or 'jobs'")
        if self.instance is not None and self.jobs is not None:
            raise ValueError("give either 'instance' or 'jobs', not both")
        if self.instance is not None and self.format is None:
            raise ValueError("'format' is required with 'instance' (orlib or fjs)")
        if self.jobs is not None:
            total = sum(len(j.operations) for j in self.jobs)
            if total > MAX_OPERATIONS:
                raise ValueError(f"jobs: {total} operations, at most {MAX_OPERATIONS} are "
                                 f"accepted per request")
            if not self.jobs:
                raise ValueError("jobs: at least one job is needed")
        return self


class DownTime(_Strict):
    machine: Name
    start: Time
    end: Time

    @model_validator(mode="after")
    def _order(self):
        if self.end <= self.start:
            raise ValueError("down: 'end' must be after 'start'")
        return self


class RescheduleRequest(_Strict):
    """A machine down from ``down.start`` to ``down.end`` and/or the current time ``now``:
    operations started before ``now`` stay; the others move as little as the rules allow."""

    down: DownTime | None = None
    now: Time = 0


#: calendars already computed, by their definition: plants send the same few calendars with
#: every request, and laying out a year of working windows costs more than scheduling them
_CALENDARS: "OrderedDict[tuple, Calendar]" = OrderedDict()
_CALENDARS_KEPT = 64
_CALENDARS_LOCK = threading.Lock()


def _calendar(c: CalendarIn, start: _dt.date | None, where: str) -> Calendar:
    """The calendar of a request: a copy of the one computed for the same definition."""
    key = (c.model_dump_json(), start)         # the same definition written alike
    with _CALENDARS_LOCK:
        known = _CALENDARS.get(key)
        if known is not None:
            _CALENDARS.move_to_end(key)
            return known.copy()
    cal = _new_calendar(c, start, where)
    cal.longest_window()               # a year of windows, computed once
    cal.weekly_minutes()
    with _CALENDARS_LOCK:
        _CALENDARS[key] = cal
        while len(_CALENDARS) > _CALENDARS_KEPT:
            _CALENDARS.popitem(last=False)
    return cal.copy()


def _new_calendar(c: CalendarIn, start: _dt.date | None, where: str) -> Calendar:
    def days(d):
        out = {}
        for day, windows in d.items():
            pairs = []
            for k, (s, e) in enumerate(windows):
                if e <= s:
                    raise RequestError(f"{where}.{day}[{k}]", "the end must be after the start")
                pairs.append((s, e))
            out[WEEKDAYS.index(day)] = pairs
        return out
    shifts = days(c.shifts)
    if not any(shifts.values()):
        raise RequestError(f"{where}.shifts", "the calendar has no working time")
    return Calendar(c.name, shifts, days(c.breaks), c.holidays, start=start)


def build_instance(req: ScheduleRequest, body: bytes | None = None
                   ) -> tuple[Instance, str, str]:
    """The request's instance, its format (orlib, fjs or json) and its source text: for
    ``jobs``, ``body`` (the request as sent, when it is UTF-8) or else the request's fields
    as JSON, which ``instance_from_source`` rebuilds."""
    if req.instance is not None:
        return instance_from_source(req.format, req.instance, req.name), req.format, req.instance
    source = None
    if body is not None:
        try:
            source = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if source is None:
        source = req.model_dump_json(include={"name", "jobs", "machines", "calendars", "start"},
                                     exclude_none=True)
    return _from_jobs(req), "json", source


def instance_from_source(format: str, source: str, name: str | None = None) -> Instance:
    """Rebuild an instance from what was stored (text or the request's JSON)."""
    from petri.formats.jobshop import read_fjs, read_orlib
    if format in ("orlib", "fjs"):
        reader = read_orlib if format == "orlib" else read_fjs
        try:
            inst = reader(io.StringIO(source), "instance")
        except PetriError as e:
            raise RequestError("instance", e.reason if e.element is None
                               else f"{e.element}: {e.reason}") from None
        if inst.n_jobs > MAX_JOBS:
            raise RequestError("instance", f"{inst.n_jobs} jobs, at most {MAX_JOBS} are accepted")
        if inst.n_operations > MAX_OPERATIONS:
            raise RequestError("instance", f"{inst.n_operations} operations, at most "
                                           f"{MAX_OPERATIONS} are accepted")
        inst.name = name or format
        return inst
    if format == "plant":          # a plant folder stored by its name alone
        raise RequestError("instance", f"the plant {source!r} was stored by its folder's name "
                                       f"only; store it again with petri schedule FOLDER "
                                       f"--database URL to reschedule it")
    if format != "json":
        raise RequestError("instance", f"instances stored as {format!r} cannot be rebuilt")
    try:
        req = ScheduleRequest.model_validate(json.loads(source))
    except ValidationError as e:   # stored by petri schedule beyond what a request may hold
        err = e.errors(include_url=False)[0]
        where = ".".join(str(x) for x in err["loc"])
        raise RequestError("instance", f"the stored instance is not a valid request"
                                       f"{f' at {where}' if where else ''}: {err['msg']}") from None
    try:
        return _from_jobs(req)
    except RequestError as e:
        raise RequestError("instance", f"the stored instance is not a valid request at "
                                       f"{e.field}: {e.message}") from None


def instance_request(inst: Instance) -> dict:
    """``inst`` as the ``jobs`` form of a request, which ``instance_from_source("json", ...)``
    rebuilds into the same instance: the jobs with each operation's machines and times, the
    machines with their groups and calendars, the calendars, and the date of time 0. This is
    how ``petri schedule FOLDER --database URL`` stores a plant."""
    def days(windows: dict) -> dict:
        return {WEEKDAYS[d]: [[s, e] for s, e in v] for d, v in sorted(windows.items()) if v}

    names = inst.machine_names
    jobs = []
    for job in inst.jobs:
        j = {"name": job.name,
             "operations": [{"machines": {names[m]: int(d)
                                          for m, d in zip(op.machines, op.durations)},
                             "splittable": op.splittable} for op in job.operations],
             "release": int(job.release), "priority": job.priority}
        if job.due is not None:
            j["due"] = int(job.due)
        jobs.append(j)
    machines = []
    for m, name in enumerate(names):
        row = {"name": name, "group": inst.machine_groups[m]}
        if inst.machine_calendars[m] >= 0:
            row["calendar"] = inst.calendars[inst.machine_calendars[m]].name
        machines.append(row)
    out = {"name": inst.name, "jobs": jobs, "machines": machines}
    if inst.calendars:
        starts = {c.start for c in inst.calendars}
        if len(starts) > 1:
            raise ValueError(f"{inst.name}: the calendars start on different dates; a request "
                             f"has one date of time 0")
        out["calendars"] = [{"name": c.name, "shifts": days(c.shifts), "breaks": days(c.breaks),
                             "holidays": [h.isoformat() for h in sorted(c.holidays)]}
                            for c in inst.calendars]
        out["start"] = starts.pop().isoformat()
    return out


def _from_jobs(req: ScheduleRequest) -> Instance:
    machines: list[MachineIn] = []
    if req.machines is not None:
        for k, m in enumerate(req.machines):
            machines.append(MachineIn(name=m) if isinstance(m, str) else m)
    index = {}
    for k, m in enumerate(machines):
        if m.name in index:
            raise RequestError(f"machines[{k}]", f"machine {m.name!r} is listed twice")
        index[m.name] = k
    declared = req.machines is not None
    number = index.__getitem__
    make = new_operation
    jobs = []
    for j, job in enumerate(req.jobs):
        ops = []
        for k, op in enumerate(job.operations):
            times = op.machines
            try:
                ms = tuple(map(number, times))
            except KeyError:             # a machine not seen yet
                for mname in times:
                    if mname not in index:
                        if declared:
                            raise RequestError(f"jobs[{j}].operations[{k}].machines",
                                               f"unknown machine {mname!r} (not in "
                                               f"'machines')") from None
                        index[mname] = len(machines)
                        machines.append(MachineIn(name=mname))
                ms = tuple(map(number, times))
            ops.append(make(j, k, ms, tuple(times.values()), op.splittable))
        if job.due is not None and job.due < job.release:
            raise RequestError(f"jobs[{j}].due", "the due time is before the release")
        jobs.append(Job(job.name or str(j), ops, job.release, job.due, job.priority))
    calendars, cal_index = [], {}
    for k, c in enumerate(req.calendars or []):
        if c.name in cal_index:
            raise RequestError(f"calendars[{k}]", f"calendar {c.name!r} is defined twice")
        cal_index[c.name] = k
        calendars.append(_calendar(c, req.start, f"calendars[{k}]"))
    machine_calendars = []
    for k, m in enumerate(machines):
        if m.calendar is None:
            machine_calendars.append(-1)
        elif m.calendar not in cal_index:
            raise RequestError(f"machines[{k}].calendar", f"unknown calendar {m.calendar!r}")
        else:
            machine_calendars.append(cal_index[m.calendar])
    inst = Instance(req.name or "jobs", jobs, [m.name for m in machines],
                    [m.group or m.name for m in machines], machine_calendars, calendars)
    if inst.has_calendars:
        # an operation that may not be split must fit in its machines' longest windows
        longest = [MAX_TIME if c < 0 else calendars[c].longest_window()
                   for c in machine_calendars]
        limit = longest.__getitem__
        for j, job in enumerate(jobs):
            for op in job.operations:
                if op.splittable or not any(map(gt, op.durations, map(limit, op.machines))):
                    continue
                for m, d in zip(op.machines, op.durations):
                    if d > longest[m]:
                        cal = inst.calendar_of(m)
                        raise RequestError(
                            f"jobs[{j}].operations[{op.index}]",
                            f"takes {d} on machine {inst.machine_names[m]!r}, longer than its "
                            f"longest working window ({cal.longest_window()}); mark it "
                            f"splittable")
    return inst
