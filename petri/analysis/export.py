"""Reachability and coverability graphs as networkx graphs and as GraphML, GEXF, DOT, JSON.

Nodes are ``0..n-1`` (state numbers) with attributes ``marking`` (text such as ``p1, 2*p3``),
``tokens`` (total), ``initial`` and ``deadlock`` (booleans); edges carry ``transition`` (and
``binding`` text for coloured nets). The file writers stream, so graphs with millions of
edges are written without building a networkx graph first; they keep one edge per firing
(parallel edges included), as the state and edge counts of the graph say.

>>> from petri import Net
>>> from petri.analysis import reachability_graph
>>> net = Net("cycle")
>>> _ = net.add_place("a", initial=1); _ = net.add_place("b")
>>> _ = net.add_transition("go", inputs=["a"], outputs=["b"])
>>> _ = net.add_transition("back", inputs=["b"], outputs=["a"])
>>> G = to_networkx(reachability_graph(net))
>>> sorted(G.edges(data="transition"))
[(0, 1, 'go'), (1, 0, 'back')]
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np

__all__ = ["to_networkx", "write_graphml", "write_gexf", "write_json", "write_graph", "FORMATS",
           "format_for_path"]

#: Output formats and their usual file extensions.
FORMATS = {"graphml": (".graphml",), "gexf": (".gexf",), "dot": (".dot", ".gv"),
           "json": (".json",)}


def format_for_path(path) -> str | None:
    """The format a file name asks for by its extension, or None."""
    suffix = Path(str(path)).suffix.lower()
    for fmt, exts in FORMATS.items():
        if suffix in exts:
            return fmt
    return None


def _node_facts(graph):
    n = graph.num_states
    out_deg = np.bincount(graph.src, minlength=n) if n else np.zeros(0, dtype=np.int64)
    expanded = getattr(graph, "expanded", n if graph.complete else 0)
    dead = np.zeros(n, dtype=bool)
    dead[:expanded] = out_deg[:expanded] == 0
    if hasattr(graph, "token_counts"):
        tokens = graph.token_counts().sum(axis=1)
    else:
        tokens = np.array([sum(m) for m in graph.markings], dtype=float)
    return dead, tokens


def _tokens_value(v):
    v = float(v)
    return int(v) if v.is_integer() else "ω"


def to_networkx(graph, *, multigraph: bool = False):
    """The graph as a ``networkx.DiGraph``; parallel edges (several transitions leading from
    one marking to the same marking) are merged into one edge whose ``transition`` lists them
    comma-separated and whose ``count`` says how many. ``multigraph=True`` gives a
    ``MultiDiGraph`` with one edge per firing instead."""
    import networkx as nx
    G = nx.MultiDiGraph() if multigraph else nx.DiGraph()
    G.graph["name"] = graph.net.name
    G.graph["complete"] = bool(graph.complete)
    dead, tokens = _node_facts(graph)
    for i in range(graph.num_states):
        G.add_node(i, marking=graph.marking_text(i), tokens=_tokens_value(tokens[i]),
                   initial=i == 0, deadlock=bool(dead[i]))
    src, dst = graph.src.tolist(), graph.dst.tolist()
    for e in range(len(src)):
        label = graph.edge_label(e)
        if multigraph:
            G.add_edge(src[e], dst[e], transition=label)
        elif G.has_edge(src[e], dst[e]):
            d = G.edges[src[e], dst[e]]
            d["transition"] += "," + label
            d["count"] += 1
        else:
            G.add_edge(src[e], dst[e], transition=label, count=1)
    return G


def write_graphml(graph, out) -> None:
    """GraphML (readable by networkx, yEd, Gephi, Cytoscape)."""
    dead, tokens = _node_facts(graph)
    w = out.write
    w('<?xml version="1.0" encoding="UTF-8"?>\n')
    w('<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
      'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
      'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
    w('  <key id="marking" for="node" attr.name="marking" attr.type="string"/>\n')
    w('  <key id="tokens" for="node" attr.name="tokens" attr.type="string"/>\n')
    w('  <key id="initial" for="node" attr.name="initial" attr.type="boolean"/>\n')
    w('  <key id="deadlock" for="node" attr.name="deadlock" attr.type="boolean"/>\n')
    w('  <key id="transition" for="edge" attr.name="transition" attr.type="string"/>\n')
    w(f'  <graph id={quoteattr(graph.net.name)} edgedefault="directed">\n')
    for i in range(graph.num_states):
        w(f'    <node id="{i}"><data key="marking">{escape(graph.marking_text(i))}</data>'
          f'<data key="tokens">{_tokens_value(tokens[i])}</data>'
          f'<data key="initial">{"true" if i == 0 else "false"}</data>'
          f'<data key="deadlock">{"true" if dead[i] else "false"}</data></node>\n')
    src, dst = graph.src.tolist(), graph.dst.tolist()
    for e in range(len(src)):
        w(f'    <edge id="e{e}" source="{src[e]}" target="{dst[e]}"><data key="transition">'
          f'{escape(graph.edge_label(e))}</data></edge>\n')
    w("  </graph>\n</graphml>\n")


def write_gexf(graph, out) -> None:
    """GEXF 1.2 (Gephi)."""
    dead, tokens = _node_facts(graph)
    w = out.write
    w('<?xml version="1.0" encoding="UTF-8"?>\n')
    w('<gexf xmlns="http://www.gexf.net/1.2draft" version="1.2">\n')
    w(f'  <meta><description>{escape("state space of " + graph.net.name)}</description></meta>\n')
    w('  <graph mode="static" defaultedgetype="directed">\n')
    w('    <attributes class="node">\n'
      '      <attribute id="0" title="tokens" type="string"/>\n'
      '      <attribute id="1" title="initial" type="boolean"/>\n'
      '      <attribute id="2" title="deadlock" type="boolean"/>\n'
      '    </attributes>\n')
    w('    <attributes class="edge">\n'
      '      <attribute id="0" title="transition" type="string"/>\n'
      '    </attributes>\n')
    w("    <nodes>\n")
    for i in range(graph.num_states):
        w(f'      <node id="{i}" label={quoteattr(graph.marking_text(i))}><attvalues>'
          f'<attvalue for="0" value="{_tokens_value(tokens[i])}"/>'
          f'<attvalue for="1" value="{"true" if i == 0 else "false"}"/>'
          f'<attvalue for="2" value="{"true" if dead[i] else "false"}"/>'
          f'</attvalues></node>\n')
    w("    </nodes>\n    <edges>\n")
    src, dst = graph.src.tolist(), graph.dst.tolist()
    for e in range(len(src)):
        label = quoteattr(graph.edge_label(e))
        w(f'      <edge id="{e}" source="{src[e]}" target="{dst[e]}" label={label}><attvalues>'
          f'<attvalue for="0" value={label}/></attvalues></edge>\n')
    w("    </edges>\n  </graph>\n</gexf>\n")


def _json_value(v):
    if isinstance(v, tuple):
        return [_json_value(x) for x in v]
    if isinstance(v, float) and v == float("inf"):
        return "ω"
    return v


def write_json(graph, out) -> None:
    """JSON: ``{"net", "complete", "places", "transitions", "states": [{"id", "marking"}],
    "edges": [{"source", "target", "transition"[, "binding"]}]}``. A P/T marking maps places to
    counts (``"ω"`` in coverability graphs); a coloured one maps places to
    ``[[colour, count], ...]``. Only marked places are listed."""
    w = out.write
    head = {"net": graph.net.name, "complete": bool(graph.complete),
            "stopped": getattr(graph, "stopped", None),
            "places": list(graph.place_names), "transitions": list(graph.transition_names)}
    w(json.dumps(head, ensure_ascii=False)[:-1])
    w(', "states": [\n')
    for i in range(graph.num_states):
        m = graph.marking(i)
        mj = {}
        for p in graph.place_names:
            v = m[p]
            if isinstance(v, dict):
                if v:
                    mj[p] = [[_json_value(c), n] for c, n in v.items()]
            elif v:
                mj[p] = _json_value(v) if v == float("inf") else int(v)
        w(("" if i == 0 else ",\n") + json.dumps({"id": i, "marking": mj}, ensure_ascii=False))
    w('\n], "edges": [\n')
    src, dst, tr = graph.src.tolist(), graph.dst.tolist(), graph.transition.tolist()
    names = graph.transition_names
    bindings = getattr(graph, "bindings", None)
    for e in range(len(src)):
        d = {"source": src[e], "target": dst[e], "transition": names[tr[e]]}
        if bindings is not None and bindings[e]:
            d["binding"] = {k: _json_value(v) for k, v in bindings[e].items()}
        w(("" if e == 0 else ",\n") + json.dumps(d, ensure_ascii=False))
    w("\n]}\n")


def write_graph(graph, target, fmt: str | None = None) -> None:
    """Write ``graph`` to ``target`` (a path or a text stream) as ``fmt`` (graphml, gexf, dot,
    json); without ``fmt`` the file extension decides."""
    from ..formats.dot import write_graph_dot
    if fmt is None:
        fmt = format_for_path(target) if not isinstance(target, io.IOBase) else None
    writers = {"graphml": write_graphml, "gexf": write_gexf, "dot": write_graph_dot,
               "json": write_json}
    if fmt not in writers:
        raise ValueError(f"unknown graph format {fmt!r} (expected one of {', '.join(writers)})")
    if hasattr(target, "write"):
        writers[fmt](graph, target)
        return
    from ..files import output
    with output(target, force=True) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            writers[fmt](graph, f)
