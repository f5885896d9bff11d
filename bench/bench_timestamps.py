"""How to keep the timestamps of one colour's timed tokens: the cost of one firing's store work.

A firing takes the oldest timestamp and adds one back: at the clock (no delay), 5 later (tokens
come back in timestamp order) or ``uniform(1, 10)`` later (out of order). Three structures:
a sorted list (``del l[:1]``, ``append`` or ``insort``), a ``deque`` (``popleft``, ``append``
or an insert at the bisected position) and a binary heap (``heappop``, ``heappush``), the one
``petri.timestamps`` uses. Then the engine's heap of pending ready times: the same pop and push
with ``(time, place)`` tuples against plain numbers.

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


def pending(tuples: bool, n: int, k: int) -> float:
    rnd = random.Random(1)
    h = [rnd.uniform(1, 10) for _ in range(n)]
    if tuples:
        h = [(x, 3) for x in h]
    heapq.heapify(h)
    start = time.process_time()
    for _ in range(k):
        x = heapq.heappop(h)
        now = x[0] if tuples else x
        t = now + rnd.uniform(1, 10)
        heapq.heappush(h, (t, 3) if tuples else t)
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
    print("| pending ready times | (time, place) tuples | plain numbers |")
    print("|---:|---:|---:|")
    for n in SIZES:
        ns = [statistics.median(pending(tuples, n, args.firings) for _ in range(args.repeats))
              for tuples in (True, False)]
        print(f"| {n:,} | {ns[0]:,.0f} | {ns[1]:,.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
