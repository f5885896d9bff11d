"""Controllers and experiments by name, so that experiments and the command line can pick them.

Case studies register theirs from a plugin (see ``petri.registry``); nothing here names one.
A controller factory is any callable returning a controller (``choose(decision)``, optionally
``reset(state)``), called with the keyword options given to ``create``; it may be registered
as ``"module:attribute"``, imported only when asked for::

    from control import registry
    registry.register("first", "control.base:FirstController", family="examples")
    controller = registry.create("first")
"""
from __future__ import annotations

from typing import Any, Callable

from petri.registry import RegistryError, controllers, experiments

__all__ = ["controllers", "experiments", "register", "create", "names", "describe",
           "RegistryError"]


def register(name: str, factory: Callable[..., Any] | str, *, description: str | None = None,
             family: str | None = None) -> None:
    """Make ``create(name)`` call ``factory``; a name is registered once. ``family`` groups
    the controllers of one case study (its experiment runs them by default)."""
    controllers.register(name, factory, description=description, family=family)


def names(family: str | None = None) -> list[str]:
    """Every registered controller name (of ``family``, if given), in the order registered."""
    return controllers.names(family)


def create(name: str, **options) -> Any:
    """A new controller of the given name."""
    return controllers.create(name, **options)


def describe(name: str) -> str:
    """The first line of the controller's docstring (or the description registered)."""
    return controllers.describe(name)
