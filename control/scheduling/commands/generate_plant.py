"""``petri generate-plant``: write a plant-shaped scheduling instance as CSV files."""
from __future__ import annotations

from pathlib import Path

from petri.cli import SEED, number, whole_number
from petri.commands import add_force
from petri.errors import CommandError

NAME = "generate-plant"
HELP = "generate a plant's scheduling data (jobs, machine groups, calendars) as CSV files"


def add_arguments(p) -> None:
    p.add_argument("--jobs", type=whole_number(1, 100_000), default=411, metavar="N", help="jobs (default 411)")
    p.add_argument("--machines", type=whole_number(1, 10_000), default=149, metavar="N", help="machines (default 149)")
    p.add_argument("--hours", type=number(0, 1e7, above=True), default=14951, metavar="H",
                   help="total hours of work (default 14951)")
    p.add_argument("--seed", type=SEED, default=0, help="seed (default 0)")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder to write")
    add_force(p)


def run(args) -> int:
    from control.scheduling.generate import generate_plant, write_plant

    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise CommandError(f"{out}: exists and is not a folder")
    if (out / "operations.csv").exists() and not args.force:
        raise CommandError(f"{out}: already holds a plant (operations.csv); use --force to "
                           f"overwrite it")
    inst = generate_plant(args.jobs, args.machines, args.hours, args.seed)
    write_plant(inst, out, force=args.force)
    print(f"{out}: {inst.n_jobs} jobs, {inst.n_operations} operations, {inst.n_machines} "
          f"machines in {len(set(inst.machine_groups))} groups, "
          f"{inst.total_work() / 60:,.0f} hours of work")
    return 0
