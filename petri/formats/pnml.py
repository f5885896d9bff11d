"""PNML (ISO/IEC 15909-2): read and write Petri nets as XML.

* ``ptnet`` (place/transition nets) is read and written as the standard says: pages, names,
  initial markings, arc inscriptions and node positions are kept. Pages are flattened into the
  net; each node remembers its page so that writing the net back restores them. Positions
  become ``Place.position`` / ``Transition.position``; nodes without one are given one by
  ``layout`` when the net is written, so that editors do not stack them on each other.
* ``pnmlcoremodel`` is read (no markings or weights: every arc has weight 1, unless the file
  gives inscriptions anyway).
* Coloured nets are written in this toolkit's own dialect (net type ``COLOURED_NET_TYPE``):
  the standard skeleton (pages, places, transitions, arcs, names, graphics) with the colour sets,
  inscriptions, guards, delays and the rest in ``<toolspecific tool="petri-flow">`` elements.
  See docs/analysis.md for the full description.

XML is parsed with ``defusedxml``: entity declarations and external references are refused.

>>> from petri import Net
>>> net = Net("pair"); _ = net.add_place("a", initial=1); _ = net.add_place("b")
>>> _ = net.add_transition("t", inputs=["a"], outputs=["b"])
>>> loads(dumps(net)) == net
True
"""
from __future__ import annotations

import ast
import gc
import math
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict, deque

from ..files import read_bytes, write_output
from ..model import DOT, ColourSet, InputArc, Net, NetError, OutputArc, Token

__all__ = ["load", "loads", "dump", "dumps", "layout", "PTNET_TYPE", "CORE_TYPE",
           "COLOURED_NET_TYPE"]

PNML_NS = "http://www.pnml.org/version-2009/grammar/pnml"
PTNET_TYPE = "http://www.pnml.org/version-2009/grammar/ptnet"
CORE_TYPE = "http://www.pnml.org/version-2009/grammar/pnmlcoremodel"
COLOURED_NET_TYPE = "urn:petri-flow:pnml:coloured-net:1"
TOOL = "petri-flow"
TOOL_VERSION = "1"

_SUPPORTED = {PTNET_TYPE: "ptnet", CORE_TYPE: "pnmlcoremodel", COLOURED_NET_TYPE: "coloured"}
_NCNAME = re.compile(r"^[A-Za-z_][\w.\-]*$")


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------

def load(path, *, net_id: str | None = None, max_bytes: int | None = None) -> Net:
    """Read a PNML file. With several nets in the file, ``net_id`` picks one (default: the
    first). Files over ``max_bytes`` (default ``petri.files.max_bytes()``) are refused."""
    data = read_bytes(path, what="PNML file", limit=max_bytes)
    return loads(data, file=str(path), net_id=net_id)


def loads(text: str | bytes, *, file: str | None = None, net_id: str | None = None) -> Net:
    """Read PNML from a string; ``file`` names the source in error messages."""
    # the document and the net are many small objects without reference cycles: the cyclic
    # garbage collector, run again and again while they are built, only costs time
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _loads(text, file, net_id)
    finally:
        if collecting:
            gc.enable()


def _loads(text, file, net_id) -> Net:
    root = _parse(text, file)
    if _local(root.tag) != "pnml":
        raise NetError(f"not a PNML document: the root element is <{_local(root.tag)}>, "
                       "expected <pnml>", file=file)
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else None
    if namespace != PNML_NS:
        found = "has no namespace" if namespace is None else f"is in the namespace {namespace!r}"
        raise NetError(f"the <pnml> element {found}; PNML documents use "
                       f'xmlns="{PNML_NS}"', file=file)
    nets = [e for e in root if _local(e.tag) == "net"]
    if not nets:
        raise NetError("the PNML document holds no <net>", file=file)
    if net_id is not None:
        chosen = [e for e in nets if e.get("id") == net_id]
        if not chosen:
            raise NetError(f"no net with id {net_id!r} (the file has "
                           f"{', '.join(repr(e.get('id')) for e in nets)})", file=file)
        element = chosen[0]
    else:
        element = nets[0]
    net = _Reader(element, file).read()
    # nothing of the file runs unchecked: guards and inscriptions pass the expression checker
    # here, and every other problem of the net is reported as for TOML files
    from ..check import check_net, combine_errors
    problems = [p if p.file else NetError(p.reason, file=file, element=p.element)
                for p in check_net(net)]
    if problems:
        raise combine_errors(problems)
    return net


