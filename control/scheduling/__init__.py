"""Scheduling job shops on their timed nets: rules, a learned policy, improvement under a limit.

>>> from control.scheduling import schedule
>>> from petri.jobshop import Instance
>>> s = schedule(Instance.from_routes([[(0, 3), (1, 2)], [(1, 4), (0, 1)]]), method="rule:spt")
>>> s.makespan, s.lower_bound
(6, 6)
"""
from .api import METHODS, schedule
from .schedule import Schedule, ScheduledOperation, check_schedule

__all__ = ["schedule", "METHODS", "Schedule", "ScheduledOperation", "check_schedule", "register"]


def register() -> None:
    """Register the scheduling commands (the ``petri.plugins`` entry point of this package)."""
    from petri.commands import COMMANDS
    COMMANDS.register("schedule", "control.scheduling.commands.schedule", family="scheduling")
    COMMANDS.register("schedule-grid", "control.scheduling.commands.schedule_grid",
                      family="scheduling")
    COMMANDS.register("generate-plant", "control.scheduling.commands.generate_plant",
                      family="scheduling")
    COMMANDS.register("train-scheduler", "control.scheduling.commands.train_scheduler",
                      family="scheduling")
    COMMANDS.register("serve", "control.scheduling.commands.serve", family="scheduling")
    COMMANDS.register("keys", "control.scheduling.commands.keys", family="scheduling")
