"""Registries: things found by name (commands, controllers, experiments), and plugins that fill them.

A ``Registry`` maps names to objects or to ``"module:attribute"`` strings imported on first
use, so registering costs no import. Case studies register themselves through plugins: an
entry point in the group ``petri.plugins`` names a function that registers its things (the
library itself never names a case study). Plugins are loaded once, the first time a registry
is asked for a name it does not know or for the list of names.

>>> shapes = Registry("shape")
>>> shapes.register("circle", "math:pi", description="a round one")
>>> shapes.get("circle") > 3, "circle" in shapes, shapes.describe("circle")
(True, True, 'a round one')
>>> shapes.get("square")
Traceback (most recent call last):
...
petri.registry.RegistryError: unknown shape 'square' (known: circle)

A plugin, as a package declares it in its ``setup.cfg``::

    [options.entry_points]
    petri.plugins =
        my_plant = my_plant:register
"""
from __future__ import annotations

import importlib
import warnings
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from .errors import PetriError

__all__ = ["Registry", "RegistryError", "load_plugins", "plugins", "ENTRY_POINT_GROUP",
           "controllers", "experiments"]

#: the entry-point group of plugins: each names a function called with no arguments
ENTRY_POINT_GROUP = "petri.plugins"

_loaded: dict[str, str] = {}     # plugin name -> its entry point's value, once loaded
_loading = False
_scanned = False                 # the installed packages' entry points have been read


class RegistryError(PetriError, LookupError):
    """A name that is not registered, or registered twice."""


def plugins() -> dict[str, str]:
    """The plugins loaded so far: name -> ``"module:function"``."""
    return dict(_loaded)


def load_plugins() -> None:
    """Call every ``petri.plugins`` entry point once; a plugin that fails is reported as a
    warning and skipped, so that the rest of the library keeps working. The installed packages'
    entry points are read the first time only (reading them walks every package's metadata)."""
    global _loading, _scanned
    if _loading or _scanned:
        return
    _loading = True
    try:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in _loaded:
                continue
            _loaded[ep.name] = ep.value
            try:
                ep.load()()
            except Exception as e:       # a broken plugin must not break the library
                warnings.warn(f"petri plugin {ep.name!r} ({ep.value}) could not be loaded: "
                              f"{type(e).__name__}: {e}", RuntimeWarning, stacklevel=2)
        _scanned = True
    finally:
        _loading = False


@dataclass
class _Entry:
    target: Any                  # the object, or "module:attribute" / "module" not yet imported
    description: str
    family: str | None


class Registry:
    """Names -> objects of one kind (``kind`` names it in messages)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, _Entry] = {}

    def register(self, name: str, target: Any, *, description: str | None = None,
                 family: str | None = None) -> None:
        """Register ``target`` (an object or ``"module:attribute"``) under ``name``, once.

        ``family`` groups the things of one case study; ``description`` defaults to the first
        line of the target's docstring.
        """
        if not isinstance(name, str) or not name:
            raise RegistryError(f"a {self.kind} needs a non-empty name")
        if name in self._entries:
            raise RegistryError(f"a {self.kind} named {name!r} is already registered")
        self._entries[name] = _Entry(target, description or "", family)

    def names(self, family: str | None = None) -> list[str]:
        """Every registered name (of ``family``, if given), in the order registered."""
        load_plugins()
        return [n for n, e in self._entries.items() if family is None or e.family == family]

    def __contains__(self, name: object) -> bool:
        if name not in self._entries:
            load_plugins()
        return name in self._entries

    def __iter__(self):
        return iter(self.names())

    def family(self, name: str) -> str | None:
        return self._entry(name).family

    def _entry(self, name: str) -> _Entry:
        if name not in self._entries:
            load_plugins()
        if name not in self._entries:
            known = ", ".join(self._entries) or "none"
            raise RegistryError(f"unknown {self.kind} {name!r} (known: {known})")
        return self._entries[name]

    def get(self, name: str) -> Any:
        """The registered object, imported on first use."""
        entry = self._entry(name)
        if isinstance(entry.target, str):
            module, _, attr = entry.target.partition(":")
            obj = importlib.import_module(module)
            for part in filter(None, attr.split(".")):
                obj = getattr(obj, part)
            entry.target = obj
        return entry.target

    def create(self, name: str, **options) -> Any:
        """Call the registered factory with ``options``: a new object."""
        return self.get(name)(**options)

    def describe(self, name: str) -> str:
        """The description given at registration, else the first line of the docstring."""
        entry = self._entry(name)
        if entry.description:
            return entry.description
        doc = (getattr(self.get(name), "__doc__", None) or "").strip()
        return doc.splitlines()[0] if doc else ""

    def __repr__(self) -> str:
        return f"<Registry of {self.kind}s: {', '.join(self._entries)}>"



#: controller name -> factory (``control.registry`` is its face for controller authors)
controllers = Registry("controller")
#: experiment name -> the function that runs it
experiments = Registry("experiment")
