"""The net model: colour sets, places, transitions, arcs, constants and tables.

Plain Python objects, built in code or loaded from files (``petri.formats``). The model holds
no semantics: the engine (``petri.engine``) and the analyses compile it into their own forms.
Expressions (guards, delays, arc inscriptions) are kept here as source text and checked by
``petri.expressions`` when a net is validated or compiled.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .errors import NetError

__all__ = [
    "DOT", "ColourSet", "Token", "Place", "Transition", "InputArc", "OutputArc", "Table", "Net",
    "NetError", "multiset",
]

#: The black token of uncoloured places.
DOT = ()




# ---------------------------------------------------------------------------------------------
# Colour sets
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ColourSet:
    """A type of tokens.

    ``kind`` is one of ``dot`` (black tokens), ``enum`` (``values``), ``int`` (optionally
    bounded by ``low``/``high``), ``str``, ``bool`` or ``product`` (a tuple whose components
    are the colour sets named in ``components``). Tokens of a ``timed`` colour set carry a
    timestamp.
    """

    name: str
    kind: str
    values: tuple = ()
    components: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None
    timed: bool = False

    KINDS = ("dot", "enum", "int", "str", "bool", "product")

    def __post_init__(self):
        if self.kind not in self.KINDS:
            raise NetError(f"unknown colour set kind {self.kind!r} (expected one of "
                           f"{', '.join(self.KINDS)})", element=f"colour set {self.name}")
        if self.kind == "enum":
            if not self.values:
                raise NetError("an enumeration needs at least one value",
                               element=f"colour set {self.name}")
            if len(set(self.values)) != len(self.values):
                raise NetError("an enumeration lists a value twice", element=f"colour set {self.name}")
        if self.kind == "product" and len(self.components) < 2:
            raise NetError("a product needs at least two components", element=f"colour set {self.name}")

    def contains(self, value: Any, colour_sets: Mapping[str, "ColourSet"]) -> bool:
        """Whether ``value`` is a token of this colour set."""
        k = self.kind
        if k == "dot":
            return value == DOT
        if k == "enum":
            return value in self.values
        if k == "int":
            return (isinstance(value, int) and not isinstance(value, bool)
                    and (self.low is None or value >= self.low)
                    and (self.high is None or value <= self.high))
        if k == "str":
            return isinstance(value, str)
        if k == "bool":
            return isinstance(value, bool)
        if not isinstance(value, tuple) or len(value) != len(self.components):
            return False
        return all(colour_sets[c].contains(v, colour_sets) for c, v in zip(self.components, value))

    def is_finite(self, colour_sets: Mapping[str, "ColourSet"]) -> bool:
        if self.kind in ("dot", "enum", "bool"):
            return True
        if self.kind == "int":
            return self.low is not None and self.high is not None
        if self.kind == "product":
            return all(colour_sets[c].is_finite(colour_sets) for c in self.components)
        return False

    def all_values(self, colour_sets: Mapping[str, "ColourSet"]) -> list:
        """Every token of a finite colour set, in declaration order."""
        k = self.kind
        if k == "dot":
            return [DOT]
        if k == "enum":
            return list(self.values)
        if k == "bool":
            return [False, True]
        if k == "int" and self.is_finite(colour_sets):
            return list(range(self.low, self.high + 1))
        if k == "product" and self.is_finite(colour_sets):
            result = [()]
            for c in self.components:
                result = [r + (v,) for r in result for v in colour_sets[c].all_values(colour_sets)]
            return result
        raise NetError("colour set is infinite: its values cannot be enumerated",
                       element=f"colour set {self.name}")


#: Colour sets every net knows without declaring them.
BUILTIN_COLOUR_SETS = {
    "dot": ColourSet("dot", "dot"),
    "int": ColourSet("int", "int"),
    "str": ColourSet("str", "str"),
    "bool": ColourSet("bool", "bool"),
}


# ---------------------------------------------------------------------------------------------
# Places, transitions, arcs
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    """``count`` tokens of colour ``value`` with timestamp ``time`` (0 for untimed places)."""

    value: Any = DOT
    count: int = 1
    time: float = 0


def multiset(tokens: Iterable[Token]) -> Counter:
    """The tokens as a ``Counter`` of ``(value, time)`` pairs, for comparing markings."""
    c: Counter = Counter()
    for t in tokens:
        c[(t.value, t.time)] += t.count
    return c


@dataclass
class Place:
    """A place: its colour set, initial marking and optional capacity (tokens at most)."""

    name: str
    colour: str = "dot"
    initial: list[Token] = field(default_factory=list)
    capacity: int | None = None
    description: str = ""
    #: where editors draw it, (x, y) with y downwards as in PNML; None: not placed yet.
    #: Layout only, so not compared: nets that differ only in drawing are equal.
    position: tuple[float, float] | None = field(default=None, compare=False)

    def initial_count(self) -> int:
        return sum(t.count for t in self.initial)


@dataclass
class InputArc:
    """An arc from ``place`` into a transition.

    ``kind`` is ``normal`` (consumes ``weight`` tokens matching ``pattern``), ``read`` (a test
    arc: the tokens must be there and ready, nothing is consumed) or ``inhibitor`` (the
    transition is enabled only while the place holds fewer than ``weight`` tokens matching
    ``pattern``; with no pattern, tokens of any colour count). A pattern is a variable, a
    literal, a constant's name or a tuple of patterns; ``None`` means the black token.
    """

    place: str
    pattern: str | None = None
    weight: int = 1
    kind: str = "normal"

    KINDS = ("normal", "read", "inhibitor")


@dataclass
class OutputArc:
    """An arc from a transition to ``place``: produces ``weight`` tokens of colour ``expression``.

    ``weight`` is an integer or an expression (text); ``delay`` adds to the transition's
    delay for the tokens of this arc. ``expression`` ``None`` means the black token.
    """

    place: str
    expression: str | None = None
    weight: int | str = 1
    delay: str | float | None = None


@dataclass
class Transition:
    """A transition: guard, delay, priority (higher fires first), controllable flag, arcs, and
    an optional binding order (an expression: among bindings enabled at the same instant, the
    smallest value fires first)."""

    name: str
    guard: str | None = None
    delay: str | float = 0
    priority: int = 0
    controllable: bool = False
    inputs: list[InputArc] = field(default_factory=list)
    outputs: list[OutputArc] = field(default_factory=list)
    description: str = ""
    #: as ``Place.position``: layout only, not compared
    position: tuple[float, float] | None = field(default=None, compare=False)
    order: str | None = None


@dataclass
class Table:
    """A data table that expressions index: ``name[key]`` or ``name[k1, k2]``.

    ``rows`` maps a key (a scalar, or a tuple when the table has several key columns) to a
    value. ``source`` names the CSV file it came from (relative to the net file), if any.
    """

    name: str
    rows: dict
    key: tuple[str, ...] = ()
    value: str = ""
    source: str | None = None

    def __getitem__(self, key):
        try:
            return self.rows[key]
        except KeyError:
            raise KeyError(f"table {self.name} has no row {key!r}") from None

    def __contains__(self, key):
        return key in self.rows

    def __len__(self):
        return len(self.rows)

    def __repr__(self):
        return f"Table({self.name!r}, {len(self.rows)} rows)"


# ---------------------------------------------------------------------------------------------
# The net
# ---------------------------------------------------------------------------------------------

class Net:
    """A timed coloured Petri net.

    >>> net = Net("line")
    >>> _ = net.add_place("raw", initial=3)
    >>> _ = net.add_place("done")
    >>> _ = net.add_transition("work", inputs=["raw"], outputs=["done"], delay=2)
    >>> sorted(net.places)
    ['done', 'raw']
    """

    def __init__(self, name: str = "net", description: str = ""):
        self.name = name
        self.description = description
        self.colour_sets: dict[str, ColourSet] = {}
        self.variables: dict[str, str] = {}
        self.constants: dict[str, Any] = {}
        self.tables: dict[str, Table] = {}
        self.places: dict[str, Place] = {}
        self.transitions: dict[str, Transition] = {}
        #: where each element came from (element key -> file), for error messages
        self.origin: dict[str, str] = {}

    # -- building ------------------------------------------------------------------------------
    def add_colour_set(self, name: str, kind: str | None = None, *, values=(), components=(),
                       low=None, high=None, timed=False) -> ColourSet:
        """Declare a colour set. ``kind`` defaults to ``enum`` when values are given."""
        if kind is None:
            kind = "enum" if values else ("product" if components else "int")
        cs = ColourSet(name, kind, tuple(values), tuple(components), low, high, bool(timed))
        self._unique("colour set", name, self.colour_sets)
        self.colour_sets[name] = cs
        return cs

    def add_variable(self, name: str, colour: str) -> None:
        """Declare a variable's colour set (needed only for variables no input arc binds)."""
        self._unique("variable", name, self.variables)
        self.variables[name] = colour

    def add_constant(self, name: str, value: Any) -> None:
        self._unique("constant", name, self.constants)
        self.constants[name] = value

    def add_table(self, name: str, rows: Mapping, *, key=(), value="", source=None) -> Table:
        self._unique("table", name, self.tables)
        table = Table(name, dict(rows), tuple(key), value, source)
        self.tables[name] = table
        return table

    def add_place(self, name: str, colour: str = "dot", initial=None, capacity: int | None = None,
                  description: str = "") -> Place:
        """Add a place. ``initial``: an int (black tokens), a dict colour -> count, or a
        list whose items are colours (one token each) or ``Token`` objects."""
        self._unique("place", name, self.places)
        place = Place(name, colour, _tokens(initial), capacity, description)
        self.places[name] = place
        return place

    def add_transition(self, name: str, *, guard: str | None = None, delay: str | float = 0,
                       priority: int = 0, controllable: bool = False, inputs=(), outputs=(),
                       reads=(), inhibitors=(), description: str = "",
                       order: str | None = None) -> Transition:
        """Add a transition with its arcs.

        Arcs may be given as a place name (one black token), a ``(place, inscription)`` or
        ``(place, inscription, weight)`` tuple, or an arc object.
        """
        self._unique("transition", name, self.transitions)
        t = Transition(name, guard, delay, priority, controllable, description=description,
                       order=order)
        for spec in inputs:
            t.inputs.append(_input_arc(spec, "normal"))
        for spec in reads:
            t.inputs.append(_input_arc(spec, "read"))
        for spec in inhibitors:
            t.inputs.append(_input_arc(spec, "inhibitor"))
        for spec in outputs:
            t.outputs.append(_output_arc(spec))
        self.transitions[name] = t
        return t

    def _unique(self, what: str, name: str, table: Mapping) -> None:
        if not isinstance(name, str) or not name:
            raise NetError(f"a {what} needs a non-empty name")
        if name in table:
            raise NetError(f"{what} {name!r} is declared twice")

    # -- queries -----------------------------------------------------------------------------------
    def colour_set(self, name: str) -> ColourSet:
        cs = self.colour_sets.get(name) or BUILTIN_COLOUR_SETS.get(name)
        if cs is None:
            raise NetError(f"unknown colour set {name!r}")
        return cs

    def all_colour_sets(self) -> dict[str, ColourSet]:
        return {**BUILTIN_COLOUR_SETS, **self.colour_sets}

    def is_timed(self, place: str) -> bool:
        return self.colour_set(self.places[place].colour).timed

    def initial_marking(self) -> dict[str, Counter]:
        """Place name -> Counter of (colour, timestamp)."""
        return {name: multiset(p.initial) for name, p in self.places.items()}

    def is_pt(self) -> bool:
        """Whether this is a plain place/transition net (black tokens, no guards, constant weights)."""
        for p in self.places.values():
            if self.colour_set(p.colour).kind != "dot":
                return False
        for t in self.transitions.values():
            if t.guard not in (None, "", "True"):
                return False
            if any(a.pattern is not None for a in t.inputs):
                return False
            if any(not isinstance(a.weight, int) or a.expression is not None for a in t.outputs):
                return False
        return True

    def copy(self) -> "Net":
        import copy
        return copy.deepcopy(self)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Net):
            return NotImplemented
        return (self.name == other.name and self.colour_sets == other.colour_sets
                and self.variables == other.variables and self.constants == other.constants
                and {k: (v.rows, v.key, v.value) for k, v in self.tables.items()}
                == {k: (v.rows, v.key, v.value) for k, v in other.tables.items()}
                and {k: (v.colour, multiset(v.initial), v.capacity) for k, v in self.places.items()}
                == {k: (v.colour, multiset(v.initial), v.capacity) for k, v in other.places.items()}
                and self.transitions == other.transitions)

    def __repr__(self):
        return (f"Net({self.name!r}, {len(self.places)} places, "
                f"{len(self.transitions)} transitions)")


