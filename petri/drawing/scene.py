"""A net as a list of shapes: what ``svg`` and ``png`` draw, computed once.

A ``Scene`` holds groups, one per place, transition and arc, each with its shapes (circles,
rectangles, polygons, curves, texts) in drawing coordinates. The renderers only turn shapes
into SVG elements or matplotlib patches, so a picture looks the same in both.

Conventions (as in CPN Tools and the Petri net literature): places are circles with their
token count inside (black tokens as dots when few) and, when they hold few tokens, their
colours under the name; transitions are boxes, controllable ones filled orange; arcs end in an
arrow, read arcs are dashed without a head, inhibitor arcs end in a small circle; a fused place
(declared in several files) has a double border.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from .layout import Layout, net_edges, net_layout, node_key

__all__ = ["fused_places", "scene_layout", "Scene", "Group", "Circle", "Rect", "Polygon", "Curve", "Text", "net_scene",
           "token_text", "colour_text", "STYLE"]

PLACE_R = 17.0
TRANS_W, TRANS_H = 16.0, 40.0
FONT = 11.0
SMALL = 9.5
CHAR_W = 0.6            # average glyph width per font size unit (Helvetica, DejaVu Sans)
#: at most this many tokens get their colours written under the place
FEW_TOKENS = 3
LABEL_MAX = 30

#: colours and line widths by role (the SVG also carries the role as a class for CSS)
STYLE = {
    "place": {"fill": "#ffffff", "stroke": "#1f2d3d", "width": 1.6},
    "transition": {"fill": "#dfe6ee", "stroke": "#1f2d3d", "width": 1.4},
    "controllable": {"fill": "#f6b26b", "stroke": "#7f4a0b", "width": 2.2},
    "enabled": {"fill": "#57bb6f", "stroke": "#1e6b31", "width": 2.2},
    "arc": {"stroke": "#4a5a6a", "width": 1.2},
    "token": {"fill": "#1f2d3d"},
    "state": {"fill": "#ffffff", "stroke": "#1f2d3d", "width": 1.4},
    "deadlock": {"fill": "#f4c7c3", "stroke": "#b3261e", "width": 2.2},
    "current": {"fill": "#57bb6f", "stroke": "#1e6b31", "width": 2.4},
    "text": {"fill": "#1f2d3d"},
    "muted": {"fill": "#5b6b7b"},
}


@dataclass
class Circle:
    cx: float
    cy: float
    r: float
    role: str
    fill: str | None = None


@dataclass
class Rect:
    x: float
    y: float
    w: float
    h: float
    role: str


@dataclass
class Polygon:
    points: list
    role: str


@dataclass
class Curve:
    """A path: ``start`` then cubic segments ``(c1, c2, end)`` (straight when c1, c2 lie on it)."""

    start: tuple
    segments: list
    role: str
    dashed: bool = False


@dataclass
class Text:
    x: float
    y: float
    text: str
    size: float = FONT
    anchor: str = "middle"      # start, middle, end
    role: str = "text"
    halo: bool = False


@dataclass
class Group:
    """The shapes of one element: ``kind`` place, transition, arc or legend; ``name``; the
    role classes the page can style; ``title`` a tooltip."""

    kind: str
    name: str
    shapes: list = field(default_factory=list)
    classes: list = field(default_factory=list)
    title: str = ""
    data: dict = field(default_factory=dict)


@dataclass
class Scene:
    width: float
    height: float
    groups: list
    title: str = ""


def fused_places(net) -> set[str]:
    """Places that several files share (fusion places): declared, or linked by arcs of
    transitions, in more than one of the files the net was loaded from."""
    files: dict[str, set] = {p: {net.origin.get(f"place {p}")} for p in net.places}
    for name, t in net.transitions.items():
        where = net.origin.get(f"transition {name}")
        for a in [*t.inputs, *t.outputs]:
            files.setdefault(a.place, set()).add(where)
    return {p for p, fs in files.items() if len(fs - {None}) > 1}


def column_gap(net) -> float:
    """Room between columns for the longest arc inscription (80 to 140 units)."""
    longest = 0.0
    for t in net.transitions.values():
        for a in t.inputs:
            longest = max(longest, text_width(_short(_arc_text(a.pattern, a.weight), 40), SMALL))
        for a in t.outputs:
            label = _arc_text(a.expression, a.weight)
            if a.delay not in (None, 0, ""):
                label = (label + " " if label else "") + f"@+{a.delay}"
            longest = max(longest, text_width(_short(label, 40), SMALL))
    return min(140.0, max(80.0, longest + 40))


def text_width(text: str, size: float = FONT) -> float:
    return len(text) * size * CHAR_W


def _short(text: str, limit: int = LABEL_MAX) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def colour_text(value) -> str:
    """A token colour as a modeler writes it: ``A``, ``(3, 'ProductA')``, ``•`` for black."""
    if value == ():
        return "•"
    if isinstance(value, str):
        return value
    return repr(value)


def token_text(tokens: Counter) -> str:
    """The colours of a few tokens, ``2×A, B``; empty for black tokens (the count says it)."""
    counts: Counter = Counter()
    for (value, _time), n in tokens.items():
        counts[value] += n
    if not counts or set(counts) == {()}:
        return ""
    parts = [("" if n == 1 else f"{n}×") + colour_text(v)
             for v, n in sorted(counts.items(), key=lambda kv: repr(kv[0]))]
    return ", ".join(parts)


def _arc_text(inscription, weight) -> str:
    if inscription is None:
        return "" if weight == 1 else str(weight)
    return str(inscription) if weight == 1 else f"{weight}`{inscription}"


def _place_label(p) -> str:
    return p.name + (f" ≤{p.capacity}" if p.capacity is not None else "")


def _node_sizes(net, show_tokens: bool) -> dict:
    sizes = {}
    for p in net.places.values():
        w = max(2 * PLACE_R, text_width(_place_label(p)))
        h = 2 * PLACE_R + 2 * (FONT + 6) + (2 * (SMALL + 2) if show_tokens else 0)
        sizes[node_key("place", p.name)] = (w, h)
    for t in net.transitions.values():
        sizes[node_key("transition", t.name)] = (max(TRANS_W, text_width(t.name)),
                                                 TRANS_H + 2 * (FONT + 6))
    return sizes


def _spread(layout: Layout, minimum: float = 60.0) -> Layout:
    """Positions from a file scaled up when nodes sit closer than ``minimum`` (PNML editors
    often use small grids)."""
    pts = list(layout.positions.values())
    if len(pts) < 2 or len(pts) > 3000:
        return layout
    closest = min(math.dist(a, b) for i, a in enumerate(pts) for b in pts[i + 1:])
    if closest <= 0 or closest >= minimum:
        return layout
    k = minimum / closest
    return Layout({n: (x * k, y * k) for n, (x, y) in layout.positions.items()}, layout.bends,
                  layout.given)


def scene_layout(net, tokens: bool = True) -> Layout:
    """Where ``net_scene`` puts the nodes (room for token labels when ``tokens``): compute it
    once and pass it to every ``net_scene`` of the same net, as the workbench does."""
    layout = net_layout(net, sizes=_node_sizes(net, tokens), gap_x=column_gap(net))
    return _spread(layout) if layout.given else layout


def net_scene(net, *, marking: dict | None = None, enabled=(), fused=(),
              layout: Layout | None = None, legend: bool = True) -> Scene:
    """The shapes that draw ``net``.

    ``marking``: place -> Counter of (colour, timestamp) (as ``Simulator.marking``) to show
    tokens, None for the structure only; ``enabled``: names of transitions to highlight;
    ``fused``: names of fused places.
    """
    show = marking is not None
    sizes = _node_sizes(net, show)
    if layout is None:
        layout = scene_layout(net, tokens=show)
    pos = layout.positions
    margin = 30.0
    x0, y0, x1, y1 = layout.bounds()
    wmax = max((w for w, _ in sizes.values()), default=0.0)
    hmax = max((h for _, h in sizes.values()), default=0.0)
    ox, oy = margin + wmax / 2 - x0, margin + hmax / 2 - y0

    def shift(point):
        return point[0] + ox, point[1] + oy

    def at(key):
        return shift(pos[key])

    groups: list[Group] = []
    enabled = set(enabled)
    fused = set(fused)
    # arcs first so that nodes cover their ends
    edges = net_edges(net)
    pairs = Counter(edges)
    arcs = [(t, a, "in") for t in net.transitions.values() for a in t.inputs]
    arcs += [(t, a, "out") for t in net.transitions.values() for a in t.outputs]
    order = {}
    for i, (u, v) in enumerate(edges):
        order.setdefault((u, v), []).append(i)
    used: Counter = Counter()
    for t in net.transitions.values():
        tk = node_key("transition", t.name)
        for a in t.inputs:
            pk = node_key("place", a.place)
            k = used[(pk, tk)]
            used[(pk, tk)] += 1
            i = order[(pk, tk)][k]
            groups.append(_arc_group(net, a, "in", pk, tk, at, shift, layout.bends[i],
                                     pairs[(tk, pk)] > 0 or k > 0, k))
        for a in t.outputs:
            pk = node_key("place", a.place)
            k = used[(tk, pk)]
            used[(tk, pk)] += 1
            i = order[(tk, pk)][k]
            groups.append(_arc_group(net, a, "out", tk, pk, at, shift, layout.bends[i],
                                     pairs[(pk, tk)] > 0 or k > 0, k))
    for p in net.places.values():
        x, y = at(node_key("place", p.name))
        toks = marking.get(p.name, Counter()) if show else None
        g = Group("place", p.name, classes=["place"] + (["fused"] if p.name in fused else []),
                  title=_place_title(net, p, p.name in fused, toks))
        g.shapes.append(Circle(x, y, PLACE_R, "place"))
        if p.name in fused:
            g.shapes.append(Circle(x, y, PLACE_R - 3.5, "place"))
        g.shapes.append(Text(x, y + PLACE_R + FONT + 2, _place_label(p), FONT))
        if show:
            g.shapes += _token_shapes(x, y, toks)
        groups.append(g)
    for t in net.transitions.values():
        x, y = at(node_key("transition", t.name))
        role = "enabled" if t.name in enabled else ("controllable" if t.controllable
                                                    else "transition")
        classes = ["transition"] + (["controllable"] if t.controllable else []) + (
            ["enabled"] if t.name in enabled else [])
        g = Group("transition", t.name, classes=classes, title=_transition_title(t))
        g.shapes.append(Rect(x - TRANS_W / 2, y - TRANS_H / 2, TRANS_W, TRANS_H, role))
        g.shapes.append(Text(x, y + TRANS_H / 2 + FONT + 2, t.name, FONT))
        groups.append(g)
    width = x1 - x0 + wmax + 2 * margin
    height = y1 - y0 + hmax + 2 * margin
    if legend:
        lg, lh = _legend(net, fused, 10.0, height, show)
        groups.append(lg)
        height += lh
        width = max(width, max((s.x + text_width(s.text, s.size) for s in lg.shapes
                                if isinstance(s, Text)), default=0) + 10)
    return Scene(width, height, groups, title=net.name)


#: tokens listed in a place's tooltip at most
TITLE_TOKENS = 12


def _place_title(net, p, fused, tokens=None) -> str:
    lines = [f"place {p.name} : {p.colour}"]
    if tokens is not None:
        n = sum(tokens.values())
        lines.append(f"{n} token{'' if n == 1 else 's'}" + (":" if n else ""))
        rows = sorted(tokens.items(), key=lambda kv: (kv[0][1], repr(kv[0][0])))
        for (value, time), count in rows[:TITLE_TOKENS]:
            lines.append(f"  {'' if count == 1 else f'{count}× '}{colour_text(value)} @ {time:g}")
        if len(rows) > TITLE_TOKENS:
            lines.append(f"  ... and {len(rows) - TITLE_TOKENS} more (colour, time) pairs")
    if p.capacity is not None:
        lines.append(f"capacity {p.capacity}")
    if fused:
        lines.append("fused: declared in several files")
    if p.description:
        lines.append(p.description)
    return "\n".join(lines)


def _transition_title(t) -> str:
    lines = [f"transition {t.name}" + (" (controllable)" if t.controllable else "")]
    if t.guard not in (None, "", "True"):
        lines.append(f"guard {t.guard}")
    if t.delay not in (None, 0, ""):
        lines.append(f"delay {t.delay}")
    if t.priority:
        lines.append(f"priority {t.priority}")
    if t.description:
        lines.append(t.description)
    return "\n".join(lines)


def _token_shapes(x, y, toks: Counter) -> list:
    n = sum(toks.values())
    out = []
    black = all(v == () for v, _ in toks)
    if n == 0:
        pass
    elif black and n <= 4:
        offsets = {1: [(0, 0)], 2: [(-5, 0), (5, 0)], 3: [(-5, 4), (5, 4), (0, -5)],
                   4: [(-5, -5), (5, -5), (-5, 5), (5, 5)]}[n]
        out += [Circle(x + dx, y + dy, 3.6, "token") for dx, dy in offsets]
    else:
        out.append(Text(x, y + FONT * 0.36, str(n), FONT + 1, role="token"))
    if 0 < n <= FEW_TOKENS:
        text = token_text(toks)
        if text:
            out.append(Text(x, y + PLACE_R + 2 * FONT + 4, _short(text), SMALL, role="muted"))
    return out


def _boundary(kind: str, cx: float, cy: float, tx: float, ty: float) -> tuple[float, float]:
    """Where the line from a node's centre towards (tx, ty) leaves the node."""
    dx, dy = tx - cx, ty - cy
    d = math.hypot(dx, dy) or 1.0
    if kind == "place":
        return cx + dx / d * PLACE_R, cy + dy / d * PLACE_R
    sx = (TRANS_W / 2) / abs(dx) if dx else math.inf
    sy = (TRANS_H / 2) / abs(dy) if dy else math.inf
    s = min(sx, sy)
    return cx + dx * s, cy + dy * s


