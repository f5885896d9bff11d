"""How to keep the timestamps of one colour's timed tokens: the cost of one firing's store work.

A firing takes the oldest timestamp and adds one back: at the clock (no delay), 5 later (tokens
come back in timestamp order) or ``uniform(1, 10)`` later (out of order). Three structures:
a sorted list (``del l[:1]``, ``append`` or ``insort``), a ``deque`` (``popleft``, ``append``
or an insert at the bisected position) and a binary heap (``heappop``, ``heappush``), the one
``petri.timestamps`` uses. Then the engine's pending ready times: the clock advance's pop and a
new time's push with one heap of ``(time, place)`` tuples (the engine before ready groups), one
heap of plain numbers, and a ready group's own structure (its earliest time on the heap of
groups, its later ones in a heap of plain numbers), as the engine keeps them now.

Nanoseconds per firing, CPU time, median of ``--repeats``; run it on one core::

    taskset -c 1 python bench/bench_timestamps.py
"""
from __future__ import annotations

import argparse
import heapq
import random
import statistics
import sys
import time
from bisect import bisect_right, insort
from collections import deque

SIZES = (10, 1_000, 100_000)
DELAYS = {"none": 0, "constant 5": 1, "uniform(1, 10)": 2}


def store(kind: str, n: int, mode: int, k: int) -> float:
    rnd = random.Random(1)
    now = 0.0
    s = deque([0.0] * n) if kind == "deque" else [0.0] * n
    start = time.process_time()
    for _ in range(k):
        if kind == "sorted list":
            x = s[0]
            del s[:1]
        elif kind == "heap":
            x = heapq.heappop(s)
        else:
            x = s.popleft()
        if x > now:
            now = x
        t = now if mode == 0 else now + (5 if mode == 1 else rnd.uniform(1, 10))
        if kind == "heap":
            heapq.heappush(s, t)
        elif not s or s[-1] <= t:
            s.append(t)
        elif kind == "sorted list":
            insort(s, t)
        else:
            s.insert(bisect_right(s, t), t)
    return (time.process_time() - start) / k * 1e9


def pending(kind: str, n: int, k: int) -> float:
    """A clock advance and a new pending time per firing, ``n`` times pending: ``kind``
    "tuples" (one heap of ``(time, place)``, the engine before ready groups), "numbers" (one
    heap of plain times) or "group" (the engine's ready group: its earliest time on a heap of
    ``(time, place, group)`` entries, its later times in its own heap of plain numbers)."""
    rnd = random.Random(1)
    times = [rnd.uniform(1, 10) for _ in range(n)]
    if kind == "group":
        times.sort()
        q = [times[0], times[1:]]           # [earliest, later]
        h = [(times[0], 3, 0)]
    else:
        h = [(x, 3) for x in times] if kind == "tuples" else times
        heapq.heapify(h)
    pop, push, replace = heapq.heappop, heapq.heappush, heapq.heapreplace
    start = time.process_time()
    for _ in range(k):
        if kind == "group":
            while h[0][0] != q[0]:          # no longer the group's earliest: skipped
                pop(h)
            now = h[0][0]
            later = q[1]
            a = pop(later)
            while later and later[0] == a:
                pop(later)
            q[0] = a
            replace(h, (a, 3, 0))
            t = now + rnd.uniform(1, 10)
            a = q[0]
            if t < a:
                q[0] = t
                push(h, (t, 3, 0))
                push(later, a)
            elif t != a:
                push(later, t)
        else:
            x = pop(h)
            now = x[0] if kind == "tuples" else x
            t = now + rnd.uniform(1, 10)
            push(h, (t, 3) if kind == "tuples" else t)
    return (time.process_time() - start) / k * 1e9


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--firings", type=int, default=100_000)
    args = ap.parse_args(argv)
    kinds = ("sorted list", "deque", "heap")
    print("| tokens | delay | " + " | ".join(kinds) + " |")
    print("|---:|---|" + "---:|" * len(kinds))
    for label, mode in DELAYS.items():
        for n in SIZES:
            ns = [statistics.median(store(kind, n, mode, args.firings) for _ in range(args.repeats))
                  for kind in kinds]
            print(f"| {n:,} | {label} | " + " | ".join(f"{x:,.0f}" for x in ns) + " |", flush=True)
    print()
    print("| pending ready times | (time, place) tuples | plain numbers | one ready group |")
    print("|---:|---:|---:|---:|")
    for n in SIZES:
        ns = [statistics.median(pending(kind, n, args.firings) for _ in range(args.repeats))
              for kind in ("tuples", "numbers", "group")]
        print(f"| {n:,} | " + " | ".join(f"{x:,.0f}" for x in ns) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
