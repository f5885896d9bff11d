"""The ``petri`` command's subcommands, one module each.

Each module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Adding a subcommand means adding its module to ``COMMANDS``.
"""

COMMANDS = ["petri.commands.validate", "petri.commands.simulate",
            "control.flowfactory.commands.experiment", "petri.commands.reach",
            "petri.commands.export", "petri.commands.invariants", "petri.commands.draw",
            "control.flowfactory.commands.train"]


def add_force(parser) -> None:
    """``--force``: the command may replace files that exist (never inputs or links)."""
    parser.add_argument("--force", action="store_true",
                        help="overwrite output files that already exist")


def add_allow_outside(parser) -> None:
    """``--allow-outside-tables``: CSV tables may lie outside the net file's folder."""
    parser.add_argument("--allow-outside-tables", action="store_true",
                        help="read CSV tables that lie outside the net file's folder "
                             "(absolute paths, .., symbolic links leading out)")
