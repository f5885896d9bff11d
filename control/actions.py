"""Controllable transitions as a fixed, numbered set of actions.

An RL agent needs the same action numbers at every step, but the engine offers a different
list of bindings at every decision point. ``ActionSet`` unfolds every controllable transition
over the values its variables can take (the finite product of their colour sets), numbers
the (transition, binding) pairs in net order, and adds one last action: wait. At a decision
point ``mask(bindings)`` says which numbers are offered now and ``binding(k, bindings)``
turns a number back into the engine's binding.

>>> from petri import Net
>>> net = Net()
>>> _ = net.add_colour_set("Job", values=["a", "b"])
>>> _ = net.add_place("queue", "Job", initial=["a"])
>>> _ = net.add_place("done", "Job")
>>> _ = net.add_transition("start", inputs=[("queue", "j")], outputs=[("done", "j")],
...                        controllable=True)
>>> actions = ActionSet(net)
>>> actions.labels
['start<j=a>', 'start<j=b>', 'wait']
"""
from __future__ import annotations

import ast
import itertools
from typing import Iterable, Mapping

import numpy as np

from petri.engine import WAIT, Binding
from petri.expressions import is_pattern
from petri.errors import SimulationError
from petri.model import ColourSet, Net, NetError

__all__ = ["ActionSet", "InvalidAction", "variable_colours", "end_time", "MAX_ACTIONS"]

#: more unfolded actions than this is almost surely a mistake (an unbounded range)
MAX_ACTIONS = 100_000


def variable_colours(net: Net, transition: str) -> dict[str, str]:
    """The colour set of each variable of ``transition``: declared in the net's variables,
    or read off the input and read arcs' patterns and the colour sets of their places."""
    t = net.transitions[transition]
    out: dict[str, str] = {}
    sets = net.all_colour_sets()

    def visit(node: ast.expr, cs: ColourSet) -> None:
        if isinstance(node, ast.Name):
            if node.id not in net.constants and node.id not in ("True", "False", "None"):
                out.setdefault(node.id, cs.name)
        elif isinstance(node, ast.Tuple) and cs.kind == "product" \
                and len(node.elts) == len(cs.components):
            for elt, comp in zip(node.elts, cs.components):
                visit(elt, sets[comp])

    for arc in t.inputs:
        if arc.kind == "inhibitor" or arc.pattern is None:
            continue
        try:
            tree = ast.parse(str(arc.pattern).strip(), mode="eval").body
        except SyntaxError:
            continue
        if is_pattern(tree):
            visit(tree, net.colour_set(net.places[arc.place].colour))
    for name, colour in net.variables.items():
        out[name] = colour
    return out


def end_time(state) -> float:
    """When a finished run is really over: the clock, or the latest timestamp of a token still
    in the net if later (a last firing's delay is work done after the clock stopped)."""
    latest = state.clock
    for place in state.net.places:
        for _, stamp in state.tokens(place):
            if stamp > latest:
                latest = stamp
    return latest


class InvalidAction(SimulationError, ValueError):
    """An action number that is not offered at this decision point (a ``SimulationError``:
    the agent misbehaved during a run)."""


