"""Simulator.snapshot/restore: going back gives the same marking, clock, log and later choices."""
from pathlib import Path

import pytest

from petri import Net, NetError
from petri.engine import Simulator
from petri.formats.toml import load

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "production_line.toml"


def trace(sim):
    return [(e.time, e.transition, tuple(sorted(e.binding.items()))) for e in sim.events]


def test_restore_replays_the_same_run():
    sim = Simulator(load(str(EXAMPLE)), seed=3)
    sim.run(max_firings=10)
    snap = sim.snapshot()
    marking, clock = sim.marking, sim.clock
    sim.run()
    first = trace(sim)
    assert len(first) == 48
    sim.restore(snap)
    assert sim.marking == marking and sim.clock == clock and sim.firings == 10
    assert len(sim.events) == 10 and trace(sim) == first[:10]
    sim.run()
    assert trace(sim) == first            # the RNG and the enabled sets came back too


def test_restore_undoes_a_manual_firing_and_an_advance():
    net = Net()
    net.add_colour_set("Part", "dot", timed=True)
    net.add_place("a", "Part", initial=2)
    net.add_place("b", "Part")
    net.add_transition("t", inputs=["a"], outputs=["b"], delay=5)
    net.add_transition("u", inputs=["b"], outputs=["a"])
    sim = Simulator(net)
    snap = sim.snapshot()
    sim.fire("t")
    assert sim.tokens("b") == [((), 5)] and sim.enabled() and sim.enabled()[0].transition == "t"
    sim.fire("t")
    assert sim.advance() is True and sim.clock == 5
    assert [b.transition for b in sim.enabled()] == ["u"]
    sim.restore(snap)
    assert sim.clock == 0 and sim.tokens("a") == [((), 0), ((), 0)] and sim.count("b") == 0
    assert [b.transition for b in sim.enabled()] == ["t"] and len(sim.events) == 0
    # a snapshot can be restored more than once
    sim.fire("t")
    sim.restore(snap)
    assert sim.count("a") == 2 and sim.firings == 0


def test_restore_refuses_a_snapshot_of_a_longer_run():
    net = load(str(EXAMPLE))
    sim = Simulator(net)
    sim.run(max_firings=3)
    late = sim.snapshot()
    other = Simulator(net)
    with pytest.raises(NetError, match="not of this run"):
        other.restore(late)


def test_restore_brings_back_the_constants_and_table_values():
    net = Net()
    net.add_colour_set("Job", values=["a", "b"], timed=True)
    net.add_constant("speed", 2)
    net.add_table("hours", {"a": 3, "b": 4})
    net.add_place("queue", "Job", initial=["a", "b"])
    net.add_place("done", "Job")
    net.add_transition("work", inputs=[("queue", "j")], outputs=[("done", "j")],
                       delay="speed * hours[j]")
    sim = Simulator(net, seed=1)
    early = sim.snapshot()
    sim.set_constant("speed", 5)
    sim.set_table_value("hours", "a", 10)
    late = sim.snapshot()
    sim.set_table_value("hours", "b", 1)
    sim.run()
    assert sorted(sim.tokens("done")) == [("a", 50), ("b", 5)]
    sim.restore(late)                    # speed 5, hours a 10, b 4
    assert (sim.constant("speed"), net.tables["hours"].rows) == (5, {"a": 3, "b": 4})
    sim.run()
    assert sorted(sim.tokens("done")) == [("a", 50), ("b", 20)]
    sim.restore(early)                   # the net's own values
    assert sim.constant("speed") == 2
    sim.run()
    assert sorted(sim.tokens("done")) == [("a", 6), ("b", 8)]
