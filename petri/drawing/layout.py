"""Layered (Sugiyama-style) layouts computed in Python: no external program.

``layered(nodes, edges)`` places the nodes of any directed graph left to right in columns:
cycles are broken by turning back edges around, each node goes one column after its furthest
predecessor, edges longer than one column get invisible bend points, the order within each
column is improved by barycentre sweeps that count crossings, and rows are pulled towards
their neighbours. ``net_layout(net)`` uses the positions a net file gives (TOML and PNML keep
them) and lays out the rest.

>>> lay = layered(["a", "b", "c"], [("a", "b"), ("b", "c")], sizes={})
>>> [lay.positions[n][0] for n in "abc"]
[0.0, 80.0, 160.0]
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Hashable, Iterable, Mapping

__all__ = ["Layout", "layered", "net_layout", "node_key"]

#: How many barycentre sweeps (down and up) improve the order within columns.
SWEEPS = 12


@dataclass
class Layout:
    """Where to draw: ``positions[node] = (x, y)`` (centres, y downwards) and, per edge
    ``(u, v)`` in the order given, the bend points between them (``bends[i]``)."""

    positions: dict
    bends: list = field(default_factory=list)
    given: bool = False     # positions all came from the file

    def bounds(self) -> tuple[float, float, float, float]:
        """(min x, min y, max x, max y) of the node centres and bend points."""
        pts = list(self.positions.values()) + [p for b in self.bends for p in b]
        if not pts:
            return 0.0, 0.0, 0.0, 0.0
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        return min(xs), min(ys), max(xs), max(ys)


def node_key(kind: str, name: str) -> tuple[str, str]:
    """The key of a net's node in a layout: ``("place", name)`` or ``("transition", name)``."""
    return (kind, name)


