"""Behavioural properties read off a reachability graph.

* **deadlock**: a reachable marking that enables nothing; the one with the smallest state number
  has a shortest firing sequence (states are numbered breadth-first).
* **bounds**: the most tokens each place holds in any reachable marking, and the most tokens in
  one marking; **safe** when no place ever holds more than one token.
* **dead transitions**: transitions that never fire.
* **liveness** (L4, as in CPN Tools and TAPAAL): from every reachable marking, each transition can
  still fire eventually; equivalently, it fires inside every terminal strongly connected
  component of the graph.
* **reversible**: the initial marking can be reached again from every reachable marking
  (the graph is strongly connected).
* **home states**: markings reachable from every reachable marking: the states of the terminal
  component when there is exactly one.

Verdicts that need the whole graph are ``None`` for a partial graph.

>>> from petri import Net
>>> from petri.analysis import reachability_graph
>>> net = Net("once")
>>> _ = net.add_place("a", initial=1); _ = net.add_place("b")
>>> _ = net.add_transition("go", inputs=["a"], outputs=["b"])
>>> p = analyse(reachability_graph(net))
>>> p.deadlock, p.deadlock_path, p.safe, p.live, p.reversible
(True, ['go'], True, False, False)
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

from ..errors import LimitError
from .reachability import STOP_REASONS, ReachabilityGraph

__all__ = ["Properties", "analyse", "strongly_connected_components", "STEPS"]


@dataclass
class Properties:
    """The properties of a net's reachability graph (see the module docstring)."""

    net: str
    states: int
    edges: int
    complete: bool
    stopped: str | None
    seconds: float
    deadlock: bool | None
    deadlocks: int
    deadlock_state: int | None
    deadlock_marking: str | None
    deadlock_path: list[str] | None
    bounded: bool | None
    max_tokens_in_place: int | None          # None: unbounded
    max_tokens_per_marking: int | None
    place_bounds: dict[str, int | None]
    safe: bool | None
    dead_transitions: list[str] | None
    live: bool | None
    live_transitions: list[str] | None
    reversible: bool | None
    home_states: int | None
    strongly_connected_components: int | None
    terminal_components: int | None
    unbounded_places: list[str] = field(default_factory=list)
    unbounded_path: list[str] | None = None
    stop_detail: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_text(self) -> str:
        """A report for people, like the state space report of CPN Tools."""
        def yn(v):
            return "unknown (partial graph)" if v is None else ("yes" if v else "no")

        L = [f"Net: {self.net}"]
        if not self.complete:
            reason = STOP_REASONS.get(self.stopped, self.stopped)
            if self.stopped == "unbounded":
                L.append("The net is UNBOUNDED: the reachability graph is infinite.")
                if self.unbounded_places:
                    L.append(f"  places that grow without limit: {', '.join(self.unbounded_places)}")
                if self.unbounded_path is not None:
                    L.append("  a firing sequence that can be repeated forever, adding tokens: "
                             + (" ".join(self.unbounded_path) or "(empty)"))
                L.append(f"Exploration stopped at {self.states:,} states; figures below are partial.")
            else:
                detail = f" ({self.stop_detail})" if self.stop_detail else ""
                L.append(f"PARTIAL RESULT: exploration stopped because {reason}{detail}.")
        L.append(f"States: {self.states:,}   Edges: {self.edges:,}   "
                 f"({self.seconds:.2f} s)")
        if self.strongly_connected_components is not None:
            L.append(f"Strongly connected components: {self.strongly_connected_components:,} "
                     f"({self.terminal_components:,} terminal)")
        L.append("")
        L.append(f"Deadlock: {yn(self.deadlock)}")
        if self.deadlocks:
            L.append(f"  dead markings: {self.deadlocks:,}; the nearest is state {self.deadlock_state}:"
                     f" {self.deadlock_marking}")
            L.append(f"  shortest firing sequence ({len(self.deadlock_path)} steps): "
                     + (" ".join(self.deadlock_path) or "(none: the initial marking)"))
        L.append(f"Bounded: {yn(self.bounded)}")
        L.append(f"Safe (at most one token per place): {yn(self.safe)}")
        def most(v):
            return "unbounded" if v is None else v
        L.append(f"Most tokens in one place: {most(self.max_tokens_in_place)}; "
                 f"in one marking: {most(self.max_tokens_per_marking)}")
        L.append("Place bounds (most tokens ever):")
        width = max((len(p) for p in self.place_bounds), default=0)
        for p, b in self.place_bounds.items():
            L.append(f"  {p.ljust(width)}  "
                     + ("unbounded" if b is None or p in self.unbounded_places else str(b)))
        if self.dead_transitions is not None:
            L.append(f"Dead transitions (never fire): "
                     f"{', '.join(self.dead_transitions) if self.dead_transitions else 'none'}")
        L.append(f"Live (every transition can always fire again): {yn(self.live)}")
        if self.live is False and self.live_transitions is not None:
            L.append(f"  live transitions: "
                     f"{', '.join(self.live_transitions) if self.live_transitions else 'none'}")
        L.append(f"Reversible (initial marking always reachable again): {yn(self.reversible)}")
        if self.home_states is not None:
            L.append(f"Home states (reachable from every state): {self.home_states:,}")
        return "\n".join(L)


