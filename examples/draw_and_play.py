"""Draw a net and play a few moves of its token game in Python (what petri draw and petri play do)."""
from pathlib import Path

import petri
from petri.drawing import net_svg
from petri.workbench import Game

net = petri.load(Path(__file__).parent / "production_line.toml")
svg = net_svg(net, marking=net.initial_marking())        # SVG text, as petri draw writes it
places, transitions = svg.count('<g class="place'), svg.count('<g class="transition')
print(f"drawing: {places} places, {transitions} transitions in SVG")

game = Game(net, seed=1)
event = game.fire("machine_1", {"p": "B", "m": "M1"})     # as a click on machine_1
print(f"fired {event['transition']} at {event['time']}: buffer {game.state_json()['marking']['buffer']}")
game.advance()
print(f"clock advanced to {game.state_json()['clock']}")
game.undo()
game.undo()
print(f"after two undos: clock {game.state_json()['clock']}, {game.state_json()['firings']} firings")
