"""The README's "In Python" section, as a file a test runs.

Run from the repository root:  python examples/quickstart.py
"""
import petri

net = petri.load("examples/production_line.toml")
sim = petri.Simulator(net, seed=1)
sim.run()
print(sim.clock, sim.tokens("finished")[:3])
sim.events.to_frame()          # every firing as a pandas DataFrame


class EarliestFirst:
    """Among the offered bindings, the one whose values sort first; never waits."""
    def choose(self, decision):
        if not decision.bindings:
            return petri.WAIT
        return min(decision.bindings, key=lambda b: (b.transition, sorted(b.values.items())))


net.transitions["machine_1"].controllable = True     # M1 now asks which part comes next
sim = petri.Simulator(net, controller=EarliestFirst(), seed=0)
sim.run()
print(sim.clock, "".join(colour for colour, _ in sim.tokens("finished")))
