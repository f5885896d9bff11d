"""Rule controllers on the controller contract: (s, S) reorder points, FIFO and priority
release, and a way to stack them.

Each rule looks only at the bindings of the transitions it is for and returns one of them or
nothing; ``Rules`` asks its rules in order and fires the first binding one returns, else
hands the remaining bindings to a ``base`` controller, else waits.

>>> from petri import Net
>>> from petri.engine import Simulator
>>> net = Net()
>>> _ = net.add_place("store", initial=1, capacity=5)
>>> _ = net.add_place("supplier", initial=1)
>>> _ = net.add_transition("reorder", inputs=["supplier"], outputs=["supplier", ("store", None, 4)],
...                        controllable=True)
>>> sim = Simulator(net, controller=Rules([ReorderPoint("reorder", "store", s=1, S=5)]))
>>> sim.run().reason, sim.count("store")
('dead', 5)
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

from petri.engine import WAIT, Decision

__all__ = ["Rules", "ReorderPoint", "FifoRelease", "PriorityRelease"]


class ReorderPoint:
    """(s, S) policy for one store: fire ``transition`` (the reorder) when the stock in
    ``place`` is at most ``s``, and only while it is below ``S`` (default: the place's
    capacity; in nets where a delivery fills the store, S is that capacity)."""

    def __init__(self, transition: str, place: str, s: int, S: int | None = None):
        if S is not None and S <= s:
            raise ValueError(f"(s, S) needs s < S, got s={s}, S={S}")
        self.transition, self.place, self.s, self.S = transition, place, s, S

    #: its answer follows from the bindings and the stock it reads (see ``Rules.deterministic``)
    deterministic = True

    def transitions(self) -> set[str]:
        return {self.transition}

    def __call__(self, bindings: list, state):
        # read as two comparisons (``at_least``), not the count: a deterministic controller's
        # wait then holds while the stock stays above s, however it moves
        top = self.S if self.S is not None else state.net.places[self.place].capacity
        if not state.at_least(self.place, self.s + 1) and (
                top is None or not state.at_least(self.place, top)):
            for b in bindings:
                if b.transition == self.transition:
                    return b
        return None

    def __repr__(self):
        return f"ReorderPoint({self.transition!r}, {self.place!r}, s={self.s}, S={self.S})"


class PriorityRelease:
    """Release the offered binding of ``transition`` with the smallest ``key(binding, state)``;
    with ``wip`` and ``in_process(state)``, release only while fewer than ``wip`` are in
    process."""

    def __init__(self, transition: str, key: Callable, wip: int | None = None,
                 in_process: Callable | None = None):
        if wip is not None and in_process is None:
            raise ValueError("a wip limit needs in_process(state): how many are in process")
        self.transition, self.key, self.wip, self.in_process = transition, key, wip, in_process

    def transitions(self) -> set[str]:
        return {self.transition}

    def __call__(self, bindings: list, state):
        mine = [b for b in bindings if b.transition == self.transition]
        if not mine or (self.wip is not None and self.in_process(state) >= self.wip):
            return None
        return min(mine, key=lambda b: self.key(b, state))


class FifoRelease(PriorityRelease):
    """Release in list order: the binding with the smallest value of ``variable`` (e.g. the
    order number) first."""

    def __init__(self, transition: str, variable: str, wip: int | None = None,
                 in_process: Callable | None = None):
        super().__init__(transition, lambda b, state: b.values[variable], wip, in_process)


class Rules:
    """Ask ``rules`` in order; the first binding one returns fires. Bindings of transitions no
    rule is for go to ``base`` (any controller); otherwise wait."""

    def __init__(self, rules: Iterable, base=None, name: str = "rules"):
        self.rules = list(rules)
        self.base = base
        self.name = name
        self._ruled = set().union(*(r.transitions() for r in self.rules)) if self.rules else set()

    @property
    def deterministic(self) -> bool:
        """Whether every rule and the base controller say their answer follows from what they
        read (the controller contract's ``deterministic``): then so does this controller's."""
        return all(getattr(r, "deterministic", False) for r in self.rules) and (
            self.base is None or bool(getattr(self.base, "deterministic", False)))

    def reset(self, state) -> None:
        if self.base is not None and hasattr(self.base, "reset"):
            self.base.reset(state)

    def choose(self, decision: Decision):
        for rule in self.rules:
            b = rule(decision.bindings, decision.state)
            if b is not None:
                return b
        if self.base is not None:
            rest = [b for b in decision.bindings if b.transition not in self._ruled]
            if rest:
                return self.base.choose(decision.offering(rest))
        return WAIT

    @property
    def effort(self) -> Mapping:
        return getattr(self.base, "effort", {})
