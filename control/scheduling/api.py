"""``schedule(instance, method=..., time_limit=..., seed=...)``: one call for every method."""
from __future__ import annotations

import time as _time

from petri.errors import CommandError
from petri.jobshop import Instance

from .dispatch import dispatch
from .rules import RULES, Rule
from .schedule import Schedule

__all__ = ["schedule", "METHODS"]

#: The methods by name; ``rule:NAME`` for each dispatching rule.
METHODS = [f"rule:{r}" for r in RULES]


def schedule(instance: Instance, method: str = "rule:mwkr", time_limit: float | None = None,
             seed: int = 0) -> Schedule:
    """A feasible schedule of ``instance`` by ``method`` (``rule:NAME``).

    The result lists every operation (job, operation, machine, start, end) with the makespan
    and a lower bound beside it.
    """
    start = _time.perf_counter()
    if method.startswith("rule:"):
        name = method.split(":", 1)[1].lower()
        if name not in RULES:
            raise CommandError(f"unknown rule {name!r} (known: {', '.join(RULES)})")
        result = dispatch(instance, Rule(name), method=f"rule:{name}")
    else:
        raise CommandError(f"unknown method {method!r} (known: {', '.join(METHODS)})")
    result.wall_seconds = _time.perf_counter() - start
    result.lower_bound = instance.lower_bound()
    return result
