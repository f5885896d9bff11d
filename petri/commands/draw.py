"""``petri draw FILE... -o OUT.svg|OUT.png``: a picture of a net, without Graphviz."""
from __future__ import annotations

import sys
from pathlib import Path

from . import add_allow_outside, add_force

NAME = "draw"
HELP = ("draw a net as SVG or PNG: places, transitions, arcs with their inscriptions; "
        "positions from the file, else a layered left-to-right layout")

FORMATS = (".svg", ".png")


def add_arguments(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="a net: TOML file(s) loaded together, or one PNML file (.pnml, .xml)")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="the picture: .svg (needs nothing more) or .png (needs matplotlib)")
    p.add_argument("--marking", action="store_true",
                   help="show the initial marking (tokens, and their colours when few) and "
                        "highlight the transitions enabled in it")
    add_force(p)
    add_allow_outside(p)


def initial_view(net) -> dict:
    """The initial marking and the transitions enabled in it, for ``net_scene``."""
    from ..engine import Simulator
    sim = Simulator(net, log=False)
    return {"marking": sim.marking, "enabled": {b.transition for b in sim.enabled()}}


def run(args) -> int:
    from ..cli import CommandError
    from ..drawing import fused_places, net_png, net_svg
    from ..files import check_output, write_output
    from .reach import load_net

    suffix = Path(args.output).suffix.lower()
    if suffix not in FORMATS:
        raise CommandError(f"{args.output}: cannot tell the picture format from the extension "
                           "(use .svg or .png)")
    folder = Path(args.output).parent
    if str(folder) and not folder.is_dir():
        raise CommandError(f"{args.output}: the folder {folder} does not exist")
    check_output(args.output, force=args.force, inputs=args.files)
    net = load_net(args.files, allow_outside=args.allow_outside_tables)
    options = {"fused": fused_places(net)}
    if args.marking:
        options.update(initial_view(net))
    if suffix == ".svg":
        data = net_svg(net, **options).encode("utf-8")
    else:
        data = net_png(net, **options)
    write_output(args.output, data, force=args.force)
    print(f"{args.output}: written ({len(net.places)} places, {len(net.transitions)} "
          f"transitions)", file=sys.stderr)
    return 0
