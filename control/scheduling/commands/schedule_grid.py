"""``petri schedule-grid INSTANCE...``: every instance by every method with every seed."""
from __future__ import annotations

import csv
import io
import json
import sys

from petri.cli import SEED, number, whole_number
from petri.commands import add_force
from petri.errors import CommandError
from petri.parallel import add_ray_option

NAME = "schedule-grid"
HELP = ("schedule several job shops by several methods and seeds, here, in worker processes "
        "or on a Ray cluster; one row per run")


def add_arguments(p) -> None:
    p.add_argument("instances", nargs="+", metavar="INSTANCE",
                   help="a .txt (OR-Library) or .fjs (Brandimarte) file, or a plant's CSV folder")
    p.add_argument("--method", action="append", metavar="METHOD",
                   help="policy, rule:NAME or cpsat; repeatable (default: policy)")
    p.add_argument("--seeds", type=whole_number(1, 10_000), default=1, metavar="N",
                   help="seeds per instance and method: --seed, --seed + 1, ... (default 1)")
    p.add_argument("--seed", type=SEED, default=0, help="first seed (default 0)")
    p.add_argument("--time-limit", type=number(0), default=None, metavar="S",
                   help="improve each run for up to S seconds (results then depend on the "
                        "machine's speed)")
    p.add_argument("--policy", metavar="FILE", help="a policy file (default: the shipped one)")
    p.add_argument("--workers", type=whole_number(1, 256), default=None, metavar="N",
                   help="worker processes (default 1: this process; with --ray local: the "
                        "cluster's CPUs, default one per CPU)")
    add_ray_option(p)
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("-o", "--output", metavar="RESULTS.csv", help="write the rows as CSV")
    add_force(p)


def run(args) -> int:
    from control.scheduling.api import METHODS
    from control.scheduling.grid import FIELDS, grid_tasks, run_one
    from petri.files import check_output, write_output
    from petri.formats.jobshop import read_instance
    from petri.parallel import Backend, run_tasks
    from petri.progress import Progress

    methods = list(dict.fromkeys(args.method or ["policy"]))
    for m in methods:
        if m not in METHODS:
            raise CommandError(f"--method {m}: unknown method (known: {', '.join(METHODS)})")
    if args.policy and "policy" not in methods:
        raise CommandError("--policy goes with --method policy")
    policy = None
    if args.policy:
        from control.scheduling.policy import load_policy
        policy = load_policy(args.policy)
    if args.output:
        check_output(args.output, force=args.force)
    backend = Backend.parse(args.workers, args.ray)
    instances = [read_instance(path) for path in args.instances]
    names = [i.name for i in instances]
    if len(set(names)) != len(names):
        raise CommandError(f"two instances share a name: {', '.join(names)}")
    seeds = [args.seed + k for k in range(args.seeds)]
    tasks = grid_tasks(instances, methods, seeds, args.time_limit, policy)
    count = 0

    def arrived(i, row):
        nonlocal count
        count += 1
        bar.update(count, f"{row['instance']} {row['method']} seed {row['seed']}")

    with Progress("schedule-grid", total=len(tasks)) as bar:
        finished = run_tasks(run_one, tasks, backend, on_result=arrived)
    rows = [r for r in finished.results if r is not None]
    if args.output:
        buf = io.StringIO()
        w = csv.DictWriter(buf, FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        write_output(args.output, buf.getvalue(), force=args.force)
    if args.json:
        print(json.dumps(rows))
    else:
        _print(rows)
    if args.output:
        print(f"{args.output}: written", file=sys.stderr)
    if finished.interrupted:
        print(f"interrupted: {len(rows)} of {len(tasks)} runs finished", file=sys.stderr)
        return 130
    return 0


def _print(rows: list[dict]) -> None:
    head = ["instance", "method", "seed", "makespan", "lower bound", "gap %", "wall s"]
    body = [[r["instance"], r["method"], str(r["seed"]), f"{r['makespan']:g}",
             f"{r['lower_bound']:g}", f"{100 * r['gap']:.1f}", f"{r['wall_seconds']:.3f}"]
            for r in rows]
    widths = [max(len(x) for x in col) for col in zip(head, *body)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    for b in body:
        print("  ".join(x.ljust(w) if i < 2 else x.rjust(w)
                        for i, (x, w) in enumerate(zip(b, widths))))
