"""Reachability graphs under untimed semantics.

Every token counts as ready (timestamps and delays are ignored), as in the engine's untimed
interface; priorities count as in the engine: a marking's successors are its enabled bindings of
the highest priority enabled there. There is one edge per such binding (for a place/transition
net: per enabled transition) per marking.

Place/transition nets (``net.is_pt()``) are explored by a breadth-first search that works on
whole slices of the frontier at once with numpy: markings are packed into 64-bit words (a few
bits per place, widened when a place grows), the frontier's token counts are kept in the
narrowest integer type that holds them, enabling is evaluated for every frontier marking and
every transition in a handful of array operations, successors are found by adding a
per-transition delta to the packed words, and duplicates are removed by sorting. Coloured nets,
and nets whose transitions have different priorities, are explored marking by marking through
``petri.engine.compile_net(net).successors``.

States are numbered in breadth-first order from 0 (the initial marking), so the parent pointers
give a shortest firing sequence to every state.

>>> from petri import Net
>>> net = Net("cycle")
>>> _ = net.add_place("a", initial=1); _ = net.add_place("b")
>>> _ = net.add_transition("go", inputs=["a"], outputs=["b"])
>>> _ = net.add_transition("back", inputs=["b"], outputs=["a"])
>>> g = reachability_graph(net)
>>> g.num_states, g.num_edges, g.complete
(2, 2, True)
>>> g.marking(1)
{'a': 0, 'b': 1}
"""
from __future__ import annotations

import mmap
import time
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import LimitError, PetriError
from ..interrupt import Interrupt
from ..limits import MemoryBudget, address_space_limit
from ..model import Net, NetError
from ..structure import PTArcs, pt_arcs, pt_view

__all__ = ["ReachabilityGraph", "reachability_graph", "Limits"]

#: Why an exploration stopped before the end.
STOP_REASONS = {
    "max_states": "the state limit was reached",
    "time_limit": "the time limit was reached",
    "memory": "the memory budget was reached",
    "interrupted": "it was interrupted",
    "unbounded": "the net is unbounded",
}


@dataclass
class ReachabilityGraph:
    """A (possibly partial) reachability graph.

    States are ``0 .. num_states-1`` in breadth-first order, ``0`` the initial marking. Edge ``i``
    goes from ``src[i]`` to ``dst[i]`` by firing transition ``transition_names[transition[i]]``
    (with binding ``bindings[i]`` for coloured nets). States ``< expanded`` had their successors
    computed; when ``complete`` is false, ``stopped`` says why (a key of ``STOP_REASONS``).
    """

    net: Net
    place_names: list[str]
    transition_names: list[str]
    _src: np.ndarray | None
    dst: np.ndarray
    transition: np.ndarray
    parent: np.ndarray
    parent_transition: np.ndarray
    expanded: int
    complete: bool
    stopped: str | None = None
    seconds: float = 0.0
    bindings: list | None = None
    #: for ``stopped == "unbounded"``: (ancestor, state) with marking(ancestor) < marking(state)
    unbounded_witness: tuple[int, int] | None = None
    _markings: np.ndarray | None = field(default=None, repr=False)
    _keys: list | None = field(default=None, repr=False)
    _decoder: Callable | None = field(default=None, repr=False)
    #: for ``stopped == "memory"``: the memory measured, the budget and the cost per state
    stop_detail: str | None = None
    #: edges stored by source (``_src`` None): state ``i``'s edges are ``_offsets[i]`` up to
    #: ``_offsets[i + 1]``, for the expanded states
    _offsets: np.ndarray | None = field(default=None, repr=False)
    #: times the compiled explorer widened packed fields and re-encoded the stored markings
    _widenings: int = field(default=0, repr=False)
    #: which explorer built the graph: "compiled" (numba), "numpy" (place/transition nets) or
    #: "engine" (coloured nets, marking by marking)
    explorer: str = "numpy"

    @property
    def src(self) -> np.ndarray:
        """The source state of each edge."""
        if self._src is None:
            counts = np.diff(self._offsets)
            dtype = np.int32 if len(counts) < 2**31 else np.int64
            self._src = np.repeat(np.arange(len(counts), dtype=dtype), counts)
        return self._src

    @property
    def num_states(self) -> int:
        return len(self.parent)

    @property
    def num_edges(self) -> int:
        return len(self.dst)

    @property
    def is_pt(self) -> bool:
        return self._keys is None

    # -- markings --------------------------------------------------------------------------------
    @property
    def markings(self) -> np.ndarray:
        """Place/transition nets: a ``num_states x num_places`` array of token counts."""
        if self._keys is not None:
            raise NetError("markings as an array exist for place/transition nets only; "
                           "use marking(state)")
        if self._markings is None:
            self._markings = self._decoder()
            self._decoder = None
        return self._markings

    def token_counts(self) -> np.ndarray:
        """Per state and place, the number of tokens (any colour): ``num_states x num_places``."""
        if self._keys is None:
            return self.markings
        out = np.zeros((self.num_states, len(self.place_names)), dtype=np.int64)
        for i, key in enumerate(self._keys):
            out[i] = [sum(c for _, c in s) if isinstance(s, tuple) else s for s in key]
        return out

    def marking(self, state: int) -> dict:
        """The marking of ``state``: place -> token count (P/T) or ``Counter`` of colours."""
        if self._keys is None:
            row = self.markings[state]
            return {p: int(v) for p, v in zip(self.place_names, row)}
        return self._compiled.key_to_marking(self._keys[state])

    def marking_text(self, state: int) -> str:
        """A short text form: ``p1, 2*p3`` (P/T) or ``p: 2*'A' + 'B'`` (coloured)."""
        m = self.marking(state)
        parts = []
        for p in self.place_names:
            v = m[p]
            if isinstance(v, Counter):
                if v:
                    toks = " + ".join(("" if c == 1 else f"{c}*") + ("•" if col == () else repr(col))
                                      for col, c in sorted(v.items(), key=lambda kv: repr(kv[0])))
                    parts.append(f"{p}: {toks}")
            elif v:
                parts.append(p if v == 1 else f"{v}*{p}")
        return ", ".join(parts) if parts else "(empty)"

    # -- paths -----------------------------------------------------------------------------------
    def path_to(self, state: int) -> list[str]:
        """A shortest firing sequence (transition names) from the initial marking to ``state``."""
        seq = []
        while state > 0:
            seq.append(self.transition_names[self.parent_transition[state]])
            state = int(self.parent[state])
        return seq[::-1]

    def out_degree(self) -> np.ndarray:
        if self._src is None:
            out = np.zeros(self.num_states, dtype=np.int64)
            out[:len(self._offsets) - 1] = np.diff(self._offsets)
            return out
        return np.bincount(self.src, minlength=self.num_states)

    def edge_label(self, i: int) -> str:
        name = self.transition_names[self.transition[i]]
        if self.bindings is not None and self.bindings[i]:
            b = ", ".join(f"{k}={v!r}" for k, v in self.bindings[i].items())
            return f"{name}<{b}>"
        return name

    def stop_message(self) -> str | None:
        if self.complete:
            return None
        why = STOP_REASONS.get(self.stopped, self.stopped)
        if self.stop_detail:
            why = f"{why} ({self.stop_detail})"
        return (f"exploration stopped after {self.num_states:,} states and {self.num_edges:,} "
                f"edges because {why}: the results are partial")


@dataclass
class Limits:
    """Where an exploration stops: states, wall-clock seconds, memory.

    ``max_memory``: bytes of resident memory; None: the default ``petri.limits.MemoryBudget``
    (what is in use plus 70 % of the memory available, within any address-space limit).
    """

    max_states: int | None = None
    time_limit: float | None = None
    max_memory: int | None = None
    memory_note: str | None = None

    def __post_init__(self):
        self.budget = MemoryBudget(self.max_memory)

    def memory_exceeded(self, states: int) -> bool:
        """Whether one more step like the last would not fit the memory budget (measured)."""
        why = self.budget.check(states)
        if why:
            self.memory_note = why
        return why is not None


