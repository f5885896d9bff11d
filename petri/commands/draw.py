"""``petri draw FILE... -o OUT.svg|OUT.png``: a picture of a net, without Graphviz."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

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


def write_atomic(path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, so that a
    failed or interrupted write never leaves half a file."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def initial_view(net) -> dict:
    """The initial marking and the transitions enabled in it, for ``net_scene``."""
    from ..engine import Simulator
    sim = Simulator(net, log=False)
    return {"marking": sim.marking, "enabled": {b.transition for b in sim.enabled()}}


def run(args) -> int:
    from ..cli import CommandError
    from ..drawing import fused_places, net_png, net_svg
    from .reach import load_net

    suffix = Path(args.output).suffix.lower()
    if suffix not in FORMATS:
        raise CommandError(f"{args.output}: cannot tell the picture format from the extension "
                           "(use .svg or .png)")
    folder = Path(args.output).parent
    if str(folder) and not folder.is_dir():
        raise CommandError(f"{args.output}: the folder {folder} does not exist")
    net = load_net(args.files)
    options = {"fused": fused_places(net)}
    if args.marking:
        options.update(initial_view(net))
    if suffix == ".svg":
        data = net_svg(net, **options).encode("utf-8")
    else:
        data = net_png(net, **options)
    write_atomic(args.output, data)
    print(f"{args.output}: written ({len(net.places)} places, {len(net.transitions)} "
          f"transitions)", file=sys.stderr)
    return 0