class ActionSet:
    """Every (controllable transition, binding) of ``net``, numbered, and a last action: wait.

    ``values`` gives the values of a variable where its colour set is not finite, e.g.
    ``{"o": range(1, 51)}`` for order numbers typed ``int``; it also narrows finite ones.
    """

    def __init__(self, net: Net, values: Mapping[str, Iterable] | None = None):
        from petri.engine import compile_net
        compiled = compile_net(net, log=False)
        given = {k: list(v) for k, v in (values or {}).items()}
        sets = net.all_colour_sets()
        self.net_name = net.name
        self.transitions: list[str] = []
        self.variables: dict[str, tuple[str, ...]] = {}
        self.labels: list[str] = []
        self._keys: list[tuple] = []            # (transition, values tuple) per action
        self._index: dict[tuple, int] = {}
        for ct in compiled.transitions:
            if not ct.controllable:
                continue
            name, variables = ct.name, tuple(ct.variables)
            colours = variable_colours(net, name)
            domains = []
            for v in variables:
                if v in given:
                    domains.append(given[v])
                    continue
                cs = sets.get(colours.get(v, ""))
                if cs is None:
                    raise NetError(f"variable {v!r}: its colour set is not known, so the "
                                   f"transition's bindings cannot be listed as actions; declare "
                                   f"it under [variables] or give its values",
                                   element=f"transition '{name}'")
                if not cs.is_finite(sets):
                    raise NetError(
                        f"variable {v!r} has the unbounded colour set {cs.name!r}, so the "
                        f"transition's bindings cannot be listed as a fixed set of actions; "
                        f"declare a bounded colour set (an enumeration, or an int with low and "
                        f"high) or give the values, e.g. values={{{v!r}: range(1, 51)}}",
                        element=f"transition '{name}'")
                domains.append(cs.all_values(sets))
            self.transitions.append(name)
            self.variables[name] = variables
            for combo in itertools.product(*domains):
                key = (name, tuple(combo))
                self._index[key] = len(self._keys)
                self._keys.append(key)
                inner = ", ".join(f"{k}={x}" for k, x in zip(variables, combo))
                self.labels.append(f"{name}<{inner}>" if variables else name)
                if len(self._keys) > MAX_ACTIONS:
                    raise NetError(f"more than {MAX_ACTIONS:,} actions: narrow the variables' "
                                   f"values (bounded colour sets, or values=...)",
                                   element=f"transition '{name}'")
        if not self._keys:
            raise NetError("the net has no controllable transition, so there is nothing to "
                           "decide (mark transitions controllable = true)")
        self.labels.append("wait")
        self.wait = len(self._keys)

    def __len__(self) -> int:
        return len(self._keys) + 1

    def index(self, binding: Binding) -> int:
        """The number of an offered binding."""
        if binding._t >= 0:     # offered by the engine: its values in the variables' order
            values = binding._b
        else:
            values = tuple(binding.values[v] for v in self.variables[binding.transition])
        try:
            return self._index[(binding.transition, values)]
        except KeyError:
            raise NetError(f"binding {binding!r} is not one of the actions (a value outside the "
                           f"values given for its variables)") from None

    def numbers(self, compiled) -> list[dict[tuple, int] | None]:
        """Per transition of ``compiled`` (this net, compiled), the action number of each of
        its bindings as the engine lists them (a tuple of values in the transition's variable
        order); None for a transition that is not an action."""
        out: list[dict[tuple, int] | None] = [None] * len(compiled.transitions)
        for k, (name, values) in enumerate(self._keys):
            u = compiled.transition_index[name]
            if out[u] is None:
                out[u] = {}
            out[u][values] = k
        return out

    def mask(self, bindings: Iterable[Binding], wait: bool = True) -> np.ndarray:
        """True for the actions offered now (and for wait, when ``wait``)."""
        m = np.zeros(len(self), dtype=bool)
        index = self.index
        m[[index(b) for b in bindings]] = True
        m[self.wait] = wait
        return m

    def offered(self, bindings: Iterable[Binding]) -> dict[int, Binding]:
        """Action number -> binding, for the bindings offered now."""
        index = self.index
        return {index(b): b for b in bindings}

    def binding(self, action: int, bindings: Iterable[Binding]):
        """The offered binding numbered ``action`` (``WAIT`` for the wait action); raises
        ``InvalidAction`` when that action is not offered now."""
        action = int(action)
        if action == self.wait:
            return WAIT
        if 0 <= action < self.wait:
            name, values = self._keys[action]
            for b in bindings:
                if b.transition == name and tuple(b.values[v] for v in self.variables[name]) == values:
                    return b
            raise InvalidAction(f"action {action} ({self.labels[action]}) is not enabled now")
        raise InvalidAction(f"action {action} is out of range (0..{self.wait})")
