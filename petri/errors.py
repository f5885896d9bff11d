"""Every error the library raises on purpose, under one root: ``PetriError``.

Catch ``PetriError`` to handle anything the library reports about a net, a file, a run or a
request; the subclasses say which kind. Each message is for people: where (file, element)
and what is wrong, in one line.

>>> from petri.errors import NetError, PetriError
>>> isinstance(NetError("no such place", file="line.toml", element="arc 2"), PetriError)
True
>>> str(NetError("no such place", file="line.toml", element="arc 2"))
'line.toml: arc 2: no such place'
"""
from __future__ import annotations

__all__ = ["PetriError", "NetError", "SimulationError", "LimitError", "CommandError"]


class PetriError(Exception):
    """The root of every error the library raises on purpose.

    ``file`` and ``element`` say where, ``reason`` what is wrong; ``str()`` joins them.
    """

    def __init__(self, message: str = "", *, file: str | None = None,
                 element: str | None = None):
        self.file = file
        self.element = element
        self.reason = message
        where = ": ".join(x for x in (file, element) if x)
        super().__init__(f"{where}: {message}" if where else message)


class NetError(PetriError, ValueError):
    """A problem with a net or a file describing one: found when loading or checking it."""


class SimulationError(PetriError, RuntimeError):
    """A problem found while the net runs: an inscription failed, a controller misbehaved."""


class LimitError(PetriError):
    """A run or an analysis reached a resource limit (states, memory, time, size)."""


class CommandError(PetriError):
    """A problem with what the user asked a command for; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 1, **where):
        super().__init__(message, **where)
        self.code = code
