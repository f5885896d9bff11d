"""SNAKES interoperability: conversion both ways, and state graphs equal to SNAKES's."""
import pytest
from hypothesis import given, settings, strategies as st

from petri import Net
from petri.analysis import reachability_graph
from petri.model import NetError, multiset

snakes_nets = pytest.importorskip("snakes.nets")
from petri.interop.snakes import from_snakes, to_snakes  # noqa: E402


def snakes_counts(net):
    g = snakes_nets.StateGraph(to_snakes(net))
    g.build()
    edges = sum(1 for s in g for _ in g.successors(s))
    return len(g), edges


@st.composite
def conservative_nets(draw):
    """Small P/T nets in which every transition puts back as many tokens as it takes, so the
    state space is finite; weights up to 2, read arcs included."""
    n_places = draw(st.integers(2, 4))
    places = [f"p{i}" for i in range(n_places)]
    net = Net("random")
    for p in places:
        net.add_place(p, initial=draw(st.integers(0, 2)))
    for j in range(draw(st.integers(1, 4))):
        ins = draw(st.lists(st.sampled_from(places), min_size=1, max_size=3))
        outs = draw(st.lists(st.sampled_from(places), min_size=len(ins), max_size=len(ins)))
        reads = draw(st.lists(st.sampled_from(places), max_size=1))
        weight = draw(st.integers(1, 2))
        net.add_transition(f"t{j}", inputs=[(p, None, weight) for p in ins],
                           outputs=[(p, None, weight) for p in outs],
                           reads=[p for p in reads if p not in ins])
    return net


@settings(max_examples=60, deadline=None)
@given(conservative_nets())
def test_state_and_edge_counts_equal_snakes(net):
    g = reachability_graph(net)
    assert g.complete
    assert (g.num_states, g.num_edges) == snakes_counts(net)


def test_pt_round_trip():
    net = Net("pair")
    net.add_place("a", initial=2)
    net.add_place("b")
    net.add_transition("t", inputs=[("a", None, 2)], outputs=["b", "b"], inhibitors=["b"])
    back = from_snakes(to_snakes(net))
    assert back.places == net.places
    t = back.transitions["t"]
    assert [(a.place, a.weight, a.kind) for a in t.inputs] == [("a", 2, "normal"),
                                                               ("b", 1, "inhibitor")]
    assert [(a.place, a.weight) for a in t.outputs] == [("b", 2)]     # joined into one arc


def machines():
    net = Net("machines")
    net.add_colour_set("P", values=["A", "B"])
    net.add_constant("LIMIT", 3)
    net.add_place("raw", "str", initial=["A", "A", "B"])
    net.add_place("count", "int", initial=[0])
    net.add_place("done", "str")
    net.add_transition("work", inputs=[("raw", "p"), ("count", "n")],
                       outputs=[("done", "p"), ("count", "n + 1")], guard="n < LIMIT")
    net.add_transition("undo", inputs=[("done", "'A'")], outputs=[("raw", "'A'")])
    return net


def test_coloured_state_graph_equals_snakes():
    net = machines()
    g = reachability_graph(net)
    assert (g.num_states, g.num_edges) == snakes_counts(net) == (15, 22)


def test_coloured_round_trip():
    net = machines()
    back = from_snakes(to_snakes(net))
    assert {p: (q.colour, multiset(q.initial)) for p, q in back.places.items()} == {
        p: (q.colour, multiset(q.initial)) for p, q in net.places.items()}
    assert back.constants == {"LIMIT": 3}
    assert [(a.place, a.pattern) for a in back.transitions["work"].inputs] == [
        ("raw", "p"), ("count", "n")]
    assert [(a.place, a.expression) for a in back.transitions["work"].outputs] == [
        ("done", "p"), ("count", "n + 1")]
    assert back.transitions["work"].guard == "n < LIMIT"
    assert back.transitions["undo"].inputs[0].pattern == "'A'"


def test_capacities_have_no_snakes_equivalent():
    net = Net("cap")
    net.add_place("a", capacity=2)
    with pytest.raises(NetError, match="^place 'a': SNAKES has no place capacities$"):
        to_snakes(net)


def test_a_hostile_guard_from_a_pnml_file_is_refused_not_run(tmp_path):
    from petri.formats import pnml
    marker = tmp_path / "ran"
    guard = f"__import__('os').system('touch {marker}') == 0"
    text = (f'<pnml xmlns="{pnml.PNML_NS}"><net id="n" type="{pnml.COLOURED_NET_TYPE}">'
            '<page id="g"><place id="a"><toolspecific tool="petri-flow" version="1" '
            'colour="int"><token count="1">1</token></toolspecific></place>'
            f'<transition id="t"><condition><text>{guard}</text></condition></transition>'
            '<arc id="x" source="a" target="t"><hlinscription><text>x</text></hlinscription>'
            '</arc></page></net></pnml>')
    with pytest.raises(NetError) as e:
        net = pnml.loads(text, file="evil.pnml")     # refused when the file is read
        snakes_nets.StateGraph(to_snakes(net)).build()       # would run the guard
    assert str(e.value).startswith("evil.pnml: transition 't': guard: ")
    assert "is not allowed in an expression" in str(e.value)
    assert not marker.exists()


def test_a_hostile_output_inscription_is_refused():
    net = Net("evil")
    net.add_place("a", "int", initial=[1])
    net.add_transition("t", inputs=[("a", "x")], outputs=[("a", "(1).__class__")])
    with pytest.raises(NetError, match="attribute access is not allowed in an expression"):
        to_snakes(net)
