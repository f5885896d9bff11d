"""The ``petri`` command line: ``petri COMMAND ...``; see ``petri --help``.

Bad input never shows a traceback: every command reports problems as one line each
(file, element, what is wrong) and exits non-zero.
"""
from __future__ import annotations

import argparse
import math
import sys

from . import __version__
from .commands import COMMANDS
from .errors import CommandError, PetriError
from .files import reading_inputs
from .progress import progress_setting

__all__ = ["main", "CommandError", "number", "whole_number", "SEED"]


def number(low: float | None = None, high: float | None = None, *, above: bool = False):
    """An argparse ``type`` for a finite number, at least ``low`` (more than it if ``above``)
    and at most ``high``.

    argparse names the option in the message: ``argument --until: must be a finite number of
    0 or more, got 'nan'``.
    """
    if low is None:
        wanted = "a finite number"
    elif above:
        wanted = f"a finite number more than {low:g}"
    else:
        wanted = f"a finite number of {low:g} or more"
    if high is not None:
        wanted += f" and at most {high:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or (low is not None and (value <= low if above else value < low)) \
                or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {text!r}")
        return value
    parse.__name__ = "number"
    return parse


def whole_number(low: int = 0, high: int | None = None):
    """An argparse ``type`` for a whole number from ``low`` to ``high`` (inclusive)."""
    wanted = f"a whole number of {low} or more" if high is None else \
        f"a whole number from {low} to {high}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {text[:40]!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {wanted}, got {text[:40]!r}")
        return value
    parse.__name__ = "whole number"
    return parse


#: Seeds of random choices: what every random generator of the project accepts.
SEED = whole_number(0, 2**32 - 1)


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
        progress_setting()
    except ValueError as e:
        print(f"petri: error: {e}", file=sys.stderr)
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
