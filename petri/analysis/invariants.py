"""Structure of a place/transition net: incidence matrix, invariants, siphons and traps.

The incidence matrix ``C`` (places x transitions) holds, for each transition, tokens produced
minus tokens consumed per place (read and inhibitor arcs change nothing). A *P-invariant* is a
vector ``y`` with ``y C = 0``: the weighted token sum ``y . m`` is the same in every reachable
marking. A *T-invariant* is a vector ``x`` with ``C x = 0``: firing every transition ``x[t]``
times leads back to the same marking. ``p_invariants``/``t_invariants`` give an integer basis of
these spaces; ``p_semiflows``/``t_semiflows`` give the minimal non-negative ones (what CPN
Tools, TAPAAL, GreatSPN or Charlie list), from which structural bounds follow.

Coloured nets are analysed through their structure with colours ignored (every arc counts its
weight); the result is then a property of the skeleton, not of the coloured net.

>>> from petri import Net
>>> net = Net("cycle")
>>> _ = net.add_place("a", initial=1); _ = net.add_place("b")
>>> _ = net.add_transition("go", inputs=["a"], outputs=["b"])
>>> _ = net.add_transition("back", inputs=["b"], outputs=["a"])
>>> p_invariants(net)
[{'a': 1, 'b': 1}]
>>> t_invariants(net)
[{'go': 1, 'back': 1}]
"""
from __future__ import annotations

import time
from math import gcd

import numpy as np

from ..model import Net, NetError
from ..structure import PTView, pt_view

__all__ = ["incidence_matrix", "p_invariants", "t_invariants", "p_semiflows", "t_semiflows",
           "structural_bounds", "structurally_bounded", "siphons", "traps", "is_siphon", "is_trap"]


def incidence_matrix(net: Net) -> tuple[list[str], list[str], np.ndarray]:
    """``(places, transitions, C)`` with ``C[p, t]`` = tokens ``t`` puts in ``p`` minus takes
    (``petri.structure.pt_view(net).incidence``).

    Arc weights must be integers (true of every place/transition net).
    """
    view = _view(net)
    return view.places, view.transitions, view.incidence


def _view(net: Net):
    try:
        return pt_view(net)
    except NetError as e:
        raise NetError(f"{e.reason}; invariants need constant weights", element=e.element) from None


def _pre_post(net):
    view = _view(net)
    pre = [set(np.flatnonzero(row).tolist()) for row in view.pre]
    post = [set(np.flatnonzero(row).tolist()) for row in view.post]
    return view.places, view.transitions, pre, post


# ---------------------------------------------------------------------------------------------
# Integer bases of the null spaces
# ---------------------------------------------------------------------------------------------

