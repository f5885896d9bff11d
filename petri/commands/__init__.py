"""The ``petri`` command's subcommands, one module each, in the registry ``COMMANDS``.

Each module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
The library's own commands are registered here; a case study adds its commands from its
plugin (``COMMANDS.register("name", "package.module")``, see ``petri.registry``).
"""
from ..registry import Registry

__all__ = ["COMMANDS", "FILE_KINDS", "add_force", "add_allow_outside"]

#: command name -> its module (imported when the parser is built)
COMMANDS = Registry("command")
for _name in ("validate", "simulate", "reach", "export", "invariants", "draw", "play"):
    COMMANDS.register(_name, f"petri.commands.{_name}")
del _name

#: Kinds of TOML file ``petri validate`` checks besides nets: the top-level table that marks
#: the kind -> a function taking the file's path, returning a short description of what it
#: found and raising ``PetriError`` (with ``.problems`` for several) otherwise. Case studies
#: register theirs from their plugin (e.g. their scenario files).
FILE_KINDS = Registry("kind of file")


def add_force(parser) -> None:
    """``--force``: the command may replace files that exist (never inputs or links)."""
    parser.add_argument("--force", action="store_true",
                        help="overwrite output files that already exist")


def add_allow_outside(parser) -> None:
    """``--allow-outside-tables``: CSV tables may lie outside the net file's folder."""
    parser.add_argument("--allow-outside-tables", action="store_true",
                        help="read CSV tables that lie outside the net file's folder "
                             "(absolute paths, .., symbolic links leading out)")
