"""``petri validate FILE...``: load the files as one net and report every problem, one a line."""
from __future__ import annotations

import sys

from . import add_allow_outside

NAME = "validate"
HELP = "check net files (loaded together, places of the same name fused) and list every problem"


def add_arguments(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="net files (.toml)")
    add_allow_outside(p)


def run(args) -> int:
    from ..check import check_warnings
    from ..formats import load_with_errors

    net, problems = load_with_errors(*args.files, allow_outside=args.allow_outside_tables)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    for warning in check_warnings(net):
        print(warning, file=sys.stderr)
    places, transitions = len(net.places), len(net.transitions)
    print(f"{' + '.join(args.files)}: ok ({places} place{'s' * (places != 1)}, "
          f"{transitions} transition{'s' * (transitions != 1)})")
    return 0
