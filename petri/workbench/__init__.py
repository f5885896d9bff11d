"""The modeler's workbench: play the token game of a net in a browser.

``Game`` is the game (the engine with undo, a controller's decisions, the reachability
graph); ``make_server`` serves the page in ``static/`` and a JSON API over a game
(``petri play``; the API is described in docs/cli.md).
"""
from .game import Game, Refused
from .server import make_server

__all__ = ["Game", "Refused", "make_server"]
