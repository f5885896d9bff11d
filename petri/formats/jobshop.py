"""Reading scheduling instances: OR-Library job shops, Brandimarte flexible job shops, plant CSVs.

* OR-Library (``.txt``): a line ``n m``, then one line per job with ``m`` pairs
  ``machine time`` (machines numbered from 0). Lines starting with ``#`` are comments.
* Brandimarte (``.fjs``): a line ``jobs machines [average]``, then one line per job: the
  number of operations, and per operation ``k`` followed by ``k`` pairs ``machine time``
  (machines numbered from 1).
* A plant (a folder): ``operations.csv`` (job, sequence, machines, hours, and optionally
  release, due, priority, splittable), ``machines.csv`` (machine, group, calendar),
  ``calendars.csv`` (calendar, kind = shift | break | holiday, day, start, end) and
  optionally ``plant.csv`` (key, value; ``start`` is the date at which time 0 falls). See
  docs/scheduling.md for every column.

Every problem is one ``NetError`` naming the file, the line and what is wrong.

>>> import io
>>> read_orlib(io.StringIO("2 2\\n0 3 1 2\\n1 4 0 1\\n"), "tiny.txt").lower_bound()
6
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import math
from pathlib import Path

from ..errors import NetError
from ..files import read_text
from ..jobshop import CALENDAR_SPAN, WEEKDAYS, Calendar, Instance, Job, Operation

__all__ = ["read_instance", "read_orlib", "read_fjs", "read_plant"]
_MAX_JOBS = 1_000_000


def _open_text(path) -> str:
    return read_text(path, what="scheduling instance file")


def read_instance(path) -> Instance:
    """An instance from a ``.txt`` (OR-Library), ``.fjs`` (Brandimarte) file or a plant folder."""
    p = Path(path)
    if p.is_dir():
        return read_plant(p)
    if not p.exists():
        raise NetError("no such file or folder", file=str(path))
    if p.suffix.lower() == ".fjs":
        return read_fjs(io.StringIO(_open_text(p)), str(path))
    if p.suffix.lower() in (".txt", ".jss", ".jsp", ""):
        return read_orlib(io.StringIO(_open_text(p)), str(path))
    raise NetError("unknown instance kind: expected a .txt (OR-Library) or .fjs (Brandimarte) "
                   "file, or a folder of plant CSV files", file=str(path))


def _numbers(line: str, file: str, lineno: int) -> list[int]:
    out = []
    for word in line.split():
        try:
            out.append(int(word))
        except ValueError:
            raise NetError(f"{word!r} is not a whole number", file=file,
                           element=f"line {lineno}") from None
    return out


def _lines(stream, file: str):
    """(line number, numbers) of the non-empty, non-comment lines."""
    for lineno, line in enumerate(stream, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        yield lineno, _numbers(text, file, lineno)


def _header(lines, file: str, what: str, at_least: int):
    try:
        lineno, head = next(lines)
    except StopIteration:
        raise NetError(f"empty: expected a first line {what}", file=file) from None
    if len(head) < at_least or len(head) > at_least + 1:
        raise NetError(f"expected {what}, got {len(head)} numbers", file=file,
                       element=f"line {lineno}")
    if head[0] < 1 or head[1] < 1 or head[0] > _MAX_JOBS or head[1] > _MAX_JOBS:
        raise NetError(f"job and machine counts must be between 1 and {_MAX_JOBS}", file=file,
                       element=f"line {lineno}")
    return lineno, head


def read_orlib(stream, file: str = "<text>") -> Instance:
    """An OR-Library job shop: ``n m``, then per job ``m`` pairs ``machine time`` from 0."""
    lines = _lines(stream, file)
    lineno, head = _header(lines, file, "'jobs machines'", 2)
    n, m = head[0], head[1]
    routes = []
    for lineno, nums in lines:
        if len(routes) == n:
            raise NetError(f"more job lines than the {n} announced on the first line", file=file,
                           element=f"line {lineno}")
        if len(nums) != 2 * m:
            raise NetError(f"job {len(routes)} has {len(nums)} numbers, expected {2 * m} "
                           f"({m} pairs of machine and time)", file=file, element=f"line {lineno}")
        route = []
        for k in range(m):
            machine, time = nums[2 * k], nums[2 * k + 1]
            if not 0 <= machine < m:
                raise NetError(f"operation {k} of job {len(routes)}: machine {machine} is out of "
                               f"range 0..{m - 1}", file=file, element=f"line {lineno}")
            if time < 0:
                raise NetError(f"operation {k} of job {len(routes)}: negative time {time}",
                               file=file, element=f"line {lineno}")
            route.append((machine, time))
        routes.append(route)
    if len(routes) < n:
        raise NetError(f"{len(routes)} job lines, but the first line announces {n}", file=file)
    inst = Instance.from_routes(routes, name=Path(file).stem)
    inst.machine_names = [str(k) for k in range(m)]
    inst.machine_groups = [f"m{k}" for k in range(m)]
    inst.machine_calendars = [-1] * m
    inst.source = file
    return inst


def read_fjs(stream, file: str = "<text>") -> Instance:
    """A Brandimarte flexible job shop (machines numbered from 1 in the file, from 0 here)."""
    first = stream.readline()
    words = first.split()
    if len(words) == 3:        # the average number of machines per operation: not needed
        try:
            float(words[2])
        except ValueError:
            raise NetError(f"{words[2]!r} is not a number (average machines per operation)",
                           file=file, element="line 1") from None
        first = " ".join(words[:2])
    lines = _lines(_chain(first, stream), file)
    lineno, head = _header(lines, file, "'jobs machines [average]'", 2)
    n, m = head[0], head[1]
    jobs = []
    for lineno, nums in lines:
        j = len(jobs)
        if j == n:
            raise NetError(f"more job lines than the {n} announced on the first line", file=file,
                           element=f"line {lineno}")
        where = dict(file=file, element=f"line {lineno}")
        if not nums or nums[0] < 1:
            raise NetError(f"job {j}: the line must start with its number of operations (1 or "
                           f"more)", **where)
        ops, pos = [], 1
        for k in range(nums[0]):
            if pos >= len(nums):
                raise NetError(f"job {j} announces {nums[0]} operations but the line ends after "
                               f"{k}", **where)
            count = nums[pos]
            pos += 1
            if count < 1:
                raise NetError(f"operation {k} of job {j}: no machine can do it", **where)
            if pos + 2 * count > len(nums):
                raise NetError(f"operation {k} of job {j} announces {count} machines but the line "
                               f"ends early", **where)
            machines, times = [], []
            for q in range(count):
                machine, time = nums[pos], nums[pos + 1]
                pos += 2
                if not 1 <= machine <= m:
                    raise NetError(f"operation {k} of job {j}: machine {machine} is out of range "
                                   f"1..{m}", **where)
                if time < 0:
                    raise NetError(f"operation {k} of job {j}: negative time {time}", **where)
                if machine - 1 in machines:
                    raise NetError(f"operation {k} of job {j}: machine {machine} is listed twice",
                                   **where)
                machines.append(machine - 1)
                times.append(time)
            ops.append(Operation(j, k, tuple(machines), tuple(times)))
        if pos != len(nums):
            raise NetError(f"job {j}: {len(nums) - pos} numbers after its last operation", **where)
        jobs.append(Job(str(j), ops))
    if len(jobs) < n:
        raise NetError(f"{len(jobs)} job lines, but the first line announces {n}", file=file)
    return Instance(Path(file).stem, jobs, [str(k + 1) for k in range(m)],
                    [f"m{k + 1}" for k in range(m)], [-1] * m, source=file)


# ---------------------------------------------------------------------------------------------
# A plant's CSV files
# ---------------------------------------------------------------------------------------------

#: the files of a plant's folder; plant.csv may be left out
PLANT_FILES = ("calendars.csv", "machines.csv", "operations.csv", "plant.csv")


def _csv(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()):
    """Rows of a CSV file as (line number, dict), its header checked; the line number is the
    line the row starts on."""
    if not path.exists():
        raise NetError(f"no such file (a plant's folder holds {', '.join(PLANT_FILES[:3])} and "
                       f"optionally {PLANT_FILES[3]})", file=str(path))
    text = _open_text(path)
    reader = csv.reader(io.StringIO(text))
    first = 1

    def rows():
        nonlocal first
        while True:
            first = reader.line_num + 1
            try:
                yield next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise NetError(f"not a CSV row: {e}", file=str(path),
                               element=f"line {first}") from None

    records = rows()
    try:
        header = [h.strip().lower() for h in next(records)]
    except StopIteration:
        raise NetError("empty: expected a header line", file=str(path)) from None
    missing = [c for c in required if c not in header]
    if missing:
        raise NetError(f"missing column {missing[0]!r} (expected {', '.join(required)}"
                       + (f"; optional {', '.join(optional)}" if optional else "") + ")",
                       file=str(path), element="line 1")
    unknown = [c for c in header if c not in required + optional]
    if unknown:
        raise NetError(f"unknown column {unknown[0]!r}", file=str(path), element="line 1")
    out = []
    for row in records:
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(header):
            spans = (f" (it runs on to line {reader.line_num}: is a closing quote missing?)"
                     if reader.line_num > first else "")
            raise NetError(f"{len(row)} fields, the header has {len(header)}{spans}",
                           file=str(path), element=f"line {first}")
        out.append((first, {h: c.strip() for h, c in zip(header, row)}))
    return out


def _clock(text: str, path, lineno, column) -> int:
    """Minutes from midnight of ``HH:MM`` (24:00 allowed)."""
    try:
        h, m = text.split(":")
        h, m = int(h), int(m)
        if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
            raise ValueError
    except ValueError:
        raise NetError(f"{column} {text!r} is not a time of day HH:MM", file=str(path),
                       element=f"line {lineno}") from None
    return 60 * h + m


def _days(text: str, path, lineno) -> list[int]:
    t = text.lower()
    if t in ("*", "all", "daily"):
        return list(range(7))
    if "-" in t and all(p in WEEKDAYS for p in t.split("-")):
        a, b = (WEEKDAYS.index(p) for p in t.split("-"))
        return list(range(a, b + 1)) if a <= b else list(range(a, 7)) + list(range(0, b + 1))
    if t in WEEKDAYS:
        return [WEEKDAYS.index(t)]
    raise NetError(f"day {text!r} is not a weekday (mon..sun), a range like mon-fri or *",
                   file=str(path), element=f"line {lineno}")


def _date(text: str, path, lineno, column) -> _dt.date:
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise NetError(f"{column} {text!r} is not a date YYYY-MM-DD", file=str(path),
                       element=f"line {lineno}") from None


def _hours(text: str, path, lineno, column, start: _dt.datetime, allow_date: bool) -> int:
    """Minutes from time 0 of a number of hours (or, if allowed, a date and time)."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is not None:
        if not math.isfinite(value):
            raise NetError(f"{column} {text!r} is not a number", file=str(path),
                           element=f"line {lineno}")
        if value < 0:
            raise NetError(f"{column} is negative ({text})", file=str(path), element=f"line {lineno}")
        if value * 60 > CALENDAR_SPAN:
            raise NetError(f"{column} {text} is more than ten years ({CALENDAR_SPAN // 60} h), "
                           f"past the end of the calendars", file=str(path),
                           element=f"line {lineno}")
        return int(round(value * 60))
    if allow_date:
        try:
            when = _dt.datetime.fromisoformat(text)
        except ValueError:
            when = None
        if when is not None:
            minutes = int((when - start).total_seconds() // 60)
            if minutes < 0:
                raise NetError(f"{column} {text} is before the plant's start {start:%Y-%m-%d}",
                               file=str(path), element=f"line {lineno}")
            if minutes > CALENDAR_SPAN:
                raise NetError(f"{column} {text} is more than ten years after the plant's start "
                               f"{start:%Y-%m-%d}, past the end of the calendars",
                               file=str(path), element=f"line {lineno}")
            return minutes
    raise NetError(f"{column} {text!r} is not a number of hours"
                   + (" or a date and time" if allow_date else ""), file=str(path),
                   element=f"line {lineno}")


def read_plant(folder) -> Instance:
    """A plant's scheduling data from a folder of CSV files (times in hours, kept in minutes)."""
    folder = Path(folder)
    start = _dt.datetime(2026, 1, 5)
    plant = folder / "plant.csv"
    if plant.exists():
        for lineno, row in _csv(plant, ("key", "value")):
            if row["key"].lower() == "start":
                start = _dt.datetime.combine(_date(row["value"], plant, lineno, "start"),
                                             _dt.time())
            else:
                raise NetError(f"unknown key {row['key']!r} (known: start)", file=str(plant),
                               element=f"line {lineno}")
    # calendars
    cal_path = folder / "calendars.csv"
    specs: dict[str, dict] = {}
    for lineno, row in _csv(cal_path, ("calendar", "kind", "day", "start", "end")):
        name, kind = row["calendar"], row["kind"].lower()
        if not name:
            raise NetError("a calendar needs a name", file=str(cal_path), element=f"line {lineno}")
        spec = specs.setdefault(name, {"shifts": {}, "breaks": {}, "holidays": set(), "line": lineno})
        if kind == "holiday":
            spec["holidays"].add(_date(row["day"], cal_path, lineno, "day"))
            continue
        if kind not in ("shift", "break"):
            raise NetError(f"kind {row['kind']!r} is not shift, break or holiday", file=str(cal_path),
                           element=f"line {lineno}")
        s = _clock(row["start"], cal_path, lineno, "start")
        e = _clock(row["end"], cal_path, lineno, "end")
        if e <= s:
            e += 24 * 60           # a night shift runs into the next day
        for d in _days(row["day"], cal_path, lineno):
            spec["shifts" if kind == "shift" else "breaks"].setdefault(d, []).append((s, e))
    calendars, cal_index = [], {}
    for name, spec in specs.items():
        if not spec["shifts"]:
            raise NetError(f"calendar {name!r} has no working time (no shift)", file=str(cal_path),
                           element=f"line {spec['line']}")
        cal = Calendar(name, spec["shifts"], spec["breaks"], spec["holidays"], start.date())
        if cal.weekly_minutes() == 0 or cal.longest_window() == 0:
            raise NetError(f"calendar {name!r} has no working time (breaks and holidays cover "
                           f"every shift)", file=str(cal_path), element=f"line {spec['line']}")
        cal_index[name] = len(calendars)
        calendars.append(cal)
    # machines
    mpath = folder / "machines.csv"
    names, groups, mcals, by_name = [], [], [], {}
    for lineno, row in _csv(mpath, ("machine", "group", "calendar")):
        name = row["machine"]
        if not name:
            raise NetError("a machine needs a name", file=str(mpath), element=f"line {lineno}")
        if name in by_name:
            raise NetError(f"machine {name!r} is listed twice", file=str(mpath),
                           element=f"line {lineno}")
        if row["calendar"] not in cal_index:
            raise NetError(f"machine {name!r}: unknown calendar {row['calendar']!r}",
                           file=str(mpath), element=f"line {lineno}")
        by_name[name] = len(names)
        names.append(name)
        groups.append(row["group"] or name)
        mcals.append(cal_index[row["calendar"]])
    if not names:
        raise NetError("no machines", file=str(mpath))
    members: dict[str, list[int]] = {}
    for m, g in enumerate(groups):
        members.setdefault(g, []).append(m)
    # operations
    opath = folder / "operations.csv"
    rows = _csv(opath, ("job", "sequence", "machines", "hours"),
                ("release", "due", "priority", "splittable"))
    by_job: dict[str, list] = {}
    for lineno, row in rows:
        if not row["job"]:
            raise NetError("an operation needs a job", file=str(opath), element=f"line {lineno}")
        by_job.setdefault(row["job"], []).append((lineno, row))
    jobs = []
    for j, (name, ops) in enumerate(by_job.items()):
        bad = next((lr for lr in ops if not _is_number(lr[1]["sequence"])), None)
        if bad is not None:
            raise NetError(f"sequence {bad[1]['sequence']!r} is not a number", file=str(opath),
                           element=f"line {bad[0]}")
        ops.sort(key=lambda lr: float(lr[1]["sequence"]))
        for (_, a), (lineno, b) in zip(ops, ops[1:]):
            if float(a["sequence"]) == float(b["sequence"]):
                raise NetError(f"job {name!r}: sequence {b['sequence']} is listed twice (operations "
                               f"of a job run in increasing order)", file=str(opath),
                               element=f"line {lineno}")
        release, due, priority = 0, None, 1.0
        due_line = None
        operations = []
        for k, (lineno, row) in enumerate(ops):
            where = dict(file=str(opath), element=f"line {lineno}")
            minutes = _hours(row["hours"], opath, lineno, "hours", start, False)
            eligible = []
            for word in row["machines"].replace("|", " ").split():
                if word in by_name:
                    eligible.append(by_name[word])
                elif word in members:
                    eligible += members[word]
                else:
                    raise NetError(f"job {name!r}: unknown machine or group {word!r}", **where)
            eligible = sorted(set(eligible))
            if not eligible:
                raise NetError(f"job {name!r}: operation {row['sequence']} has no machine that "
                               f"can do it", **where)
            split = row.get("splittable", "").lower() in ("1", "yes", "true", "y")
            if row.get("splittable", "").lower() not in ("", "0", "no", "false", "n", "1", "yes",
                                                         "true", "y"):
                raise NetError(f"splittable {row['splittable']!r} is not yes or no", **where)
            if not split:
                for m in eligible:
                    longest = calendars[mcals[m]].longest_window()
                    if minutes > longest:
                        raise NetError(f"job {name!r}: operation {row['sequence']} takes "
                                       f"{minutes / 60:g} h, longer than any working stretch of "
                                       f"machine {names[m]!r} ({longest / 60:g} h), and is not "
                                       f"splittable", **where)
            if row.get("release"):
                release = max(release, _hours(row["release"], opath, lineno, "release", start, True))
            if row.get("due"):
                due = _hours(row["due"], opath, lineno, "due", start, True)
                due_line = lineno
            if row.get("priority"):
                if not _is_number(row["priority"]):
                    raise NetError(f"priority {row['priority']!r} is not a number", **where)
                priority = float(row["priority"])
                if priority < 0:
                    raise NetError(f"priority is negative ({row['priority']})", **where)
            operations.append(Operation(j, k, tuple(eligible), tuple([minutes] * len(eligible)),
                                        split))
        if due is not None and due < release:
            raise NetError(f"job {name!r}: due at {due / 60:g} h, before its release at "
                           f"{release / 60:g} h", file=str(opath), element=f"line {due_line}")
        jobs.append(Job(name, operations, release, due, priority))
    if not jobs:
        raise NetError("no operations", file=str(opath))
    return Instance(folder.name or "plant", jobs, names, groups, mcals, calendars, "minute", start,
                    source=str(folder))


def _chain(first: str, stream):
    yield first
    yield from stream


def _is_number(text: str) -> bool:
    """Whether ``text`` is a finite number (not nan or inf)."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False
