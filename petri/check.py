"""Semantic checks of a net: references, colour sets, markings and inscriptions.

``check_net`` returns every problem it finds in a net built in code or loaded from files;
``validate`` raises them. Each problem is a ``NetError`` naming the element and, when the net
came from files, the file (``net.origin``). Inscriptions are checked by ``petri.expressions``
and never evaluated.

>>> net = Net("line")
>>> _ = net.add_place("raw", initial=2)
>>> _ = net.add_transition("work", inputs=["raw"], outputs=["done"])
>>> [str(e) for e in check_net(net)]
["transition 'work': output arc 1: unknown place 'done'"]
"""
from __future__ import annotations

import ast
import difflib
import keyword
import math
from collections import Counter
from typing import Any, Iterable, Iterator

from .distributions import draws_in
from .expressions import (FUNCTIONS, check_expression, check_pattern, is_pattern, names_used,
                          pattern_variables)
from .model import BUILTIN_COLOUR_SETS, ColourSet, Net, NetError, Transition

__all__ = ["check_net", "check_warnings", "validate", "combine_errors", "close_match",
           "is_position"]

_ARC_NOUNS = {"normal": "input arc", "read": "read arc", "inhibitor": "inhibitor arc"}
_LITERAL_NAMES = {"True", "False", "None"}


def check_net(net: Net) -> list[NetError]:
    """Every problem of ``net``, in declaration order; an empty list means it is valid."""
    return list(_Checker(net).problems())


def check_warnings(net: Net) -> list[str]:
    """What is allowed but most likely not meant, one line each: delays that cannot take
    effect because the tokens they would stamp are untimed."""
    out = []
    colour_sets = net.all_colour_sets()

    def timed(place: str) -> bool:
        p = net.places.get(place)
        cs = colour_sets.get(p.colour) if p is not None else None
        return bool(cs is not None and cs.timed)

    def says(delay) -> bool:
        return delay is not None and not (isinstance(delay, (int, float)) and delay == 0) \
            and not (isinstance(delay, str) and delay.strip() in ("", "0"))

    for t in net.transitions.values():
        where = NetError("", file=net.origin.get(f"transition {t.name}"),
                         element=f"transition {t.name!r}")
        prefix = str(where)
        if says(t.delay) and not any(timed(a.place) for a in t.outputs):
            out.append(f"{prefix}warning: delay {t.delay!r} has no effect: no output place is "
                       f"timed (only tokens of timed colour sets carry a time)")
        for i, a in enumerate(t.outputs, 1):
            if says(a.delay) and a.place in net.places and not timed(a.place):
                out.append(f"{prefix}warning: output arc {i}: delay {a.delay!r} has no effect: "
                           f"place {a.place!r} is untimed (colour set "
                           f"{net.places[a.place].colour!r})")
    return out


def validate(net: Net) -> Net:
    """Return ``net`` if it has no problem, else raise them as one ``NetError``."""
    problems = check_net(net)
    if problems:
        raise combine_errors(problems)
    return net


def combine_errors(errors: list[NetError]) -> NetError:
    """One error for several: the first, saying how many more there are (all in ``.problems``)."""
    first = errors[0]
    if len(errors) == 1:
        return first
    more = len(errors) - 1
    combined = NetError(f"{first.reason} (and {more} more problem{'s' if more > 1 else ''})",
                        file=first.file, element=first.element)
    combined.problems = list(errors)
    return combined


def close_match(word: Any, choices: Iterable) -> str | None:
    """The choice closest to a misspelt ``word``, if any is close."""
    matches = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return matches[0] if matches else None