def reachability_graph(net: Net, *, max_states: int | None = None, time_limit: float | None = None,
                       max_memory: int | None = None, progress: Callable | None = None,
                       check_unbounded: bool = True, catch_interrupt: bool = False,
                       compiled: bool | None = None) -> ReachabilityGraph:
    """Explore the reachable markings of ``net`` breadth-first.

    Stops early (``complete=False``, with ``stopped`` set) after ``max_states`` states,
    ``time_limit`` seconds, when one more step would not fit the memory budget (``max_memory``
    bytes of resident memory; by default ``petri.limits.MemoryBudget()``, measured as the
    graph grows: see ``Limits``), or when the net is found to be
    unbounded (with ``check_unbounded``: a reachable marking strictly covers one of its
    ancestors while equal to it on every place an inhibitor arc tests or a capacity limits, so
    the firing sequence between them repeats forever and the graph is infinite; for coloured
    nets, when all transitions share one priority). ``progress(states, edges, seconds)`` is
    called about twice a second. With ``catch_interrupt``, Ctrl-C stops the exploration and the
    partial graph is returned (``stopped="interrupted"``).

    Place/transition nets are explored by compiled code when numba is installed (the ``fast``
    extra) and ``compiled`` is not False (True: numba is required), otherwise by the numpy
    explorer (also by default under an address-space limit: numba's compiler takes much of it).
    By default, in a process that has not loaded the compiled code yet, the numpy explorer runs
    first for ``_PTExplorer.WARM_UP`` CPU seconds, so that small nets do not pay for loading it;
    
    nets that need the unboundedness check go to the numpy explorer once the compiled search has
    seen ``_PTExplorer.PROBE`` states without finishing. Both find the same states and
    edges; the numbering of states within a breadth-first level may differ. The compiled
    explorer's numbering depends on the net alone, not on the clock (by default, which explorer
    builds the graph can: the warm-up is CPU time).
    """
    pt = net.is_pt() and len({t.priority for t in net.transitions.values()}) <= 1
    if compiled is None and address_space_limit() is not None:
        compiled = False          # numba's compiler maps much address space: keep it for states
    if pt and compiled:
        _compiled_kernel()        # loaded before the memory budget measures what is in use
    limits = Limits(max_states, time_limit, max_memory)
    try:
        with (Interrupt() if catch_interrupt else nullcontext(Interrupt())) as interrupted:
            if pt:
                graph = _PTExplorer(net, limits, progress, check_unbounded, interrupted,
                                    compiled).run()
            else:
                graph = _explore_coloured(net, limits, progress, interrupted, check_unbounded)
    except MemoryError:
        raise LimitError("out of memory while exploring the reachability graph (an allocation "
                         "failed before the memory budget saw it coming): give --max-states or a "
                         "smaller --max-memory", element=f"net {net.name!r}") from None
    graph.stop_detail = limits.memory_note if graph.stopped == "memory" else None
    return graph


# ---------------------------------------------------------------------------------------------
# Place/transition nets
# ---------------------------------------------------------------------------------------------

_WORD = 64


