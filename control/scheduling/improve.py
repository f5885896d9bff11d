"""Improving a schedule under a time limit: policy samples, tabu search on the critical path.

A schedule is re-timed from its decisions alone: which machine does each operation and in
which order each machine works (``timing``). Every operation starts as early as its job,
its machine and its machine's working time allow (the dispatcher's rules: an operation that
is not splittable waits for a working stretch long enough). The critical path is the chain
of operations, each started when its job or machine predecessor ended, that ends at the
makespan; only moves on it can shorten the schedule:

* swapping two adjacent operations of a block (a run of critical operations on one
  machine) at either end of the block (the N5 neighbourhood of Nowicki and Smutnicki);
* moving a critical operation to another machine that can do it (flexible job shops).

The search is a tabu search: it takes the best neighbour whose move was not undone in the
last few iterations (unless it beats the best schedule found), and starts again from the
best schedule after a long run without progress.
"""
from __future__ import annotations

import random
import time as _time

from petri.jobshop import Instance

from .schedule import Schedule, ScheduledOperation

__all__ = ["Solution", "from_schedule", "timing", "tabu_search", "sample_policy",
           "place_in_calendar"]


class Solution:
    """Decisions: ``machine[o]`` for each operation ``o`` (numbered job by job) and
    ``order[m]``, the operations of machine ``m`` in the order it does them."""

    __slots__ = ("machine", "order")

    def __init__(self, machine: list[int], order: list[list[int]]):
        self.machine = machine
        self.order = order

    def copy(self) -> "Solution":
        return Solution(list(self.machine), [list(s) for s in self.order])


class _Index:
    """Per-instance arrays: operation numbers, job predecessors, durations per machine."""

    def __init__(self, inst: Instance):
        self.inst = inst
        self.ops = [op for job in inst.jobs for op in job.operations]
        self.offset, k = [], 0
        for job in inst.jobs:
            self.offset.append(k)
            k += len(job.operations)
        self.job_pred = [-1] * len(self.ops)
        self.release = [0] * len(self.ops)
        for j, job in enumerate(inst.jobs):
            for q in range(len(job.operations)):
                o = self.offset[j] + q
                self.job_pred[o] = o - 1 if q else -1
                self.release[o] = job.release if q == 0 else 0
        self.dur = [dict(zip(op.machines, op.durations)) for op in self.ops]
        self.cals = [inst.calendar_of(m) for m in range(inst.n_machines)]


def from_schedule(inst: Instance, schedule: Schedule, index: _Index | None = None) -> Solution:
    idx = index or _Index(inst)
    machine = [0] * len(idx.ops)
    order: list[list[int]] = [[] for _ in range(inst.n_machines)]
    for o in sorted(schedule.operations, key=lambda o: (o.start, o.end, o.job)):
        g = idx.offset[o.job] + o.operation
        machine[g] = o.machine
        order[o.machine].append(g)
    return Solution(machine, order)


def timing(idx: _Index, sol: Solution):
    """(start, end, pieces, critical predecessor) per operation, or None if the machine
    orders contradict the jobs' (a cycle)."""
    n = len(idx.ops)
    mpred = [-1] * n
    msucc = [-1] * n
    for seq in sol.order:
        for a, b in zip(seq, seq[1:]):
            mpred[b] = a
            msucc[a] = b
    jpred = idx.job_pred
    indeg = [(jpred[o] >= 0) + (mpred[o] >= 0) for o in range(n)]
    stack = [o for o in range(n) if indeg[o] == 0]
    start = [0] * n
    end = [0] * n
    crit = [-1] * n
    pieces = [None] * n
    done = 0
    dur, cals, release, machine = idx.dur, idx.cals, idx.release, sol.machine
    while stack:
        o = stack.pop()
        done += 1
        jp, mp = jpred[o], mpred[o]
        t, c = release[o], -1
        if jp >= 0 and end[jp] >= t:
            t, c = end[jp], jp
        if mp >= 0 and end[mp] > t or (mp >= 0 and end[mp] == t and c < 0):
            t, c = end[mp], mp
        m = machine[o]
        d = dur[o][m]
        cal = cals[m]
        if cal is None:
            start[o], end[o] = t, t + d
        else:
            s, e, p = place_in_calendar(cal, t, d, idx.ops[o].splittable)
            if s != t:
                c = -1
            start[o], end[o], pieces[o] = s, e, p
        crit[o] = c
        js = o + 1 if o + 1 < n and jpred[o + 1] == o else -1
        for nxt in (js, msucc[o]):
            if nxt >= 0:
                indeg[nxt] -= 1
                if indeg[nxt] == 0:
                    stack.append(nxt)
    if done < n:
        return None
    return start, end, pieces, crit


def place_in_calendar(cal, t: int, d: int, splittable: bool):
    """When an operation of ``d`` ready at ``t`` runs under ``cal`` (the dispatcher's rule):
    ``(start, end, pieces)``; used by the local search and by rescheduling."""
    while True:
        w = cal.window_at(t)
        if w is None:
            t = cal.next_start(t)
            continue
        if t + d <= w[1]:
            return t, t + d, ((t, t + d),)
        if not splittable:
            t = cal.next_start(t)
            continue
        pieces, s, left = [], t, d
        while left > 0:
            w = cal.window_at(t)
            if w is None:
                t = cal.next_start(t)
                continue
            piece = min(left, w[1] - t)
            pieces.append((t, t + piece))
            left -= piece
            t += piece
        return s, t, tuple(pieces)


