"""What the compiler leaves out of a firing, and that the results stay those of the full checks."""
from __future__ import annotations

import pytest

from petri import Net, SimulationError, Simulator, Token
from petri.compiler import compile_net


def job_net(output_colour: str, expression: str) -> Net:
    net = Net("jobs")
    net.add_colour_set("Order", "int", low=0, high=3)
    net.add_colour_set("Small", "int", low=0, high=1)
    net.add_colour_set("Product", values=["A", "B"])
    net.add_colour_set("Job", components=("Order", "Product"), timed=True)
    net.add_colour_set("SmallJob", components=("Small", "Product"), timed=True)
    net.add_place("waiting", "Job", initial=[Token((3, "A"), 1, 0), Token((1, "B"), 1, 2)])
    net.add_place("done", output_colour)
    net.add_transition("work", delay=4, inputs=[("waiting", "(o, p)")],
                       outputs=[("done", expression)])
    return net


def fire_source(net: Net) -> str:
    src = compile_net(net).transitions[0].source
    return src[src.index("def fire"):]


def test_a_token_given_back_as_it_was_matched_is_not_checked_again():
    net = job_net("Job", "(o, p)")
    assert "_cs_" not in fire_source(net)
    sim = Simulator(net, seed=0)
    sim.run()
    assert sim.tokens("done") == [((3, "A"), 4), ((1, "B"), 6)]


@pytest.mark.parametrize("colour, expression", [("SmallJob", "(o, p)"), ("Job", "(o % 2, p)")])
def test_a_token_that_may_leave_its_colour_set_is_checked(colour, expression):
    net = job_net(colour, expression)
    assert "_cs_" in fire_source(net)
    sim = Simulator(net, seed=0)
    if colour == "Job":       # (3 % 2, "A") is a Job: no error
        sim.run()
        assert sim.tokens("done") == [((1, "A"), 4), ((1, "B"), 6)]
        return
    with pytest.raises(SimulationError) as e:
        sim.run()
    assert "transition 'work': output arc 1 (done): inscription '(o, p)' gives a token not in " \
           "colour set SmallJob: (3, 'A') (o=3, p='A', time 0)" in str(e.value)


def test_a_missing_table_row_is_named_at_run_time():
    net = Net("table")
    net.add_colour_set("P", values=["A", "B"], timed=True)
    net.add_table("proc", {"A": 3}, key=("product",), value="minutes")
    net.add_place("raw", "P", initial=["A", "B"])
    net.add_place("done", "P")
    net.add_transition("work", delay="proc[p]", inputs=[("raw", "p")], outputs=[("done", "p")])
    sim = Simulator(net, seed=0, choice="oldest")
    with pytest.raises(SimulationError) as e:
        sim.run()
    assert "table proc has no row 'B'" in str(e.value)
    assert sim.table_value("proc", "A") == 3
    sim.set_table_value("proc", "A", 5)
    assert (sim.table_value("proc", "A"), net.tables["proc"]["A"]) == (5, 3)