def strongly_connected_components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """A component label per state (0..k-1) of the directed graph ``src[i] -> dst[i]``."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    try:
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components
    except ImportError:
        return _tarjan(n, src, dst)
    # The adjacency in canonical CSR form (sorted, each (source, target) pair once: scipy's
    # strong components do not finish on a graph with repeated pairs), built from one sort of
    # the pairs as 64-bit keys; the weights, which the algorithm ignores, are one broadcast
    # value instead of an array as long as the edges.
    key = src.astype(np.int64) * n + dst
    key.sort()
    keep = np.empty(len(key), dtype=bool)
    keep[:1] = True
    np.not_equal(key[1:], key[:-1], out=keep[1:])
    key = key[keep]
    del keep
    index = np.int32 if n < 2**31 else np.int64
    indptr = np.searchsorted(key, np.arange(n + 1, dtype=np.int64) * n).astype(index)
    key %= n
    targets = key.astype(index)
    del key
    g = csr_matrix((np.broadcast_to(np.float64(1.0), (len(targets),)), targets, indptr),
                   shape=(n, n))
    _, labels = connected_components(g, directed=True, connection="strong")
    return labels


def _tarjan(n, src, dst) -> np.ndarray:
    """Iterative Tarjan's algorithm on CSR arrays (used when scipy is not installed)."""
    order = np.argsort(src, kind="stable")
    targets = dst[order].tolist()
    start = np.searchsorted(src[order], np.arange(n + 1)).tolist()
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    label = [-1] * n
    stack = []
    counter = 0
    comp = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        work = [(root, start[root])]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, i = work[-1]
            if i < start[v + 1]:
                work[-1] = (v, i + 1)
                w = targets[i]
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, start[w]))
                elif on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    label[w] = comp
                    if w == v:
                        break
                comp += 1
    return np.array(label, dtype=np.int64)


#: The steps of ``analyse``, in order, as ``progress`` names them.
STEPS = ("token counts", "deadlocks", "strongly connected components", "liveness", "paths")


def analyse(graph: ReachabilityGraph, *, unbounded_places: list[str] | None = None,
            progress: Callable[[str, int, int], object] | None = None) -> Properties:
    """The properties of ``graph`` (partial graphs give ``None`` where the whole is needed).

    ``progress(step, k, n)`` is called before each of the ``n`` steps (``STEPS``); every step
    takes time linear in the graph (strongly connected components: Pearce's algorithm in scipy).
    Running out of memory raises ``LimitError``.
    """
    try:
        return _analyse(graph, unbounded_places, progress)
    except MemoryError:
        raise LimitError(f"out of memory while analysing a graph of {graph.num_states:,} states "
                         f"and {graph.num_edges:,} edges: give --max-states or a smaller "
                         "--max-memory", element=f"net {graph.net.name!r}") from None


