"""A grid of scheduling runs: instances x methods x seeds, each run an independent task.

``grid_tasks`` declares the runs; ``run_one`` is one run (module level, plain data in and
out, so it can run in another process or on a Ray cluster); ``petri.parallel.run_tasks``
runs them where asked. Without a time limit every method is deterministic given its seed,
so every backend gives the same makespans; with one, improvement stops at a wall-clock
deadline and the results depend on the speed of the machine that ran them.
"""
from __future__ import annotations

from petri.jobshop import Instance

from .api import schedule
from .schedule import check_schedule

__all__ = ["grid_tasks", "run_one", "FIELDS"]

#: the columns of a grid's result rows
FIELDS = ["instance", "method", "seed", "makespan", "lower_bound", "gap", "jobs", "machines",
          "operations", "wall_seconds"]


def grid_tasks(instances: list[Instance], methods: list[str], seeds: list[int],
               time_limit: float | None = None, policy=None) -> list[tuple]:
    """One task per instance, method and seed, in that order."""
    return [(inst, m, s, time_limit, policy if m == "policy" else None)
            for inst in instances for m in methods for s in seeds]


def run_one(inst: Instance, method: str, seed: int, time_limit: float | None,
            policy) -> dict:
    """Schedule ``inst`` by ``method`` with ``seed``; the result row (checked feasible)."""
    result = schedule(inst, method=method, time_limit=time_limit, seed=seed, policy=policy)
    problems = check_schedule(inst, result)
    if problems:      # never expected: the checker is independent of the scheduler
        raise AssertionError(f"{inst.name}: the schedule is infeasible: {problems[0]}")
    return {"instance": inst.name, "method": result.method, "seed": seed,
            "makespan": inst.to_hours(result.makespan),
            "lower_bound": inst.to_hours(result.lower_bound), "gap": round(result.gap, 6),
            "jobs": inst.n_jobs, "machines": inst.n_machines, "operations": inst.n_operations,
            "wall_seconds": round(result.wall_seconds, 4)}
