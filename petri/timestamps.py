"""The timestamps of the timed tokens of one colour in one place.

They are kept in a plain ``list`` ordered as a binary min-heap (``heapq``): the oldest
timestamp is always first, adding a token and taking the oldest one cost O(log n), and a token
added at the end of time (the usual case: a part finished now or later) costs O(1). A sorted
list is a heap too, so a store can be built by sorting. Tokens of one colour with one timestamp
cannot be told apart, so taking "the oldest" is the same rule whichever of equal timestamps the
heap gives first.

The generated firing code inlines the common cases (one token: ``h[0]`` is the oldest,
``heappop``/``heappush`` take and add it); these functions do the rest.
"""
from __future__ import annotations

from heapq import heappop, heappush

__all__ = ["few_ready", "nth_oldest", "take", "add", "latest", "heappop", "heappush"]


def few_ready(h: list, now, w: int) -> bool:
    """Whether fewer than ``w`` timestamps of ``h`` are ready (at most ``now``).

    The ready ones form a subtree at the top of the heap (a parent is never later than its
    children), so at most ``2 w`` entries are looked at, however many tokens wait.
    """
    if w <= 0:
        return False
    n = len(h)
    if n < w or h[0] > now:
        return True
    if max(h[:w]) <= now:       # w entries ready: the usual case, in C
        return False
    found = 0
    todo = [0]
    while todo:
        k = todo.pop()
        if k < n and h[k] <= now:
            found += 1
            if found >= w:
                return False
            todo.append(2 * k + 1)
            todo.append(2 * k + 2)
    return True


def nth_oldest(h: list, w: int):
    """The ``w``-th oldest timestamp of ``h`` (``w`` >= 1, at most ``len(h)``), looking at no
    more than about ``2 w`` entries: a best-first walk down the heap."""
    if w == 1:
        return h[0]
    n = len(h)
    frontier = [(h[0], 0)]
    for _ in range(w - 1):
        _, k = heappop(frontier)
        for c in (2 * k + 1, 2 * k + 2):
            if c < n:
                heappush(frontier, (h[c], c))
    return frontier[0][0]


def take(h: list, w: int) -> list:
    """Remove the ``w`` oldest timestamps of ``h``; returns them, oldest first."""
    return [heappop(h) for _ in range(w)]


def add(h: list, t, w: int) -> None:
    """Add ``w`` tokens stamped ``t``."""
    for _ in range(w):
        heappush(h, t)


def latest(h: list):
    """The latest timestamp of a non-empty ``h``: one of the heap's leaves (its second half)."""
    return max(h[len(h) // 2:])
