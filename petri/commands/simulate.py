"""``petri simulate FILE...``: play the token game and summarise the run."""
from __future__ import annotations

import json
from pathlib import Path

from ..cli import SEED, CommandError, number, whole_number
from . import add_allow_outside, add_force

NAME = "simulate"
HELP = "simulate a net (several files are fused into one net) and print a run summary"

#: without --max-firings, a run stops after this many firings at one instant
INSTANT_LIMIT = 100_000


def add_arguments(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="net files (.toml)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the random choices and draws "
                                                       "(default 0)")
    p.add_argument("--until", type=number(0), default=None, metavar="T",
                   help="stop before the clock passes T")
    p.add_argument("--max-firings", type=whole_number(0), default=None, metavar="N", help="stop after N firings")
    p.add_argument("--instant-limit", type=whole_number(1), default=None, metavar="N",
                   help=f"stop after N firings at one instant without the clock moving, the sign "
                        f"of a zero-time loop (default {INSTANT_LIMIT:,} unless --max-firings "
                        f"is given)")
    p.add_argument("--events", default=None, metavar="OUT",
                   help="write the event log: .csv, .parquet (with pyarrow), .xes (needs --case) "
                        "or .json (OCEL 2.0, needs --objects)")
    p.add_argument("--case", default=None, metavar="VAR",
                   help="XES case notion: a binding variable, or a field of one such as job[0]")
    p.add_argument("--objects", default=None, metavar="VAR,...",
                   help="OCEL object notions: binding variables (or fields), comma-separated")
    p.add_argument("--start", default=None, metavar="DATE",
                   help="XES/OCEL: the date and time of model time 0 (ISO, default 1970-01-01)")
    p.add_argument("--time-unit", type=number(0, above=True), default=1.0, metavar="SECONDS",
                   help="XES/OCEL: seconds per model time unit (default 1)")
    p.add_argument("--choice", choices=("random", "oldest"), default="random",
                   help="how the engine picks among bindings that may fire: random (default) or "
                        "oldest (first come, first served)")
    p.add_argument("--controller", default=None, metavar="NAME|FILE.py",
                   help="decide controllable transitions with a registered controller, or with "
                        "the controller a Python file defines (your own code, run as such)")
    p.add_argument("--plot", default=None, metavar="OUT.png",
                   help="draw the run (needs matplotlib): token counts over time of --places and "
                        "a Gantt chart of --resources")
    p.add_argument("--places", default=None, metavar="P,...",
                   help="places whose token counts to plot (default: every place, up to 8, when "
                        "no --resources are given)")
    p.add_argument("--resources", default=None, metavar="P,...",
                   help="resource places to draw as a Gantt chart: which token held which "
                        "resource when; P[0] names a resource by the first field of its tokens")
    p.add_argument("--replications", type=whole_number(1, 100_000), default=None, metavar="N",
                   help="run N replications (seeds SEED, SEED+1, ...) and report each measure's "
                        "mean and 95%% confidence interval")
    p.add_argument("--warm-up", type=number(0), default=0.0, metavar="T",
                   help="replications: measure only after model time T (default 0)")
    p.add_argument("--sojourn", action="append", default=[], metavar="FROM,TO[,VAR]",
                   help="replications: mean time from a firing of FROM to the firing of TO with "
                        "the same value of VAR (default: the variables both share); repeatable")
    p.add_argument("--workers", type=whole_number(1, 256), default=None, metavar="N",
                   help="replications: worker processes (default: one per CPU, at most N); the "
                        "results do not depend on it")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_force(p)
    add_allow_outside(p)