def layered(nodes: Iterable[Hashable], edges: Iterable[tuple], *, sizes: Mapping | None = None,
            gap_x: float = 80.0, gap_y: float = 60.0, starts: Iterable[Hashable] = (),
            columns: Mapping | None = None) -> Layout:
    """A left-to-right layered layout of a directed graph.

    ``sizes[node] = (width, height)`` of what is drawn there (labels included) keeps columns
    and rows apart; ``starts`` are tried first as the roots when cycles are broken (the
    initially marked places of a net), so the flow reads from them. The same input gives the
    same layout. ``columns[node]`` fixes the columns instead (a state graph by distance from its
    initial state); edges within a column are then drawn without bends.
    """
    nodes = list(dict.fromkeys(nodes))
    sizes = sizes or {}
    edges = [(u, v) for u, v in edges]
    index = {n: i for i, n in enumerate(nodes)}
    n = len(nodes)
    if n == 0:
        return Layout({}, [[] for _ in edges])
    succ: list[list[int]] = [[] for _ in range(n)]
    for u, v in edges:
        if u != v:
            succ[index[u]].append(index[v])
    # 1. and 2. columns, and the edges turned around so that all go left to right
    if columns is not None:
        column = [int(columns[v]) for v in nodes]
        back = {(index[u], index[v]) for u, v in edges if column[index[u]] > column[index[v]]}
        dag = [[] for _ in range(n)]
        for u, v in edges:
            a, b = index[u], index[v]
            if column[a] != column[b]:
                a, b = (b, a) if (a, b) in back else (a, b)
                if b not in dag[a]:
                    dag[a].append(b)
    else:
        back, dag, column = _columns(n, succ, edges, index, [index[s] for s in starts
                                                             if s in index])
    # 3. long edges get a chain of bend points (virtual nodes) one per column crossed
    cols: dict[int, list] = defaultdict(list)
    for i in range(n):
        cols[column[i]].append(i)
    chains: dict[tuple[int, int], list[int]] = {}
    up: dict[int, list[int]] = defaultdict(list)      # neighbours in the column before
    down: dict[int, list[int]] = defaultdict(list)    # neighbours in the column after
    virtual = n
    for a in range(n):
        for b in dag[a]:
            chain = []
            prev = a
            for c in range(column[a] + 1, column[b]):
                cols[c].append(virtual)
                column.append(c)
                chain.append(virtual)
                down[prev].append(virtual)
                up[virtual].append(prev)
                prev = virtual
                virtual += 1
            down[prev].append(b)
            up[b].append(prev)
            chains[(a, b)] = chain
    first, last = min(cols), max(cols)
    layers = [cols.get(c, []) for c in range(first, last + 1)]
    # 4. order within columns: barycentre sweeps, keeping the order with fewest crossings
    pos = {v: i for layer in layers for i, v in enumerate(layer)}

    def sweep(downwards: bool) -> None:
        rng = range(1, len(layers)) if downwards else range(len(layers) - 2, -1, -1)
        nbrs = up if downwards else down
        for c in rng:
            layer = layers[c]
            bary = {}
            for i, v in enumerate(layer):
                ns = nbrs.get(v)
                bary[v] = sum(pos[w] for w in ns) / len(ns) if ns else pos[v]
            layer.sort(key=lambda v: (bary[v], pos[v]))
            for i, v in enumerate(layer):
                pos[v] = i

    def crossings() -> int:
        # edges between two columns cross when their ends are in opposite orders: count the
        # inversions of the target positions, sorted by source (a Fenwick tree)
        total = 0
        for c in range(len(layers) - 1):
            ends = [w for _, w in sorted((pos[v], pos[w]) for v in layers[c]
                                         for w in down.get(v, ()))]
            size = len(layers[c + 1]) + 1
            tree = [0] * (size + 1)
            seen = 0
            for w in ends:
                i, below = w + 1, 0
                while i > 0:                    # how many earlier ends are <= w
                    below += tree[i]
                    i -= i & -i
                total += seen - below
                seen += 1
                i = w + 1
                while i <= size:
                    tree[i] += 1
                    i += i & -i
        return total

    # big graphs (many long edges) get fewer rounds, so that drawing stays a matter of seconds
    rounds = SWEEPS if virtual < 20000 else 2
    best, best_layers = crossings(), [list(layer) for layer in layers]
    for s in range(rounds):
        if best == 0:
            break
        sweep(s % 2 == 0)
        now = crossings()
        if now < best:
            best, best_layers = now, [list(layer) for layer in layers]
    layers = best_layers
    pos = {v: i for layer in layers for i, v in enumerate(layer)}
    # 5. coordinates: columns as wide as their widest node; rows pulled towards neighbours
    def size(v):
        return sizes.get(nodes[v], (0.0, 0.0)) if v < n else (0.0, 0.0)

    xs, x = [], 0.0
    for c, layer in enumerate(layers):
        w = max((size(v)[0] for v in layer), default=0.0)
        if c:
            prev_w = max((size(v)[0] for v in layers[c - 1]), default=0.0)
            x += max(gap_x, (prev_w + w) / 2 + gap_x / 3)
        xs.append(x)
    y: dict[int, float] = {}

    def min_gap(a, b):
        ha, hb = size(a)[1], size(b)[1]
        base = gap_y if (a < n and b < n) else gap_y / 3
        return max(base, (ha + hb) / 2 + gap_y / 4)

    for layer in layers:
        acc = 0.0
        for i, v in enumerate(layer):
            if i:
                acc += min_gap(layer[i - 1], v)
            y[v] = acc
    tallest = max(y[layer[-1]] for layer in layers if layer)
    for layer in layers:
        if layer:
            shift = (tallest - y[layer[-1]]) / 2
            for v in layer:
                y[v] += shift
    for s in range(8 if virtual < 20000 else 2):
        for c in (range(len(layers)) if s % 2 == 0 else range(len(layers) - 1, -1, -1)):
            layer = layers[c]
            want = []
            for v in layer:
                ns = up.get(v, []) + down.get(v, [])
                want.append(sum(y[w] for w in ns) / len(ns) if ns else y[v])
            # place in order with the minimum gaps, as close to the wanted rows as possible:
            # push down, then pull back up from the bottom, then average the two passes
            a = []
            for i, v in enumerate(layer):
                a.append(want[i] if i == 0 else max(want[i], a[-1] + min_gap(layer[i - 1], v)))
            b = [0.0] * len(layer)
            for i in range(len(layer) - 1, -1, -1):
                b[i] = (want[i] if i == len(layer) - 1
                        else min(want[i], b[i + 1] - min_gap(layer[i], layer[i + 1])))
            for i, v in enumerate(layer):
                y[v] = (a[i] + b[i]) / 2
            for i in range(1, len(layer)):      # the average can be too tight: re-space
                y[layer[i]] = max(y[layer[i]], y[layer[i - 1]] + min_gap(layer[i - 1], layer[i]))
    top = min(y.values())
    positions = {nodes[v]: (xs[c], y[v] - top) for c, layer in enumerate(layers)
                 for v in layer if v < n}
    bends = []
    for u, v in edges:
        a, b = index[u], index[v]
        if a == b:
            bends.append([])
            continue
        rev = (a, b) in back
        chain = chains.get((b, a) if rev else (a, b), [])
        pts = [(xs[column[w] - first], y[w] - top) for w in chain]
        bends.append(pts[::-1] if rev else pts)
    return Layout(positions, bends)