def _unknown(what: str, name: Any, choices: Iterable) -> str:
    match = close_match(name, choices)
    return f"unknown {what} {name!r}" + (f" (did you mean {match!r}?)" if match else "")


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x) -> bool:
    """Whether ``x`` is a finite number (not a boolean, not inf or nan)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


#: Timed tokens a place may hold initially (each is stored with its own timestamp).
MAX_TIMED_TOKENS = 1_000_000


def is_position(x) -> bool:
    """Whether ``x`` is a drawing position: two finite numbers (x, y)."""
    return (isinstance(x, (tuple, list)) and len(x) == 2
            and all(_is_number(v) and math.isfinite(v) for v in x))


def _is_value(x) -> bool:
    """Whether ``x`` can be a constant or a token: text, a number, a boolean or a tuple of these."""
    if isinstance(x, tuple):
        return all(_is_value(v) for v in x)
    if isinstance(x, float):
        return math.isfinite(x)
    return isinstance(x, (str, int, bool))


def _name_problem(name) -> str | None:
    """Why ``name`` cannot be used in expressions, if it cannot."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        return ("the name cannot be used in expressions (use letters, digits and _, "
                "not starting with a digit)")
    if name.startswith("_"):
        return "a name starting with an underscore cannot be used in expressions"
    if name in FUNCTIONS:
        return f"{name!r} is the name of a function expressions may call"
    return None


def _names(text) -> set[str]:
    """The names in an expression, or none if it does not parse (the checker then says why)."""
    text = str(text).strip()
    if len(text) > 10_000:
        return set()
    try:
        return names_used(ast.parse(text, mode="eval"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()


def _may_be_in(node: ast.expr, cs: ColourSet, colour_sets: dict, constants: dict) -> bool:
    """False only when ``node`` is a literal (or constant) that is no token of ``cs``."""
    if isinstance(node, ast.Constant):
        return cs.contains(node.value, colour_sets)
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant) and _is_number(node.operand.value)):
        return cs.contains(-node.operand.value, colour_sets)
    if isinstance(node, ast.Name) and node.id in constants:
        return cs.contains(constants[node.id], colour_sets)
    if isinstance(node, ast.Tuple):
        if cs.kind == "product":
            return len(node.elts) == len(cs.components) and all(
                _may_be_in(e, colour_sets[c], colour_sets, constants)
                for e, c in zip(node.elts, cs.components))
        return not node.elts and cs.contains((), colour_sets)
    return True


def _sound_colour_sets(colour_sets: dict[str, ColourSet]) -> set[str]:
    """Colour sets whose components are all known and that do not contain themselves."""
    sound: set[str] = set()
    visiting: set[str] = set()

    def visit(name) -> bool:
        if name in sound:
            return True
        cs = colour_sets.get(name) if isinstance(name, str) else None
        if cs is None or name in visiting:
            return False
        visiting.add(name)
        ok = cs.kind != "product" or all(visit(c) for c in cs.components)
        visiting.discard(name)
        if ok:
            sound.add(name)
        return ok

    for name in colour_sets:
        visit(name)
    return sound


