"""Controllers by name, so that experiments and the command line can pick them.

>>> "traditional" in names()
True
>>> create("traditional").name
'traditional'

Another module adds its controller with ``register("name", factory)``; a factory is any
callable returning a controller (``choose(decision)``, optionally ``reset(state)``), called
with the keyword options given to ``create``. Built-in controllers are imported only when
asked for.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable

__all__ = ["register", "create", "names", "describe"]

#: name -> "module:attribute" of the built-in controllers, imported on first use
_BUILTIN = {
    "traditional": "control.flowfactory.traditional:TraditionalController",
    "ss": "control.flowfactory.rl:ss_controller",
    "earliest-order": "control.flowfactory.earliest:EarliestOrderController",
    "thesis-rl": "control.flowfactory.rl:thesis_rl_controller",
}
_FACTORIES: dict[str, Callable[..., Any]] = {}


def register(name: str, factory: Callable[..., Any]) -> None:
    """Make ``create(name)`` call ``factory``; a name is registered once."""
    if not isinstance(name, str) or not name:
        raise ValueError("a controller needs a non-empty name")
    if name in _FACTORIES or name in _BUILTIN:
        raise ValueError(f"a controller named {name!r} is already registered")
    _FACTORIES[name] = factory


def names() -> list[str]:
    """Every registered controller name, built-in ones first."""
    return list(_BUILTIN) + [n for n in _FACTORIES if n not in _BUILTIN]


def _factory(name: str) -> Callable[..., Any]:
    if name in _FACTORIES:
        return _FACTORIES[name]
    if name in _BUILTIN:
        module, attr = _BUILTIN[name].split(":")
        return getattr(importlib.import_module(module), attr)
    raise KeyError(f"unknown controller {name!r} (known: {', '.join(names())})")


def create(name: str, **options) -> Any:
    """A new controller of the given name."""
    return _factory(name)(**options)


def describe(name: str) -> str:
    """The first line of the controller's docstring."""
    doc = (_factory(name).__doc__ or "").strip()
    return doc.splitlines()[0] if doc else ""
