"""``petri simulate FILE...``: play the token game and summarise the run."""
from __future__ import annotations

import json
from pathlib import Path

from ..cli import CommandError
from . import add_allow_outside, add_force

NAME = "simulate"
HELP = "simulate a net (several files are fused into one net) and print a run summary"


def add_arguments(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="net files (.toml)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random choices (default 0)")
    p.add_argument("--until", type=float, default=None, metavar="T",
                   help="stop before the clock passes T")
    p.add_argument("--max-firings", type=int, default=None, metavar="N", help="stop after N firings")
    p.add_argument("--events", default=None, metavar="OUT",
                   help="write the event log (.csv, or .parquet with pyarrow installed)")
    p.add_argument("--choice", choices=("random", "oldest"), default="random",
                   help="how the engine picks among bindings that may fire: random (default) or "
                        "oldest (first come, first served)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_force(p)
    add_allow_outside(p)


def run(args) -> int:
    from ..engine import Simulator
    from ..files import check_output, output
    from ..formats import load
    from ..progress import Progress

    if args.max_firings is not None and args.max_firings < 0:
        raise CommandError("--max-firings must be zero or more")
    if args.events and Path(args.events).suffix.lower() not in (".csv", ".parquet"):
        raise CommandError(f"{args.events}: the event log is written as .csv or .parquet")
    net = load(*args.files, allow_outside=args.allow_outside_tables)
    if args.events:
        check_output(args.events, force=args.force)      # before the run, not after it
    sim = Simulator(net, seed=args.seed, log=bool(args.events), choice=args.choice)
    total = args.max_firings
    with Progress("simulate", total=total) as bar:
        result = sim.run(until=args.until, max_firings=args.max_firings,
                         progress=lambda n, clock: bar.update(n, f"clock {clock:g}"))
    summary = {
        "net": net.name, "clock": result.clock, "firings": result.firings,
        "wall_seconds": round(result.wall_seconds, 6),
        "firings_per_second": round(result.firings_per_second, 1) if result.wall_seconds else None,
        "stopped": result.reason,
    }
    if args.events:
        out = Path(args.events)
        with output(out, force=args.force) as tmp:
            if out.suffix.lower() == ".parquet":
                sim.events.to_parquet(tmp)
            else:
                sim.events.to_csv(tmp)
        summary["events"] = str(out)
    if args.json:
        print(json.dumps(summary))
    else:
        fps = summary["firings_per_second"]
        print(f"net {net.name}: clock {result.clock:g}, {result.firings} firings, "
              f"{fps:,.0f} firings/s" if fps is not None else f"net {net.name}: clock "
              f"{result.clock:g}, {result.firings} firings")
        print(f"stopped: {_REASONS[result.reason]}")
        if args.events:
            print(f"event log written to {args.events}")
    return 130 if result.reason == "interrupted" else 0


_REASONS = {
    "dead": "no binding is enabled and no token will become ready (dead marking)",
    "until": "the next firing would pass --until",
    "max_firings": "--max-firings reached",
    "interrupted": "interrupted; the summary covers what finished",
    "waiting": "only controllable bindings are enabled and the controller waits",
}
