"""Coverability graphs (Karp-Miller) for place/transition nets that may be unbounded.

A node is a marking in which some places may hold ``OMEGA`` tokens: "as many as you like".
Whenever a new marking strictly covers one of its ancestors (at least as many tokens everywhere,
more somewhere), the firing sequence between them can be repeated forever, and the places that
grew are set to ``OMEGA``. The graph is always finite; a place is bounded exactly when it never
holds ``OMEGA``, and for a bounded net the coverability graph is the reachability graph.

Karp-Miller needs monotone semantics: nets with inhibitor arcs or place capacities are refused.

>>> from petri import Net
>>> net = Net("producer")
>>> _ = net.add_place("on", initial=1); _ = net.add_place("made")
>>> _ = net.add_transition("make", inputs=["on"], outputs=["on", "made"])
>>> g = coverability_graph(net)
>>> g.num_states, g.unbounded_places
(2, ['made'])
>>> g.marking_text(1)
'on, ω*made'
"""
from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from ..model import Net, NetError
from ..structure import pt_view
from .reachability import ReachabilityGraph

__all__ = ["OMEGA", "CoverabilityGraph", "coverability_graph"]

#: The token count of a place that can hold arbitrarily many tokens.
OMEGA = math.inf


@dataclass
class CoverabilityGraph:
    """Nodes ``0..num_states-1`` (``markings[i]``: a tuple of counts, ``OMEGA`` allowed),
    edges ``src[i] -> dst[i]`` labelled ``transition_names[transition[i]]``."""

    net: Net
    place_names: list[str]
    transition_names: list[str]
    markings: list[tuple]
    src: np.ndarray
    dst: np.ndarray
    transition: np.ndarray
    parent: np.ndarray
    parent_transition: np.ndarray
    complete: bool
    stopped: str | None = None
    seconds: float = 0.0

    @property
    def num_states(self) -> int:
        return len(self.markings)

    @property
    def num_edges(self) -> int:
        return len(self.src)

    @property
    def unbounded_places(self) -> list[str]:
        """Places that hold ``OMEGA`` in some node: they can grow without limit."""
        seen = set()
        for m in self.markings:
            for i, v in enumerate(m):
                if v == OMEGA:
                    seen.add(i)
        return [self.place_names[i] for i in sorted(seen)]

    @property
    def bounded(self) -> bool | None:
        if self.unbounded_places:
            return False
        return True if self.complete else None

    def place_bounds(self) -> dict:
        """Place -> most tokens in any node (``OMEGA`` for unbounded places)."""
        return {p: max((m[i] for m in self.markings), default=0)
                for i, p in enumerate(self.place_names)}

    def marking(self, state: int) -> dict:
        return dict(zip(self.place_names, self.markings[state]))

    def marking_text(self, state: int) -> str:
        parts = []
        for p, v in zip(self.place_names, self.markings[state]):
            if v == OMEGA:
                parts.append(f"ω*{p}")
            elif v:
                parts.append(p if v == 1 else f"{v}*{p}")
        return ", ".join(parts) if parts else "(empty)"

    path_to = ReachabilityGraph.path_to

    def edge_label(self, i: int) -> str:
        return self.transition_names[self.transition[i]]


def coverability_graph(net: Net, *, max_states: int | None = None,
                       time_limit: float | None = None) -> CoverabilityGraph:
    """The Karp-Miller coverability graph of a place/transition net (breadth-first).

    Stops early (``complete=False``) after ``max_states`` nodes or ``time_limit`` seconds.
    """
    if not net.is_pt():
        raise NetError("coverability graphs are built for place/transition nets only "
                       "(black tokens, constant weights, no guards)")
    if len({t.priority for t in net.transitions.values()}) > 1:
        raise NetError("coverability graphs need nets whose transitions share one priority")
    view = pt_view(net)
    for t, name in enumerate(view.transitions):
        if view.inhibitor[t].any():
            raise NetError("coverability graphs need nets without inhibitor arcs",
                           element=f"transition {name!r}")
    for p, name in enumerate(view.places):
        if view.capacity[p] >= 0:
            raise NetError("coverability graphs need places without capacities",
                           element=f"place {name!r}")
    places, transitions = view.places, view.transitions
    # per transition: (place, tokens needed) and (place, change), from the one firing rule's view
    need = np.maximum(view.pre, view.test)
    test = [tuple((int(p), int(need[t, p])) for p in np.flatnonzero(need[t]))
            for t in range(len(transitions))]
    change = view.change
    pre = [tuple((int(p), int(change[t, p])) for p in np.flatnonzero(change[t]))
           for t in range(len(transitions))]
    start = time.perf_counter()
    m0 = view.initial
    index = {m0: 0}
    markings = [m0]
    parent = [-1]
    ptrans = [-1]
    src, dst, tr = [], [], []
    queue = deque([0])
    stopped = None
    while queue:
        if time_limit is not None and time.perf_counter() - start > time_limit:
            stopped = "time_limit"
            break
        s = queue.popleft()
        m = markings[s]
        for ti in range(len(transitions)):
            if any(m[i] < w for i, w in test[ti]):
                continue
            new = list(m)
            for i, d in pre[ti]:
                new[i] += d                      # OMEGA + d stays OMEGA
            # accelerate: any ancestor (on the tree path) strictly covered gets OMEGA
            changed = True
            while changed:
                changed = False
                a = s
                while a >= 0:
                    ma = markings[a]
                    if all(x <= y for x, y in zip(ma, new)) and tuple(new) != ma:
                        for i, (x, y) in enumerate(zip(ma, new)):
                            if x < y and y != OMEGA:
                                new[i] = OMEGA
                                changed = True
                    a = parent[a]
            key = tuple(new)
            j = index.get(key)
            if j is None:
                if max_states is not None and len(markings) >= max_states:
                    stopped = "max_states"
                    continue
                j = len(markings)
                index[key] = j
                markings.append(key)
                parent.append(s)
                ptrans.append(ti)
                queue.append(j)
            src.append(s)
            dst.append(j)
            tr.append(ti)
        if stopped == "max_states":
            break
    return CoverabilityGraph(
        net, places, transitions, markings, np.array(src, dtype=np.int64),
        np.array(dst, dtype=np.int64), np.array(tr, dtype=np.int32),
        np.array(parent, dtype=np.int64), np.array(ptrans, dtype=np.int32),
        stopped is None, stopped, time.perf_counter() - start)