def _kernel_basis(rows: list[dict], n: int) -> list[list[int]]:
    """An integer basis of ``{x in Q^n : r . x = 0 for every row r}`` (rows sparse: col -> int).

    Fraction-free Gauss-Jordan elimination on sparse integer rows, each kept divided by its gcd.
    """
    pivots: list[tuple[int, dict]] = []     # (pivot column, row) in reduced form
    for r in rows:
        r = {c: v for c, v in r.items() if v}
        for pc, pr in pivots:
            a = r.get(pc)
            if a:
                r = _combine(r, pr[pc], pr, -a)
        if not r:
            continue
        pc = min(r)
        # reduce the existing pivot rows by the new one (keep reduced echelon form)
        new = []
        for qc, qr in pivots:
            a = qr.get(pc)
            if a:
                qr = _combine(qr, r[pc], r, -a)
            new.append((qc, qr))
        pivots = new + [(pc, r)]
    pivot_cols = {pc for pc, _ in pivots}
    basis = []
    for f in range(n):
        if f in pivot_cols:
            continue
        involved = [(pc, pr) for pc, pr in pivots if pr.get(f)]
        L = 1
        for pc, pr in involved:
            L = L * abs(pr[pc]) // gcd(L, abs(pr[pc]))
        x = [0] * n
        x[f] = L
        for pc, pr in involved:
            x[pc] = -pr[f] * (L // pr[pc])
        g = 0
        for v in x:
            g = gcd(g, v)
        x = [v // g for v in x]
        # a positive first non-zero entry
        if next(v for v in x if v) < 0:
            x = [-v for v in x]
        basis.append(x)
    return basis


def _combine(r: dict, a: int, s: dict, b: int) -> dict:
    """``a*r + b*s`` divided by the gcd of its entries."""
    out = {c: a * v for c, v in r.items()}
    for c, v in s.items():
        w = out.get(c, 0) + b * v
        if w:
            out[c] = w
        else:
            out.pop(c, None)
    g = 0
    for v in out.values():
        g = gcd(g, v)
    if g > 1:
        out = {c: v // g for c, v in out.items()}
    return out


def p_invariants(net: Net) -> list[dict[str, int]]:
    """An integer basis of the P-invariants (``y C = 0``), each as place -> non-zero weight."""
    places, _, C = incidence_matrix(net)
    rows = [{i: int(C[i, j]) for i in range(len(places)) if C[i, j]} for j in range(C.shape[1])]
    return [{places[i]: v for i, v in enumerate(x) if v} for x in _kernel_basis(rows, len(places))]


def t_invariants(net: Net) -> list[dict[str, int]]:
    """An integer basis of the T-invariants (``C x = 0``), each as transition -> non-zero count."""
    _, transitions, C = incidence_matrix(net)
    rows = [{j: int(C[i, j]) for j in range(C.shape[1]) if C[i, j]} for i in range(C.shape[0])]
    return [{transitions[j]: v for j, v in enumerate(x) if v}
            for x in _kernel_basis(rows, len(transitions))]


# ---------------------------------------------------------------------------------------------
# Semiflows (minimal non-negative invariants), Farkas' algorithm
# ---------------------------------------------------------------------------------------------

def _farkas(A: np.ndarray, limit: int, seconds: float | None = None) -> np.ndarray | None:
    """Minimal-support non-negative integer solutions of ``y A = 0`` (rows of the result).

    ``None`` when an intermediate step would hold more than ``limit`` candidate rows, or after
    ``seconds``.
    """
    deadline = None if seconds is None else time.perf_counter() + seconds
    n, m = A.shape
    D = np.concatenate([A.astype(np.int64), np.eye(n, dtype=np.int64)], axis=1)
    remaining = list(range(m))
    while remaining:
        col = D[:, remaining]
        pos = (col > 0).sum(axis=0)
        neg = (col < 0).sum(axis=0)
        k = int(np.argmin(pos * neg - (pos + neg == 0)))    # cheapest column first
        j = remaining.pop(k)
        c = D[:, j]
        P, N, Z = np.flatnonzero(c > 0), np.flatnonzero(c < 0), np.flatnonzero(c == 0)
        if len(P) * len(N) + len(Z) > limit * 4:
            return None
        if len(P) and len(N):
            pi, ni = np.repeat(P, len(N)), np.tile(N, len(P))
            new = D[pi] * (-c[ni])[:, None] + D[ni] * c[pi][:, None]
            g = np.gcd.reduce(new[:, m:], axis=1)
            g[g == 0] = 1
            new //= g[:, None]
            D = _minimal_supports(np.concatenate([D[Z], new]), m)
        else:
            D = D[Z]
        if len(D) > limit or np.abs(D).max(initial=0) > 2**40:
            return None
        if deadline is not None and time.perf_counter() > deadline:
            return None
    return D[:, m:]


def _minimal_supports(D: np.ndarray, m: int) -> np.ndarray:
    """Drop duplicate rows and rows whose support (identity part) contains another's."""
    if len(D) <= 1:
        return D
    D = np.unique(D, axis=0)
    S = (D[:, m:] != 0).astype(np.float32)
    sizes = S.sum(axis=1)
    inter = S @ S.T                                     # |supp(i) & supp(j)|, exact in float32
    within = inter == sizes[None, :]                    # within[i, j]: supp(j) is inside supp(i)
    smaller = (sizes[None, :] < sizes[:, None]) | (
        (sizes[None, :] == sizes[:, None]) & np.tri(len(D), k=-1, dtype=bool))
    drop = (within & smaller).any(axis=1)
    return D[~drop]


def p_semiflows(net: Net, *, limit: int = 5000) -> list[dict[str, int]] | None:
    """The minimal P-semiflows (non-negative P-invariants), or ``None`` past ``limit`` candidates."""
    places, _, C = incidence_matrix(net)
    Y = _farkas(C, limit)
    if Y is None:
        return None
    return sorted(({places[i]: int(v) for i, v in enumerate(y) if v} for y in Y),
                  key=lambda d: [places.index(p) for p in d])


def t_semiflows(net: Net, *, limit: int = 5000) -> list[dict[str, int]] | None:
    """The minimal T-semiflows (non-negative T-invariants), or ``None`` past ``limit`` candidates."""
    _, transitions, C = incidence_matrix(net)
    X = _farkas(C.T, limit)
    if X is None:
        return None
    return sorted(({transitions[j]: int(v) for j, v in enumerate(x) if v} for x in X),
                  key=lambda d: [transitions.index(t) for t in d])


def structural_bounds(net: Net, *, limit: int = 2000, seconds: float | None = 2.0
                      ) -> list[int | None]:
    """Per place (in ``net.places`` order) an upper bound on its tokens in every reachable
    marking, from the P-semiflows and capacities, or ``None`` when neither bounds it (or when
    the semiflows take more than ``limit`` candidates or ``seconds`` to compute)."""
    places = list(net.places)
    m0 = [net.places[p].initial_count() for p in places]
    bounds: list[int | None] = [None] * len(places)
    for i, p in enumerate(places):
        cap = net.places[p].capacity
        if cap is not None:
            bounds[i] = max(cap, m0[i])
    try:
        _, _, C = incidence_matrix(net)
    except NetError:
        return bounds
    Y = _farkas(C, limit, seconds) if len(places) else None
    if Y is None:
        return bounds
    for y in Y:
        total = int(np.dot(y, m0))
        for i in np.flatnonzero(y):
            b = total // int(y[i])
            bounds[i] = b if bounds[i] is None else min(bounds[i], b)
    return bounds


def structurally_bounded(net: Net) -> np.ndarray:
    """Per place (``net.places`` order), whether it is bounded from *every* initial marking.

    True for a place in the support of some ``y >= 0`` with ``y C <= 0`` (the weighted token sum
    never grows, so ``m[p] <= y.m0 / y[p]``), or with a capacity. Found with one linear program
    when scipy is installed (the answer is then verified exactly), else from the P-semiflows.
    """
    try:
        view = pt_view(net)
    except NetError:
        return np.array([p.capacity is not None for p in net.places.values()], dtype=bool)
    return bounded_by_structure(view)


def bounded_by_structure(view: PTView) -> np.ndarray:
    """``structurally_bounded`` of the net that ``view`` describes."""
    out = view.capacity >= 0
    if not len(view.places):
        return out
    C = view.incidence
    y = _bounding_weights(C)
    if y is not None:
        return out | (y > 0)
    Y = _farkas(C, 2000, 1.0)
    if Y is not None and len(Y):
        out |= (Y > 0).any(axis=0)
    return out


def _bounding_weights(C: np.ndarray) -> np.ndarray | None:
    """Integer ``y >= 0`` with ``y C <= 0`` and the largest support, by linear programming."""
    try:
        from scipy.optimize import linprog
    except ImportError:
        return None
    from fractions import Fraction
    n = C.shape[0]
    Cu = np.unique(C, axis=1) if C.shape[1] else C
    # maximise sum(z) subject to y C <= 0, 0 <= z <= 1, z <= y, y >= 0
    cost = np.concatenate([np.zeros(n), -np.ones(n)])
    A = np.block([[Cu.T.astype(float), np.zeros((Cu.shape[1], n))],
                  [-np.eye(n), np.eye(n)]])
    try:
        r = linprog(cost, A_ub=A, b_ub=np.zeros(len(A)),
                    bounds=[(0, None)] * n + [(0, 1)] * n, method="highs")
    except Exception:  # pragma: no cover - solver trouble: fall back to semiflows
        return None
    if r.status != 0:
        return None
    fr = [Fraction(float(v)).limit_denominator(10**6) if v > 1e-7 else Fraction(0) for v in r.x[:n]]
    den = 1
    for f in fr:
        den = den * f.denominator // gcd(den, f.denominator)
    y = np.array([int(f * den) for f in fr], dtype=object)
    if (np.dot(y, C.astype(object)) > 0).any():       # exact check of the rounded solution
        return None
    return np.array([v > 0 for v in y], dtype=bool).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Siphons and traps
# ---------------------------------------------------------------------------------------------

def is_siphon(net: Net, places) -> bool:
    """Whether every transition that puts tokens into ``places`` also takes from them."""
    S = set(places)
    for t in net.transitions.values():
        if any(a.place in S for a in t.outputs) and not any(
                a.place in S for a in t.inputs if a.kind == "normal"):
            return False
    return bool(S)


def is_trap(net: Net, places) -> bool:
    """Whether every transition that takes tokens from ``places`` also puts some back."""
    S = set(places)
    for t in net.transitions.values():
        if any(a.place in S for a in t.inputs if a.kind == "normal") and not any(
                a.place in S for a in t.outputs):
            return False
    return bool(S)


def _minimal_sets(net, kind, max_places):
    places, transitions, pre, post = _pre_post(net)
    if len(places) > max_places:
        return None
    # a set S is a siphon iff for every t with post(t) & S, pre(t) & S; enumerate minimal ones
    # by branching on the first violated transition (Cordone-Ferrarini-Piroddi style).
    take, give = (pre, post) if kind == "siphon" else (post, pre)
    found: list[frozenset] = []

    def violated(S):
        for j in range(len(transitions)):
            if give[j] & S and not take[j] & S:
                return j
        return None

    def search(S, forbidden, depth=0):
        if any(f <= S for f in found):
            return
        j = violated(S)
        if j is None:
            found[:] = [f for f in found if not S <= f]
            found.append(frozenset(S))
            return
        for p in sorted(take[j] - forbidden):
            search(S | {p}, forbidden)
            forbidden = forbidden | {p}

    for i in range(len(places)):
        search({i}, set(range(i)))
        if len(found) > 10000:
            return None
    minimal = [f for f in found if not any(g < f for g in found)]
    return sorted(([places[i] for i in sorted(f)] for f in set(minimal)), key=lambda s: (len(s), s))


def siphons(net: Net, *, max_places: int = 40) -> list[list[str]] | None:
    """The minimal siphons (non-empty place sets that, once empty, stay empty), or ``None``
    when the net has more than ``max_places`` places (the search is exponential)."""
    return _minimal_sets(net, "siphon", max_places)


def traps(net: Net, *, max_places: int = 40) -> list[list[str]] | None:
    """The minimal traps (non-empty place sets that, once marked, stay marked), or ``None``
    when the net has more than ``max_places`` places."""
    return _minimal_sets(net, "trap", max_places)
