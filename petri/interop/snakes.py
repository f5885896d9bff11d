"""Convert nets to and from SNAKES (``snakes.nets.PetriNet``); SNAKES is an optional dependency.

What carries over: places and their tokens, transitions with guards, input, read (``Test``),
inhibitor (``Inhibitor``) and output arcs with their inscriptions (variables, literal values,
tuples, expressions; weights become ``MultiArc``), constants and tables (as the net's globals).
SNAKES has no time, priorities or place capacities: delays and priorities are dropped (the
untimed semantics is the same), a place capacity is refused with an error.

>>> from petri import Net
>>> net = Net("pair"); _ = net.add_place("a", initial=2); _ = net.add_place("b")
>>> _ = net.add_transition("t", inputs=["a"], outputs=[("b", None, 2)])
>>> pn = to_snakes(net)
>>> sorted(p.name for p in pn.place())
['a', 'b']
>>> from_snakes(pn) == net
True
"""
from __future__ import annotations

import ast
from collections import Counter

from ..check import validate
from ..model import DOT, InputArc, Net, NetError, OutputArc, Place, Token

__all__ = ["to_snakes", "from_snakes"]


def _snakes():
    try:
        import snakes.nets as sn
    except ImportError:
        raise NetError("SNAKES is not installed (pip install snakes)") from None
    return sn


# ---------------------------------------------------------------------------------------------
# To SNAKES
# ---------------------------------------------------------------------------------------------

def to_snakes(net: Net):
    """``net`` as a ``snakes.nets.PetriNet`` (untimed).

    SNAKES evaluates guards and inscriptions with Python's ``eval``: the net is first checked
    as a loaded file is (``petri.check.validate``: every expression against the safe subset
    of ``petri.expressions``), so that a net from an untrusted file raises ``NetError``
    instead of running code.
    """
    validate(net)
    sn = _snakes()
    pn = sn.PetriNet(net.name)
    for name, value in net.constants.items():
        pn.globals[name] = value
    for name, table in net.tables.items():
        pn.globals[name] = dict(table.rows)
    for name, p in net.places.items():
        if p.capacity is not None:
            raise NetError("SNAKES has no place capacities", element=f"place {name!r}")
        cs = net.colour_set(p.colour)
        tokens = []
        for t in p.initial:
            tokens.extend([sn.dot if t.value == DOT else t.value] * t.count)
        check = _place_type(sn, cs.kind)
        pn.add_place(sn.Place(name, tokens, check))
    for name, t in net.transitions.items():
        where = f"transition {name!r}"
        guard = t.guard
        pn.add_transition(sn.Transition(
            name, sn.Expression(guard) if guard not in (None, "", "True") else None))
        for a in t.inputs:
            label = _pattern(sn, a.pattern, net, where)
            label = _weighted(sn, label, a.weight, where)
            if a.kind == "read":
                label = sn.Test(label)
            elif a.kind == "inhibitor":
                if a.pattern is None and net.colour_set(net.places[a.place].colour).kind != "dot":
                    label = _weighted(sn, sn.Variable("_any"), a.weight, where)
                label = sn.Inhibitor(label)
            _add(pn, "input", a.place, name, label)
        for a in t.outputs:
            label = _expression(sn, a.expression, net)
            if not isinstance(a.weight, int):
                raise NetError(f"an output weight given by an expression ({a.weight!r}) has no "
                               "SNAKES equivalent", element=where)
            _add(pn, "output", a.place, name, _weighted(sn, label, a.weight, where))
    return pn


def _place_type(sn, kind):
    """A SNAKES type checker for the builtin kinds (others accept any token)."""
    from snakes.typing import Instance
    if kind == "dot":
        return sn.tBlackToken
    builtin = {"int": int, "str": str, "bool": bool}.get(kind)
    return Instance(builtin) if builtin else None


def _add(pn, kind, place, trans, label):
    """SNAKES allows one arc per place and direction: several arcs are joined in a MultiArc."""
    sn = _snakes()
    arcs = pn.transition(trans).input() if kind == "input" else pn.transition(trans).output()
    existing = {p.name: label for p, label in arcs}.get(place)
    if existing is None:
        (pn.add_input if kind == "input" else pn.add_output)(place, trans, label)
        return
    pn.remove_input(place, trans) if kind == "input" else pn.remove_output(place, trans)
    parts = list(existing) if isinstance(existing, sn.MultiArc) else [existing]
    parts += list(label) if isinstance(label, sn.MultiArc) else [label]
    (pn.add_input if kind == "input" else pn.add_output)(place, trans, sn.MultiArc(parts))


