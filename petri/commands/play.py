"""``petri play FILE...``: the token game in the browser, served from this machine."""
from __future__ import annotations

import sys
import threading

from ..cli import SEED, whole_number
from . import add_allow_outside

NAME = "play"
HELP = ("play the token game in a browser: the drawn net, click a transition to fire it, "
        "step, run, advance the clock, undo, the event log and the reachability graph")


def add_arguments(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="a net: TOML file(s) loaded together, or one PNML file (.pnml, .xml)")
    p.add_argument("--port", type=whole_number(0, 65535), default=8000,
                   help="the port to serve on (default 8000; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="the address to serve on (default 127.0.0.1: this machine only)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--controller", metavar="NAME",
                   help="a registered controller takes the decisions when the engine steps")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the random choices (default 0)")
    add_allow_outside(p)


def run(args) -> int:
    from ..cli import CommandError
    from ..workbench import Game, make_server
    from .reach import load_net

    factory = None
    if args.controller is not None:
        from ..registry import controllers
        if args.controller not in controllers:
            raise CommandError(f"unknown controller {args.controller!r} (known: "
                               f"{', '.join(controllers.names()) or 'none'})")
        factory = controllers.get(args.controller)
    net = load_net(args.files, allow_outside=args.allow_outside_tables)
    game = Game(net, controller=factory, seed=args.seed, controller_name=args.controller)
    try:
        server = make_server(game, args.host, args.port)
    except OSError as e:
        raise CommandError(f"cannot serve on {args.host}:{args.port}: {e.strerror or e}"
                           + (" (give another with --port)" if args.port else "")) from None
    host, port = server.server_address[:2]
    url = f"http://{host}:{port}/"
    print(f"playing {net.name} ({len(net.places)} places, {len(net.transitions)} transitions) "
          f"at {url}  (Ctrl-C stops)", file=sys.stderr, flush=True)
    if not args.no_browser:
        import webbrowser
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("petri play: stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0