def _columns(n, succ, edges, index, starts):
    """Break cycles (depth first from the starts, then the sources, then the rest: the edges
    that close a cycle are turned around) and give each node the column after its furthest
    predecessor; nodes without one go just before their first successor."""
    indeg = [0] * n
    for s in succ:
        for v in s:
            indeg[v] += 1
    order = starts + [i for i in range(n) if indeg[i] == 0] + list(range(n))
    state = [0] * n     # 0 new, 1 on stack, 2 done
    back: set[tuple[int, int]] = set()
    for root in order:
        if state[root]:
            continue
        stack = [(root, iter(succ[root]))]
        state[root] = 1
        while stack:
            u, it = stack[-1]
            for v in it:
                if state[v] == 0:
                    state[v] = 1
                    stack.append((v, iter(succ[v])))
                    break
                if state[v] == 1:
                    back.add((u, v))
            else:
                state[u] = 2
                stack.pop()
    dag: list[list[int]] = [[] for _ in range(n)]
    for u, v in edges:
        a, b = index[u], index[v]
        if a == b:
            continue
        if (a, b) in back:
            a, b = b, a
        if b not in dag[a]:
            dag[a].append(b)
    indeg = [0] * n
    for s in dag:
        for v in s:
            indeg[v] += 1
    ready = [i for i in range(n) if indeg[i] == 0]
    column = [0] * n
    k = 0
    while k < len(ready):
        u = ready[k]
        k += 1
        for v in dag[u]:
            column[v] = max(column[v], column[u] + 1)
            indeg[v] -= 1
            if indeg[v] == 0:
                ready.append(v)
    has_pred = [False] * n
    for s in dag:
        for v in s:
            has_pred[v] = True
    for u in range(n):
        if not has_pred[u] and dag[u]:
            column[u] = min(column[v] for v in dag[u]) - 1
    return back, dag, column


def net_layout(net, sizes: Mapping | None = None, **options) -> Layout:
    """A layout of a net's places and transitions (keys from ``node_key``).

    When the file gave every node its own position, those are used as they are (``given``).
    Else (some nodes unplaced, or several at one spot, as some PNML exporters write) the
    whole net is laid out in columns.
    """
    nodes = [node_key("place", p) for p in net.places] + [
        node_key("transition", t) for t in net.transitions]
    edges = net_edges(net)
    placed = [*net.places.values(), *net.transitions.values()]
    if placed and all(x.position is not None for x in placed):
        pos = {node_key("place", p.name): tuple(map(float, p.position)) for p in net.places.values()}
        pos.update({node_key("transition", t.name): tuple(map(float, t.position))
                    for t in net.transitions.values()})
        if len(set(pos.values())) == len(pos):
            return Layout(pos, [[] for _ in edges], given=True)
    starts = [node_key("place", p.name) for p in net.places.values() if p.initial]
    flow = flow_edges(net)
    lay = layered(nodes, flow, sizes=sizes, starts=starts, **options)
    bends = dict(zip(flow, lay.bends))
    return Layout(lay.positions, [bends.get(e, []) for e in edges])


def flow_edges(net) -> list[tuple]:
    """The arcs that set the columns: the flow of tokens. A place that a transition takes from
    and gives back to (a resource, a counter) sits before that transition, its return arc
    drawn back; read and inhibitor arcs only test, so they place a node only when it has no
    other arc."""
    normal, weak = [], []
    for name, t in net.transitions.items():
        tk = node_key("transition", name)
        taken = {a.place for a in t.inputs if a.kind == "normal"}
        for a in t.inputs:
            (normal if a.kind == "normal" else weak).append((node_key("place", a.place), tk))
        for a in t.outputs:
            if a.place in taken:
                weak.append((tk, node_key("place", a.place)))
            else:
                normal.append((tk, node_key("place", a.place)))
    linked = {n for e in normal for n in e}
    extra = [e for e in weak if e[0] not in linked or e[1] not in linked]
    return list(dict.fromkeys(normal + extra))


def net_edges(net) -> list[tuple]:
    """Every arc of the net as a (source node, target node) pair, inputs then outputs of each
    transition in order (read and inhibitor arcs go from the place to the transition)."""
    edges = []
    for name, t in net.transitions.items():
        tk = node_key("transition", name)
        edges += [(node_key("place", a.place), tk) for a in t.inputs]
        edges += [(tk, node_key("place", a.place)) for a in t.outputs]
    return edges
