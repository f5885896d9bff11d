"""The ``petri`` command's subcommands, one module each.

Each module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Adding a subcommand means adding its module name to ``COMMANDS``.
"""

COMMANDS = ["validate", "simulate", "experiment", "reach", "export", "invariants", "train"]