def _parse(text, file):
    try:
        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import fromstring
    except ImportError:  # pragma: no cover - defusedxml is a dependency of PNML support
        raise NetError("reading PNML needs the defusedxml package (pip install defusedxml)",
                       file=file) from None
    try:
        return fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        what = _UNSAFE.get(type(e).__name__, type(e).__name__)
        raise NetError(f"unsafe XML refused ({what}): PNML files may not have a DOCTYPE, "
                       "declare entities or refer to external resources", file=file) from None
    except ET.ParseError as e:
        line, col = getattr(e, "position", (None, None))
        msg = str(e).split(":")[0]
        raise NetError(f"malformed XML: {msg} at line {line}, column {col}", file=file) from None


_UNSAFE = {"DTDForbidden": "a DOCTYPE", "EntitiesForbidden": "an entity declaration",
           "ExternalReferenceForbidden": "an external reference"}


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(e, name):
    for c in e:
        if _local(c.tag) == name:
            return c
    return None


def _children(e, name):
    return [c for c in e if _local(c.tag) == name]


def _text(e, name):
    """The ``<text>`` of label ``name`` under ``e``, stripped, or None."""
    label = _child(e, name)
    if label is None:
        return None
    t = _child(label, "text")
    if t is None:
        return None
    return (t.text or "").strip()


def _position(e):
    g = _child(e, "graphics")
    if g is None:
        return None
    p = _child(g, "position")
    if p is None:
        return None
    try:
        x, y = float(p.get("x", 0)), float(p.get("y", 0))
    except ValueError:
        return None
    return (x, y) if math.isfinite(x) and math.isfinite(y) else None


def _tool(e):
    for c in _children(e, "toolspecific"):
        if c.get("tool") == TOOL:
            return c
    return None


def _literal(text: str, what: str, file, element):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise NetError(f"{what} is not a literal value: {text!r}", file=file, element=element) from None


