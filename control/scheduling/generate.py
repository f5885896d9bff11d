"""Generated instances: random job shops for training and plant-shaped data for scale tests.

``random_jobshop(n, m, rng)`` draws a Taillard-style job shop (every job visits every machine
once, times 1..99); ``random_flexible(n, m, rng)`` a Brandimarte-style flexible one;
``generate_plant(jobs, machines, hours, seed)`` a plant: capability groups, eligibility,
three calendars with breaks and holidays, releases, due times and priorities, with the
total work scaled to ``hours``. ``write_plant`` writes a plant as the CSV files
``petri schedule`` reads.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import random
from pathlib import Path

from petri.files import write_output
from petri.jobshop import WEEKDAYS, Calendar, Instance, Job, Operation

__all__ = ["random_jobshop", "random_flexible", "generate_plant", "write_plant", "CALENDARS"]


def random_jobshop(n: int, m: int, rng: random.Random, name: str = "random") -> Instance:
    """Every job visits every machine once in a random order, times uniform in 1..99."""
    routes = []
    for _ in range(n):
        order = list(range(m))
        rng.shuffle(order)
        routes.append([(q, rng.randint(1, 99)) for q in order])
    inst = Instance.from_routes(routes, name)
    inst.machine_groups = [f"m{k}" for k in range(m)]
    return inst


def random_flexible(n: int, m: int, rng: random.Random, name: str = "random-fjs") -> Instance:
    """Brandimarte-like: 3..m+2 operations per job, each on 1..m/2+1 machines, times 1..20."""
    jobs = []
    for j in range(n):
        ops = []
        for k in range(rng.randint(max(2, m // 2), m + 2)):
            count = rng.randint(1, max(1, m // 2 + 1))
            machines = sorted(rng.sample(range(m), count))
            base = rng.randint(1, 20)
            ops.append(Operation(j, k, tuple(machines),
                                 tuple(max(1, base + rng.randint(-3, 3)) for _ in machines)))
        jobs.append(Job(str(j), ops))
    return Instance(name, jobs, [str(k + 1) for k in range(m)], [f"m{k + 1}" for k in range(m)])


#: The generated plants' calendars: name -> (weekly shifts, weekly breaks), minutes from midnight.
CALENDARS = {
    "two-shift": ({d: [(6 * 60, 22 * 60)] for d in range(5)},
                  {d: [(9 * 60, 9 * 60 + 15), (12 * 60, 12 * 60 + 30), (18 * 60, 18 * 60 + 30)]
                   for d in range(5)}),
    "three-shift": ({d: [(0, 24 * 60)] for d in range(6)},
                    {d: [(2 * 60, 2 * 60 + 30), (10 * 60, 10 * 60 + 30), (18 * 60, 18 * 60 + 30)]
                     for d in range(6)}),
    "day": ({d: [(7 * 60, 16 * 60)] for d in range(5)},
            {d: [(12 * 60, 12 * 60 + 45)] for d in range(5)}),
}


def generate_plant(jobs: int = 411, machines: int = 149, hours: float = 14951, seed: int = 0,
                   start: _dt.date = _dt.date(2026, 1, 5), name: str = "plant") -> Instance:
    """A plant-shaped instance: groups of similar machines, routes through the groups,
    operations eligible on several machines of a group, calendars with breaks and holidays;
    operations longer than the shortest working stretch of their machines may be split."""
    if jobs < 1 or machines < 1 or hours <= 0:
        raise ValueError("jobs and machines must be 1 or more and hours positive")
    rng = random.Random(seed)
    n_groups = max(1, min(machines, round(machines / 8)))
    groups = [f"G{g + 1:02d}" for g in range(n_groups)]
    machine_group = [groups[m % n_groups] for m in range(machines)]
    rng.shuffle(machine_group)
    members: dict[str, list[int]] = {}
    for m, g in enumerate(machine_group):
        members.setdefault(g, []).append(m)
    groups = [g for g in groups if g in members]
    cal_names = list(CALENDARS)
    group_cal = {g: cal_names[rng.randrange(len(cal_names))] for g in groups}
    holidays = {start + _dt.timedelta(days=d) for d in (10, 25, 46)}
    calendars = [Calendar(c, *CALENDARS[c], holidays=holidays, start=start) for c in cal_names]
    machine_cal = [cal_names.index(group_cal[machine_group[m]]) for m in range(machines)]
    shortest = min(c.longest_window() for c in calendars)
    raw = []
    for j in range(jobs):
        route = []
        for k in range(rng.randint(2, 8)):
            g = groups[rng.randrange(len(groups))]
            pool = members[g]
            count = rng.randint(1, len(pool))
            eligible = tuple(sorted(rng.sample(pool, count)))
            route.append((eligible, rng.lognormvariate(0, 0.8)))
        raw.append(route)
    scale = hours * 60 / sum(w for r in raw for _, w in r)
    job_list = []
    for j, route in enumerate(raw):
        ops = []
        for k, (eligible, w) in enumerate(route):
            minutes = max(15, int(round(w * scale / 15)) * 15)
            ops.append(Operation(j, k, eligible, (minutes,) * len(eligible),
                                 splittable=minutes > shortest))
        work = sum(o.durations[0] for o in ops)
        release = rng.choice([0, 0, 0, 24 * 60, 48 * 60, 7 * 24 * 60])
        due = release + int(work * rng.uniform(3, 8)) + 5 * 24 * 60
        job_list.append(Job(f"J{j + 1:04d}", ops, release, due, float(rng.randint(1, 3))))
    return Instance(name, job_list, [f"M{m + 1:03d}" for m in range(machines)], machine_group,
                    machine_cal, calendars, "minute",
                    _dt.datetime.combine(start, _dt.time()))


def _hours(minutes: int) -> str:
    return f"{minutes / 60:g}"


def write_plant(inst: Instance, folder, force: bool = False) -> list[Path]:
    """Write ``inst`` as ``plant.csv``, ``calendars.csv``, ``machines.csv`` and
    ``operations.csv`` in ``folder`` (each file written whole or not at all; existing files
    only with ``force``)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    files["plant.csv"] = [["key", "value"], ["start", inst.start.date().isoformat()]]
    rows = [["calendar", "kind", "day", "start", "end"]]
    for cal in inst.calendars:
        for d, spans in sorted(cal.shifts.items()):
            rows += [[cal.name, "shift", WEEKDAYS[d], _hm(s), _hm(e)] for s, e in spans]
        for d, spans in sorted(cal.breaks.items()):
            rows += [[cal.name, "break", WEEKDAYS[d], _hm(s), _hm(e)] for s, e in spans]
        rows += [[cal.name, "holiday", h.isoformat(), "", ""] for h in sorted(cal.holidays)]
    files["calendars.csv"] = rows
    files["machines.csv"] = [["machine", "group", "calendar"]] + [
        [n, g, inst.calendars[c].name] for n, g, c in
        zip(inst.machine_names, inst.machine_groups, inst.machine_calendars)]
    rows = [["job", "sequence", "machines", "hours", "release", "due", "priority", "splittable"]]
    for job in inst.jobs:
        for op in job.operations:
            rows.append([job.name, op.index + 1, " ".join(inst.machine_names[m] for m in op.machines),
                         _hours(op.durations[0]), _hours(job.release) if op.index == 0 else "",
                         _hours(job.due) if job.due is not None and op.index == 0 else "",
                         f"{job.priority:g}" if op.index == 0 else "",
                         "yes" if op.splittable else "no"])
    files["operations.csv"] = rows
    written = []
    for name, rows in files.items():
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        path = folder / name
        write_output(path, buf.getvalue(), force=force)
        written.append(path)
    return written


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