def run(args) -> int:
    from ..engine import Simulator
    from ..eventlog import FORMATS
    from ..files import check_output
    from ..formats import load
    from ..progress import Progress

    if args.events:
        suffix = Path(args.events).suffix.lower()
        if suffix not in FORMATS:
            raise CommandError(f"{args.events}: the event log is written as .csv, .parquet, .xes "
                               f"or .json (OCEL 2.0)")
        if suffix == ".xes" and not args.case:
            raise CommandError(f"{args.events}: an XES log needs --case VAR (the binding variable "
                               f"that names a case)")
        if suffix == ".json" and not args.objects:
            raise CommandError(f"{args.events}: an OCEL log needs --objects VAR,... (the binding "
                               f"variables that name objects)")
    if args.replications is not None:
        return run_replications(args)
    for option, given in (("--warm-up", args.warm_up), ("--sojourn", args.sojourn),
                          ("--workers", args.workers)):
        if given:
            raise CommandError(f"{option} goes with --replications N")
    if (args.places or args.resources) and not args.plot:
        raise CommandError("--places and --resources go with --plot OUT.png")
    if args.plot and Path(args.plot).suffix.lower() != ".png":
        raise CommandError(f"{args.plot}: plots are written as .png")
    net = load(*args.files, allow_outside=args.allow_outside_tables)
    if not net.places and not net.transitions:
        raise CommandError("the net has no place and no transition", file=" + ".join(args.files))
    if args.events:
        check_output(args.events, force=args.force)      # before the run, not after it
    if args.plot:
        check_output(args.plot, force=args.force)
        places, resources = plot_places(args, net)
    controller = load_controller(args.controller, net) if args.controller else None
    sim = Simulator(net, seed=args.seed, log=bool(args.events or args.plot), choice=args.choice,
                    controller=controller)
    instant_limit = args.instant_limit
    if instant_limit is None and args.max_firings is None:
        instant_limit = INSTANT_LIMIT
    with Progress("simulate", total=args.max_firings) as bar:
        result = sim.run(until=args.until, max_firings=args.max_firings,
                         instant_limit=instant_limit,
                         progress=lambda n, clock: bar.update(n, f"clock {clock:g}"))
    summary = {
        "net": net.name, "clock": result.clock, "finish": result.finish,
        "firings": result.firings, "wall_seconds": round(result.wall_seconds, 6),
        "firings_per_second": round(result.firings_per_second, 1) if result.wall_seconds else None,
        "stopped": result.reason, "marking": final_marking(sim),
    }
    if result.reason == "zero_time":
        summary["enabled"] = sorted({b.transition for b in sim.enabled()})
    if args.events:
        summary["events"] = write_events(sim.events, args)
    if args.plot:
        from ..drawing.timeline import run_png
        from ..files import write_output
        initial = {p: sum(t.count for t in net.places[p].initial) for p in places}
        png = run_png(sim.events, initial=initial, places=places, resources=resources,
                      end=result.finish, title=f"{net.name}: seed {args.seed}")
        write_output(args.plot, png, force=args.force)
        summary["plot"] = args.plot
    if args.json:
        print(json.dumps(summary))
    else:
        print(text_summary(summary, instant_limit))
    if result.reason == "interrupted":
        return 130
    return 3 if result.reason == "zero_time" else 0


def plot_places(args, net) -> tuple[list[str], list[str]]:
    """The places to plot as token counts and as resources, checked against the net."""
    def names(text, option):
        out = [p.strip() for p in (text or "").split(",") if p.strip()]
        for p in out:
            if option == "--resources":
                from ..drawing.timeline import _resource
                p = _resource(p)[0]
            if p not in net.places:
                from ..check import close_match
                match = close_match(p, net.places)
                raise CommandError(f"{option}: unknown place {p!r}"
                                   + (f" (did you mean {match!r}?)" if match else ""))
        return out
    places, resources = names(args.places, "--places"), names(args.resources, "--resources")
    if not places and not resources:
        places = list(net.places)[:8]
    return places, resources


def run_replications(args) -> int:
    import os

    from ..formats import load
    from ..replications import Sojourn, replicate

    if args.replications < 1:
        raise CommandError("--replications must be 1 or more")
    for option, given in (("--events", args.events), ("--controller", args.controller),
                          ("--plot", args.plot)):
        if given:
            raise CommandError(f"{option} is for a single run; leave it out with --replications")
    if args.workers is not None and args.workers < 1:
        raise CommandError("--workers must be 1 or more")
    if args.warm_up < 0:
        raise CommandError("--warm-up must be 0 or more")
    if args.until is not None and args.until <= args.warm_up:
        raise CommandError(f"--until ({args.until:g}) must be later than --warm-up "
                           f"({args.warm_up:g})")
    instant_limit = args.instant_limit
    if instant_limit is None and args.max_firings is None:
        instant_limit = INSTANT_LIMIT
    try:
        sojourns = [Sojourn.parse(s) for s in args.sojourn]
    except Exception as e:
        raise CommandError(f"--sojourn: {e}") from None
    net = load(*args.files, allow_outside=args.allow_outside_tables)
    workers = args.workers or os.cpu_count() or 1
    result = replicate(net, args.replications, seed=args.seed, until=args.until,
                       warm_up=args.warm_up, sojourns=sojourns, workers=workers,
                       max_firings=args.max_firings, instant_limit=instant_limit,
                       choice=args.choice)
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    seeds = result.seeds
    horizon = f", horizon {args.until:g}" if args.until is not None else ""
    print(f"net {net.name}: {len(seeds)} replications (seeds {seeds[0]}..{seeds[-1]}), "
          f"warm-up {args.warm_up:g}{horizon}")
    rows = [(f"{k} {n}".strip(), e) for (k, n), e in result.estimates.items()]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'mean':>12}  95% confidence interval")
    for label, e in rows:
        ci = "n/a (one run)" if e.half_width is None else \
            f"+- {e.half_width:<10.4g} [{e.low:.6g}, {e.high:.6g}]"
        n = f"  ({e.n} of {len(seeds)} runs)" if e.n < len(seeds) else ""
        print(f"{label:<{width}}  {e.mean:>12.6g}  {ci}{n}")
    print("finish: when the last token became ready; throughput: firings per time unit; tokens: "
          "time-average number in the place; sojourn: mean time between the two firings "
          "(after the warm-up)")
    return 0


