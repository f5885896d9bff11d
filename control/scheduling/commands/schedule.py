"""``petri schedule INSTANCE``: schedule a job shop and write the schedule."""
from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

from petri.cli import SEED, number
from petri.commands import add_force
from petri.errors import CommandError, NetError

NAME = "schedule"
HELP = "schedule a job shop (.txt OR-Library, .fjs Brandimarte, or a folder of plant CSV files)"


def add_arguments(p) -> None:
    p.add_argument("instance", metavar="INSTANCE",
                   help="a .txt (OR-Library) or .fjs (Brandimarte) file, a plant's CSV folder, "
                        "or the name of a shipped benchmark instance (ta01-ta80, mk01-mk10)")
    p.add_argument("--method", default=None, metavar="METHOD",
                   help="policy (default: the learned policy, one pass) or rule:NAME (fifo, "
                        "spt, mwkr, mor, edd)")
    p.add_argument("--policy", metavar="FILE", help="a policy file (default: the shipped one)")
    p.add_argument("--time-limit", type=number(0), default=None, metavar="S",
                   help="improve for up to S seconds")
    p.add_argument("--seed", type=SEED, default=0, help="seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("-o", "--output", metavar="SCHEDULE.csv",
                   help="write one row per operation: job, operation, machine, start, end")
    p.add_argument("--gantt", metavar="OUT.png", help="draw the schedule (needs matplotlib)")
    p.add_argument("--database", metavar="URL",
                   help="also store the schedule in the scheduling service's database "
                        "(a SQLAlchemy URL, e.g. sqlite:///petri.db; needs the serve extra)")
    add_force(p)


def instance_file(name: str):
    """``name`` itself, or the shipped benchmark instance of that name when no file or
    folder is called so (``ta01``, ``mk01``)."""
    if Path(name).exists():
        return name
    from nets.scheduling import benchmark, instance_path
    return instance_path(name) if name in benchmark() else name


def run(args) -> int:
    from control.scheduling.api import schedule
    from petri.files import check_output, write_output
    from control.scheduling.schedule import check_schedule
    from petri.formats.jobshop import read_instance

    if args.gantt and Path(args.gantt).suffix.lower() != ".png":
        raise CommandError(f"{args.gantt}: the Gantt chart is written as .png")
    for out in (args.output, args.gantt):
        if out:
            check_output(out, force=args.force)
    db = None
    if args.database:
        try:
            from control.scheduling.service.store import open_database
        except ImportError:
            raise CommandError("--database needs SQLAlchemy and Alembic: "
                               "python -m pip install 'petri-flow[serve]'") from None
        db = open_database(args.database)
    source = instance_file(args.instance)
    inst = read_instance(source)
    if args.policy and (args.method or "policy") != "policy":
        raise CommandError("--policy goes with --method policy")
    try:
        result = schedule(inst, method=args.method or "policy", time_limit=args.time_limit,
                          seed=args.seed, policy=args.policy)
    except NetError as e:
        if e.file:
            raise
        raise CommandError(f"{args.instance}: {e}") from None   # past the calendars' end
    problems = check_schedule(inst, result)
    if problems:      # never expected: the checker is independent of the scheduler
        raise CommandError(f"{args.instance}: the schedule is infeasible: {problems[0]}")
    summary = result.summary()
    if db is not None:
        stored, note = _stored_source(source, inst)
        summary["id"] = db.save(name=inst.name, **stored, instance=inst, schedule=result,
                                fallback=False, origin="cli")
        if note:
            print(f"petri schedule: schedule {summary['id']} is stored, but the service cannot "
                  f"reschedule it: {note}", file=sys.stderr)
    summary["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.output:
        write_output(args.output, result.to_csv(), force=args.force)
        summary["output"] = args.output
    if args.gantt:
        from control.scheduling.gantt import draw_gantt
        draw_gantt(result, args.gantt, force=args.force)
        summary["gantt"] = args.gantt
    if args.json:
        print(json.dumps(summary))
    else:
        unit = " h" if inst.time_unit == "minute" else ""
        print(f"{inst.name}: {inst.n_jobs} jobs, {inst.n_machines} machines, "
              f"{inst.n_operations} operations")
        print(f"makespan {summary['makespan']:g}{unit} (lower bound {summary['lower_bound']:g}"
              f"{unit}, gap {100 * result.gap:.1f} %) by {result.method} in "
              f"{result.wall_seconds:.3f} s")
        if "end" in summary:
            print(f"from {summary['start']} to {summary['end']}")
        if "id" in summary:
            print(f"stored as schedule {summary['id']} in the database", file=sys.stderr)
        for key in ("output", "gantt"):
            if key in summary:
                print(f"{summary[key]}: written", file=sys.stderr)
    return 0


def _stored_source(path, inst) -> tuple[dict, str | None]:
    """The format and the text kept in the database: the file's text for OR-Library and
    Brandimarte files; for a plant's folder, the plant as the ``jobs`` form of a service
    request (machines, groups, calendars, times in minutes), from which the service rebuilds
    it to reschedule. Second: why the service could not rebuild it (a plant larger than a
    request may be), or None."""
    from petri.formats.jobshop import _open_text
    p = Path(path)
    if not p.is_dir():
        fmt = "fjs" if p.suffix.lower() == ".fjs" else "orlib"
        return {"format": fmt, "source": _open_text(p)}, None
    from control.scheduling.service.requests import (RequestError, instance_from_source,
                                                      instance_request)
    source = json.dumps(instance_request(inst), ensure_ascii=False, separators=(",", ":"))
    try:
        instance_from_source("json", source)
        note = None
    except RequestError as e:
        note = e.message
    return {"format": "json", "source": source}, note