def _splitmix(z: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: a strong 64-bit mix (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


class _HashCollision(Exception):
    pass


class _WarmUpOver(Exception):
    """The numpy explorer's warm-up time is over: the compiled search takes over."""


class _PTStructure:
    """A P/T net as arrays: enabling conditions and the change each transition makes.

    Enabling works by candidates: each transition gets a *pivot*, one input place whose lower
    bound it needs; markings where a pivot place holds at least the smallest lower bound of its
    transitions (``pivot_min``) yield all the transitions of that pivot as candidates, which are
    then checked against their remaining conditions (``columns``) only.
    """

    def __init__(self, arcs: PTArcs):
        self.places, self.transitions = arcs.places, arcs.transitions
        P, T = len(self.places), len(self.transitions)
        self.m0 = np.array(arcs.initial, dtype=np.int64)
        INF = np.iinfo(np.int64).max
        # The changes, sparse (sorted by transition, then place): nothing here is transitions x
        # places, which on nets with a thousand transitions would outweigh their states.
        self.ch_t, self.ch_p, self.ch_d = arcs.change()
        # The enabling conditions of ``petri.structure.is_enabled`` as bounds lo <= m[p] <= hi:
        # consuming and read arcs give lower bounds, inhibitor arcs and capacities upper ones
        # (an output arc into a place with a capacity: at most the capacity minus the change).
        pre, test, inh, post = arcs.pre, arcs.test, arcs.inhibitor, arcs.post
        limited = arcs.capacity[post[1]] >= 0
        change = np.zeros(len(post[0]), dtype=np.int64)
        if len(self.ch_t):
            at = np.searchsorted(self.ch_t * P + self.ch_p, post[0] * P + post[1])
            at = np.minimum(at, len(self.ch_t) - 1)
            same = (self.ch_t[at] == post[0]) & (self.ch_p[at] == post[1])
            change[same] = self.ch_d[at[same]]
        keys = np.concatenate([pre[0] * P + pre[1], test[0] * P + test[1],
                               inh[0] * P + inh[1], (post[0] * P + post[1])[limited]])
        lo = np.concatenate([pre[2], test[2], np.zeros(len(inh[0]) + int(limited.sum()),
                                                          np.int64)])
        hi = np.concatenate([np.full(len(pre[0]) + len(test[0]), INF, np.int64), inh[2] - 1,
                             (arcs.capacity[post[1]] - change)[limited]])
        flat, inv = np.unique(keys, return_inverse=True)
        inv = inv.ravel()
        self.cond_lo = np.zeros(len(flat), dtype=np.int64)
        np.maximum.at(self.cond_lo, inv, lo)
        self.cond_hi = np.full(len(flat), INF, dtype=np.int64)
        np.minimum.at(self.cond_hi, inv, hi)
        # all conditions as flat arrays, one entry per (transition, place) with a condition
        keep = (self.cond_lo > 0) | (self.cond_hi < INF)
        flat, self.cond_lo, self.cond_hi = flat[keep], self.cond_lo[keep], self.cond_hi[keep]
        self.cond_t, self.cond_p = flat // max(P, 1), flat % max(P, 1)
        self._dense = self._increments = None
        self.set_pivots(None)

    @property
    def delta(self) -> np.ndarray:
        """The change of each transition, transitions x places (the numpy explorer's)."""
        if self._dense is None:
            P, T = len(self.places), len(self.transitions)
            self._dense = np.zeros((T, P), dtype=np.int64)
            self._dense[self.ch_t, self.ch_p] = self.ch_d
        return self._dense

    @property
    def delta_x(self) -> np.ndarray:
        """``delta`` with a last column of zeros."""
        return np.concatenate([self.delta, np.zeros((len(self.transitions), 1), np.int64)],
                              axis=1)

    def growth(self) -> np.ndarray:
        """Per transition, the tokens it adds in all (negative: takes)."""
        return np.bincount(self.ch_t, weights=self.ch_d,
                           minlength=len(self.transitions)).astype(np.int64)

    def increments(self) -> tuple[np.ndarray, np.ndarray]:
        """``inc_idx, inc_d`` (transitions x k): the places each transition adds tokens to and
        how many, padded with column P (a constant 0) and 0."""
        P, T = len(self.places), len(self.transitions)
        up = self.ch_d > 0
        inc_t, inc_p, inc_d = self.ch_t[up], self.ch_p[up], self.ch_d[up]
        counts = np.bincount(inc_t, minlength=T)
        k = max(1, int(counts.max()) if T else 0)
        slot = np.arange(len(inc_t)) - np.repeat(np.cumsum(counts) - counts, counts)
        idx = np.full((T, k), P, dtype=np.intp)
        d = np.zeros((T, k), dtype=np.int64)
        idx[inc_t, slot] = inc_p
        d[inc_t, slot] = inc_d
        return idx, d

    def overflow(self, F, ei, ti, limit) -> np.ndarray | None:
        """None if no successor exceeds ``limit`` (per place), else the counts needed per place."""
        width = F.shape[1]
        if self._increments is None:
            self._increments = self.increments()
        inc_idx, inc_d = self._increments
        lim = np.concatenate([limit, [np.iinfo(np.int64).max]])
        flat = F.ravel()
        base = ei * width
        bad = None
        for j in range(inc_idx.shape[1]):
            p = inc_idx[ti, j]
            # int64 sum: the rows may use a narrow dtype that the successor would not fit
            v = flat[base + p].astype(np.int64) + inc_d[ti, j]
            over = v > lim[p]
            if over.any():
                need = np.zeros(len(limit) + 1, dtype=np.int64)
                np.maximum.at(need, p[over], v[over])
                bad = need if bad is None else np.maximum(bad, need)
        return None if bad is None else bad[:-1]

    def set_pivots(self, sample: np.ndarray | None) -> None:
        """Pick each transition's pivot and lay out the conditions left to check.

        The pivot is the input condition least often met in ``sample`` (rows of reachable
        markings; ties: the larger requirement, then the lower place index), or without a sample
        the largest requirement (ties: the place fewer transitions test, then the lower index).
        The remaining conditions are checked least often met first (without a sample: by place).
        Everything is computed on the flat condition arrays: a Python loop over the transitions
        costs milliseconds on nets with a thousand of them.
        """
        T, P = len(self.transitions), len(self.places)
        INF = np.iinfo(np.int64).max
        ct, cp, lo, hi = self.cond_t, self.cond_p, self.cond_lo, self.cond_hi
        low = lo > 0                                           # can serve as a pivot
        # per transition (np.lexsort: the last key is the primary one), the conditions with a
        # lower bound first, the best pivot first among them
        if sample is None:
            uses = np.bincount(cp, minlength=P)
            met = None
            order = np.lexsort((cp, uses[cp], -lo, ~low, ct))
        else:
            met = self._met(sample)
            order = np.lexsort((cp, -lo, met, ~low, ct))
        # the first condition of each transition in that order is its pivot, if it has a lower bound
        head = order[np.r_[True, ct[order][1:] != ct[order][:-1]]] if len(order) else order
        head = head[low[head]]
        pivot = np.full(T, -1, dtype=np.intp)
        pivot_lo = np.zeros(T, dtype=np.int64)
        pivot[ct[head]], pivot_lo[ct[head]] = cp[head], lo[head]
        self.free = np.flatnonzero(pivot < 0)                  # no lower bound: always candidates
        by_pivot = np.argsort(pivot, kind="stable")
        by_pivot = by_pivot[pivot[by_pivot] >= 0]              # transitions grouped by pivot place
        group_min = np.full(P + 1, INF, dtype=np.int64)
        np.minimum.at(group_min, pivot[by_pivot], pivot_lo[by_pivot])
        # Internally transitions are numbered group after group (then the free ones), so the
        # candidates of a pivot place are a range of internal numbers; ``tperm`` maps back.
        self.tperm = np.concatenate([by_pivot, self.free]).astype(np.intp)
        internal = np.empty(T, dtype=np.intp)
        internal[self.tperm] = np.arange(T)
        # per column of the rows (places, then the zero column P): its group of transitions
        self.place_count = np.bincount(pivot[by_pivot], minlength=P + 1).astype(np.intp)
        self.place_start = (np.cumsum(self.place_count) - self.place_count).astype(np.intp)
        self.pivot_min = group_min                             # INF: not a pivot place
        # Conditions still to check once a transition is a candidate. The pivot's own lower
        # bound is implied when it equals the group's minimum (and it has no upper bound), which
        # on most nets leaves one condition or none per transition.
        implied = (cp == pivot[ct]) & (lo == group_min[cp]) & (hi == INF)
        rest = np.lexsort((cp, ct) if met is None else (cp, met, ct))
        rest = rest[~implied[rest]]
        self.rest = rest               # grouped by transition, least often met first
        rt = internal[ct[rest]]
        start = np.r_[True, rt[1:] != rt[:-1]] if len(rt) else np.zeros(0, bool)
        pos = np.arange(len(rt))
        j = pos - np.maximum.accumulate(np.where(start, pos, 0)) if len(rt) else pos
        K = int(j.max()) + 1 if len(j) else 0
        cidx = np.full((T, K), P, dtype=np.intp)               # column P: a constant 0
        clo = np.zeros((T, K), dtype=np.int64)
        chi = np.full((T, K), INF, dtype=np.int64)
        cidx[rt, j], clo[rt, j], chi[rt, j] = cp[rest], lo[rest], hi[rest]
        # indexed by internal transition number
        self.columns = [(cidx[:, k].copy(), clo[:, k].copy(),
                         chi[:, k].copy() if (chi[:, k] < INF).any() else None)
                        for k in range(K)]
        self._typed = {}

    def _met(self, sample: np.ndarray) -> np.ndarray:
        """Per condition, how many rows of ``sample`` meet its lower bound (each distinct
        (place, bound) is counted once: many transitions share a condition)."""
        top = int(self.cond_lo.max()) + 1 if len(self.cond_lo) else 1
        if top > 2**62 // max(len(self.places), 1):           # (place, bound) as one int64
            pairs, inv = np.unique(np.stack([self.cond_p, self.cond_lo], axis=1), axis=0,
                                   return_inverse=True)
            counts = np.count_nonzero(sample[:, pairs[:, 0]] >= pairs[:, 1], axis=0)
            return counts[inv.ravel()]
        pairs, inv = np.unique(self.cond_p * top + self.cond_lo, return_inverse=True)
        counts = np.count_nonzero(sample[:, pairs // top] >= pairs % top, axis=0)
        return counts[inv.ravel()]

    def _thresholds(self, dtype):
        """Per column of the rows, the count from which a marking has candidates (never, for
        columns that are not pivots), and the condition columns, with all bounds in the rows'
        dtype so that the comparisons run on narrow integers without converting the rows. The
        rows hold counts below the dtype's maximum (see ``_row_dtype``), so clipping a bound to
        the dtype's range changes no comparison."""
        key = np.dtype(dtype)
        if key not in self._typed:
            info = np.iinfo(dtype)

            def cast(a):
                return np.clip(a, info.min, info.max).astype(dtype)
            self._typed[key] = (cast(self.pivot_min),
                                [(cidx, cast(clo), None if chi is None else cast(chi))
                                 for cidx, clo, chi in self.columns])
        return self._typed[key]

    def enabled_pairs(self, F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The (marking row, transition) pairs where the transition is enabled.

        ``F`` has one extra last column of zeros (the padding conditions look at it).
        """
        n, width = F.shape
        thr, columns = self._thresholds(F.dtype)
        F = np.ascontiguousarray(F)
        flat = F.ravel()
        # Positions in ``flat`` where a pivot place holds enough tokens. One flatnonzero on the
        # whole block is several times faster than np.nonzero on the pivot columns.
        f = np.flatnonzero(F >= thr)
        col = f % width
        cnt = self.place_count[col]
        ends = np.cumsum(cnt)
        total = int(ends[-1]) if len(ends) else 0
        # Candidates: each such position brings its group of transitions, internal numbers
        # place_start[col] .. place_start[col] + cnt - 1. ``base`` is the row's start in flat.
        base = np.repeat(f - col, cnt)
        t = np.repeat(self.place_start[col] - (ends - cnt), cnt)
        t += np.arange(total)          # in place: fewer large temporaries is measurably faster
        nfree = len(self.free)
        if nfree:
            base = np.concatenate([base, np.repeat(np.arange(n) * width, nfree)])
            T = len(self.tperm)
            t = np.concatenate([t, np.tile(np.arange(T - nfree, T), n)])
        for j, (cidx, clo, chi) in enumerate(columns):
            if j:
                # only the candidates still alive are looked at further
                alive = np.flatnonzero(ok)
                base, t = base[alive], t[alive]
            v = flat[base + cidx[t]]
            ok = v >= clo[t]
            if chi is not None:
                ok &= v <= chi[t]
        if columns:
            base, t = base[ok], t[ok]
        return base // width, self.tperm[t]


class _Layout:
    """Where each place's bits sit in the packed words of a marking."""

    def __init__(self, bits: np.ndarray):
        self.bits = bits.astype(np.int64)
        word, shift = [], []
        w, s = 0, 0
        for b in self.bits:
            if s + b > _WORD:
                w, s = w + 1, 0
            word.append(w)
            shift.append(s)
            s += b
        self.word = np.array(word, dtype=np.intp)
        self.shift = np.array(shift, dtype=np.uint64)
        self.nwords = (w + 1) if len(self.bits) else 1
        self.limit = (np.int64(1) << self.bits) - 1     # largest count each place can hold
        self.mask = self.limit.astype(np.uint64)

    def encode(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros((len(rows), self.nwords), dtype=np.uint64)
        r = rows.astype(np.uint64)
        for p in range(rows.shape[1]):
            out[:, self.word[p]] |= r[:, p] << self.shift[p]
        return out

    def encode_delta(self, s: "_PTStructure") -> np.ndarray:
        """Per-transition word increments of ``s``'s changes (two's complement: additions
        wrap modulo 2**64)."""
        out = np.zeros((len(s.transitions), self.nwords), dtype=np.uint64)
        with np.errstate(over="ignore"):
            d = s.ch_d.astype(np.uint64) << self.shift[s.ch_p]
            np.add.at(out, (s.ch_t, self.word[s.ch_p]), d)
        return out

    def decode(self, words: np.ndarray, dtype=np.int64) -> np.ndarray:
        out = np.empty((len(words), len(self.bits)), dtype=dtype)
        for p in range(len(self.bits)):
            out[:, p] = (words[:, self.word[p]] >> self.shift[p]) & self.mask[p]
        return out


class _Growable:
    """An append-only numpy array that doubles its capacity."""

    def __init__(self, dtype, width=None, capacity=1024):
        self.shape_tail = () if width is None else (width,)
        self.a = np.empty((capacity,) + self.shape_tail, dtype=dtype)
        self.n = 0

    def extend(self, values):
        k = len(values)
        if self.n + k > len(self.a):
            cap = max(len(self.a) * 2, self.n + k)
            b = np.empty((cap,) + self.shape_tail, dtype=self.a.dtype)
            b[:self.n] = self.a[:self.n]
            self.a = b
        self.a[self.n:self.n + k] = values
        self.n += k

    def view(self):
        return self.a[:self.n]


class _VisitedSet:
    """Sorted runs of (hash, state id), merged like a log-structured tree: O(log n) runs."""

    def __init__(self):
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []

    def lookup(self, u: np.ndarray) -> np.ndarray:
        ids = np.full(len(u), -1, dtype=np.int64)
        for keys, sids in self.runs:
            pos = np.searchsorted(keys, u)
            pos[pos >= len(keys)] = len(keys) - 1
            hit = keys[pos] == u
            ids[hit] = sids[pos[hit]]
        return ids

    def add(self, keys: np.ndarray, sids: np.ndarray) -> None:
        """``keys`` sorted ascending."""
        self.runs.append((keys, sids))
        while len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            (k1, s1), (k2, s2) = self.runs[-2], self.runs[-1]
            k = np.concatenate([k1, k2])
            order = np.argsort(k, kind="stable")
            self.runs[-2:] = [(k[order], np.concatenate([s1, s2])[order])]


def _numba_installed() -> bool:
    import importlib.util
    return importlib.util.find_spec("numba") is not None


def _kernel_loaded() -> bool:
    import sys
    return "petri.analysis._kernel" in sys.modules


def _compiled_kernel():
    """``petri.analysis._kernel`` when numba is installed and works, else None.

    numba looks for a BLAS by importing ``scipy.linalg`` when its array functions are first
    loaded (``numba.np.arraymath``); the kernel needs none, and that import costs a few tenths
    of a second and can hang under an address-space limit (OpenBLAS starting its threads), so
    it is held off while they load."""
    import sys
    if "numba.np.arraymath" not in sys.modules and "scipy.linalg" not in sys.modules:
        sys.modules["scipy.linalg"] = None             # import fails at once: "no BLAS"
        try:
            from . import _kernel
            import numba.np.arraymath  # noqa: F401
        except Exception:  # noqa: BLE001 - numba missing or broken: the array explorer runs
            return None
        finally:
            del sys.modules["scipy.linalg"]
        return _kernel
    try:
        from . import _kernel
    except Exception:  # noqa: BLE001
        return None
    return _kernel


def _pivot_arrays(s: "_PTStructure") -> tuple:
    """The compiled search's view of ``s``'s pivots and conditions (see ``_kernel.expand``):
    ``cstart, cp, clo, cspan`` (the conditions left to check per transition, least often met
    first; ``lo <= v <= hi`` is checked as ``uint64(v - lo) <= hi - lo``) and ``pv, bmin,
    bstart, bucket`` (the transitions of each pivot place). Index arrays are unsigned: numba
    skips the wrap-around of negative indices for them."""
    u32, i64 = np.uint32, np.int64
    P, T = len(s.places), len(s.transitions)
    rest = s.rest
    cstart = np.searchsorted(s.cond_t[rest], np.arange(T + 1)).astype(i64)
    cp, clo, chi = s.cond_p[rest].astype(u32), s.cond_lo[rest], s.cond_hi[rest]
    never = chi < clo                      # no count meets it: v - (-1) > 0 for every v >= 0
    clo = np.where(never, -1, clo)
    cspan = np.where(never, 0, chi - clo).astype(np.uint64)
    places = np.flatnonzero(s.place_count[:P])
    pv = places.tolist()
    bmin = s.pivot_min[places].tolist()
    bucket = [s.tperm[s.place_start[p]:s.place_start[p] + s.place_count[p]] for p in places]
    if len(s.free):
        pv.append(P)                                       # the constant 0 column
        bmin.append(0)
        bucket.append(s.free)
    bstart = np.cumsum([0] + [len(b) for b in bucket]).astype(i64)
    bucket = np.concatenate(bucket).astype(u32) if bucket else np.zeros(0, u32)
    return (cstart, cp, clo, cspan, np.array(pv, dtype=u32), np.array(bmin, dtype=i64), bstart,
            bucket)


class _Mapped:
    """A growable array (``a``, rows x ``width`` when ``width`` is given) in an anonymous
    memory map: ``resize`` remaps it (``mremap`` on Linux) instead of allocating a new block
    and copying, so growing never holds two copies, and pages are resident only once written.
    Where an anonymous map cannot be resized, it is copied into a new one."""

    def __init__(self, dtype, rows: int, width: int | None = None):
        self.dtype, self.width = np.dtype(dtype), width
        self.map = None
        self.resize(rows)

    def resize(self, rows: int) -> None:
        size = rows * (self.width or 1) * self.dtype.itemsize
        self.a = None                              # the map cannot move under a view
        if self.map is None:
            self.map = _anonymous_map(size)
        elif size != self.rows_bytes:
            try:
                self.map.resize(max(size, 1))
            except (OSError, SystemError, ValueError, BufferError):
                fresh = _anonymous_map(size)
                keep = min(size, self.rows_bytes)
                fresh[:keep] = self.map[:keep]
                self.map.close()
                self.map = fresh
        self.rows_bytes = size
        a = np.frombuffer(self.map, dtype=self.dtype, count=size // self.dtype.itemsize)
        self.a = a if self.width is None else a.reshape(rows, self.width)


def _anonymous_map(size: int) -> mmap.mmap:
    """Private anonymous memory of ``size`` bytes (a shared one cannot grow past its size)."""
    private = getattr(mmap, "MAP_PRIVATE", None)
    if private is None:                                      # pragma: no cover - Windows
        return mmap.mmap(-1, max(size, 1))
    return mmap.mmap(-1, max(size, 1), flags=private | mmap.MAP_ANONYMOUS)


def _grown(cap: int, need: int) -> int:
    """A new capacity of at least ``need``: doubled while small (few reallocations), then a
    quarter more at a time (little slack on large graphs)."""
    while cap < need:
        cap = cap * 2 if cap < 1 << 22 else cap + cap // 4
    return cap


def _decode(k, layout: "_Layout", keys: np.ndarray, dtype=np.int64) -> np.ndarray:
    """``layout.decode`` in compiled code (``k``: the kernel module)."""
    out = np.empty((len(keys), len(layout.bits)), dtype=dtype)
    k.decode(keys, layout.word, layout.shift, layout.mask, out)
    return out


class _PTExplorer:
    def __init__(self, net, limits, progress, check_unbounded, interrupted, compiled=None):
        self.net = net
        self.compiled = compiled
        self.deadline = None
        self.arcs = pt_arcs(net)
        self.s = _PTStructure(self.arcs)
        self.limits = limits
        self.progress = progress
        self.interrupted = interrupted
        self.check_unbounded = check_unbounded
        self.frozen = self.arcs.frozen()
        # whether the structure bounds every place is decided when needed (``_decide``)
        self.decided = not check_unbounded
        if check_unbounded and (self.s.growth() <= 0).all():
            # No transition adds more tokens than it takes: the total never grows, so every
            # place is bounded, without the linear program of ``structurally_bounded``.
            self.check_unbounded = False
            self.decided = True

    def _decide(self) -> None:
        """Drop the unboundedness check when the structure bounds every place: P-semiflows
        covering every place (or capacities), if a few are found quickly, else the linear
        program of ``structurally_bounded`` (which needs scipy, slow to import)."""
        if self.decided:
            return
        self.decided = True
        view = pt_view(self.net, self.arcs)
        from .invariants import _farkas, bounded_by_structure
        # at most 200 candidate rows bound the work; the wall-clock budget is a safety net
        # that a loaded machine must not trip (Philosophers-PT-000010: 0.01 s of CPU)
        Y = _farkas(view.incidence, 200, 0.25) if len(view.places) else None
        if Y is not None and len(Y) and ((Y > 0).any(axis=0) | (view.capacity >= 0)).all():
            self.check_unbounded = False
        elif bounded_by_structure(view).all():
            self.check_unbounded = False

    #: CPU seconds the numpy explorer gets first when numba's compiled code is not loaded yet
    #: (loading it costs more than half a second, which small nets never win back)
    WARM_UP = 0.5

    def run(self) -> ReachabilityGraph:
        kernel = None
        if self.compiled:
            kernel = _compiled_kernel()
            if kernel is None:
                raise PetriError("compiled exploration needs numba, which is not installed "
                                 "(pip install 'petri-flow[fast]')")
        elif self.compiled is None and _numba_installed():
            if not _kernel_loaded():
                try:
                    return self._run_numpy(time.process_time() + self.WARM_UP)
                except _WarmUpOver:
                    pass
            kernel = _compiled_kernel()
        if kernel is not None and len(self.s.transitions) < 2**15:
            graph = self._run_compiled(kernel)
            if graph is not None:
                graph.explorer = "compiled"
                return graph
        return self._run_numpy()

    def _run_numpy(self, deadline: float | None = None) -> ReachabilityGraph:
        """The numpy explorer; past ``deadline`` (process time), ``_WarmUpOver``."""
        self.deadline = deadline
        self._decide()
        for salt in range(4):
            try:
                return self._run(np.uint64((salt * 0x5851F42D4C957F2D + 1) % 2**64))
            except _HashCollision:
                continue
        raise RuntimeError("marking hashes collided repeatedly")  # pragma: no cover

    #: states the compiled search explores before it asks whether the structure bounds the net
    PROBE = 100_000
    #: states found before the compiled search chooses the pivots again, on those markings
    REPIVOT = 2048

    def _run_compiled(self, k) -> ReachabilityGraph | None:
        """The search in compiled code (``petri.analysis._kernel``), slice by slice: limits,
        progress and Ctrl-C are looked at between slices, arrays grow and packed fields widen
        when ``k.expand`` asks for it.

        The compiled search has no unboundedness check. A net that needs one may still be
        explored here: a search that ends within ``PROBE`` states shows that the graph is
        finite; past them, ``_decide`` looks at the structure, and None is returned (the array
        explorer starts over, with the check) unless it bounds every place."""
        s, limits = self.s, self.limits
        start = time.perf_counter()
        P, T = len(s.places), len(s.transitions)
        i64 = np.int64
        u32 = np.uint32
        # the places each transition adds tokens to (overflow is checked there only)
        up = s.ch_d > 0                                        # sorted by transition
        dstart = np.searchsorted(s.ch_t[up], np.arange(T + 1)).astype(i64)
        dp, dd = s.ch_p[up].astype(u32), s.ch_d[up]
        pivots = _pivot_arrays(s)
        repivoted = False

        bits = _bit_length(s.m0)
        grows = np.zeros(P, dtype=bool)                         # places some transition fills
        grows[dp] = True
        widenings = 0                                           # re-encodings of the markings
        layout = _Layout(bits)
        W = layout.nwords
        word, dlim = layout.word.astype(u32), layout.limit[dp] - dd
        # grown by remapping, not copying (see ``_Mapped``): nothing is resident until written
        cap, ecap = 16384, 65536
        K = _Mapped(np.uint64, cap, W)
        K.a[:1] = layout.encode(s.m0[None, :])
        dwords = layout.encode_delta(s)
        PA = _Mapped(np.int32, cap)
        PT = _Mapped(np.int16, cap)
        PA.a[0] = PT.a[0] = -1
        OF = _Mapped(i64, cap + 1)
        OF.a[0] = 0
        DS = _Mapped(np.int32, ecap)
        TR = _Mapped(np.uint8 if T <= 255 else np.int16, ecap)
        table = np.zeros(1 << 15, dtype=np.uint64)
        k.rehash(K.a, 1, table)
        succ = np.zeros(W, dtype=np.uint64)
        m = np.zeros(P + 1, dtype=i64)
        status = np.zeros(3, dtype=i64)
        most = 2**31 - 2 - T
        max_states = most if limits.max_states is None else min(limits.max_states, most)
        step = int(np.clip(1_000_000 // max(T, 1), 256, 65536))
        i, n, ne = 0, 1, 0
        stopped = None
        last = start
        while True:
            now = time.perf_counter()
            if self.interrupted.flag:
                stopped = "interrupted"
                break
            if limits.time_limit is not None and now - start > limits.time_limit:
                stopped = "time_limit"
                break
            if limits.memory_exceeded(n):
                stopped = "memory"
                break
            if self.progress is not None and now - last >= 0.5:
                self.progress(n, ne, now - start)
                last = now
            if self.check_unbounded and n > self.PROBE:
                self._decide()
                if self.check_unbounded:
                    return None
            began = time.perf_counter()
            if not repivoted and n >= self.REPIVOT:
                # pivots chosen on the first markings found: fewer candidates per marking
                s.set_pivots(_decode(k, layout, K.a[:self.REPIVOT], _count_dtype(layout)))
                pivots = _pivot_arrays(s)
                repivoted = True
            # A slice ends after ``step`` states, and before the state after the one whose
            # successors bring the count to REPIVOT: the pivots, and so the order in which
            # successors are numbered, change at a point fixed by the net alone, whatever the
            # slices' lengths (which follow the clock) and wherever the arrays grow or the
            # fields widen. The numbering depends on the net only.
            pause_at = max_states + 1 if repivoted else self.REPIVOT
            i, n, ne = k.expand(i, i + step, pause_at, n, ne, max_states, K.a, PA.a, PT.a,
                                OF.a, DS.a, TR.a, table, word, layout.shift, layout.mask,
                                *pivots, dstart, dp, dlim, dwords, succ, m, status)
            if time.perf_counter() - began < 0.02:      # slices of about 20-50 ms
                step = min(2 * step, 1 << 22)
            code = status[0]
            if code == k.DONE:
                if i >= n:
                    break
            elif code == k.NEED_SPACE:
                if n + T > cap:
                    cap = _grown(cap, n + T)
                    for a in (K, PA, PT):
                        a.resize(cap)
                    OF.resize(cap + 1)
                if ne + T > ecap:
                    ecap = _grown(ecap, ne + T)
                    DS.resize(ecap)
                    TR.resize(ecap)
                if 2 * (n + T) > len(table):
                    size = len(table)
                    while 2 * (n + T) > size:
                        size *= 2
                    del table
                    table = np.zeros(size, dtype=np.uint64)
                    k.rehash(K.a, n, table)
            elif code == k.OVERFLOW:
                # the place's field and every field as narrow that a transition adds tokens
                # to widen together, to at least twice the width: the stored markings are
                # re-encoded O(log bound) times, not once per place (a cycle of 100 places
                # with 3 tokens: once, not 99 times). The state is expanded again in the new
                # fields, with the same pivots: the numbering does not depend on the widening
                p = int(status[1])
                need = int(m[p] + dd[status[2]])
                b = int(bits[p])
                wide = max(need.bit_length() + 1, min(2 * b, 32))
                bits[grows & (bits <= b)] = wide
                bits[p] = max(bits[p], wide)
                widenings += 1
                old, layout = layout, _Layout(bits)
                word, dlim = layout.word.astype(u32), layout.limit[dp] - dd
                fresh = _Mapped(np.uint64, cap, layout.nwords)
                fresh.a[:n] = layout.encode(old.decode(K.a[:n]))
                K = fresh
                W = layout.nwords
                dwords = layout.encode_delta(s)
                succ = np.zeros(W, dtype=np.uint64)
                table[:] = 0
                k.rehash(K.a, n, table)
            else:
                stopped = "max_states"
                if self.check_unbounded:
                    # the array explorer may find the net unbounded within the limit
                    self._decide()
                    if self.check_unbounded:
                        return None
                break
        del table
        # shrink to what is used (in place)
        for a, size in ((K, n), (PA, n), (PT, n), (OF, i + 1), (DS, ne), (TR, ne)):
            a.resize(size)
        keys, dst, trans, parent, ptrans, offsets = K.a, DS.a, TR.a, PA.a, PT.a, OF.a
        graph = ReachabilityGraph(
            self.net, s.places, s.transitions, None, dst, trans, parent, ptrans, i,
            stopped is None, stopped, time.perf_counter() - start, None, None, _offsets=offsets)
        graph._decoder = lambda: _decode(k, layout, keys, _count_dtype(layout))
        graph._widenings = widenings
        if self.progress is not None and time.perf_counter() - start >= 0.5:
            self.progress(n, ne, time.perf_counter() - start)
        return graph

    def _hash(self, words: np.ndarray, salt) -> np.ndarray:
        """One 64-bit key per packed marking: the word itself when there is one, else a chain
        ``h = mix(h + word)`` over the words. ``mix`` is a bijection, so two markings that differ
        in the last word never collide and otherwise collide with probability about 2**-64;
        collisions are detected anyway (``_HashCollision``) and the run restarts with another
        salt."""
        if words.shape[1] == 1:
            return words[:, 0]
        with np.errstate(over="ignore"):
            h = _splitmix(words[:, 0] ^ salt)
            for j in range(1, words.shape[1]):
                h = _splitmix(h + words[:, j])
        return h

    def _run(self, salt) -> ReachabilityGraph:
        s = self.s
        start = time.perf_counter()
        P, T = len(s.places), len(s.transitions)
        # narrow beginnings (and nets that stay narrow, like long chains) one marking at a time
        head = self._explore_narrow(start)
        if head.done:
            return self._graph_from_head(head, start)
        M = np.array(head.markings, dtype=np.int64).reshape(len(head.markings), P)
        bits = np.maximum(_bit_length(s.m0), _bit_length(M.max(axis=0)))
        layout = _Layout(bits)
        dwords = layout.encode_delta(s)
        count = len(M)
        keys = _Growable(np.uint64, layout.nwords, capacity=max(1024, count))
        keys.extend(layout.encode(M))
        parent = _Growable(np.int64, capacity=max(1024, count))
        parent.extend(head.parent)
        ancestors = None
        if self.check_unbounded:
            ancestors = _Ancestors()
            for lo, hi in head.levels[1:]:
                ancestors.extend(np.asarray(head.parent[lo:hi], dtype=np.int64))
        ptrans = _Growable(np.int32, capacity=max(1024, count))
        ptrans.extend(head.ptrans)
        visited = _VisitedSet()
        h = self._hash(keys.view(), salt)
        order = np.argsort(h, kind="stable")
        if count > 1 and (h[order][1:] == h[order][:-1]).any():
            raise _HashCollision
        visited.add(h[order], order.astype(np.int64))
        idtype = np.int32 if count < 2**31 else np.int64
        src_parts = [np.asarray(head.src, dtype=idtype)]
        dst_parts = [np.asarray(head.dst, dtype=idtype)]
        t_parts = [np.asarray(head.trans, dtype=np.int32)]
        n_edges = len(head.src)
        rdt = _row_dtype(layout, s.delta)  # rows: token counts plus a last column of zeros
        delta_x = s.delta_x.astype(rdt)
        expanded = head.expanded
        frontier_rows = np.concatenate([M[expanded:], np.zeros((count - expanded, 1), np.int64)],
                                       axis=1).astype(rdt)
        frontier_ids = np.arange(expanded, count, dtype=np.int64)
        next_rows, next_ids = [], []
        stopped = None
        witness = None
        chunk = max(4096, min(131072, 20_000_000 // max(T, 1)))
        max_states = self.limits.max_states
        last_report = start
        repivoted = False
        pos = 0
        while True:
            if pos >= len(frontier_ids):
                if not next_ids:
                    break
                frontier_rows = np.concatenate(next_rows)
                frontier_ids = np.concatenate(next_ids)
                next_rows, next_ids = [], []
                pos = 0
            # limits are checked between slices
            now = time.perf_counter()
            if self.deadline is not None and time.process_time() > self.deadline:
                raise _WarmUpOver
            if self.interrupted.flag:
                stopped = "interrupted"
                break
            if self.limits.time_limit is not None and now - start > self.limits.time_limit:
                stopped = "time_limit"
                break
            if self.limits.memory_exceeded(count):
                stopped = "memory"
                break
            if self.progress is not None and now - last_report >= 0.5:
                self.progress(count, n_edges, now - start)
                last_report = now
            F = frontier_rows[pos:pos + chunk]
            ids = frontier_ids[pos:pos + chunk]
            if not repivoted and count >= 512:
                s.set_pivots(F[:4096])
                repivoted = True
            ei, ti = s.enabled_pairs(F)
            # widen the fields of places that a successor would overflow, before packing
            need = s.overflow(F, ei, ti, layout.limit)
            if need is not None:
                bits = np.maximum(bits, _bit_length(need) + 1)
                old = layout
                layout = _Layout(bits)
                dwords = layout.encode_delta(s)
                if _row_dtype(layout, s.delta) != rdt:
                    rdt = _row_dtype(layout, s.delta)
                    delta_x = s.delta_x.astype(rdt)
                    F = F.astype(rdt)
                    frontier_rows = frontier_rows.astype(rdt)
                    next_rows = [r.astype(rdt) for r in next_rows]
                allk = layout.encode(old.decode(keys.view()))
                keys = _Growable(np.uint64, layout.nwords, capacity=max(1024, len(allk)))
                keys.extend(allk)
                visited = _VisitedSet()
                h = self._hash(allk, salt)
                order = np.argsort(h, kind="stable")
                visited.add(h[order], order.astype(np.int64))
            E = len(ei)
            if E:
                with np.errstate(over="ignore"):
                    words = keys.a[ids[ei]] + dwords[ti]
                h = self._hash(words, salt)
                order = np.argsort(h)     # any edge of a group may serve as its first
                hs = h[order]
                first_flag = np.empty(E, dtype=bool)
                first_flag[0] = True
                np.not_equal(hs[1:], hs[:-1], out=first_flag[1:])
                grp = np.cumsum(first_flag) - 1
                u = hs[first_flag]
                first = order[first_flag]                 # first edge reaching each new hash
                inv = np.empty(E, dtype=np.int64)
                inv[order] = grp
                if layout.nwords > 1:
                    # equal hashes are adjacent in sorted order: their words must be equal
                    ws = words[order]
                    if (ws[1:] != ws[:-1]).any(axis=1)[~first_flag[1:]].any():
                        raise _HashCollision
                uid = visited.lookup(u)
                if layout.nwords > 1:
                    hit = uid >= 0
                    if hit.any() and not np.array_equal(keys.a[uid[hit]], words[first[hit]]):
                        raise _HashCollision
                new = np.flatnonzero(uid < 0)
                new = new[np.argsort(first[new])]     # discovery order (``first`` has no ties)
                if max_states is not None and count + len(new) > max_states:
                    new = new[:max(0, max_states - count)]
                    stopped = "max_states"
                m = len(new)
                uid[new] = np.arange(count, count + m)
                dst = uid[inv]
                fe = first[new]
                new_rows = F[ei[fe]]
                new_rows += delta_x[ti[fe]]
                new_parent = ids[ei[fe]]
                keys.extend(words[fe])
                parent.extend(new_parent)
                ptrans.extend(ti[fe].astype(np.int32))
                if m:
                    # ``u`` is sorted, so the new hashes in their order need no sort
                    added = np.flatnonzero(uid >= count)
                    visited.add(u[added], uid[added])
                src = ids[ei]
                if stopped == "max_states":
                    keep = dst >= 0
                    src, dst, tt = src[keep], dst[keep], ti[keep]
                else:
                    tt = ti
                idtype = np.int32 if count + m < 2**31 else np.int64
                src_parts.append(src.astype(idtype))
                dst_parts.append(dst.astype(idtype))
                t_parts.append(tt.astype(np.int32))
                n_edges += len(src)
                if self.check_unbounded and m:
                    ancestors.extend(new_parent)
                    witness = self._covering_ancestor(new_rows[:, :P], new_parent, count, keys,
                                                      ancestors, layout)
                count += m
                if m:
                    next_rows.append(new_rows)
                    next_ids.append(np.arange(count - m, count))
            expanded += len(ids)
            pos += chunk
            if witness is not None:
                stopped = "unbounded"
                break
            if stopped is not None:
                break
        final_layout = layout
        final_keys = keys.view()
        graph = ReachabilityGraph(
            self.net, s.places, s.transitions,
            np.concatenate(src_parts) if src_parts else np.zeros(0, np.int32),
            np.concatenate(dst_parts) if dst_parts else np.zeros(0, np.int32),
            np.concatenate(t_parts) if t_parts else np.zeros(0, np.int32),
            parent.view().copy(), ptrans.view().copy(), expanded, stopped is None, stopped,
            time.perf_counter() - start, None, witness)
        graph._decoder = lambda: final_layout.decode(final_keys, dtype=_count_dtype(final_layout))
        if self.progress is not None and time.perf_counter() - start >= 0.5:
            self.progress(count, n_edges, time.perf_counter() - start)
        return graph

    #: the narrow phase ends at a breadth-first level where markings x transitions exceed this
    NARROW_WORK = 2048

    def _explore_narrow(self, start) -> "_Head":
        """Breadth-first, one marking at a time in plain Python, while the levels are narrow:
        on a long chain of markings the array code would pay its fixed cost per level for a
        level of one marking. Stops (``done`` false) at the first level too wide for it."""
        s, limits = self.s, self.limits
        conds = [[] for _ in s.transitions]
        for t, p, lo, hi in zip(s.cond_t.tolist(), s.cond_p.tolist(), s.cond_lo.tolist(),
                                s.cond_hi.tolist()):
            conds[t].append((p, lo, hi))
        changes = [[] for _ in s.transitions]
        for t, p, d in zip(s.ch_t.tolist(), s.ch_p.tolist(), s.ch_d.tolist()):
            changes[t].append((p, d))
        rule = list(zip(range(len(conds)), conds, changes))
        frozen = np.flatnonzero(self.frozen).tolist()
        check = self.check_unbounded
        T = max(1, len(s.transitions))
        h = _Head()
        m0 = tuple(int(x) for x in s.m0)
        h.markings, h.parent, h.ptrans = [m0], [-1], [-1]
        depth, pow2 = [0], [-1]
        index = {m0: 0}
        h.levels = [(0, 1)]
        last = start
        i = 0
        while True:
            lo, hi = h.levels[-1]
            if i == hi:                            # a level is done: the next one
                if len(h.markings) == hi:
                    h.done = True
                    break
                h.levels.append((hi, len(h.markings)))
                if (len(h.markings) - hi) * T > self.NARROW_WORK:
                    break
                continue
            if i % 256 == 0:
                now = time.perf_counter()
                if self.deadline is not None and time.process_time() > self.deadline:
                    raise _WarmUpOver
                if self.interrupted.flag:
                    h.stopped = "interrupted"
                elif limits.time_limit is not None and now - start > limits.time_limit:
                    h.stopped = "time_limit"
                elif limits.memory_exceeded(len(h.markings)):
                    h.stopped = "memory"
                if h.stopped:
                    h.done = True
                    break
                if self.progress is not None and now - last >= 0.5:
                    self.progress(len(h.markings), len(h.src), now - start)
                    last = now
            m = h.markings[i]
            for t, cond, change in rule:
                if all(lo <= m[p] <= hi for p, lo, hi in cond):
                    nxt = list(m)
                    for p, d in change:
                        nxt[p] += d
                    nxt = tuple(nxt)
                    j = index.get(nxt)
                    if j is None:
                        if limits.max_states is not None and len(h.markings) >= limits.max_states:
                            h.stopped = "max_states"
                            continue
                        j = index[nxt] = len(h.markings)
                        h.markings.append(nxt)
                        h.parent.append(i)
                        h.ptrans.append(t)
                        depth.append(depth[i] + 1)
                        pow2.append(i if depth[i] & (depth[i] - 1) == 0 else pow2[i])
                        if check and h.witness is None:
                            h.witness = _covered(nxt, j, h, pow2, frozen)
                    h.src.append(i)
                    h.dst.append(j)
                    h.trans.append(t)
            i += 1
            if h.witness is not None:
                h.stopped = "unbounded"
            if h.stopped:
                h.done = True
                break
        h.expanded = i
        return h

    def _graph_from_head(self, h: "_Head", start) -> ReachabilityGraph:
        s = self.s
        M = np.array(h.markings, dtype=np.int64).reshape(len(h.markings), len(s.places))
        graph = ReachabilityGraph(
            self.net, s.places, s.transitions, np.array(h.src, dtype=np.int32),
            np.array(h.dst, dtype=np.int32), np.array(h.trans, dtype=np.int32),
            np.array(h.parent, dtype=np.int64), np.array(h.ptrans, dtype=np.int32), h.expanded,
            h.stopped is None, h.stopped, time.perf_counter() - start, None, h.witness)
        graph._markings = M
        return graph

    def _covering_ancestor(self, rows, par, first_id, keys, ancestors, layout):
        """(ancestor, state) where a new marking strictly covers one of its ancestors and equals
        it on every place an inhibitor arc tests or a capacity limits, or None.

        Then the firing sequence from the ancestor to the state can be repeated forever (more
        tokens elsewhere never disable it), so the net is unbounded. Each new state is compared
        with the few ancestors ``_Ancestors.candidates`` gives, not with its whole path.
        """
        frozen = self.frozen
        for idx, anc in ancestors.candidates(par, first_id):
            A = layout.decode(keys.a[anc])
            R = rows[idx]
            hit = (R >= A).all(axis=1) & (R > A).any(axis=1)
            if frozen.any():
                hit &= (R[:, frozen] == A[:, frozen]).all(axis=1)
            hit = np.flatnonzero(hit)
            if len(hit):
                j = hit[0]
                return int(anc[j]), int(first_id + idx[j])
        return None


class _Ancestors:
    """Which ancestors a new state is compared with in the search for unboundedness: its
    ``NEAREST`` closest ones on its breadth-first path, then those whose depth is a power of
    two (at most ``log2(depth) + 1`` of them), so the check costs O(log depth) per state, not
    O(depth).

    It still finds every unbounded net (without inhibitor arcs and capacities): an infinite
    breadth-first tree has an infinite path, and on it the markings at power-of-two depths form
    an infinite sequence, in which, by Dickson's lemma, some marking covers an earlier one; the
    later one is compared with the earlier when it is reached. Short repeating sequences (the
    usual case) are found at once by the nearest ancestors.
    """

    NEAREST = 8

    def __init__(self):
        self.parent = _Growable(np.int64)
        self.depth = _Growable(np.int64)
        self.pow2 = _Growable(np.int64)        # nearest proper ancestor at a power-of-two depth
        self.parent.extend([-1])
        self.depth.extend([0])
        self.pow2.extend([-1])

    def extend(self, parents: np.ndarray) -> None:
        d = self.depth.a[parents]
        at_pow2 = (d & (d - 1)) == 0           # depth 0, 1, 2, 4, ...
        self.parent.extend(parents)
        self.depth.extend(d + 1)
        self.pow2.extend(np.where(at_pow2, parents, self.pow2.a[parents]))

    def candidates(self, parents: np.ndarray, first_id: int):
        """For the new states ``first_id, first_id + 1, ...`` (whose parents are ``parents``),
        yield ``(rows, ancestors)``: row ``rows[k]`` is to be compared with ``ancestors[k]``;
        nearest ancestors first."""
        par = self.parent.a
        idx = np.arange(len(parents))
        cur = parents
        for _ in range(self.NEAREST):
            alive = cur >= 0
            idx, cur = idx[alive], cur[alive]
            if not len(cur):
                return
            yield idx, cur
            cur = par[cur]
        pow2 = self.pow2.a
        cur = pow2[first_id + idx]
        while True:
            alive = cur >= 0
            idx, cur = idx[alive], cur[alive]
            if not len(cur):
                return
            yield idx, cur
            cur = pow2[cur]


class _Head:
    """The breadth-first beginning of an exploration, explored marking by marking."""

    def __init__(self):
        self.markings: list[tuple] = []
        self.parent: list[int] = []
        self.ptrans: list[int] = []
        self.src: list[int] = []
        self.dst: list[int] = []
        self.trans: list[int] = []
        self.levels: list[tuple[int, int]] = []     # (first, end) state of each level
        self.expanded = 0
        self.done = False
        self.stopped: str | None = None
        self.witness: tuple[int, int] | None = None


def _candidates(j: int, parent: list, pow2: list):
    """The ancestors of state ``j`` that ``_Ancestors.candidates`` names, nearest first."""
    a = parent[j]
    for _ in range(_Ancestors.NEAREST):
        if a < 0:
            return
        yield a
        a = parent[a]
    a = pow2[j]
    while a >= 0:
        yield a
        a = pow2[a]


def _covered(m: tuple, j: int, h: _Head, pow2: list, frozen: list) -> tuple[int, int] | None:
    """``_PTExplorer._covering_ancestor`` for one marking ``m`` (state ``j``): the same
    ancestors, in the same order."""
    def covers(a):
        ma = h.markings[a]
        for p in frozen:
            if ma[p] != m[p]:
                return False
        return ma != m and all(x <= y for x, y in zip(ma, m))
    for a in _candidates(j, h.parent, pow2):
        if covers(a):
            return a, j
    return None


def _bit_length(values: np.ndarray) -> np.ndarray:
    """Bits needed to hold each value (at least 1)."""
    return np.array([max(1, int(v).bit_length()) for v in values], dtype=np.int64)


def _row_dtype(layout, delta):
    """The narrowest signed dtype for frontier rows: it holds every count the layout allows
    with room to spare (bounds clipped to its maximum then never match a count, see
    ``_PTStructure._thresholds``) and every change a transition makes. Narrow rows make the
    gathers of enabling and of successor rows cheaper."""
    top = max(int(layout.limit.max()) if len(layout.limit) else 1,
              int(np.abs(delta).max()) if delta.size else 0)
    for dt in (np.int8, np.int16, np.int32):
        if top < np.iinfo(dt).max:
            return dt
    return np.int64


def _count_dtype(layout):
    top = int(layout.bits.max()) if len(layout.bits) else 1
    for dt, b in ((np.uint8, 8), (np.uint16, 16), (np.uint32, 32)):
        if top <= b:
            return dt
    return np.int64


# ---------------------------------------------------------------------------------------------
# Coloured nets
# ---------------------------------------------------------------------------------------------

def _compile_untimed(net):
    from ..engine import compile_net
    try:
        return compile_net(net, untimed=True, log=False)
    except TypeError:  # pragma: no cover - an engine without those options
        return compile_net(net)


def _frozen_places(net) -> np.ndarray:
    """``PTView.frozen`` for any net (weights may be expressions)."""
    tested = {a.place for t in net.transitions.values() for a in t.inputs if a.kind == "inhibitor"}
    return np.array([p in tested or net.places[p].capacity is not None for p in net.places],
                    dtype=bool)


def _total(c, key) -> int:
    return sum(s if kind == 0 else sum(n for _, n in s) for kind, s in zip(c.place_kinds, key))


def _covers(c, new, old, frozen) -> bool:
    """Whether marking key ``new`` strictly covers ``old`` (as multisets, place by place) and
    equals it on the ``frozen`` places."""
    strict = False
    for i, (a, b) in enumerate(zip(old, new)):
        if a == b:
            continue
        if frozen[i]:
            return False
        if c.place_kinds[i] == 0:
            if b < a:
                return False
        else:
            have = dict(b)
            if any(have.get(colour, 0) < n for colour, n in a):
                return False
        strict = True
    return strict


def _explore_coloured(net, limits, progress, interrupted,
                      check_unbounded: bool = True) -> ReachabilityGraph:
    """Breadth-first search through the engine's untimed successors.

    With ``check_unbounded`` (and one priority for all transitions, without which more tokens
    can disable a firing), it stops as soon as a new marking strictly covers an ancestor while
    equal on the places inhibitor arcs test and capacities limit: the net is then unbounded.
    Ancestors are compared only where the token total has grown since them, and only those
    ``_Ancestors`` names (the nearest, then those at power-of-two depths).
    """
    start = time.perf_counter()
    c = _compile_untimed(net)
    check_unbounded = check_unbounded and len({t.priority for t in net.transitions.values()}) <= 1
    # more tokens on these places can disable a transition: a covering marking must equal
    # its ancestor there (the view's weights are not needed, so expression weights are fine)
    frozen = _frozen_places(net)
    totals, low = [], []      # per state: token total, lowest total on its path from the root
    witness = None
    tindex = {n: i for i, n in enumerate(c.transition_names)}
    key0 = c.initial_key()
    ids = {key0: 0}
    keys = [key0]
    parent = [-1]
    ptrans = [-1]
    depth, pow2 = [0], [-1]      # see ``_Ancestors``
    totals.append(_total(c, key0))
    low.append(totals[0])
    src, dst, tr = [], [], []
    bindings = []
    stopped = None
    last = start
    i = 0
    while i < len(keys):
        if i % 256 == 0:
            now = time.perf_counter()
            if interrupted.flag:
                stopped = "interrupted"
                break
            if limits.time_limit is not None and now - start > limits.time_limit:
                stopped = "time_limit"
                break
            if limits.memory_exceeded(len(keys)):
                stopped = "memory"
                break
            if progress is not None and now - last >= 0.5:
                progress(len(keys), len(src), now - start)
                last = now
        succ = c.successors(keys[i])
        staged = []
        for tname, binding, key in succ:
            j = ids.get(key)
            if j is None:
                if limits.max_states is not None and len(keys) >= limits.max_states:
                    stopped = "max_states"
                    continue
                j = len(keys)
                ids[key] = j
                keys.append(key)
                parent.append(i)
                ptrans.append(tindex[tname])
                total = _total(c, key)
                totals.append(total)
                low.append(min(low[i], total))
                d = depth[i]
                depth.append(d + 1)
                pow2.append(i if d & (d - 1) == 0 else pow2[i])
                if check_unbounded and witness is None and total > low[i]:
                    for a in _candidates(j, parent, pow2):
                        if totals[a] < total and _covers(c, key, keys[a], frozen):
                            witness = (a, j)
                            break
            staged.append((j, tindex[tname], binding))
        for j, t, b in staged:
            src.append(i)
            dst.append(j)
            tr.append(t)
            bindings.append(b)
        i += 1
        if witness is not None:
            stopped = "unbounded"
            break
        if stopped == "max_states":
            break
    g = ReachabilityGraph(
        net, list(c.place_names), list(c.transition_names),
        np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64), np.array(tr, dtype=np.int32),
        np.array(parent, dtype=np.int64), np.array(ptrans, dtype=np.int32), i, stopped is None,
        stopped, time.perf_counter() - start, bindings, witness, None, keys)
    g._compiled = c
    g.explorer = "engine"
    return g
