"""``petri export FILE... --to pnml|toml|dot -o OUT``: convert a net to another format."""
from __future__ import annotations

NAME = "export"
HELP = "convert a net (TOML or PNML) to PNML, TOML or DOT (Graphviz drawing)"


def add_arguments(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="a net: TOML file(s) loaded together, or one PNML file (.pnml, .xml)")
    p.add_argument("--to", required=True, choices=["pnml", "toml", "dot"], help="target format")
    p.add_argument("-o", "--output", metavar="OUT", help="output file (default: standard output)")


def run(args) -> int:
    import sys
    from .reach import load_net

    net = load_net(args.files)
    if args.to == "pnml":
        from ..formats.pnml import dumps
        text = dumps(net)
    elif args.to == "dot":
        from ..formats.dot import net_to_dot
        text = net_to_dot(net)
    else:
        from ..formats import toml
        if args.output:
            toml.dump(net, args.output)
            print(f"{args.output}: written ({len(net.places)} places, "
                  f"{len(net.transitions)} transitions)", file=sys.stderr)
            return 0
        text = toml.dumps(net)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        print(f"{args.output}: written ({len(net.places)} places, "
              f"{len(net.transitions)} transitions)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
