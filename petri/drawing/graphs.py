"""Reachability graphs as pictures: one circle per marking, one arrow per firing.

The initial marking has a double border, dead markings (deadlocks) are red, the current
marking of a game is green; each state's marking is its tooltip and, in small graphs, its
label. Laid out by the same layered layout as nets.
"""
from __future__ import annotations

from .layout import layered
from .scene import SMALL, Circle, Curve, Group, Polygon, Scene, Text, _arrow_head, _back_off
from .scene import _boundary, _midpoint, _short, _smooth, text_width
from .svg import scene_to_svg

__all__ = ["graph_scene", "graph_svg", "graph_png", "MAX_DRAWN_STATES"]

#: the largest graph worth a picture (``petri reach --draw`` and the page refuse larger ones)
MAX_DRAWN_STATES = 300
R = 14.0
#: graphs up to this many states show each marking under its state
LABELLED = 30


def graph_scene(graph, current: int | None = None) -> Scene:
    """The shapes of a reachability (or coverability) graph."""
    n = graph.num_states
    src, dst = graph.src.tolist(), graph.dst.tolist()
    out_deg = [0] * n
    for s in src:
        out_deg[s] += 1
    expanded = getattr(graph, "expanded", n if graph.complete else 0)
    texts = [graph.marking_text(i) for i in range(n)]
    labelled = n <= LABELLED
    sizes = {i: (max(2 * R, text_width(_short(texts[i], 36), SMALL) if labelled else 0),
                 2 * R + (2 * SMALL + 8 if labelled else 0)) for i in range(n)}
    # a column per breadth-first distance from the initial marking
    depth = [0] * n
    seen_at = [False] * n
    succ = [[] for _ in range(n)]
    for a, b in zip(src, dst):
        succ[a].append(b)
    queue, seen_at[0] = [0], True
    for u in queue:
        for v in succ[u]:
            if not seen_at[v]:
                seen_at[v] = True
                depth[v] = depth[u] + 1
                queue.append(v)
    lay = layered(range(n), list(zip(src, dst)), sizes=sizes, gap_x=90,
                  gap_y=90 if labelled else 50,
                  columns=dict(enumerate(depth)))
    margin = 30.0
    x0, y0, _, _ = lay.bounds()
    ox, oy = margin + R - x0 + 40, margin + R - y0 + (SMALL + 8 if labelled else 0)
    at = {i: (x + ox, y + oy) for i, (x, y) in lay.positions.items()}
    groups = []
    seen = {}
    for e, (a, b) in enumerate(zip(src, dst)):
        g = Group("edge", graph.edge_label(e), classes=["edge"], data={"source": a, "target": b})
        if a == b:      # a loop: a small arc above the state
            x, y = at[a]
            start, end = (x - 6, y - R + 1), (x + 6, y - R + 1)
            g.shapes.append(Curve(start, [((x - 22, y - R - 26), (x + 22, y - R - 26), end)], "arc"))
            g.shapes.append(Polygon(_arrow_head(end, (x + 12, y - R - 12)), "arc"))
            g.shapes.append(Text(x, y - R - 24, _short(graph.edge_label(e), 30), SMALL,
                                 role="muted", halo=True))
            groups.append(g)
            continue
        pts = [(x + ox, y + oy) for x, y in lay.bends[e]]
        k = seen.get((a, b), 0) + (1 if (b, a) in seen else 0)
        seen[(a, b)] = seen.get((a, b), 0) + 1
        (sx, sy), (ex, ey) = at[a], at[b]
        if not pts and k:
            dx, dy = ex - sx, ey - sy
            d = (dx * dx + dy * dy) ** 0.5 or 1.0
            pts = [((sx + ex) / 2 - dy / d * 14 * k, (sy + ey) / 2 + dx / d * 14 * k)]
        first = pts[0] if pts else (ex, ey)
        last = pts[-1] if pts else (sx, sy)
        start = _boundary("place", sx, sy, *first)
        start = (sx + (start[0] - sx) * R / 17.0, sy + (start[1] - sy) * R / 17.0)
        end = _boundary("place", ex, ey, *last)
        end = (ex + (end[0] - ex) * R / 17.0, ey + (end[1] - ey) * R / 17.0)
        route = [start, *pts, _back_off(end, last, 7.0)]
        g.shapes.append(Curve(start, _smooth(route), "arc"))
        g.shapes.append(Polygon(_arrow_head(end, route[-2]), "arc"))
        # labels past halfway: clear of the marking under the source, and two edges that
        # cross halfway keep theirs apart
        (mx, my), (ux, uy) = _midpoint(route, 0.62)
        g.shapes.append(Text(mx, my - 4, _short(graph.edge_label(e), 30), SMALL, role="muted",
                             halo=True))
        groups.append(g)
    for i in range(n):
        x, y = at[i]
        dead = i < expanded and out_deg[i] == 0
        role = "current" if i == current else ("deadlock" if dead else "state")
        classes = ["state"] + (["initial"] if i == 0 else []) + (["deadlock"] if dead else []) + (
            ["current"] if i == current else [])
        title = f"state {i}" + (" (initial)" if i == 0 else "") + (" (deadlock)" if dead else "")
        g = Group("state", str(i), classes=classes, title=f"{title}\n{texts[i]}",
                  data={"state": i})
        g.shapes.append(Circle(x, y, R, role))
        if i == 0:
            g.shapes.append(Circle(x, y, R - 3.5, role))
        g.shapes.append(Text(x, y + SMALL * 0.36, str(i), SMALL + 1))
        if labelled:
            g.shapes.append(Text(x, y + R + SMALL + 3, _short(texts[i], 36), SMALL, role="muted"))
        groups.append(g)
    width = max((x for x, _ in at.values()), default=0) + R + margin + 60
    height = max((y for _, y in at.values()), default=0) + R + margin + (SMALL + 8 if labelled else 0)
    for grp in groups:
        for s in grp.shapes:
            if isinstance(s, Text):
                width = max(width, s.x + text_width(s.text, s.size) / 2 + 10)
    return Scene(width, height, groups, title=f"{graph.net.name}: {n} states")


def graph_svg(graph, current: int | None = None) -> str:
    """The graph as SVG text."""
    return scene_to_svg(graph_scene(graph, current))


def graph_png(graph, current: int | None = None) -> bytes:
    """The graph as PNG bytes (needs matplotlib)."""
    from .png import scene_to_png
    return scene_to_png(graph_scene(graph, current))
