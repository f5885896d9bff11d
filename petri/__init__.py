"""Timed coloured Petri nets: the model, its file formats, the token-game engine and analyses.

One import gives the public API::

    import petri

    net = petri.load("examples/production_line.toml")    # TOML (one or several files) or PNML
    petri.check(net)                                     # [] when the net is valid
    sim = petri.Simulator(net, seed=1)                   # the token game
    sim.run()
    graph = petri.reachability_graph(net)                # a networkx DiGraph of markings
    stats = petri.replicate(net, 20, until=1000)         # seeded runs, confidence intervals

Every error the library raises on purpose is a ``petri.PetriError``: ``NetError`` (a net or a
file), ``SimulationError`` (a run), ``LimitError`` (a resource limit), ``CommandError`` (a
request of the command line). The engine, the formats and the analyses are imported on first
use, so ``import petri`` stays fast.
"""
from __future__ import annotations

import importlib

from . import check as _check  # noqa: F401  (loaded first: ``check`` below is the function)
from .errors import CommandError, LimitError, NetError, PetriError, SimulationError
from .model import DOT, ColourSet, InputArc, Net, OutputArc, Place, Table, Token, Transition

__version__ = "0.1.0"

__all__ = ["load", "check", "Simulator", "WAIT", "reachability_graph", "replicate", "Sojourn",
           "Net", "ColourSet", "Place", "Transition", "InputArc", "OutputArc", "Table", "Token",
           "DOT", "PetriError", "NetError", "SimulationError", "LimitError", "CommandError",
           "__version__"]

#: public name -> module that defines it, imported on first use
_LAZY = {
    "load": "petri.formats",
    "Simulator": "petri.engine",
    "WAIT": "petri.engine",
    "reachability_graph": "petri.analysis",
    "replicate": "petri.replications",
    "Sojourn": "petri.replications",
}


def check(net: Net) -> list[NetError]:
    """Every problem of ``net`` (one ``NetError`` each, naming the element); empty when valid.

    >>> net = Net()
    >>> _ = net.add_place("p")
    >>> _ = net.add_transition("t", inputs=["q"])
    >>> [str(e) for e in check(net)]
    ["transition 't': input arc 1: unknown place 'q'"]
    """
    from .check import check_net
    return check_net(net)


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'petri' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
