"""``schedule(instance, method=..., time_limit=..., seed=...)``: one call for every method."""
from __future__ import annotations

import time as _time

from petri.errors import CommandError
from petri.jobshop import Instance

from .dispatch import dispatch
from .rules import RULES, Rule
from .schedule import Schedule

__all__ = ["schedule", "METHODS"]

#: The methods by name: the learned policy, ``rule:NAME`` for each dispatching rule, CP-SAT.
METHODS = ["policy"] + [f"rule:{r}" for r in RULES] + ["cpsat"]


def schedule(instance: Instance, method: str = "policy", time_limit: float | None = None,
             seed: int = 0, policy=None) -> Schedule:
    """A feasible schedule of ``instance`` by ``method``.

    * ``policy`` (default): the learned policy, one greedy pass; with ``time_limit``, then
      the best of its sampled schedules, tabu search on the critical path from the best one,
      and CP-SAT warm-started from the result (when OR-Tools is installed and the instance
      has no calendars) until ``time_limit`` seconds have passed;
    * ``rule:NAME``: a dispatching rule, one pass (with ``time_limit``: improved the same way);
    * ``cpsat``: CP-SAT alone for ``time_limit`` seconds (default 60).

    ``policy``: a ``Policy`` or a policy file (default: the shipped one). The result lists
    every operation (job, operation, machine, start, end) with the makespan and a lower
    bound beside it; ``stats`` says what each stage found.
    """
    start = _time.perf_counter()
    if time_limit is not None and not time_limit >= 0:
        raise CommandError("the time limit must be 0 or more seconds")
    stats: dict = {}
    if method == "cpsat":
        from .cpsat import cores, solve
        limit = 60.0 if time_limit is None else time_limit
        result, bound = solve(instance, limit, seed=seed, workers=cores())
        if result is None:
            raise CommandError(f"CP-SAT found no schedule in {limit:g} s")
        stats["cpsat_bound"] = bound
        result.method = "cpsat"
        result.stats = stats
        result.wall_seconds = _time.perf_counter() - start
        result.lower_bound = max(instance.lower_bound(), bound)
        return result
    pol = None
    if method == "policy":
        from .policy import Policy, load_policy, shipped_policy
        if policy is None:
            pol = shipped_policy()
        elif isinstance(policy, Policy):
            pol = policy
        else:
            pol = load_policy(policy)
        from .onepass import policy_pass
        result = policy_pass(instance, pol, method="policy")     # compiled when warmed up
    elif method.startswith("rule:"):
        name = method.split(":", 1)[1].lower()
        if name not in RULES:
            raise CommandError(f"unknown rule {name!r} (known: {', '.join(RULES)})")
        result = dispatch(instance, Rule(name), method=f"rule:{name}")
    else:
        raise CommandError(f"unknown method {method!r} (known: {', '.join(METHODS)})")
    if time_limit:
        stats["one_pass"] = result.makespan
        result = improve(instance, result, start + time_limit, seed, pol, stats)
    result.wall_seconds = _time.perf_counter() - start
    result.lower_bound = max(instance.lower_bound(), stats.get("cpsat_bound", 0))
    result.stats = stats
    return result


def improve(instance: Instance, first: Schedule, deadline: float, seed: int, policy,
            stats: dict) -> Schedule:
    """The rules' one-pass schedules, the policy's samples, tabu search, CP-SAT: the best
    schedule found before ``deadline``.

    A job shop without calendars and with one machine per operation gets the fast tabu
    search (``control.scheduling.localsearch``) for nine tenths of the time and CP-SAT,
    hinted with the best schedule, for the last tenth (after the fast search CP-SAT found
    at most 3 units more on Taillard's instances, but its bound is worth having); other
    instances get the general tabu search
    (which also moves operations between machines) and CP-SAT half and half when CP-SAT can
    model them (no calendars)."""
    from . import cpsat, localsearch
    from .improve import sample_policy, tabu_search
    method = first.method
    best = first
    fast = localsearch.applies(instance)
    compiled = fast and localsearch.numba_available()
    if compiled:
        ready = localsearch.warm_up()       # compiles while the rules and samples run
    use_cpsat = cpsat.available() and not instance.has_calendars
    for name in ("mwkr", "mor"):          # one pass each: cheap starting points
        s = dispatch(instance, Rule(name))
        if s.makespan < best.makespan:
            best = s
    stats["rules"] = best.makespan
    left = deadline - _time.perf_counter()
    if policy is not None and left > 0:
        share = 0.03 if fast else 0.1
        s = sample_policy(instance, policy, _time.perf_counter() + share * left, seed)
        if s is not None and s.makespan < best.makespan:
            best = s
        stats["sampled"] = best.makespan
    left = deadline - _time.perf_counter()
    if left > 0:
        share = (0.9 if fast else 0.5) if use_cpsat else 1.0
        until = _time.perf_counter() + share * left
        if fast:
            # the compiled search if it is ready within half the search's time, else the
            # same search in Python for the rest
            compiled = compiled and ready.wait(0.5 * max(0.0, until - _time.perf_counter()))
            stats["tabu_compiled"] = compiled
            s = localsearch.tabu_search(instance, best, until, seed, stats=stats,
                                        compiled=compiled)
        else:
            s = tabu_search(instance, best, until, seed)
        if s.makespan < best.makespan:
            best = s
        stats["tabu"] = best.makespan
    left = deadline - _time.perf_counter()
    if use_cpsat and left > 1.0 and best.makespan > instance.lower_bound():
        # model building and presolve take time too: leave them a share of what is left
        s, bound = cpsat.solve(instance, 0.8 * left - 0.5, hint=best, seed=seed,
                               workers=cpsat.cores())
        if s is not None and s.makespan < best.makespan:
            best = s
        stats["cpsat"] = best.makespan
        stats["cpsat_bound"] = bound
    best.method = f"{method}+improve"
    return best