def _analyse(graph, unbounded_places, progress) -> Properties:
    def step(k):
        if progress is not None:
            progress(STEPS[k], k, len(STEPS))

    n, E = graph.num_states, graph.num_edges
    complete = graph.complete
    T = len(graph.transition_names)
    step(0)
    counts = graph.token_counts()
    per_place = counts.max(axis=0) if n else np.zeros(len(graph.place_names), dtype=np.int64)
    per_marking = counts.sum(axis=1, dtype=np.int64) if n else np.zeros(0, dtype=np.int64)
    step(1)
    out_deg = graph.out_degree() if n else np.zeros(0, dtype=np.int64)
    dead_states = np.flatnonzero(out_deg[:graph.expanded] == 0)
    del out_deg
    deadlock_state = int(dead_states[0]) if len(dead_states) else None
    if len(dead_states):
        deadlock = True
    else:
        deadlock = False if complete else None
    fired = np.bincount(graph.transition, minlength=T) > 0
    max_in_place = int(per_place.max()) if per_place.size else 0
    if complete:
        bounded = True
        safe = max_in_place <= 1
    else:
        bounded = False if graph.stopped == "unbounded" else None
        safe = False if (max_in_place > 1 or bounded is False) else None
    live = reversible = None
    live_ts = None
    home = sccs = terminal = None
    if complete and n:
        step(2)
        labels = strongly_connected_components(n, graph.src, graph.dst)
        step(3)
        k = int(labels.max()) + 1
    if complete and n and k == 1:               # strongly connected: one terminal component
        sccs = terminal = 1
        live_mask = fired
        live = bool(live_mask.all()) if T else False
        live_ts = [graph.transition_names[t] for t in np.flatnonzero(live_mask)]
        reversible, home = True, n
    elif complete and n:
        src_label = labels[graph.src]
        cross = src_label != labels[graph.dst]
        not_bottom = np.zeros(k, dtype=bool)
        not_bottom[src_label[cross]] = True
        del cross
        bottom = np.flatnonzero(~not_bottom)
        sccs, terminal = k, len(bottom)
        # a transition is live iff it fires inside every terminal component
        bottom_index = np.full(k, -1, dtype=np.int64)
        bottom_index[bottom] = np.arange(len(bottom))
        b_of_edge = bottom_index[src_label]
        del src_label
        inside = b_of_edge >= 0
        if len(bottom) * T <= 50_000_000:      # a count per (terminal component, transition)
            pairs = np.bincount(b_of_edge[inside] * T + graph.transition[inside],
                                minlength=len(bottom) * T).reshape(len(bottom), T)
            per_t = np.count_nonzero(pairs, axis=0)
        else:
            pairs = np.unique(b_of_edge[inside] * T + graph.transition[inside])
            per_t = np.bincount(pairs % T, minlength=T)
        del b_of_edge, inside, pairs
        live_mask = per_t == len(bottom)
        live = bool(live_mask.all()) if T else False
        live_ts = [graph.transition_names[t] for t in np.flatnonzero(live_mask)]
        reversible = k == 1
        home = int(np.count_nonzero(labels == bottom[0])) if len(bottom) == 1 else 0
        del labels
    step(4)
    path = graph.path_to(deadlock_state) if deadlock_state is not None else None
    witness_path = None
    if graph.unbounded_witness is not None:
        a, s = graph.unbounded_witness
        pa, ps = graph.path_to(a), graph.path_to(s)
        witness_path = ps[len(pa):]
        if unbounded_places is None:
            ma, ms = counts[a], counts[s]
            unbounded_places = [p for p, x, y in zip(graph.place_names, ma, ms) if y > x]
    place_bounds = {p: int(b) for p, b in zip(graph.place_names, per_place)}
    max_per_marking = int(per_marking.max()) if n else 0
    if bounded is False:        # the figures of a partial graph are no bounds of an infinite one
        max_in_place = max_per_marking = None
        for p in unbounded_places or place_bounds:
            place_bounds[p] = None
    return Properties(
        net=graph.net.name, states=n, edges=E, complete=complete, stopped=graph.stopped,
        seconds=round(graph.seconds, 6),
        deadlock=deadlock, deadlocks=int(len(dead_states)), deadlock_state=deadlock_state,
        deadlock_marking=graph.marking_text(deadlock_state) if deadlock_state is not None else None,
        deadlock_path=path, bounded=bounded, max_tokens_in_place=max_in_place,
        max_tokens_per_marking=max_per_marking, place_bounds=place_bounds, safe=safe,
        dead_transitions=([graph.transition_names[t] for t in np.flatnonzero(~fired)]
                          if complete else None),
        live=live, live_transitions=live_ts, reversible=reversible, home_states=home,
        strongly_connected_components=sccs, terminal_components=terminal,
        unbounded_places=list(unbounded_places or []), unbounded_path=witness_path,
        stop_detail=graph.stop_detail)
