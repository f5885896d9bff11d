"""``petri export FILE... --to pnml|toml|dot -o OUT``: convert a net to another format."""
from __future__ import annotations

from . import add_allow_outside, add_force

NAME = "export"
HELP = "convert a net (TOML or PNML) to PNML, TOML or DOT (Graphviz drawing)"


def add_arguments(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="a net: TOML file(s) loaded together, or one PNML file (.pnml, .xml)")
    p.add_argument("--to", required=True, choices=["pnml", "toml", "dot"], help="target format")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="output file (default: standard output); with --to toml the tables are "
                        "written as CSV files beside it")
    add_force(p)
    add_allow_outside(p)


def run(args) -> int:
    import sys
    from ..files import write_output
    from .reach import load_net

    net = load_net(args.files, allow_outside=args.allow_outside_tables)
    if args.to == "toml" and args.output:
        from ..formats import toml
        toml.dump(net, args.output, force=args.force)
    else:
        if args.to == "pnml":
            from ..formats.pnml import dumps
            text = dumps(net)
        elif args.to == "dot":
            from ..formats.dot import net_to_dot
            text = net_to_dot(net)
        else:
            from ..formats import toml
            text = toml.dumps(net)
        if not args.output:
            sys.stdout.write(text)
            return 0
        write_output(args.output, text, force=args.force)
    tables = f", {len(net.tables)} table(s) as CSV beside it" if args.to == "toml" and \
        net.tables else ""
    print(f"{args.output}: written ({len(net.places)} places, {len(net.transitions)} "
          f"transitions{tables})", file=sys.stderr)
    return 0
