"""Random draws for inscriptions: processing times, breakdowns and arrivals that vary.

Expressions may call ``uniform(a, b)``, ``exponential(mean)``, ``normal(mean, sd)``,
``lognormal(mean, sd)``, ``triangular(low, mode, high)``, ``erlang(k, mean)`` and
``discrete(values, weights)``. Every simulation draws from its own generator, seeded from the
run's seed, so the same seed gives the same run. Parameters are checked on every draw; a bad
one raises ``SimulationError``, which the engine reports with the transition, binding and time.

Draws belong where a firing happens: delays, output inscriptions and output weights. Guards
and input inscriptions decide *whether* a binding is enabled and are evaluated any number of
times, so they may not draw (``draws_in`` finds the calls the checker rejects there).

>>> d = Draws(seed=1)
>>> round(d.uniform(2, 4), 6) == round(Draws(seed=1).uniform(2, 4), 6)
True
>>> d.normal(10, -1)
Traceback (most recent call last):
...
petri.errors.SimulationError: normal(mean, sd): sd must be 0 or more, got -1
"""
from __future__ import annotations

import ast
import math
import random
from typing import Callable

from .errors import SimulationError

__all__ = ["Draws", "DISTRIBUTIONS", "draws_in"]


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _need(ok: bool, call: str, message: str) -> None:
    if not ok:
        raise SimulationError(f"{call}: {message}")


class Draws:
    """The distribution functions of one run, drawing from one seeded generator."""

    def __init__(self, seed: int | None = 0):
        # a stream of its own: adding a draw to a net does not change which bindings fire
        self.rng = random.Random(None if seed is None else f"draws:{seed}")

    def functions(self) -> dict[str, Callable]:
        """Name -> bound method, for an expression namespace."""
        return {name: getattr(self, name) for name in DISTRIBUTIONS}

    def uniform(self, a, b):
        """Any value between ``a`` and ``b`` equally likely (``a <= b``)."""
        call = "uniform(a, b)"
        _need(_number(a) and _number(b), call, f"a and b must be finite numbers, got {a!r}, {b!r}")
        _need(a <= b, call, f"a must not exceed b, got {a!r} > {b!r}")
        return self.rng.uniform(a, b)

    def exponential(self, mean):
        """Exponential with the given mean (> 0): times between independent arrivals."""
        call = "exponential(mean)"
        _need(_number(mean) and mean > 0, call, f"mean must be a number above 0, got {mean!r}")
        return self.rng.expovariate(1.0 / mean)

    def normal(self, mean, sd):
        """Normal (Gaussian) with the given mean and standard deviation ``sd`` (>= 0)."""
        call = "normal(mean, sd)"
        _need(_number(mean), call, f"mean must be a finite number, got {mean!r}")
        _need(_number(sd) and sd >= 0, call, f"sd must be 0 or more, got {sd!r}")
        return self.rng.gauss(mean, sd)

    def lognormal(self, mean, sd):
        """Log-normal whose values have this ``mean`` (> 0) and standard deviation ``sd``
        (>= 0): the parameters describe the delay itself, not the underlying normal."""
        call = "lognormal(mean, sd)"
        _need(_number(mean) and mean > 0, call, f"mean must be a number above 0, got {mean!r}")
        _need(_number(sd) and sd >= 0, call, f"sd must be 0 or more, got {sd!r}")
        s2 = math.log1p((sd / mean) ** 2)
        return self.rng.lognormvariate(math.log(mean) - s2 / 2, math.sqrt(s2))

    def triangular(self, low, mode, high):
        """Triangular between ``low`` and ``high``, most likely ``mode``."""
        call = "triangular(low, mode, high)"
        _need(all(map(_number, (low, mode, high))), call,
              f"low, mode and high must be finite numbers, got {low!r}, {mode!r}, {high!r}")
        _need(low <= mode <= high, call, f"need low <= mode <= high, got {low!r}, {mode!r}, {high!r}")
        return self.rng.triangular(low, high, mode)

    def erlang(self, k, mean):
        """Erlang: the sum of ``k`` (a whole number >= 1) exponential phases, total ``mean``."""
        call = "erlang(k, mean)"
        _need(isinstance(k, int) and not isinstance(k, bool) and k >= 1, call,
              f"k must be a whole number of 1 or more, got {k!r}")
        _need(_number(mean) and mean > 0, call, f"mean must be a number above 0, got {mean!r}")
        return self.rng.gammavariate(k, mean / k)

    def discrete(self, values, weights):
        """One of ``values`` (a tuple), each as likely as its weight (numbers >= 0)."""
        call = "discrete(values, weights)"
        _need(isinstance(values, tuple) and isinstance(weights, tuple), call,
              "values and weights must be tuples, e.g. discrete(('A', 'B'), (3, 1))")
        _need(len(values) == len(weights) and len(values) > 0, call,
              f"need as many weights as values (at least one), got {len(values)} values and "
              f"{len(weights)} weights")
        _need(all(_number(w) and w >= 0 for w in weights) and sum(weights) > 0, call,
              f"weights must be numbers of 0 or more, not all 0, got {weights!r}")
        return self.rng.choices(values, weights)[0]


#: Name -> the function of a generator seeded 0: used outside a simulation; every
#: ``Simulator`` puts the functions of its own seeded ``Draws`` in their place.
_DEFAULT = Draws(0)
DISTRIBUTIONS: dict[str, Callable] = {name: getattr(_DEFAULT, name) for name in (
    "uniform", "exponential", "normal", "lognormal", "triangular", "erlang", "discrete")}


def draws_in(tree: ast.AST) -> list[str]:
    """The distribution functions an expression tree calls, in order of appearance."""
    return [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Name) and n.func.id in DISTRIBUTIONS]