def write_events(events, args) -> str:
    from ..eventlog import write_ocel, write_table, write_xes

    out = Path(args.events)
    suffix = out.suffix.lower()
    if suffix == ".xes":
        write_xes(events, out, case=args.case, start=args.start, unit=args.time_unit,
                  force=args.force)
    elif suffix == ".json":
        objects = [o for o in args.objects.split(",") if o.strip()]
        write_ocel(events, out, objects=objects, start=args.start, unit=args.time_unit,
                   force=args.force)
    else:
        write_table(events, out, force=args.force)
    return str(out)


def load_controller(spec: str, net):
    """A controller by registered name, or the one a Python file defines: a module-level
    ``controller`` (an object with ``choose``, or a class to instantiate) or a function
    ``make_controller(net)``."""
    if spec.endswith(".py") or Path(spec).is_file():
        return _controller_from_file(spec, net)
    from ..registry import controllers
    try:
        return controllers.create(spec)
    except LookupError as e:
        message = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
        raise CommandError(f"--controller {spec}: {message}; or name a Python file (.py)") from None


def _controller_from_file(path: str, net):
    import importlib.util

    if not Path(path).is_file():
        raise CommandError(f"{path}: no such controller file")
    spec = importlib.util.spec_from_file_location(f"petri_controller_{Path(path).stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)     # the user's own code, named on the command line
        if hasattr(module, "make_controller"):
            controller = module.make_controller(net)
        elif hasattr(module, "controller"):
            controller = module.controller
            if isinstance(controller, type):
                controller = controller()
        else:
            raise CommandError(f"{path}: defines neither 'controller' (an object with "
                               f"choose(decision)) nor 'make_controller(net)'")
    except CommandError:
        raise
    except Exception as e:
        raise CommandError(f"{path}: loading the controller failed: {type(e).__name__}: {e}") from None
    if not callable(getattr(controller, "choose", None)):
        raise CommandError(f"{path}: the controller has no choose(decision) method")
    return controller


def _colour_text(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, tuple):
        return "(" + ", ".join(map(_colour_text, v)) + ")"
    return repr(v)


def _colour_order(item):
    """Numbers in numeric order, then everything else by its text."""
    v = item[0]
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (0, v, "")
    return (1, 0, repr(v))


def final_marking(sim) -> dict[str, list]:
    """Place -> [[colour, count], ...] of the non-empty places (colours as JSON values)."""
    from ..eventlog import _json_value

    out = {}
    for place in sim.compiled.place_names:
        colours = sim.colours(place)
        if colours:
            out[place] = [[_json_value(v), n] for v, n in sorted(colours.items(),
                                                                  key=_colour_order)]
    return out


def _place_text(colours: list, most: int = 8) -> str:
    if len(colours) == 1 and colours[0][0] == []:       # black tokens
        n = colours[0][1]
        return f"{n} token{'s' * (n != 1)}"
    parts = [_colour_text(tuple(v) if isinstance(v, list) else v) + (f" x{n}" if n > 1 else "")
             for v, n in colours[:most]]
    if len(colours) > most:
        rest = sum(n for _, n in colours[most:])
        parts.append(f"... {len(colours) - most} more colours ({rest} tokens)")
    return ", ".join(parts)


def text_summary(summary: dict, instant_limit: int | None = None) -> str:
    fps = summary["firings_per_second"]
    lines = [f"net {summary['net']}: {summary['firings']} firings"
             + (f", {fps:,.0f} firings/s" if fps is not None else ""),
             f"clock {summary['clock']:g} (last firing), finish {summary['finish']:g} "
             f"(the last token ready)"]
    reason = summary["stopped"]
    if reason == "zero_time":
        lines.append(f"stopped: {instant_limit:,} firings at time {summary['clock']:g} without the "
                     f"clock moving: likely a zero-time loop (enabled: "
                     f"{', '.join(summary['enabled'])}); tokens of untimed places are always "
                     f"ready and delays do not stamp them; --instant-limit N changes the limit")
    else:
        lines.append(f"stopped: {_REASONS[reason]}")
    marking = summary["marking"]
    if marking:
        width = max(map(len, marking))
        lines.append("final marking:")
        lines += [f"  {p:<{width}}  {_place_text(c)}" for p, c in marking.items()]
    else:
        lines.append("final marking: every place is empty")
    if summary.get("events"):
        lines.append(f"event log written to {summary['events']}")
    if summary.get("plot"):
        lines.append(f"plot written to {summary['plot']}")
    return "\n".join(lines)


_REASONS = {
    "dead": "no binding is enabled and no token will become ready (dead marking)",
    "until": "the next firing would pass --until",
    "max_firings": "--max-firings reached",
    "interrupted": "interrupted; the summary covers what finished",
    "waiting": "only controllable bindings are enabled and the controller waits",
}
