"""Timed coloured Petri nets: the model, its file formats, the token-game engine and analyses."""
from .model import DOT, ColourSet, InputArc, Net, NetError, OutputArc, Place, Table, Token, Transition

__version__ = "0.1.0"

__all__ = ["DOT", "ColourSet", "InputArc", "Net", "NetError", "OutputArc", "Place", "Table",
           "Token", "Transition", "__version__"]