class _Reader:
    def __init__(self, element, file):
        self.e = element
        self.file = file
        self.type = element.get("type", "")
        self.kind = _SUPPORTED.get(self.type)
        if self.kind is None:
            raise NetError(f"unsupported PNML net type {self.type!r} (supported: ptnet "
                           f"{PTNET_TYPE}, pnmlcoremodel {CORE_TYPE}, and this toolkit's coloured "
                           f"dialect {COLOURED_NET_TYPE})",
                           file=file, element=f"net {element.get('id')!r}")

    def error(self, message, element=None):
        return NetError(message, file=self.file, element=element)

    def read(self) -> Net:
        e = self.e
        net_name = _text(e, "name") or e.get("id") or "net"
        net = Net(net_name)
        self.coloured = self.kind == "coloured"
        ts = _tool(e)
        if ts is not None:
            self._declarations(net, ts)
        # collect nodes from every page (pages nest)
        nodes = {}       # id -> (kind, element, page id)
        refs = {}        # reference id -> (kind, ref target, element)
        arcs = []
        pages = []       # (page id, page name)

        def walk(container, page):
            for c in container:
                tag = _local(c.tag)
                if tag in ("place", "transition", "referencePlace", "referenceTransition",
                           "arc", "page"):
                    cid = c.get("id")
                    if not cid:
                        raise self.error(f"a <{tag}> has no id attribute",
                                         element=f"page {page!r}" if page else None)
                    if cid in nodes or cid in refs or cid in seen_ids:
                        raise self.error(f"the id {cid!r} is used twice", element=f"{tag} {cid!r}")
                    seen_ids.add(cid)
                if tag in ("place", "transition"):
                    nodes[c.get("id")] = (tag, c, page)
                elif tag in ("referencePlace", "referenceTransition"):
                    ref = c.get("ref")
                    if not ref:
                        raise self.error("a reference node needs a ref attribute",
                                         element=f"{tag} {c.get('id')!r}")
                    refs[c.get("id")] = ("place" if tag == "referencePlace" else "transition", ref, c)
                elif tag == "arc":
                    arcs.append(c)
                elif tag == "page":
                    pages.append((c.get("id"), _text(c, "name")))
                    walk(c, c.get("id"))

        seen_ids: set = set()
        walk(e, None)

        # model names: the PNML name when given and unique among its kind, else the id
        names = {}
        for kind in ("place", "transition"):
            ids = [i for i, (k, _, _) in nodes.items() if k == kind]
            given = {i: _text(nodes[i][1], "name") for i in ids}
            counts = Counter(v for v in given.values() if v)
            for i in ids:
                n = given[i]
                names[i] = n if n and counts[n] == 1 else i
            used = [names[i] for i in ids]
            if len(set(used)) != len(used):  # a name equal to another node's id
                for i in ids:
                    names[i] = i
        # resolve reference nodes to the node they stand for
        resolved = {}
        for rid, (kind, target, el) in refs.items():
            seen = {rid}
            t = target
            while t in refs:
                if t in seen:
                    raise self.error("reference nodes refer to each other in a cycle",
                                     element=f"reference {rid!r}")
                seen.add(t)
                if refs[t][0] != kind:
                    raise self.error(f"a reference {kind} refers to a reference of another kind",
                                     element=f"reference {rid!r}")
                t = refs[t][1]
            if t not in nodes:
                raise self.error(f"refers to {target!r}, which is not a node of this net",
                                 element=f"reference{kind.title()} {rid!r}")
            if nodes[t][0] != kind:
                raise self.error(f"refers to {target!r}, which is a {nodes[t][0]}, not a {kind}",
                                 element=f"reference{kind.title()} {rid!r}")
            resolved[rid] = t

        page_nodes = defaultdict(list)
        for nid, (kind, el, page) in nodes.items():
            name = names[nid]
            if kind == "place":
                self._place(net, el, name)
            else:
                self._transition(net, el, name)
            page_nodes[page].append(f"{kind} {name}")
        net.pages = [(pid, pname, page_nodes.get(pid, [])) for pid, pname in pages]

        for a in arcs:
            aid = a.get("id")
            src, tgt = a.get("source"), a.get("target")
            where = f"arc {aid!r}"
            if not src or not tgt:
                raise self.error("an arc needs source and target attributes", element=where)
            src, tgt = resolved.get(src, src), resolved.get(tgt, tgt)
            for end in (src, tgt):
                if end not in nodes:
                    raise self.error(f"{end!r} is not a place or transition of this net", element=where)
            ks, kt = nodes[src][0], nodes[tgt][0]
            if ks == kt:
                raise self.error(f"connects two {ks}s ({src!r} and {tgt!r}); an arc joins a place "
                                 "and a transition", element=where)
            self._arc(net, a, where, names[src], names[tgt], ks == "place")
        return net

    # -- declarations (coloured dialect and extras) ----------------------------------------
    def _declarations(self, net, ts):
        f = self.file
        for c in _children(ts, "colourset"):
            name = c.get("name")
            where = f"colour set {name!r}"
            values = tuple(_literal(v.text or "", "a value", f, where) for v in _children(c, "value"))
            comps = tuple((v.text or "").strip() for v in _children(c, "component"))
            low, high = c.get("low"), c.get("high")
            try:
                net.colour_sets[name] = ColourSet(
                    name, c.get("kind", "enum"), values, comps,
                    int(low) if low is not None else None, int(high) if high is not None else None,
                    c.get("timed") == "true")
            except ValueError as e:
                raise self.error(str(e), element=where) from None
        for c in _children(ts, "variable"):
            net.variables[c.get("name")] = c.get("colour")
        for c in _children(ts, "constant"):
            net.constants[c.get("name")] = _literal(c.text or "", "a constant", f,
                                                    f"constant {c.get('name')!r}")
        for c in _children(ts, "table"):
            tname = c.get("name")
            rows = {}
            for r in _children(c, "row"):
                key = _literal(r.get("key", ""), "a row key", f, f"table {tname!r}")
                rows[key] = _literal(r.text or "", "a row value", f, f"table {tname!r}")
            key = tuple(k for k in (c.get("key") or "").split(",") if k)
            net.add_table(tname, rows, key=key, value=c.get("value") or "",
                          source=c.get("source") or None)
        d = _child(ts, "description")
        if d is not None:
            net.description = d.text or ""

    def _place(self, net, el, name):
        where = f"place {name!r}"
        colour = "dot"
        initial = []
        capacity = None
        description = ""
        ts = _tool(el)
        if ts is not None:
            colour = ts.get("colour", "dot")
            cap = ts.get("capacity")
            if cap is not None:
                capacity = self._int(cap, "a capacity", where, minimum=0)
            d = _child(ts, "description")
            description = d.text or "" if d is not None else ""
            tokens = _children(ts, "token")
            for t in tokens:
                value = _literal(t.text or "", "a token", self.file, where) if (t.text or "").strip() else DOT
                count = self._int(t.get("count", "1"), "a token count", where, minimum=0)
                time = float(t.get("time", 0))
                if time == int(time):
                    time = int(time)
                initial.append(Token(value, count, time))
        if not self.coloured and not initial:
            m = _text(el, "initialMarking")
            if m:
                n = self._int(m, "the initial marking", where, minimum=0)
                if n:
                    initial = [Token(DOT, n)]
        net.places[name] = _new_place(name, colour, initial, capacity, description,
                                      _position(el))

    def _transition(self, net, el, name):
        t = net.add_transition(name)
        t.position = _position(el)
        ts = _tool(el)
        if ts is not None:
            where = f"transition {name!r}"
            delay = ts.get("delay")
            if delay is not None:
                t.delay = _number_or_text(delay)
            if ts.get("priority") is not None:
                t.priority = self._int(ts.get("priority"), "a priority", where)
            t.controllable = ts.get("controllable") == "true"
            if ts.get("order") is not None:
                t.order = ts.get("order")
            d = _child(ts, "description")
            if d is not None:
                t.description = d.text or ""
        guard = _text(el, "condition")
        if guard:
            t.guard = guard

    def _arc(self, net, a, where, src, tgt, into_transition):
        ts = _tool(a)
        text = _text(a, "hlinscription") if self.coloured else None
        weight = 1
        kind = "normal"
        delay = None
        if self.coloured:
            if ts is not None and ts.get("weight") is not None:
                w = ts.get("weight")
                weight = int(w) if re.fullmatch(r"\d+", w) else w
        else:
            ins = _text(a, "inscription")
            if ins:
                weight = self._int(ins, "an arc inscription", where, minimum=1)
        kind = _arc_type(a) or kind
        if ts is not None:
            kind = ts.get("kind", kind)
            if ts.get("delay") is not None:
                delay = _number_or_text(ts.get("delay"))
        if into_transition:
            if kind not in InputArc.KINDS:
                raise self.error(f"unknown arc type {kind!r} (expected normal, read or inhibitor)",
                                 element=where)
            if not isinstance(weight, int):
                raise self.error("an input arc's weight must be an integer", element=where)
            net.transitions[tgt].inputs.append(InputArc(src, text or None, weight, kind))
        else:
            if kind != "normal":
                raise self.error(f"a {kind} arc must go from a place to a transition", element=where)
            net.transitions[src].outputs.append(OutputArc(tgt, text or None, weight, delay))

    def _int(self, text, what, where, minimum=None):
        try:
            v = int(str(text).strip())
        except ValueError:
            shown = repr(text) if len(text) <= 40 else repr(text[:37]) + "..."
            raise self.error(f"{what} must be an integer, not {shown}", element=where) from None
        if minimum is not None and v < minimum:
            raise self.error(f"{what} must be at least {minimum}, not {v}", element=where)
        return v