def _tokens(initial) -> list[Token]:
    """Tokens from an int (black tokens), a dict colour -> count, or a list of colours/Tokens."""
    if initial is None:
        return []
    if isinstance(initial, bool):
        raise NetError("an initial marking cannot be a boolean")
    if isinstance(initial, int):
        if initial < 0:
            raise NetError("an initial marking cannot be negative")
        return [Token(DOT, initial)] if initial else []
    if isinstance(initial, Mapping):
        return [Token(v, c) for v, c in initial.items() if c]
    return [item if isinstance(item, Token) else Token(item, 1) for item in initial]


def _input_arc(spec, kind: str) -> InputArc:
    if isinstance(spec, InputArc):
        if spec.kind != kind and kind != "normal":
            spec = InputArc(spec.place, spec.pattern, spec.weight, kind)
        return spec
    if isinstance(spec, str):
        return InputArc(spec, None, 1, kind)
    place, pattern, *rest = spec
    weight = rest[0] if rest else 1
    return InputArc(place, pattern, weight, kind)


def _output_arc(spec) -> OutputArc:
    if isinstance(spec, OutputArc):
        return spec
    if isinstance(spec, str):
        return OutputArc(spec)
    place, expression, *rest = spec
    weight = rest[0] if rest else 1
    delay = rest[1] if len(rest) > 1 else None
    return OutputArc(place, expression, weight, delay)
