"""``petri reach FILE...``: explore the reachability graph and report its properties."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ..cli import number, whole_number

from . import add_allow_outside, add_force

NAME = "reach"
HELP = ("build the reachability graph (untimed) and report states, edges, deadlocks, bounds, "
        "safeness, liveness and reversibility; detects unbounded nets")

#: Exit status when the exploration stopped at a limit (the results are partial).
PARTIAL = 3

#: ``--explorer`` choices: the ``compiled`` argument of ``reachability_graph``
EXPLORERS = {"auto": None, "compiled": True, "numpy": False}


def add_arguments(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="a net: TOML file(s) loaded together, or one PNML file (.pnml, .xml)")
    p.add_argument("--max-states", type=whole_number(1), metavar="N",
                   help="stop after N states (the results are then partial)")
    p.add_argument("--time-limit", type=number(0, above=True), metavar="SECONDS",
                   help="stop after this many seconds (the results are then partial)")
    p.add_argument("--max-memory", type=number(0, above=True), metavar="GIB",
                   help="stop before the process uses more than this many GiB of memory, "
                        "measured as the graph grows (default: what is in use plus 70%% of the "
                        "memory available, and at most 80%% of any address-space limit)")
    p.add_argument("--explorer", choices=list(EXPLORERS), default="auto",
                   help="how place/transition nets are explored: 'compiled' (numba, the "
                        "optional 'fast' extra), 'numpy' (no compiler needed), or 'auto' "
                        "(default: compiled when numba is installed, the numpy explorer first "
                        "for small nets; both give the same states and edges)")
    p.add_argument("--format", choices=["graphml", "gexf", "dot", "json"],
                   help="graph file format (default: from the extension of OUT); "
                        "without -o the graph goes to standard output and the report to "
                        "standard error")
    p.add_argument("-o", "--output", metavar="OUT", help="write the graph to OUT")
    p.add_argument("--json", action="store_true", help="print the property report as JSON")
    p.add_argument("--draw", metavar="PICTURE",
                   help="draw the graph as .svg or .png (small graphs: up to 300 states), the "
                        "initial marking doubly circled, deadlocks in red")
    add_force(p)
    add_allow_outside(p)


def is_jobshop(path) -> bool:
    """A scheduling instance: an OR-Library .txt, a Brandimarte .fjs, or a plant's CSV folder."""
    from ..errors import NetError
    from ..formats import format_of
    try:
        return format_of(path) == "jobshop"
    except (NetError, OSError):
        return False


def load_net(files, allow_outside: bool = False):
    """One net from TOML file(s), one PNML file or one scheduling instance."""
    from ..cli import CommandError
    files = [os.fspath(f) for f in files]
    for f in files:
        if not os.path.exists(f):
            raise CommandError(f"{f}: no such file")
    for f in files:
        if os.path.isdir(f) and not is_jobshop(f):
            raise CommandError(f"{f}: is a directory, not a net file")
    from ..formats import load
    return load(*files, allow_outside=allow_outside)


def check_explorer(net, explorer: str) -> None:
    """``--explorer compiled`` or ``numpy``: only for place/transition nets, and the compiled
    one only with numba installed."""
    from ..cli import CommandError
    if not net.is_pt() or len({t.priority for t in net.transitions.values()}) > 1:
        raise CommandError(f"--explorer {explorer}: net {net.name!r} is coloured or has "
                           "transitions of different priorities, which only the engine's "
                           "explorer handles (leave --explorer at auto)")
    if explorer == "compiled":
        from ..analysis.reachability import _compiled_kernel
        if _compiled_kernel() is None:
            raise CommandError("--explorer compiled needs numba, which is not installed "
                               "(pip install 'petri-flow[fast]'), or use --explorer numpy")


def _exploring(bar):
    """A ``progress`` for ``reachability_graph`` drawing on ``bar`` after the first second."""
    def show(states, edges, seconds):
        if seconds >= 1:
            bar.update(states, extra=f"states, {edges:,} edges ({states / seconds:,.0f} states/s)"
                                     "  Ctrl-C stops and reports")
    return show