def _arc_type(a):
    """Inhibitor and read (test) arcs as other tools write them in P/T nets."""
    t = a.get("type")                               # TAPAAL: type="tapnInhibitor"
    label = _child(a, "type")
    if label is not None:                           # PIPE: <type value="inhibitor"/>
        t = label.get("value") or (_text(a, "type") or "")
    if not t:
        return None
    t = t.lower()
    if "inhibitor" in t:
        return "inhibitor"
    if t in ("read", "test", "testarc", "test_arc"):
        return "read"
    if t == "normal":
        return "normal"
    return t


def _new_place(name, colour, initial, capacity, description, position):
    from ..model import Place
    return Place(name, colour, initial, capacity, description, position)


def _number_or_text(s: str):
    try:
        v = float(s)
    except ValueError:
        return s
    return int(v) if v == int(v) and "." not in s else v


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def dump(net: Net, path, *, force: bool = True) -> None:
    """Write ``net`` as PNML to ``path`` (atomically; over an existing file only with
    ``force``; see ``petri.files.output``)."""
    write_output(path, dumps(net), force=force)


def dumps(net: Net) -> str:
    """``net`` as a PNML document: ``ptnet`` for place/transition nets, else the coloured dialect."""
    coloured = not net.is_pt()
    root = ET.Element("pnml", xmlns=PNML_NS)
    ids = _ids(net)
    e = ET.SubElement(root, "net", id=_xml_id(net.name, "net"),
                      type=COLOURED_NET_TYPE if coloured else PTNET_TYPE)
    _name(e, net.name)
    ts = _declarations_element(net, coloured)
    if ts is not None:
        e.append(ts)
    pos = layout(net)
    pages = getattr(net, "pages", None) or [("page0", None, [])]
    placed = {k for _, _, keys in pages for k in keys}
    all_keys = [f"place {p}" for p in net.places] + [f"transition {t}" for t in net.transitions]
    page_elements = {}
    for i, (pid, pname, keys) in enumerate(pages):
        page = ET.SubElement(e, "page", id=pid or f"page{i}")
        if pname:
            _name(page, pname)
        page_elements[pid] = (page, keys)
    first_page = next(iter(page_elements.values()))[0]
    pages_of = {}
    for pid, (page, keys) in page_elements.items():
        for k in keys:
            pages_of[k] = page
    for key in all_keys:
        if key not in placed:
            pages_of[key] = first_page

    for name, p in net.places.items():
        key = f"place {name}"
        el = ET.SubElement(pages_of[key], "place", id=ids[key])
        _name(el, name)
        _graphics(el, pos[key])
        total = p.initial_count()
        if not coloured and total:
            _label(el, "initialMarking", str(total))
        extra = {}
        if coloured:
            extra["colour"] = p.colour
        if p.capacity is not None:
            extra["capacity"] = str(p.capacity)
        if extra or p.description or (coloured and p.initial) or _timed_tokens(p):
            ts = ET.SubElement(el, "toolspecific", tool=TOOL, version=TOOL_VERSION, **extra)
            if coloured or _timed_tokens(p):
                for tok in p.initial:
                    t = ET.SubElement(ts, "token", count=str(tok.count))
                    if tok.time:
                        t.set("time", repr(tok.time))
                    t.text = repr(tok.value) if tok.value != DOT else ""
            if p.description:
                ET.SubElement(ts, "description").text = p.description
    for name, t in net.transitions.items():
        key = f"transition {name}"
        el = ET.SubElement(pages_of[key], "transition", id=ids[key])
        _name(el, name)
        _graphics(el, pos[key])
        if coloured and t.guard not in (None, "", "True"):
            _label(el, "condition", str(t.guard))
        extra = {}
        if t.delay not in (0, None, ""):
            extra["delay"] = str(t.delay)
        if t.priority:
            extra["priority"] = str(t.priority)
        if t.controllable:
            extra["controllable"] = "true"
        if t.order:
            extra["order"] = str(t.order)
        if extra or t.description:
            ts = ET.SubElement(el, "toolspecific", tool=TOOL, version=TOOL_VERSION, **extra)
            if t.description:
                ET.SubElement(ts, "description").text = t.description
    n = 0
    for tname, t in net.transitions.items():
        tid = ids[f"transition {tname}"]
        page = pages_of[f"transition {tname}"]
        for a in t.inputs:
            n += 1
            el = ET.SubElement(page, "arc", id=f"a{n}", source=ids[f"place {a.place}"], target=tid)
            if coloured:
                if a.pattern is not None:
                    _label(el, "hlinscription", str(a.pattern))
            elif a.weight != 1:
                _label(el, "inscription", str(a.weight))
            if a.kind != "normal":
                ET.SubElement(el, "type", value=a.kind)
            extra = {}
            if coloured and a.weight != 1:
                extra["weight"] = str(a.weight)
            if extra:
                ET.SubElement(el, "toolspecific", tool=TOOL, version=TOOL_VERSION, **extra)
        for a in t.outputs:
            n += 1
            el = ET.SubElement(page, "arc", id=f"a{n}", source=tid, target=ids[f"place {a.place}"])
            if coloured:
                if a.expression is not None:
                    _label(el, "hlinscription", str(a.expression))
            elif a.weight != 1:
                _label(el, "inscription", str(a.weight))
            extra = {}
            if coloured and a.weight != 1:
                extra["weight"] = str(a.weight)
            if a.delay not in (None, 0, ""):
                extra["delay"] = str(a.delay)
            if extra:
                ET.SubElement(el, "toolspecific", tool=TOOL, version=TOOL_VERSION, **extra)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def layout(net: Net, spacing: float = 80) -> dict[str, tuple[float, float]]:
    """A position for every node: ``"place NAME"`` / ``"transition NAME"`` -> (x, y).

    Nodes keep their own ``position``. The others are laid out left to right, one column per
    breadth-first distance along the arcs from the initially marked places (parts of the net
    they do not reach start from their nodes without input arcs, else from their first node),
    ``spacing`` apart and below every positioned node, so that no two nodes share a place.
    The same net gives the same layout.

    >>> net = Net("pair"); _ = net.add_place("a", initial=1); _ = net.add_place("b")
    >>> _ = net.add_transition("t", inputs=["a"], outputs=["b"])
    >>> layout(net)
    {'place a': (40.0, 40.0), 'place b': (200.0, 40.0), 'transition t': (120.0, 40.0)}
    """
    keys = [f"place {p}" for p in net.places] + [f"transition {t}" for t in net.transitions]
    nodes = {**{f"place {n}": p for n, p in net.places.items()},
             **{f"transition {n}": t for n, t in net.transitions.items()}}
    given = {k: tuple(map(float, n.position)) for k, n in nodes.items() if n.position is not None}
    if len(given) == len(keys):
        return given
    successors, has_input = defaultdict(list), set()
    for name, t in net.transitions.items():
        key = f"transition {name}"
        for a in t.inputs:
            successors[f"place {a.place}"].append(key)
            has_input.add(key)
        for a in t.outputs:
            successors[key].append(f"place {a.place}")
            has_input.add(f"place {a.place}")
    column: dict[str, int] = {}

    def spread(starts):
        queue = deque(k for k in starts if k not in column)
        column.update((k, 0) for k in queue)
        while queue:
            k = queue.popleft()
            for s in successors[k]:
                if s not in column:
                    column[s] = column[k] + 1
                    queue.append(s)

    spread(f"place {n}" for n, p in net.places.items() if p.initial)
    spread([k for k in keys if k not in has_input])
    for k in keys:
        spread([k])
    # by column; within a column in the net's order (sorted is stable)
    free = sorted((k for k in keys if k not in given), key=lambda k: column[k])
    rows: dict[int, list[str]] = defaultdict(list)
    for k in free:
        rows[column[k]].append(k)
    tallest = max(len(r) for r in rows.values())
    left = spacing / 2
    top = max((y for _, y in given.values()), default=-spacing / 2) + spacing
    positions = dict(given)
    for c, ks in rows.items():
        offset = (tallest - len(ks)) / 2
        for i, k in enumerate(ks):
            positions[k] = (left + c * spacing, top + (offset + i) * spacing)
    return {k: positions[k] for k in keys}


