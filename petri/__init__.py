"""Timed coloured Petri nets: the model, its file formats, the token-game engine and analyses."""
from .errors import CommandError, LimitError, NetError, PetriError, SimulationError
from .model import DOT, ColourSet, InputArc, Net, OutputArc, Place, Table, Token, Transition

__version__ = "0.1.0"

__all__ = ["DOT", "ColourSet", "InputArc", "Net", "OutputArc", "Place", "Table", "Token", "Transition",
           "PetriError", "NetError", "SimulationError", "LimitError", "CommandError", "__version__"]