class _Checker:
    """Walks a net once, yielding its problems."""

    def __init__(self, net: Net):
        self.net = net
        self.colour_sets = net.all_colour_sets()
        self.sound = _sound_colour_sets(self.colour_sets)
        self.constants = set(net.constants)
        self.tables = set(net.tables)

    def error(self, key: str, element: str, message: str) -> NetError:
        return NetError(message, file=self.net.origin.get(key), element=element)

    def located(self, e: NetError, key: str) -> NetError:
        """An error of ``petri.expressions`` with the file of element ``key`` added."""
        return NetError(e.reason, file=self.net.origin.get(key), element=e.element)

    def colour_of(self, place: str) -> ColourSet | None:
        """The colour set of ``place`` when it is known and well formed."""
        name = self.net.places[place].colour
        return self.colour_sets[name] if name in self.sound else None

    def problems(self) -> Iterator[NetError]:
        yield from self.colour_set_problems()
        yield from self.declaration_problems()
        for place in self.net.places.values():
            yield from self.place_problems(place)
        for transition in self.net.transitions.values():
            yield from self.transition_problems(transition)

    # -- declarations ------------------------------------------------------------------------
    def colour_set_problems(self) -> Iterator[NetError]:
        for name, cs in self.net.colour_sets.items():
            key, element = f"colour set {name}", f"colour set {name!r}"
            if not isinstance(name, str) or not name.isidentifier():
                yield self.error(key, element, "a colour set name is made of letters, digits "
                                               "and _, not starting with a digit")
            if name in BUILTIN_COLOUR_SETS:
                yield self.error(key, element, "a builtin colour set cannot be redeclared")
            if cs.kind == "int" and cs.low is not None and cs.high is not None and cs.low > cs.high:
                yield self.error(key, element, f"low bound {cs.low} is above high bound {cs.high}")
            if cs.kind != "product":
                continue
            for i, component in enumerate(cs.components, 1):
                if component not in self.colour_sets:
                    yield self.error(key, f"{element}: component {i}",
                                     _unknown("colour set", component, self.colour_sets))
            if all(c in self.colour_sets for c in cs.components) and name not in self.sound:
                yield self.error(key, element, "a product cannot contain itself, directly or "
                                               "through its components")

    def declaration_problems(self) -> Iterator[NetError]:
        net, seen = self.net, {}
        for kind, names in (("variable", net.variables), ("constant", net.constants),
                            ("table", net.tables)):
            for name in names:
                key, element = f"{kind} {name}", f"{kind} {name!r}"
                problem = _name_problem(name)
                if problem:
                    yield self.error(key, element, problem)
                elif name in seen:
                    yield self.error(key, element, f"also declared as a {seen[name]}")
                seen.setdefault(name, kind)
        for name, colour in net.variables.items():
            if colour not in self.colour_sets:
                yield self.error(f"variable {name}", f"variable {name!r}",
                                 _unknown("colour set", colour, self.colour_sets))
        for name, value in net.constants.items():
            if not _is_value(value):
                yield self.error(f"constant {name}", f"constant {name!r}",
                                 f"a constant must be text, a finite number, a boolean or a "
                                 f"tuple of these, got {value!r}")
        for name, table in net.tables.items():
            for row, value in getattr(table, "rows", {}).items():
                if not _is_value(value):
                    yield self.error(f"table {name}", f"table {name!r}",
                                     f"row {row!r}: {value!r} is not a finite number, text or a "
                                     f"boolean")
                    break

    def position_problems(self, key: str, element: str, position) -> Iterator[NetError]:
        if position is not None and not is_position(position):
            yield self.error(key, element, f"position must be two numbers [x, y], got "
                                           f"{position!r}")

    # -- places -------------------------------------------------------------------------------
    def place_problems(self, place) -> Iterator[NetError]:
        key, element = f"place {place.name}", f"place {place.name!r}"
        cs = None
        if place.colour not in self.colour_sets:
            yield self.error(key, element, _unknown("colour set", place.colour, self.colour_sets))
        else:
            cs = self.colour_of(place.name)
        capacity = place.capacity
        if capacity is not None and not _is_int(capacity):
            yield self.error(key, element, f"capacity must be an integer, got {capacity!r}")
            capacity = None
        elif capacity is not None and capacity < 0:
            yield self.error(key, element, f"capacity cannot be negative, got {capacity}")
            capacity = None
        yield from self.position_problems(key, element, place.position)
        total = 0
        for token in place.initial:
            label = f"initial token {token.value!r}"
            if not _is_int(token.count) or token.count < 1:
                yield self.error(key, element, f"{label}: count must be a positive integer, "
                                               f"got {token.count!r}")
            else:
                total += token.count
            if not _is_number(token.time) or token.time < 0:
                yield self.error(key, element, f"{label}: time must be a finite number, 0 or "
                                               f"more, got {token.time!r}")
            elif token.time and cs is not None and not cs.timed:
                yield self.error(key, element, f"{label} has time {token.time} but colour set "
                                               f"{place.colour!r} is untimed")
            if cs is not None and not cs.contains(token.value, self.colour_sets):
                yield self.error(key, element, f"{label} is not in colour set {place.colour!r}")
        if cs is not None and cs.timed and total > MAX_TIMED_TOKENS:
            yield self.error(key, element, f"the initial marking has {total:,} timed tokens, over "
                                           f"the limit of {MAX_TIMED_TOKENS:,}")
        if capacity is not None and total > capacity:
            yield self.error(key, element, f"the initial marking has {total} tokens, more than "
                                           f"the capacity {capacity}")

    # -- transitions ---------------------------------------------------------------------------
    def transition_problems(self, t: Transition) -> Iterator[NetError]:
        key, element = f"transition {t.name}", f"transition {t.name!r}"
        if not _is_int(t.priority):
            yield self.error(key, element, f"priority must be an integer, got {t.priority!r}")
        yield from self.position_problems(key, element, t.position)
        bound: set[str] = set()
        later = []  # inscriptions that use variables: checked once every binding one is known
        counts: Counter = Counter()
        for arc in t.inputs:
            noun = _ARC_NOUNS.get(arc.kind)
            if noun is None:
                yield self.error(key, element, f"unknown arc kind {arc.kind!r} (expected one of "
                                               f"{', '.join(_ARC_NOUNS)})")
                continue
            counts[noun] += 1
            where = f"{element}: {noun} {counts[noun]}"
            tree = yield from self.input_arc_problems(key, where, arc)
            if tree is not None and arc.kind != "inhibitor" and is_pattern(tree):
                bound.update(pattern_variables(tree, self.constants))
            elif tree is not None:
                later.append((where, arc.pattern, tree))
            if tree is not None:
                yield from self.no_draws(key, where, tree)
        for where, text, tree in later:
            if is_pattern(tree):  # an inhibitor's pattern binds nothing
                for name in pattern_variables(tree, self.constants):
                    if name not in bound:
                        yield from self.free_variable(t, name, where)
            else:
                yield from self.expression(t, text, where, bound)[1]
        if t.guard is not None and str(t.guard).strip():
            tree, problems = self.expression(t, t.guard, f"{element}: guard", bound)
            yield from problems
            yield from self.no_draws(key, f"{element}: guard", tree)
        yield from self.delay_problems(t, t.delay, f"{element}: delay", bound)
        if t.order is not None:
            if not isinstance(t.order, str) or not t.order.strip():
                yield self.error(key, element, f"order must be an expression (text), got "
                                               f"{t.order!r}")
            else:
                tree, problems = self.expression(t, t.order, f"{element}: order", bound)
                yield from problems
                yield from self.no_draws(key, f"{element}: order", tree)
        for i, arc in enumerate(t.outputs, 1):
            yield from self.output_arc_problems(t, f"{element}: output arc {i}", arc, bound)

    def input_arc_problems(self, key: str, where: str, arc) -> Iterator[NetError]:
        """Problems of one input, read or inhibitor arc; returns its inscription's tree.

        A pure pattern (variables, literals, constants, tuples) binds variables; any other
        inscription is an expression of variables bound by the transition's patterns.
        """
        cs = None
        if arc.place not in self.net.places:
            yield self.error(key, where, _unknown("place", arc.place, self.net.places))
        else:
            cs = self.colour_of(arc.place)
        if not _is_int(arc.weight) or arc.weight < 1:
            yield self.error(key, where, f"weight must be a positive integer, got {arc.weight!r}")
        if arc.pattern is None:
            if cs is not None and cs.kind != "dot" and arc.kind != "inhibitor":
                yield self.error(key, where, f"no inscription means a black token, but place "
                                             f"{arc.place!r} holds colour set "
                                             f"{self.net.places[arc.place].colour!r}")
            return None
        if cs is not None and cs.kind == "dot":
            yield self.error(key, where, f"an arc from place {arc.place!r} of black tokens takes "
                                         f"no inscription, got {arc.pattern!r}")
            return None
        try:
            tree = check_pattern(arc.pattern, constants=self.constants, tables=self.tables,
                                 where=where)
        except NetError as e:
            yield self.located(e, key)
            return None
        tables = [n for n in pattern_variables(tree) if n in self.tables]
        if is_pattern(tree) and tables:
            yield self.error(key, where, f"pattern {arc.pattern!r} names table {tables[0]!r}; a "
                                         f"pattern holds variables, literals and constants")
            return None
        if cs is not None and not _may_be_in(tree, cs, self.colour_sets, self.net.constants):
            yield self.error(key, where, f"pattern {arc.pattern!r} can never match a token of "
                                         f"colour set {self.net.places[arc.place].colour!r} "
                                         f"(place {arc.place!r})")
        return tree

    def output_arc_problems(self, t: Transition, where: str, arc, bound: set[str]
                            ) -> Iterator[NetError]:
        key = f"transition {t.name}"
        cs = None
        if arc.place not in self.net.places:
            yield self.error(key, where, _unknown("place", arc.place, self.net.places))
        else:
            cs = self.colour_of(arc.place)
        if arc.expression is None:
            if cs is not None and cs.kind != "dot":
                yield self.error(key, where, f"no inscription means a black token, but place "
                                             f"{arc.place!r} holds colour set "
                                             f"{self.net.places[arc.place].colour!r}")
        else:
            tree, problems = self.expression(t, arc.expression, where, bound)
            yield from problems
            if tree is not None and cs is not None and not _may_be_in(
                    tree, cs, self.colour_sets, self.net.constants):
                yield self.error(key, where, f"inscription {arc.expression!r} is never a token of "
                                             f"colour set {self.net.places[arc.place].colour!r} "
                                             f"(place {arc.place!r})")
        if isinstance(arc.weight, str):
            yield from self.expression(t, arc.weight, f"{where}: weight", bound)[1]
        elif not _is_int(arc.weight) or arc.weight < 0:
            yield self.error(key, where, f"weight must be an integer (0 or more) or an expression, "
                                         f"got {arc.weight!r}")
        if arc.delay is not None:
            yield from self.delay_problems(t, arc.delay, f"{where}: delay", bound)

    def delay_problems(self, t: Transition, delay, where: str, bound: set[str]
                       ) -> Iterator[NetError]:
        if delay is None or isinstance(delay, str):
            if delay is not None:
                yield from self.expression(t, delay, where, bound)[1]
        elif not _is_number(delay):
            yield self.error(f"transition {t.name}", where,
                             f"a delay must be a finite number or an expression, got {delay!r}")
        elif delay < 0:
            yield self.error(f"transition {t.name}", where, f"a delay cannot be negative, got {delay}")

    def no_draws(self, key: str, where: str, tree) -> Iterator[NetError]:
        """Guards, input inscriptions and orders decide whether and which binding is enabled;
        they are evaluated any number of times and may not draw random numbers."""
        names = draws_in(tree) if tree is not None else []
        if names:
            yield self.error(key, where, f"{names[0]}() draws a random number, which only a "
                                         f"delay, an output inscription or an output weight may "
                                         f"do (enabling must not depend on chance)")

    # -- inscriptions --------------------------------------------------------------------------
    def expression(self, t: Transition, text, where: str, bound: set[str]
                   ) -> tuple[ast.expr | None, list[NetError]]:
        """Check one expression of ``t``: its tree (None if rejected) and its problems."""
        key = f"transition {t.name}"
        free = sorted(_names(text) - bound - self.constants - self.tables - set(FUNCTIONS)
                      - _LITERAL_NAMES)
        try:
            tree = check_expression(text, variables=bound | set(free), constants=self.constants,
                                    tables=self.tables, where=where)
        except NetError as e:
            return None, [self.located(e, key)]
        return tree, [p for name in free for p in self.free_variable(t, name, where)]

    def free_variable(self, t: Transition, name: str, where: str) -> list[NetError]:
        """A variable no input arc of ``t`` binds must be declared with a finite colour set."""
        key = f"transition {t.name}"
        colour = self.net.variables.get(name)
        if colour is None:
            return [self.error(key, where, f"variable {name!r} is not bound by any input arc of "
                                           f"transition {t.name!r} and not declared in [variables]")]
        if colour in self.sound and not self.colour_sets[colour].is_finite(self.colour_sets):
            return [self.error(key, where, f"variable {name!r} is not bound by any input arc of "
                                           f"transition {t.name!r} and its colour set {colour!r} "
                                           f"in [variables] is infinite, so its values cannot be "
                                           f"tried")]
        return []