def to_schedule(idx: _Index, sol: Solution, timed, method: str) -> Schedule:
    start, end, pieces, _ = timed
    out = []
    for j, job in enumerate(idx.inst.jobs):
        for q in range(len(job.operations)):
            o = idx.offset[j] + q
            out.append(ScheduledOperation(j, q, sol.machine[o], start[o], end[o],
                                          pieces[o] or ((start[o], end[o]),)))
    return Schedule(idx.inst, out, method=method, lower_bound=idx.inst.lower_bound())


def _critical_path(timed) -> list[int]:
    start, end, _, crit = timed
    o = max(range(len(end)), key=lambda k: end[k])
    path = [o]
    while crit[o] >= 0:
        o = crit[o]
        path.append(o)
    path.reverse()
    return path


def _moves(idx: _Index, sol: Solution, timed, rng: random.Random):
    """The neighbourhood: (kind, data) moves on the critical path."""
    path = _critical_path(timed)
    machine = sol.machine
    blocks, cur = [], [path[0]]
    for a, b in zip(path, path[1:]):
        if machine[a] == machine[b]:
            cur.append(b)
        else:
            blocks.append(cur)
            cur = [b]
    blocks.append(cur)
    moves = []
    for k, block in enumerate(blocks):
        if len(block) < 2:
            continue
        if k > 0:
            moves.append(("swap", block[0], block[1]))
        if k < len(blocks) - 1 or k == 0:
            if len(block) > 2 or k == 0:
                moves.append(("swap", block[-2], block[-1]))
    flexible = [o for o in path if len(idx.ops[o].machines) > 1]
    if flexible:
        for o in rng.sample(flexible, min(len(flexible), 6)):
            for m in idx.ops[o].machines:
                if m != machine[o]:
                    moves.append(("move", o, m))
    return moves


def _swap(sol: Solution, a: int, b: int) -> Solution:
    """``sol`` with the adjacent operations ``a`` and ``b`` of one machine swapped."""
    new = Solution(sol.machine, list(sol.order))
    m = sol.machine[a]
    seq = list(sol.order[m])
    i = seq.index(a)
    seq[i], seq[i + 1] = seq[i + 1], seq[i]
    new.order[m] = seq
    return new


def _reassign(sol: Solution, o: int, m: int, start) -> Solution:
    """``sol`` with operation ``o`` moved to machine ``m``, placed by its current start."""
    new = Solution(list(sol.machine), list(sol.order))
    old = sol.machine[o]
    new.machine[o] = m
    new.order[old] = [x for x in sol.order[old] if x != o]
    seq = list(sol.order[m])
    pos = 0
    while pos < len(seq) and start[seq[pos]] <= start[o]:
        pos += 1
    seq.insert(pos, o)
    new.order[m] = seq
    return new


def tabu_search(inst: Instance, schedule: Schedule, deadline: float, seed: int = 0,
                max_iterations: int | None = None, patience: int = 400) -> Schedule:
    """The best schedule found by tabu search from ``schedule`` before ``deadline``
    (a ``time.perf_counter()`` value)."""
    idx = _Index(inst)
    rng = random.Random(seed)
    sol = from_schedule(inst, schedule, idx)
    timed = timing(idx, sol)
    if timed is None:
        return schedule
    best_sol, best_timed = sol, timed
    best = max(timed[1])
    cur, cur_timed = sol, timed
    tabu: dict[tuple, int] = {}
    it = since = 0
    lb = inst.lower_bound()
    while _time.perf_counter() < deadline and best > lb:
        if max_iterations is not None and it >= max_iterations:
            break
        it += 1
        chosen = None
        for mv in _moves(idx, cur, cur_timed, rng):
            new = (_swap(cur, mv[1], mv[2]) if mv[0] == "swap"
                   else _reassign(cur, mv[1], mv[2], cur_timed[0]))
            t2 = timing(idx, new)
            if t2 is None:
                continue
            ms = max(t2[1])
            key = (mv[1], mv[2])
            forbidden = tabu.get(key, -1) >= it
            if forbidden and ms >= best:
                continue
            if chosen is None or ms < chosen[0] or (ms == chosen[0] and rng.random() < 0.5):
                chosen = (ms, new, t2, mv)
        if chosen is None:
            cur, cur_timed, since = best_sol, best_timed, 0
            tabu.clear()
            continue
        ms, cur, cur_timed, mv = chosen
        tenure = 8 + rng.randint(0, 6)
        if mv[0] == "swap":
            tabu[(mv[2], mv[1])] = it + tenure
        else:
            tabu[(mv[1], cur.machine[mv[1]])] = it + tenure
            tabu[(mv[1], mv[2])] = it + 2
        if ms < best:
            best, best_sol, best_timed, since = ms, cur, cur_timed, 0
        else:
            since += 1
            if since > patience:
                cur, cur_timed, since = best_sol, best_timed, 0
                tabu.clear()
    out = to_schedule(idx, best_sol, best_timed, "tabu")
    return out if out.makespan < schedule.makespan else schedule


def sample_policy(inst: Instance, policy, deadline: float, seed: int = 0,
                  max_samples: int | None = None) -> Schedule | None:
    """The best of the policy's sampled schedules made before ``deadline``."""
    from .dispatch import dispatch
    from .policy import PolicyController
    best = None
    k = 0
    while _time.perf_counter() < deadline and (max_samples is None or k < max_samples):
        s = dispatch(inst, PolicyController(policy, sample=True, seed=seed * 100_003 + k),
                     method="policy-sample")
        k += 1
        if best is None or s.makespan < best.makespan:
            best = s
    return best