def _arc_group(net, arc, direction, src, dst, at, shift, bends, bend_aside, k) -> Group:
    sx, sy = at(src)
    ex, ey = at(dst)
    pts = [shift(b) for b in bends]
    if len(pts) > 3:    # a long arc: through its ends and its middle, one smooth sweep
        pts = [pts[0], pts[len(pts) // 2], pts[-1]]
    if bend_aside and not pts:
        # two arcs between the same nodes: each bows out to its own left
        dx, dy = ex - sx, ey - sy
        d = math.hypot(dx, dy) or 1.0
        off = 12.0 * (1 + k)
        pts = [((sx + ex) / 2 - dy / d * off, (sy + ey) / 2 + dx / d * off)]
    first = pts[0] if pts else (ex, ey)
    last = pts[-1] if pts else (sx, sy)
    start = _boundary(src[0], sx, sy, *first)
    end = _boundary(dst[0], ex, ey, *last)
    kind = getattr(arc, "kind", "normal")
    if kind == "inhibitor":   # leave room for the circle at the end
        end = _back_off(end, last if pts else start, 4.0)
    elif kind == "normal":
        end_line = _back_off(end, last if pts else start, 7.0)
    route = [start, *pts, end if kind != "normal" else end_line]
    curve = Curve(route[0], _smooth(route), "arc", dashed=(kind == "read"))
    if direction == "in":
        label = _arc_text(arc.pattern, arc.weight)
        name = f"{arc.place} -> {src[1] if src[0] == 'transition' else dst[1]}"
    else:
        label = _arc_text(arc.expression, arc.weight)
        if arc.delay not in (None, 0, ""):
            label = (label + " " if label else "") + f"@+{arc.delay}"
        name = f"{src[1]} -> {arc.place}"
    g = Group("arc", name, classes=["arc", kind] if direction == "in" else ["arc"],
              data={"kind": kind})
    g.shapes.append(curve)
    if kind == "normal":
        g.shapes.append(Polygon(_arrow_head(end, route[-2] if len(route) > 1 else start), "arc"))
    elif kind == "inhibitor":
        d = _unit(end, route[-2])
        g.shapes.append(Circle(end[0] + d[0] * 4.0, end[1] + d[1] * 4.0, 4.0, "inhibitor"))
    if label:
        (mx, my), (ux, uy) = _midpoint(route)
        # beside the line, not on it: above it, or right of a steep line
        nx, ny = uy, -ux
        if ny > 0 or (ny == 0 and nx < 0):
            nx, ny = -nx, -ny
        steep = abs(ny) < 0.5
        g.shapes.append(Text(mx + nx * 5, my + ny * 5 + (SMALL * 0.36 if steep else 0),
                             _short(label, 40), SMALL, anchor="start" if steep else "middle",
                             role="muted", halo=True))
    return g


def _unit(a, b):
    dx, dy = b[0] - a[0], b[1] - a[1]
    d = math.hypot(dx, dy) or 1.0
    return dx / d, dy / d


def _back_off(p, towards, by):
    u = _unit(p, towards)
    return p[0] + u[0] * by, p[1] + u[1] * by


def _arrow_head(tip, frm, length=8.0, half=4.0):
    ux, uy = _unit(frm, tip)
    bx, by = tip[0] - ux * length, tip[1] - uy * length
    return [tip, (bx - uy * half, by + ux * half), (bx + uy * half, by - ux * half)]


def _smooth(route):
    """Cubic segments through the route's points (Catmull-Rom), straight for two points."""
    if len(route) == 2:
        (x0, y0), (x1, y1) = route
        return [((x0 + (x1 - x0) / 3, y0 + (y1 - y0) / 3),
                 (x0 + 2 * (x1 - x0) / 3, y0 + 2 * (y1 - y0) / 3), (x1, y1))]
    segs = []
    pts = [route[0], *route, route[-1]]
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        c1 = (p1[0] + (p2[0] - p0[0]) / 6, p1[1] + (p2[1] - p0[1]) / 6)
        c2 = (p2[0] - (p3[0] - p1[0]) / 6, p2[1] - (p3[1] - p1[1]) / 6)
        segs.append((c1, c2, p2))
    return segs


def _midpoint(route, fraction: float = 0.5):
    """The point ``fraction`` of the way along the route's polyline (halfway by default) and
    the line's direction there."""
    lengths = [math.dist(a, b) for a, b in zip(route, route[1:])]
    half = sum(lengths) * fraction
    for (a, b), d in zip(zip(route, route[1:]), lengths):
        if half <= d and d > 0:
            f = half / d
            return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f), _unit(a, b)
        half -= d
    return route[len(route) // 2], (1.0, 0.0)


def _legend(net, fused, x, y, show) -> tuple[Group, float]:
    """A one-line key of the symbols the drawing uses."""
    g = Group("legend", "legend", classes=["legend"])
    items = [("place", "place"), ("transition", "transition")]
    if any(t.controllable for t in net.transitions.values()):
        items.append(("controllable", "controllable transition"))
    if show:
        items.append(("enabled", "enabled"))
    if fused:
        items.append(("fused", "fused place"))
    kinds = {a.kind for t in net.transitions.values() for a in t.inputs}
    if "read" in kinds:
        items.append(("read", "read arc"))
    if "inhibitor" in kinds:
        items.append(("inhibitor", "inhibitor arc"))
    cy = y + 4
    cx = x + 10
    for role, text in items:
        if role in ("place", "fused"):
            g.shapes.append(Circle(cx, cy, 7, "place"))
            if role == "fused":
                g.shapes.append(Circle(cx, cy, 4.5, "place"))
            cx += 12
        elif role in ("transition", "controllable", "enabled"):
            g.shapes.append(Rect(cx - 4, cy - 8, 8, 16, role))
            cx += 10
        else:
            g.shapes.append(Curve((cx - 8, cy), _smooth([(cx - 8, cy), (cx + 14, cy)]), "arc",
                                  dashed=(role == "read")))
            if role == "inhibitor":
                g.shapes.append(Circle(cx + 18, cy, 4, "inhibitor"))
            cx += 28
        g.shapes.append(Text(cx, cy + SMALL * 0.36, text, SMALL, anchor="start", role="muted"))
        cx += text_width(text, SMALL) + 18
    return g, 24.0
