"""The ``petri`` command line: ``petri COMMAND ...``; see ``petri --help``.

Bad input never shows a traceback: every command reports problems as one line each
(file, element, what is wrong) and exits non-zero.
"""
from __future__ import annotations

import argparse
import sys

from . import __version__
from .commands import COMMANDS
from .errors import CommandError, PetriError
from .files import reading_inputs

__all__ = ["main", "CommandError"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="petri", description="Timed coloured Petri nets: validate, simulate, analyse, control.")
    parser.add_argument("--version", action="version", version=f"petri {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS.names():
        module = COMMANDS.get(name)
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        with reading_inputs():      # no output of the command may overwrite what it read
            return int(args._run(args) or 0)
    except CommandError as e:
        print(f"petri: error: {e}", file=sys.stderr)
        return e.code
    except PetriError as e:
        print(f"petri: error: {e}", file=sys.stderr)
        return 1
    except FileNotFoundError as e:
        print(f"petri: error: {e.filename}: no such file", file=sys.stderr)
        return 1
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as e:
        print(f"petri: error: {e}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"petri: error: out of memory in petri {args.command}: give smaller limits "
              f"(see petri {args.command} --help)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("petri: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
