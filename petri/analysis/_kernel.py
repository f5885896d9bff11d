"""The compiled breadth-first search of place/transition nets (needs numba: the ``fast`` extra).

``petri.analysis.reachability`` imports this module only when numba is installed and the net
needs no unboundedness check; everything else (limits, progress, Ctrl-C, widening the packed
fields, growing the arrays) stays in Python between calls of ``expand``, which explores a slice
of the states and returns.

Markings are packed into 64-bit words as in the array explorer (``_Layout``); a successor is its
parent's words plus the transition's change packed the same way (wrapping addition: exact while
every count fits its field, which is checked for each place a transition adds tokens to before
it is used). The visited set is an open-addressing hash table with linear probing, at most half
full, whose slots hold the upper 32 bits of a marking's hash and its state number plus one (0: an
empty slot), so that a probe compares the packed words only when the hash bits agree. Edges are
stored by source state in breadth-first order: ``offsets[i]`` is the first edge of state ``i``.

Compiled functions are cached on disk (numba's ``cache=True``), so only the first run on a
machine pays for compiling them.
"""
from __future__ import annotations

import numpy as np
from numba import njit

#: ``expand``'s status codes (``status[0]``)
DONE, NEED_SPACE, OVERFLOW, FULL = 0, 1, 2, 3

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_HIGH = np.uint64(0xFFFFFFFF00000000)
_LOW = np.uint64(0xFFFFFFFF)


@njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def _hash(words):
    h = _mix(words[0])
    for j in range(1, len(words)):
        h = _mix(h + words[j])
    return h


@njit(cache=True)
def rehash(keys, n, table):
    """Fill the (zeroed) ``table`` with states ``0 .. n-1``."""
    tmask = np.uint64(len(table) - 1)
    for k in range(n):
        h = _hash(keys[k])
        slot = h & tmask
        while table[slot] != 0:
            slot = (slot + np.uint64(1)) & tmask
        table[slot] = (h & _HIGH) | np.uint64(k + 1)


@njit(cache=True)
def decode(keys, word, shift, mask, out):
    """Token counts of the packed markings ``keys`` into ``out`` (one row per marking)."""
    for k in range(out.shape[0]):
        for p in range(out.shape[1]):
            out[k, p] = (keys[k, word[p]] >> shift[p]) & mask[p]


@njit(cache=True)
def expand(i, stop_at, pause_at, n, ne, max_states, keys, parent, ptrans, offsets, dst, trans,
           table, word, shift, mask, cstart, cp, clo, cspan, pv, bmin, bstart, bucket,
           dstart, dp, dlim, dwords, succ, m, status):
    """Expand states ``i, i+1, ...`` (while ``i < n``, ``i < stop_at`` and ``n < pause_at``:
    the state whose successors bring the count to ``pause_at`` is the last one expanded);
    returns the new ``(i, n, ne)``, with ``status[0]``: ``DONE`` (the slice or the search is
    finished, or ``pause_at`` states are found),
    ``NEED_SPACE`` (the arrays or the table must grow before state ``i``), ``OVERFLOW`` (a
    successor of state ``i`` needs ``status[2]`` tokens on place ``status[1]``, more than its
    field holds: state ``i``'s edges and new states are taken back), ``FULL`` (state ``i - 1``
    needed a state beyond ``max_states``; its edges to such states are left out).

    Conditions of transition ``t``: ``clo[c] <= m[cp[c]] <= chi[c]`` for ``c`` in
    ``cstart[t] .. cstart[t+1]-1``. Transitions are looked at by pivot: entry ``k`` of ``pv``
    is a place (``len(m) - 1``: the constant 0, for transitions without a lower bound) whose
    transitions ``bucket[bstart[k] .. bstart[k+1]-1]`` are candidates when it holds at least
    ``bmin[k]`` tokens. ``dp``/``dd`` (``dstart``): the places each transition adds tokens to
    and how many."""
    W = keys.shape[1]
    P = len(word)
    T = len(cstart) - 1
    tmask = np.uint64(len(table) - 1)
    cap = keys.shape[0]
    ecap = len(dst)
    status[0] = DONE
    while i < n and i < stop_at and n < pause_at:
        if n + T > cap or ne + T > ecap or 2 * (n + T) > len(table):
            status[0] = NEED_SPACE
            return i, n, ne
        for p in range(P):
            m[p] = np.int64((keys[i, word[p]] >> shift[p]) & mask[p])
        n0 = n
        ne0 = ne
        full = False
        for k in range(len(pv)):
            if m[pv[k]] < bmin[k]:
                continue
            for b in range(bstart[k], bstart[k + 1]):
                t = bucket[b]
                ok = True
                for c in range(cstart[t], cstart[t + 1]):
                    # clo <= v <= clo + cspan in one unsigned comparison
                    if np.uint64(m[cp[c]] - clo[c]) > cspan[c]:
                        ok = False
                        break
                if not ok:
                    continue
                for c in range(dstart[t], dstart[t + 1]):
                    p = dp[c]
                    if m[p] > dlim[c]:
                        status[0] = OVERFLOW
                        status[1] = p
                        status[2] = c
                        return i, n0, ne0
                for j in range(W):
                    succ[j] = keys[i, j] + dwords[t, j]
                h = _hash(succ)
                tag = h & _HIGH
                slot = h & tmask
                sid = -1
                while True:
                    e = table[slot]
                    if e == 0:
                        if n >= max_states:
                            full = True
                        else:
                            sid = n
                            for j in range(W):
                                keys[n, j] = succ[j]
                            parent[n] = i
                            ptrans[n] = t
                            table[slot] = tag | np.uint64(n + 1)
                            n += 1
                        break
                    if (e & _HIGH) == tag:
                        k2 = np.int64(e & _LOW) - 1
                        same = True
                        for j in range(W):
                            if keys[k2, j] != succ[j]:
                                same = False
                                break
                        if same:
                            sid = k2
                            break
                    slot = (slot + np.uint64(1)) & tmask
                if sid >= 0:
                    dst[ne] = sid
                    trans[ne] = t
                    ne += 1
        i += 1
        offsets[i] = ne
        if full:
            status[0] = FULL
            return i, n, ne
    return i, n, ne
