"""The place/transition view of a net, computed once, and the firing rule written plainly.

``pt_view(net)`` reads a net's arcs into arrays (transitions x places): what each transition
consumes (``pre``), produces (``post``), needs by read arcs (``test``), forbids by inhibitor arcs
(``inhibitor``), which capacities its outputs meet (``limited``), and its ``priority``. Every
analysis starts from this view: the reachability explorer, coverability graphs, the incidence
matrix of the invariants. Colours are ignored (each arc counts its weight), so the view of a
coloured net is its skeleton; weights must be whole numbers.

``enabled(view, marking)`` and ``fire(view, t, marking)`` are the untimed firing rule of
docs/semantics.md for black tokens, written to be read, not to be fast. They are the reference
the fast consumers are tested against (the engine's generated code, the explorer, coverability,
the invariants, the Gymnasium environment's action masks); for coloured nets the reference is
the engine's ``CompiledNet.successors``.

>>> from petri import Net
>>> net = Net("mutex")
>>> _ = net.add_place("idle", initial=2); _ = net.add_place("busy", capacity=1)
>>> _ = net.add_transition("enter", inputs=["idle"], outputs=["busy"])
>>> _ = net.add_transition("leave", inputs=["busy"], outputs=["idle"])
>>> view = pt_view(net)
>>> [view.transitions[t] for t in enabled(view, view.initial)]
['enter']
>>> m = fire(view, 0, view.initial)
>>> m, [view.transitions[t] for t in enabled(view, m)]
((1, 1), ['leave'])
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import NetError
from .model import Net

__all__ = ["PTView", "pt_view", "PTArcs", "pt_arcs", "is_enabled", "enabled", "fire"]


@dataclass(frozen=True)
class PTView:
    """A net as arrays over ``places`` and ``transitions`` (in net order).

    ``pre[t, p]``: tokens ``t`` consumes from ``p`` (all its consuming arcs from ``p`` together);
    ``post[t, p]``: tokens it produces in ``p``; ``test[t, p]``: tokens a read arc needs (each read
    arc tests the marking on its own: the largest weight); ``inhibitor[t, p]``: ``t`` is disabled
    from this many tokens on (0: no inhibitor arc); ``limited[t, p]``: ``t`` has an output arc to
    ``p`` and ``p`` has a capacity (``capacity[p]``, -1 for none); ``priority[t]``; ``initial[p]``.
    """

    places: list[str]
    transitions: list[str]
    pre: np.ndarray
    post: np.ndarray
    test: np.ndarray
    inhibitor: np.ndarray
    limited: np.ndarray
    capacity: np.ndarray
    priority: np.ndarray
    initial: tuple

    @property
    def change(self) -> np.ndarray:
        """``post - pre``: the change firing each transition makes (transitions x places)."""
        return self.post - self.pre

    @property
    def incidence(self) -> np.ndarray:
        """The incidence matrix, places x transitions (``change`` transposed)."""
        return self.change.T

    def frozen(self) -> np.ndarray:
        """Per place: whether more tokens there can disable a transition (an inhibitor arc
        tests it or a capacity limits it): the firing rule is not monotone on those places."""
        return (self.inhibitor > 0).any(axis=0) | (self.capacity >= 0)

    def monotone(self) -> bool:
        """Whether adding tokens never disables a transition (no inhibitor arc, no capacity,
        one priority): the condition of Karp-Miller coverability."""
        return not self.frozen().any() and len(set(self.priority.tolist())) <= 1


@dataclass(frozen=True)
class PTArcs:
    """A net's arcs as flat arrays (one entry per transition and place that an arc joins), for
    large nets whose dense ``PTView`` would be mostly zeros.

    Each ``(t, p, w)`` triple of arrays lists, sorted by ``t * len(places) + p`` and with one
    entry per pair: ``pre`` the tokens consumed, ``post`` produced, ``test`` needed by read
    arcs, ``inhibitor`` the count that disables; ``capacity[p]`` (-1: none), ``priority[t]``,
    ``initial[p]`` as in ``PTView``."""

    places: list[str]
    transitions: list[str]
    pre: tuple
    post: tuple
    test: tuple
    inhibitor: tuple
    capacity: np.ndarray
    priority: np.ndarray
    initial: tuple

    def change(self) -> tuple:
        """``(t, p, d)``: the nonzero entries of ``post - pre``, sorted by transition, place."""
        P = len(self.places)
        keys = np.concatenate([self.pre[0] * P + self.pre[1], self.post[0] * P + self.post[1]])
        w = np.concatenate([-self.pre[2], self.post[2]])
        flat, inv = np.unique(keys, return_inverse=True)
        d = np.zeros(len(flat), dtype=np.int64)
        np.add.at(d, inv.ravel(), w)
        keep = d != 0
        return flat[keep] // max(P, 1), flat[keep] % max(P, 1), d[keep]

    def frozen(self) -> np.ndarray:
        """``PTView.frozen``."""
        out = self.capacity >= 0
        out[self.inhibitor[1]] = True
        return out


def pt_arcs(net: Net) -> PTArcs:
    """The arcs of ``net`` as flat arrays (see ``PTArcs``); a weight that is not a whole
    number is an error."""
    places, transitions = list(net.places), list(net.transitions)
    pidx = {p: i for i, p in enumerate(places)}
    P = len(places)
    capacity = np.array([-1 if net.places[p].capacity is None else net.places[p].capacity
                         for p in places], dtype=np.int64)
    pre_i, pre_w, post_i, post_w, test_d, inh_d = [], [], [], [], {}, {}
    for t, tr in enumerate(net.transitions.values()):
        base = t * P
        for a in tr.inputs:
            p = pidx.get(a.place)
            if p is None:
                _place(pidx, a.place, f"transition {tr.name!r}", "input")
            w = a.weight
            if type(w) is not int:
                w = _weight(w, f"transition {tr.name!r}")
            kind = a.kind
            if kind == "normal":
                pre_i.append(base + p)
                pre_w.append(w)
            elif kind == "read":
                test_d[base + p] = max(test_d.get(base + p, 0), w)
            else:
                old = inh_d.get(base + p, 0)
                inh_d[base + p] = w if old == 0 else min(old, w)
        for a in tr.outputs:
            p = pidx.get(a.place)
            if p is None:
                _place(pidx, a.place, f"transition {tr.name!r}", "output")
            w = a.weight
            if type(w) is not int:
                w = _weight(w, f"transition {tr.name!r}")
            post_i.append(base + p)
            post_w.append(w)

    def triples(idx, w, add):
        idx, w = np.array(idx, dtype=np.int64), np.array(w, dtype=np.int64)
        if add and len(idx):
            # several arcs between one transition and one place add up
            idx, inv = np.unique(idx, return_inverse=True)
            w = np.bincount(inv.ravel(), weights=w, minlength=len(idx)).astype(np.int64)
        else:
            order = np.argsort(idx, kind="stable")
            idx, w = idx[order], w[order]
        return idx // max(P, 1), idx % max(P, 1), w

    priority = np.array([int(t.priority) for t in net.transitions.values()], dtype=np.int64)
    initial = tuple(p.initial_count() for p in net.places.values())
    return PTArcs(places, transitions, triples(pre_i, pre_w, True),
                  triples(post_i, post_w, True), triples(list(test_d), list(test_d.values()), False),
                  triples(list(inh_d), list(inh_d.values()), False), capacity, priority, initial)


def pt_view(net: Net, arcs: PTArcs | None = None) -> PTView:
    """The arrays of ``net`` (see ``PTView``; ``arcs``: its ``pt_arcs``, if already read); a
    weight that is not a whole number is an error."""
    a = pt_arcs(net) if arcs is None else arcs
    P, T = len(a.places), len(a.transitions)
    dense = []
    for t, p, w in (a.pre, a.post, a.test, a.inhibitor):
        m = np.zeros((T, P), dtype=np.int64)
        m[t, p] = w
        dense.append(m)
    limited = np.zeros((T, P), dtype=bool)
    limited[a.post[0], a.post[1]] = a.capacity[a.post[1]] >= 0
    return PTView(a.places, a.transitions, *dense, limited, a.capacity, a.priority, a.initial)


def _place(pidx, place, where, kind) -> int:
    try:
        return pidx[place]
    except KeyError:
        raise NetError(f"{kind} arc {'from' if kind == 'input' else 'to'} unknown place "
                       f"{place!r}", element=where) from None


def _weight(w, where) -> int:
    if isinstance(w, bool) or not isinstance(w, int):
        raise NetError(f"arc weight {w!r} is not a whole number: the place/transition view "
                       "needs constant weights", element=where)
    return w


# ---------------------------------------------------------------------------------------------
# The firing rule (untimed, black tokens)
# ---------------------------------------------------------------------------------------------

def is_enabled(view: PTView, t: int, marking) -> bool:
    """Whether transition ``t`` has concession in ``marking`` (priorities aside): its consuming
    arcs find their tokens, its read arcs theirs, its inhibitor arcs fewer than their weight,
    and its output places with a capacity stay within it after the firing."""
    for p, tokens in enumerate(marking):
        if tokens < view.pre[t, p] or tokens < view.test[t, p]:
            return False
        if view.inhibitor[t, p] and tokens >= view.inhibitor[t, p]:
            return False
        if view.limited[t, p] and tokens - view.pre[t, p] + view.post[t, p] > view.capacity[p]:
            return False
    return True


def enabled(view: PTView, marking) -> list[int]:
    """The transitions that may fire in ``marking``: those with concession whose priority is
    the highest among them."""
    ready = [t for t in range(len(view.transitions)) if is_enabled(view, t, marking)]
    if not ready:
        return []
    top = max(view.priority[t] for t in ready)
    return [t for t in ready if view.priority[t] == top]


def fire(view: PTView, t: int, marking) -> tuple:
    """The marking after firing ``t`` (which must be enabled) in ``marking``."""
    return tuple(int(tokens - view.pre[t, p] + view.post[t, p]) for p, tokens in enumerate(marking))