def _timed_tokens(p) -> bool:
    return any(t.time for t in p.initial)


def _declarations_element(net, coloured):
    if not coloured and not net.description:
        return None
    ts = ET.Element("toolspecific", tool=TOOL, version=TOOL_VERSION)
    if coloured:
        for name, cs in net.colour_sets.items():
            attrs = {"name": name, "kind": cs.kind}
            if cs.timed:
                attrs["timed"] = "true"
            if cs.low is not None:
                attrs["low"] = str(cs.low)
            if cs.high is not None:
                attrs["high"] = str(cs.high)
            c = ET.SubElement(ts, "colourset", **attrs)
            for v in cs.values:
                ET.SubElement(c, "value").text = repr(v)
            for comp in cs.components:
                ET.SubElement(c, "component").text = comp
        for name, colour in net.variables.items():
            ET.SubElement(ts, "variable", name=name, colour=colour)
        for name, value in net.constants.items():
            ET.SubElement(ts, "constant", name=name).text = repr(value)
        for name, table in net.tables.items():
            attrs = {"name": name, "key": ",".join(table.key), "value": table.value}
            if table.source:
                attrs["source"] = table.source
            t = ET.SubElement(ts, "table", **attrs)
            for k, v in table.rows.items():
                ET.SubElement(t, "row", key=repr(k)).text = repr(v)
    if net.description:
        ET.SubElement(ts, "description").text = net.description
    return ts


def _ids(net) -> dict:
    """A unique XML id per node: its name when that is a valid id, else a generated one."""
    ids, used = {}, set()
    for kind, names in (("place", net.places), ("transition", net.transitions)):
        for i, name in enumerate(names):
            cand = name if _NCNAME.match(name) and name not in used else None
            if cand is None:
                cand = f"{kind[0]}{i}"
                while cand in used:
                    cand += "_"
            used.add(cand)
            ids[f"{kind} {name}"] = cand
    return ids


def _xml_id(name, default):
    return name if _NCNAME.match(name or "") else default


def _name(el, text):
    _label(el, "name", text)


def _label(el, label, text):
    ET.SubElement(ET.SubElement(el, label), "text").text = text


def _graphics(el, pos):
    if pos is None:
        return
    g = ET.SubElement(el, "graphics")
    x, y = pos
    ET.SubElement(g, "position", x=_num(x), y=_num(y))


def _num(v):
    return str(int(v)) if float(v).is_integer() else repr(float(v))
