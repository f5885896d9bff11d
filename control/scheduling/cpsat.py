"""CP-SAT (OR-Tools) on a job shop, warm-started from a schedule (optional extra ``cpsat``).

One interval per operation and eligible machine (optional when there are several), no two
intervals of one machine overlap, each job's operations in order, minimise the makespan.
A given schedule becomes the solver's hint (every start, end and machine choice), so the
search starts from it. Calendars are not modelled: instances with calendars are refused.
"""
from __future__ import annotations

import os
import time as _time

from petri.errors import CommandError
from petri.jobshop import Instance

from .schedule import Schedule, ScheduledOperation

__all__ = ["solve", "available", "cores"]


def cores() -> int:
    """The cores this process may run on (CP-SAT's number of workers)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def available() -> bool:
    try:
        import ortools.sat.python.cp_model  # noqa: F401
        return True
    except ImportError:
        return False


def solve(inst: Instance, time_limit: float, hint: Schedule | None = None, seed: int = 0,
          workers: int = 1) -> tuple[Schedule | None, int]:
    """(best schedule found or None, the solver's lower bound) within ``time_limit`` seconds,
    OR-Tools' import and the model's building included."""
    started = _time.perf_counter()
    try:
        from ortools.sat.python import cp_model
    except ImportError:
        raise CommandError("the cpsat method needs OR-Tools: pip install ortools (or pip install "
                           "-e \".[cpsat]\")") from None
    if inst.has_calendars:
        raise CommandError("the cpsat method does not model calendars; use the policy with "
                           "--time-limit for a plant")
    model = cp_model.CpModel()
    horizon = sum(max(op.durations) for op in inst.operations()) + max(
        (j.release for j in inst.jobs), default=0)
    makespan = model.NewIntVar(0, horizon, "makespan")
    per_machine: dict[int, list] = {}
    starts, ends, chosen = {}, {}, {}
    for j, job in enumerate(inst.jobs):
        prev_end = None
        for op in job.operations:
            lo = min(op.durations)
            s = model.NewIntVar(job.release, horizon, f"s{j}_{op.index}")
            e = model.NewIntVar(job.release + lo, horizon, f"e{j}_{op.index}")
            starts[(j, op.index)], ends[(j, op.index)] = s, e
            if len(op.machines) == 1:
                d = op.durations[0]
                iv = model.NewIntervalVar(s, d, e, f"i{j}_{op.index}")
                per_machine.setdefault(op.machines[0], []).append(iv)
                chosen[(j, op.index, op.machines[0])] = None
            else:
                lits = []
                for m, d in zip(op.machines, op.durations):
                    lit = model.NewBoolVar(f"x{j}_{op.index}_{m}")
                    iv = model.NewOptionalIntervalVar(s, d, e, lit, f"i{j}_{op.index}_{m}")
                    per_machine.setdefault(m, []).append(iv)
                    chosen[(j, op.index, m)] = lit
                    lits.append(lit)
                model.AddExactlyOne(lits)
            if prev_end is not None:
                model.Add(s >= prev_end)
            prev_end = e
        if prev_end is not None:
            model.Add(makespan >= prev_end)
    for ivs in per_machine.values():
        model.AddNoOverlap(ivs)
    model.Minimize(makespan)
    if hint is not None:
        for o in hint.operations:
            model.AddHint(starts[(o.job, o.operation)], o.start)
            model.AddHint(ends[(o.job, o.operation)], o.end)
            op = inst.jobs[o.job].operations[o.operation]
            for m in op.machines:
                lit = chosen[(o.job, o.operation, m)]
                if lit is not None:
                    model.AddHint(lit, m == o.machine)
        model.AddHint(makespan, hint.makespan)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(
        0.01, float(time_limit) - (_time.perf_counter() - started))
    solver.parameters.num_search_workers = max(1, workers)
    solver.parameters.random_seed = seed
    status = solver.Solve(model)
    bound = int(solver.BestObjectiveBound()) if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) \
        else 0
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, bound
    ops = []
    for j, job in enumerate(inst.jobs):
        for op in job.operations:
            m = op.machines[0]
            if len(op.machines) > 1:
                m = next(q for q in op.machines if solver.Value(chosen[(j, op.index, q)]))
            s = solver.Value(starts[(j, op.index)])
            d = op.duration(m)
            ops.append(ScheduledOperation(j, op.index, m, s, s + d, ((s, s + d),)))
    return Schedule(inst, ops, method="cpsat", lower_bound=inst.lower_bound()), bound