def _weighted(sn, label, weight, where):
    if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
        raise NetError(f"arc weight {weight!r} cannot be expressed in SNAKES", element=where)
    return label if weight == 1 else sn.MultiArc([label] * weight)


def _pattern(sn, text, net, where):
    if text is None:
        return sn.Value(sn.dot)
    try:
        node = ast.parse(str(text).strip(), mode="eval").body
    except SyntaxError:
        raise NetError(f"cannot read the pattern {text!r}", element=where) from None

    def conv(n):
        if isinstance(n, ast.Name):
            if n.id in net.constants:
                return sn.Value(net.constants[n.id])
            return sn.Variable(n.id)
        if isinstance(n, ast.Tuple):
            return sn.Tuple([conv(e) for e in n.elts])
        try:
            return sn.Value(ast.literal_eval(n))
        except ValueError:
            raise NetError(f"the pattern {text!r} has no SNAKES equivalent", element=where) from None
    return conv(node)


def _expression(sn, text, net):
    if text is None:
        return sn.Value(sn.dot)
    s = str(text).strip()
    try:
        node = ast.parse(s, mode="eval").body
    except SyntaxError:
        return sn.Expression(s)
    if isinstance(node, ast.Name) and node.id not in net.constants:
        return sn.Variable(node.id)
    try:
        return sn.Value(ast.literal_eval(node))
    except ValueError:
        return sn.Expression(s)


# ---------------------------------------------------------------------------------------------
# From SNAKES
# ---------------------------------------------------------------------------------------------

def from_snakes(pn) -> Net:
    """A ``Net`` from a ``snakes.nets.PetriNet``. Colour sets are taken from the place types
    (black tokens, ``int``, ``str``, ``bool``) or else from the tokens a place holds."""
    sn = _snakes()
    net = Net(pn.name)
    for name, value in pn.globals._env.items():
        if isinstance(value, (int, float, str, bool, tuple)) and not name.startswith("_"):
            net.constants[name] = value
    for p in pn.place():
        tokens = list(p.tokens)
        colour = _colour_of(sn, p, tokens)
        counts = Counter(DOT if t is sn.dot or t == sn.dot else t for t in tokens)
        initial = [Token(v, c) for v, c in counts.items()]
        net.places[p.name] = Place(p.name, colour, initial)
    for t in pn.transition():
        guard = str(t.guard)
        tr = net.add_transition(t.name, guard=None if guard == "True" else guard)
        where = f"transition {t.name!r}"
        for place, label in t.input():
            kind = "normal"
            if isinstance(label, sn.Inhibitor):
                kind, label = "inhibitor", label._annotation
            elif isinstance(label, sn.Test):
                kind, label = "read", label._annotation
            for text, weight in _arc_parts(sn, label, where, pattern=True):
                if kind == "inhibitor" and text is not None and text.startswith("_any"):
                    text = None
                tr.inputs.append(InputArc(place.name, text, weight, kind))
        for place, label in t.output():
            for text, weight in _arc_parts(sn, label, where, pattern=False):
                tr.outputs.append(OutputArc(place.name, text, weight))
    return net


def _colour_of(sn, p, tokens):
    from snakes.typing import Instance
    check = p.checker()
    if check is sn.tBlackToken or (tokens and all(t == sn.dot for t in tokens)):
        return "dot"
    if isinstance(check, Instance):
        for py, name in ((bool, "bool"), (int, "int"), (str, "str")):
            if getattr(check, "_class", None) is py:
                return name
    kinds = {type(t) for t in tokens}
    for py, name in ((bool, "bool"), (int, "int"), (str, "str")):
        if kinds == {py}:
            return name
    if not tokens:
        return "dot"
    raise NetError(f"cannot tell the colour set of place {p.name!r} from its tokens "
                   f"({', '.join(sorted(k.__name__ for k in kinds))}); give it a type",
                   element=f"place {p.name!r}")


def _arc_parts(sn, label, where, pattern):
    """(inscription text, weight) pairs for one SNAKES arc label."""
    if isinstance(label, sn.MultiArc):
        texts = [_label_text(sn, c, where, pattern) for c in label]
        return list(Counter(texts).items())
    return [(_label_text(sn, label, where, pattern), 1)]


def _label_text(sn, label, where, pattern):
    if isinstance(label, sn.Value):
        v = label.value
        return None if v == sn.dot else repr(v)
    if isinstance(label, sn.Variable):
        return label.name
    if isinstance(label, sn.Tuple):
        return "(" + ", ".join(_label_text(sn, c, where, pattern) or "()" for c in label) + \
               ("," if len(list(label)) == 1 else "") + ")"
    if isinstance(label, sn.Expression) and not pattern:
        return str(label)
    raise NetError(f"the SNAKES arc label {label!r} has no equivalent here", element=where)
