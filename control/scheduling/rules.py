"""Dispatching rules as controllers: each picks one enabled binding (operation x machine).

A rule ranks the bindings by its key and takes the smallest; ties are broken by the job's
index, then the shorter processing time, then the machine's index, so a rule's choice
depends only on the bindings, never on the order they are offered in.

* ``fifo``: the job that has waited longest;
* ``spt``: the shortest processing time;
* ``mwkr``: the job with the most work remaining (this operation included);
* ``mor``: the job with the most operations remaining;
* ``edd``: the job due earliest (jobs without a due time last).
"""
from __future__ import annotations

__all__ = ["RULES", "Rule", "rule"]

_INF = float("inf")


def _fifo(shop, j, d):
    return shop.ready[j]


def _spt(shop, j, d):
    return d


def _mwkr(shop, j, d):
    return -shop.remaining_work[j]


def _mor(shop, j, d):
    return -shop.remaining_ops[j]


def _edd(shop, j, d):
    due = shop.due[j]
    return _INF if due is None else due


#: rule name -> (primary key of a binding, description)
RULES = {
    "fifo": (_fifo, "first in, first out: the job that has waited longest"),
    "spt": (_spt, "shortest processing time"),
    "mwkr": (_mwkr, "most work remaining"),
    "mor": (_mor, "most operations remaining"),
    "edd": (_edd, "earliest due date"),
}


class Rule:
    """A dispatching rule by name; ``choose(shop, candidates)`` returns an index."""

    def __init__(self, name: str):
        if name not in RULES:
            raise KeyError(f"unknown rule {name!r} (known: {', '.join(RULES)})")
        self.name = name
        self.key = RULES[name][0]

    def choose(self, shop, cand) -> int:
        key = self.key
        jobs, machines, durations = cand.jobs, cand.machines, cand.durations
        return min(range(len(jobs)), key=lambda i: (key(shop, jobs[i], durations[i]), jobs[i],
                                                   durations[i], machines[i]))


def rule(name: str) -> Rule:
    return Rule(name.lower())
