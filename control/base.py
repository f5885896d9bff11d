"""The controller contract: the engine asks, a controller chooses.

At a decision point (only controllable bindings are enabled at this instant) the engine
calls ``choose(decision)``. ``decision.bindings`` lists the enabled controllable bindings,
``decision.state`` is a read-only view of the simulation (``clock``, ``marking``,
``tokens(place)``, ``count(place)`` and ``counts()`` (kept by the engine from one decision to
the next), ``at_least(place, n)`` (whether the place holds at least ``n`` tokens),
``colours(place)``, ``capacity(place)``, ``version(place)`` (changes whenever a firing
changes the place), ``net``). The controller returns one of the bindings, or ``WAIT``
(``None``) to let time advance. Rules, Q-learning and the
Gymnasium environment all plug in here; the engine knows nothing else about them.

``decision.bindings`` is built when first read, and its ``Binding`` objects are kept by the
engine (and offered again) until a place of their transition changes: read them, do not
change them.

A controller with ``deterministic = True`` says that ``choose`` gives the same answer for the
same offer and the same values of what it read (places, clock, firings), and that being asked
again then changes none of its later answers: after it waits, the engine asks it again only
when its offer or something it read changed (a comparison read with ``at_least`` changes
only when its answer does; ``decision.state.valid_until(t)``: what it read of the clock holds
before ``t``; ``decision.offering(bindings)`` hands part of a decision on without reading the
clock). See docs/rl.md, "The contract".
"""
from __future__ import annotations

import random
from typing import Protocol, runtime_checkable

from petri.engine import WAIT, Binding, Decision, StateView

__all__ = ["Controller", "WAIT", "Binding", "Decision", "StateView", "FirstController",
           "RandomController"]


@runtime_checkable
class Controller(Protocol):
    """Anything with ``choose``; ``reset`` is optional and called when a run starts."""

    def choose(self, decision: Decision) -> Binding | None:
        ...


class FirstController:
    """Always takes the first offered binding (transitions in net order)."""

    def choose(self, decision: Decision) -> Binding | None:
        return decision.bindings[0] if decision.bindings else WAIT


class RandomController:
    """Picks uniformly among the offered bindings with its own seeded RNG."""

    def __init__(self, seed: int | None = 0):
        self.seed = seed
        self.rng = random.Random(seed)

    def reset(self, state: StateView) -> None:
        self.rng = random.Random(self.seed)

    def choose(self, decision: Decision) -> Binding | None:
        return self.rng.choice(decision.bindings) if decision.bindings else WAIT
