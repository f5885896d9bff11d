"""The ``petri`` command's subcommands, one module each.

Each module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Adding a subcommand means adding its module to ``COMMANDS``.
"""

COMMANDS = ["petri.commands.validate", "petri.commands.simulate",
            "control.flowfactory.commands.experiment", "petri.commands.reach",
            "petri.commands.export", "petri.commands.invariants",
            "control.flowfactory.commands.train"]