def run(args) -> int:
    from ..analysis import analyse, coverability_graph, reachability_graph
    from ..analysis.properties import STEPS
    from ..errors import NetError
    from ..progress import Progress
    from ..analysis.export import format_for_path, write_graph
    from ..cli import CommandError
    from ..files import check_output, output

    fmt = args.format
    if args.output and fmt is None:
        fmt = format_for_path(args.output)
        if fmt is None:
            raise CommandError(f"{args.output}: cannot tell the graph format from the extension "
                               "(use .graphml, .gexf, .dot, .gv or .json, or give --format)")
    from ..drawing.graphs import MAX_DRAWN_STATES
    if args.draw and Path(args.draw).suffix.lower() not in (".svg", ".png"):
        raise CommandError(f"{args.draw}: cannot tell the picture format from the extension "
                           "(use .svg or .png)")
    net = load_net(args.files, allow_outside=args.allow_outside_tables)
    compiled = EXPLORERS[args.explorer]
    if compiled is not None:
        check_explorer(net, args.explorer)
    for out in (args.output, args.draw):
        if out:
            check_output(out, force=args.force, inputs=args.files)   # before a long exploration
    max_states = args.max_states
    if args.draw and max_states is None:    # no need to explore further than what is drawn
        max_states = MAX_DRAWN_STATES + 1
    max_memory = int(args.max_memory * 2**30) if args.max_memory else None
    with Progress("exploring") as bar:
        graph = reachability_graph(net, max_states=max_states, time_limit=args.time_limit,
                                   max_memory=max_memory, progress=_exploring(bar),
                                   catch_interrupt=True, compiled=compiled)
    unbounded_places = None
    written = graph
    if graph.stopped == "unbounded":
        # the coverability graph says which places grow; it replaces the (infinite) graph
        try:
            with Progress("coverability graph", total=1) as bar:
                bar.update(0, extra="places that grow")
                cover = coverability_graph(net, max_states=args.max_states or 200_000,
                                           time_limit=args.time_limit or 60)
        except NetError:  # inhibitor arcs or capacities: keep the witness from the search
            cover = None
        if cover is not None and cover.complete:
            unbounded_places = cover.unbounded_places
            written = cover
    if args.draw:
        draw_graph(written, args.draw, args.force)
    with Progress("analysing", total=len(STEPS)) as bar:
        props = analyse(graph, unbounded_places=unbounded_places,
                        progress=lambda step, k, n: bar.update(k, extra=step))
    report_stream = sys.stdout
    if fmt and not args.output:
        report_stream = sys.stderr
        write_graph(written, sys.stdout, fmt)
    elif args.output:
        with output(args.output, force=args.force) as tmp:
            write_graph(written, tmp, fmt)
    if args.json:
        print(props.to_json(), file=report_stream)
    else:
        print(props.to_text(), file=report_stream)
        if args.output:
            what = "coverability graph" if written is not graph else "reachability graph"
            print(f"\n{what} written to {args.output} ({fmt})", file=report_stream)
        if args.draw:
            what = "coverability graph" if written is not graph else "reachability graph"
            print(f"{'' if args.output else chr(10)}{what} drawn in {args.draw}", file=report_stream)
    if graph.stopped == "interrupted":
        return 130
    if not graph.complete and graph.stopped != "unbounded":
        return PARTIAL
    return 0


def draw_graph(graph, path, force: bool) -> None:
    """Draw a complete graph of at most ``MAX_DRAWN_STATES`` states, else say why not."""
    from ..cli import CommandError
    from ..drawing.graphs import MAX_DRAWN_STATES, graph_png, graph_svg
    from ..files import write_output
    if graph.num_states > MAX_DRAWN_STATES or not graph.complete:
        why = ("the net is unbounded and its coverability graph could not be built"
               if graph.stopped == "unbounded" else
               f"the graph has more than {MAX_DRAWN_STATES} states"
               if graph.num_states > MAX_DRAWN_STATES or graph.stopped == "max_states" else
               f"the exploration stopped early ({graph.stopped})")
        raise CommandError(f"{path}: not drawn: {why}; --draw is for small graphs (write any "
                           "graph with -o OUT.graphml or .gexf and view it in Gephi or yEd)")
    if Path(path).suffix.lower() == ".png":
        write_output(path, graph_png(graph), force=force)
    else:
        write_output(path, graph_svg(graph), force=force)
