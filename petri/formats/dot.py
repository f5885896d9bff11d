"""Graphviz DOT: nets (to draw with ``dot``/``neato``) and state graphs.

``net_to_dot`` draws places as circles (tokens as a count, or the colour set and initial tokens
for coloured places), transitions as boxes, arcs with their weights or inscriptions; read arcs
are dashed lines, inhibitor arcs end in a small circle. When every node has a position, they
are given as pinned ``pos`` attributes (``neato -n`` draws the net as laid out, y upwards);
otherwise Graphviz lays the net out.

``graph_to_dot`` writes a reachability or coverability graph: one node per marking (the initial
one doubly circled, dead markings in red), one edge per firing.

>>> from petri import Net
>>> net = Net("pair"); _ = net.add_place("a", initial=1); _ = net.add_place("b")
>>> _ = net.add_transition("t", inputs=["a"], outputs=["b"])
>>> print(net_to_dot(net).splitlines()[0])
digraph "pair" {
"""
from __future__ import annotations

import io

from ..model import Net

__all__ = ["net_to_dot", "graph_to_dot", "write_graph_dot", "quote"]


def quote(text) -> str:
    """A DOT double-quoted string."""
    s = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'


def net_to_dot(net: Net) -> str:
    """The net as a DOT digraph."""
    nodes = [*net.places.values(), *net.transitions.values()]
    pinned = all(n.position is not None for n in nodes)
    L = [f"digraph {quote(net.name)} {{", "  rankdir=LR;", '  node [fontname="Helvetica"];',
         '  edge [fontname="Helvetica", fontsize=10];']
    for name, p in net.places.items():
        n = p.initial_count()
        if net.colour_set(p.colour).kind == "dot":
            inside = "" if n == 0 else ("●" if n == 1 else ("●●" if n == 2 else str(n)))
            attrs = [f"label={quote(inside)}", f"xlabel={quote(name)}"]
        else:
            toks = ", ".join(("" if t.count == 1 else f"{t.count}`") + repr(t.value) for t in p.initial)
            attrs = [f"label={quote(str(n) if n else '')}",
                     f"xlabel={quote(name + ' : ' + p.colour + (chr(10) + toks if toks else ''))}"]
        attrs.append("shape=circle")
        attrs.append("width=0.5")
        if p.capacity is not None:
            attrs[1] = attrs[1][:-1] + f' (≤{p.capacity})"'
        if pinned:
            attrs.append(_pos(p.position))
        L.append(f"  {quote('p:' + name)} [{', '.join(attrs)}];")
    for name, t in net.transitions.items():
        label = name
        extra = []
        if t.guard not in (None, "", "True"):
            extra.append(f"[{t.guard}]")
        if t.delay not in (0, None, ""):
            extra.append(f"@+{t.delay}")
        if t.priority:
            extra.append(f"P={t.priority}")
        attrs = [f"label={quote(label)}", "shape=box", "height=0.3"]
        if extra:
            attrs.append(f"xlabel={quote(' '.join(extra))}")
        if t.controllable:
            attrs.append("style=bold")
        if pinned:
            attrs.append(_pos(t.position))
        L.append(f"  {quote('t:' + name)} [{', '.join(attrs)}];")
    for name, t in net.transitions.items():
        for a in t.inputs:
            label = _arc_label(a.pattern, a.weight)
            attrs = [f"label={quote(label)}"] if label else []
            if a.kind == "read":
                attrs += ["style=dashed", "dir=none"]
            elif a.kind == "inhibitor":
                attrs.append("arrowhead=odot")
            L.append(f"  {quote('p:' + a.place)} -> {quote('t:' + name)}"
                     + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
        for a in t.outputs:
            label = _arc_label(a.expression, a.weight)
            if a.delay not in (None, 0, ""):
                label = (label + " " if label else "") + f"@+{a.delay}"
            attrs = [f"label={quote(label)}"] if label else []
            L.append(f"  {quote('t:' + name)} -> {quote('p:' + a.place)}"
                     + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    L.append("}")
    return "\n".join(L) + "\n"


def _pos(position) -> str:
    """A pinned Graphviz position: PNML's y grows downwards, Graphviz's upwards."""
    x, y = (int(v) if float(v).is_integer() else float(v) for v in (position[0], -position[1]))
    return f'pos="{x},{y}!"'


def _arc_label(inscription, weight) -> str:
    if inscription is None:
        return "" if weight == 1 else str(weight)
    return str(inscription) if weight == 1 else f"{weight}`{inscription}"


def write_graph_dot(graph, out) -> None:
    """Write a reachability or coverability graph as DOT to the text stream ``out``."""
    n = graph.num_states
    out_deg = [0] * n
    expanded = getattr(graph, "expanded", n if graph.complete else 0)
    for s in graph.src.tolist():
        out_deg[s] += 1
    out.write(f"digraph {quote(graph.net.name + ' state space')} {{\n")
    out.write('  node [shape=box, style=rounded, fontname="Helvetica", fontsize=10];\n')
    out.write('  edge [fontname="Helvetica", fontsize=9];\n')
    for i in range(n):
        attrs = [f"label={quote(f'{i}: ' + graph.marking_text(i))}"]
        if i == 0:
            attrs.append("peripheries=2")
        if i < expanded and out_deg[i] == 0:
            attrs.append("color=red")
        out.write(f"  s{i} [{', '.join(attrs)}];\n")
    src, dst = graph.src.tolist(), graph.dst.tolist()
    for e in range(len(src)):
        out.write(f"  s{src[e]} -> s{dst[e]} [label={quote(graph.edge_label(e))}];\n")
    out.write("}\n")


def graph_to_dot(graph) -> str:
    """A reachability or coverability graph as a DOT string."""
    buf = io.StringIO()
    write_graph_dot(graph, buf)
    return buf.getvalue()
