"""Reachability, coverability, properties, invariants and graph export on small nets."""
import io
import json
import os
import signal
import threading
import time

import networkx as nx
import numpy as np
import pytest

from petri import Net
from petri.interrupt import Interrupt
from petri.analysis import (analyse, coverability_graph, incidence_matrix, p_invariants,
                            p_semiflows, reachability_graph, siphons, structural_bounds,
                            t_invariants, t_semiflows, traps)
from petri.analysis import reachability as reach
from petri.analysis.coverability import OMEGA
from petri.analysis.export import to_networkx, write_graph
from petri.analysis.invariants import is_siphon, is_trap, structurally_bounded
from petri.analysis.properties import _tarjan, strongly_connected_components
from petri.model import NetError

#: the numpy explorer and the compiled one (numba, in the test extra)
EXPLORERS = (False, True)


def cycle(n=3, tokens=1):
    net = Net(f"cycle{n}")
    for i in range(n):
        net.add_place(f"p{i}", initial=tokens if i == 0 else 0)
    for i in range(n):
        net.add_transition(f"t{i}", inputs=[f"p{i}"], outputs=[f"p{(i + 1) % n}"])
    return net


def producer():
    net = Net("producer")
    net.add_place("on", initial=1)
    net.add_place("made")
    net.add_place("sold")
    net.add_transition("make", inputs=["on"], outputs=["on", "made"])
    net.add_transition("sell", inputs=["made"], outputs=["sold"])
    return net


# -- reachability ---------------------------------------------------------------------------------

def test_cycle_with_two_tokens():
    g = reachability_graph(cycle(3, 2))
    # two indistinguishable tokens on three places: C(4, 2) = 6 markings; one edge per
    # marked place: 3 markings with one marked place, 3 with two
    assert (g.num_states, g.num_edges, g.complete) == (6, 9, True)
    assert g.marking(0) == {"p0": 2, "p1": 0, "p2": 0}
    assert sorted(map(tuple, g.markings.tolist())) == sorted(
        [(2, 0, 0), (1, 1, 0), (1, 0, 1), (0, 2, 0), (0, 1, 1), (0, 0, 2)])


def test_fields_widen_for_places_that_grow():
    net = Net("pour")
    net.add_place("a", initial=1000)
    net.add_place("b")
    net.add_transition("t", inputs=[("a", None, 3)], outputs=[("b", None, 7)])
    g = reachability_graph(net)
    assert (g.num_states, g.num_edges) == (334, 333)
    assert g.markings[:, 1].max() == 333 * 7
    assert g.marking(333) == {"a": 1, "b": 2331}


def test_many_places_use_several_words_and_hash_collisions_are_caught(monkeypatch):
    net = cycle(40, 3)                           # 40 places of 2 bits: two words a marking
    expected = reachability_graph(net)
    # C(42, 3) markings; edges: one per marked place (40 markings with one, 40 * 39 with two,
    # C(40, 3) with three)
    assert (expected.num_states, expected.num_edges) == (11480, 40 + 2 * 40 * 39 + 3 * 9880)
    real = reach._PTExplorer._hash
    calls = []

    def weak_for_the_first_salt(self, words, salt):
        calls.append(int(salt))
        if len(calls) and calls[0] == int(salt) and words.shape[1] > 1:
            return words[:, 0] & np.uint64(3)    # collides all the time
        return real(self, words, salt)
    monkeypatch.setattr(reach._PTExplorer, "_hash", weak_for_the_first_salt)
    g = reachability_graph(net, compiled=False)       # the numpy explorer hashes this way
    assert len(set(calls)) >= 2                 # the first salt collided, the run restarted
    assert (g.num_states, g.num_edges) == (expected.num_states, expected.num_edges)


def test_the_compiled_explorer_widens_every_narrow_field_at_once():
    net = cycle(40, 3)
    g = reachability_graph(net, compiled=True)
    # p0 starts with 3 tokens (a field of 2 bits), the other places empty (1 bit): the second
    # token on p1 overflows its field, and the 39 fields of 1 bit widen together to 3 bits,
    # which hold every count; one re-encoding of the stored markings, not one per place
    assert g.explorer == "compiled" and g._widenings == 1
    numpy = reachability_graph(net, compiled=False)
    assert (g.num_states, g.num_edges) == (numpy.num_states, numpy.num_edges) == (11480, 32800)
    assert sorted(map(tuple, g.markings.tolist())) == sorted(map(tuple, numpy.markings.tolist()))
    assert g.markings.max() == 3


def test_read_inhibitor_and_capacity_agree_with_the_engine():
    net = Net("guarded")
    net.add_place("a", initial=3)
    net.add_place("b", capacity=2)
    net.add_place("c")
    net.add_transition("t", inputs=["a"], outputs=["b"], inhibitors=[("c", None, 2)])
    net.add_transition("u", inputs=["b"], outputs=["c"], reads=["a"])
    net.add_transition("v", inputs=[("c", None, 2)], outputs=[("a", None, 2)])
    fast = reachability_graph(net)
    generic = reach._explore_coloured(net, reach.Limits(), None, Interrupt())
    assert (fast.num_states, fast.num_edges) == (generic.num_states, generic.num_edges) == (7, 8)
    assert fast.markings[:, 1].max() == 2


def _edge_set(g):
    """The graph as a set of (marking, transition, marking): independent of state numbering."""
    m = [tuple(r) for r in g.token_counts().tolist()]
    return {(m[a], g.transition_names[t], m[b])
            for a, t, b in zip(g.src.tolist(), g.transition.tolist(), g.dst.tolist())}


def test_rows_switch_to_wider_dtypes_as_counts_grow():
    # the rows start as int8 (a few tokens, small changes) and must widen twice: past 127
    # (int16) and past 32767 (int32); "need" asks for more tokens than int8 rows can hold and
    # "cap" has an inhibitor bound above that range (bounds are clipped to the rows' dtype)
    net = Net("grow")
    net.add_place("a", initial=3)
    net.add_place("b")
    net.add_place("c", initial=60)
    net.add_transition("fill", inputs=["a"], outputs=[("b", None, 20000)])
    net.add_transition("need", inputs=[("c", None, 200)], outputs=["a"])
    net.add_transition("cap", inputs=["c"], outputs=[], inhibitors=[("b", None, 30000)])
    assert reach._row_dtype(reach._Layout(reach._bit_length(np.array([3, 0, 60]))),
                            np.zeros((1, 3), np.int64)) is np.int8
    generic = reach._explore_coloured(net, reach.Limits(), None, Interrupt())
    for compiled in EXPLORERS:          # the compiled search widens its packed fields instead
        g = reachability_graph(net, compiled=compiled)
        assert g.complete and g.num_states == generic.num_states == 4 * 61
        assert _edge_set(g) == _edge_set(generic)
        assert g.markings[:, 1].max() == 60000
        assert {g.marking(i)["b"] for i in range(g.num_states)} == {0, 20000, 40000, 60000}


def test_random_bounded_nets_agree_with_the_engine():
    # pivots with different requirements in one group, conditions left after the pivot (one
    # or several), transitions without any lower bound (always candidates), read, inhibitor
    # and weighted arcs, capacities
    rng = np.random.default_rng(7)
    for k in range(40):
        net = Net(f"random{k}")
        n_places = int(rng.integers(2, 6))
        for i in range(n_places):
            net.add_place(f"p{i}", initial=int(rng.integers(0, 3)),
                          capacity=int(rng.integers(2, 5)))
        for j in range(int(rng.integers(1, 7))):
            pick = rng.permutation(n_places)
            ins = [(f"p{i}", None, int(rng.integers(1, 3))) for i in pick[:int(rng.integers(0, 3))]]
            outs = [(f"p{i}", None, int(rng.integers(1, 3)))
                    for i in rng.permutation(n_places)[:int(rng.integers(1, 3))]]
            rest = pick[len(ins):]
            reads = [f"p{rest[0]}"] if len(rest) and rng.random() < 0.3 else []
            inhib = ([(f"p{rest[-1]}", None, int(rng.integers(1, 3)))]
                     if len(rest) > 1 and rng.random() < 0.3 else [])
            net.add_transition(f"t{j}", inputs=ins, outputs=outs, reads=reads, inhibitors=inhib)
        generic = reach._explore_coloured(net, reach.Limits(), None, Interrupt())
        for compiled in EXPLORERS:
            g = reachability_graph(net, compiled=compiled)
            assert g.complete and generic.complete
            assert (g.num_states, g.num_edges) == (generic.num_states, generic.num_edges), net.name
            assert _edge_set(g) == _edge_set(generic), net.name


def test_conservative_nets_skip_the_structural_bound(monkeypatch):
    from petri.analysis import invariants

    def fail(view):
        raise AssertionError("not needed: no transition adds tokens")
    monkeypatch.setattr(invariants, "bounded_by_structure", fail)
    g = reachability_graph(cycle(4, 2))
    assert (g.num_states, g.complete) == (10, True)
    with pytest.raises(AssertionError):
        reachability_graph(producer())         # "make" adds a token: the check runs


def test_max_states_gives_a_partial_graph():
    from petri.formats import pnml
    from pathlib import Path
    net = pnml.load(Path(__file__).parent / "data" / "mcc" / "Philosophers-PT-000010.pnml")
    g = reachability_graph(net, max_states=1000)
    assert (g.num_states, g.complete, g.stopped) == (1000, False, "max_states")
    assert g.dst.max() < 1000 and g.src.max() < 1000
    assert g.stop_message() == ("exploration stopped after 1,000 states and "
                                f"{g.num_edges:,} edges because the state limit was reached: "
                                "the results are partial")
    p = analyse(g)
    assert (p.bounded, p.live, p.reversible, p.dead_transitions) == (None, None, None, None)


def test_time_limit_and_interrupt_stop_with_a_partial_graph():
    net = cycle(40, 4)
    g = reachability_graph(net, time_limit=1e-9)
    assert (g.complete, g.stopped, g.num_states) == (False, "time_limit", 1)
    calls = []

    def progress(states, edges, seconds):
        calls.append(states)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    g = reachability_graph(cycle(60, 6), catch_interrupt=True, progress=progress)
    timer.cancel()
    assert (g.complete, g.stopped) == (False, "interrupted")
    assert 1 < g.num_states < 67945521          # C(65, 6): far from done


def test_unbounded_nets_are_detected():
    g = reachability_graph(producer())
    assert (g.complete, g.stopped) == (False, "unbounded")
    a, s = g.unbounded_witness
    assert g.marking(a) == {"on": 1, "made": 0, "sold": 0}
    assert g.marking(s) == {"on": 1, "made": 1, "sold": 0}
    p = analyse(g)
    assert (p.bounded, p.safe, p.unbounded_places, p.unbounded_path) == (False, False, ["made"],
                                                                       ["make"])


def test_unbounded_detection_finds_growth_deep_in_the_graph():
    net = cycle(5, 1)
    net.transitions["t4"].outputs.append(net.transitions["t4"].outputs[0].__class__("extra"))
    net.add_place("extra")
    g = reachability_graph(net)
    assert g.stopped == "unbounded"
    assert g.path_to(g.unbounded_witness[1])[-5:] == ["t0", "t1", "t2", "t3", "t4"]


def test_coloured_net_through_the_engine():
    net = Net("machines")
    net.add_colour_set("P", values=["A", "B"])
    net.add_place("raw", "P", initial=["A", "A", "B"])
    net.add_place("idle", initial=1)
    net.add_place("done", "P")
    net.add_transition("work", inputs=[("raw", "p"), "idle"], outputs=[("done", "p"), "idle"],
                       guard="p != 'B'")
    g = reachability_graph(net)
    assert (g.num_states, g.num_edges, g.is_pt) == (3, 2, False)
    assert g.edge_label(0) == "work<p='A'>"
    assert g.marking_text(2) == "raw: 'B', idle: •, done: 2*'A'"
    p = analyse(g)
    assert (p.deadlock, p.deadlock_path, p.max_tokens_in_place) == (True, ["work", "work"], 3)


# -- properties ---------------------------------------------------------------------------------

def test_properties_of_a_live_reversible_net():
    p = analyse(reachability_graph(cycle(3, 1)))
    assert (p.states, p.edges, p.deadlock, p.safe, p.live, p.reversible, p.home_states) == (
        3, 3, False, True, True, True, 3)
    assert p.dead_transitions == []
    d = json.loads(p.to_json())
    for key in ("states", "edges", "deadlock", "bounded", "max_tokens_in_place",
                "max_tokens_per_marking", "safe"):
        assert key in d


def test_home_states_dead_transitions_and_liveness():
    net = Net("settle")
    net.add_place("start", initial=1)
    net.add_place("a")
    net.add_place("b")
    net.add_place("never")
    net.add_transition("go", inputs=["start"], outputs=["a"])
    net.add_transition("ab", inputs=["a"], outputs=["b"])
    net.add_transition("ba", inputs=["b"], outputs=["a"])
    net.add_transition("stuck", inputs=["never"], outputs=["a"])
    p = analyse(reachability_graph(net))
    assert (p.deadlock, p.live, p.reversible, p.home_states, p.terminal_components) == (
        False, False, False, 2, 1)
    assert p.dead_transitions == ["stuck"]
    assert p.live_transitions == ["ab", "ba"]
    text = p.to_text()
    assert "Dead transitions (never fire): stuck" in text
    assert "Home states (reachable from every state): 2" in text


def test_tarjan_matches_scipy_on_random_graphs():
    rng = np.random.default_rng(1)
    for _ in range(20):
        n = int(rng.integers(1, 60))
        src = rng.integers(0, n, size=3 * n)
        dst = rng.integers(0, n, size=3 * n)
        a = strongly_connected_components(n, src, dst)
        b = _tarjan(n, src, dst)
        assert len(set(zip(a.tolist(), b.tolist()))) == a.max() + 1 == b.max() + 1


# -- coverability -------------------------------------------------------------------------------

def test_coverability_graph_of_an_unbounded_net():
    g = coverability_graph(producer())
    assert (g.num_states, g.num_edges, g.complete) == (3, 5, True)
    assert g.unbounded_places == ["made", "sold"]
    assert g.place_bounds() == {"on": 1, "made": OMEGA, "sold": OMEGA}
    assert [g.marking_text(i) for i in range(3)] == ["on", "on, ω*made", "on, ω*made, ω*sold"]


def test_coverability_graph_equals_reachability_graph_when_bounded():
    net = cycle(4, 3)
    c, r = coverability_graph(net), reachability_graph(net)
    assert (c.num_states, c.num_edges, c.bounded) == (r.num_states, r.num_edges, True)


def test_coverability_refuses_inhibitor_arcs():
    net = producer()
    net.transitions["make"].inputs.append(net.transitions["make"].inputs[0].__class__(
        "sold", None, 1, "inhibitor"))
    with pytest.raises(NetError, match="transition 'make': coverability graphs need nets "
                                       "without inhibitor arcs"):
        coverability_graph(net)


# -- invariants ---------------------------------------------------------------------------------

def mutex():
    net = Net("mutex")
    for i in (1, 2):
        net.add_place(f"idle{i}", initial=1)
        net.add_place(f"crit{i}")
    net.add_place("lock", initial=1)
    for i in (1, 2):
        net.add_transition(f"enter{i}", inputs=[f"idle{i}", "lock"], outputs=[f"crit{i}"])
        net.add_transition(f"leave{i}", inputs=[f"crit{i}"], outputs=[f"idle{i}", "lock"])
    return net


def test_incidence_matrix_and_invariants():
    net = mutex()
    places, transitions, C = incidence_matrix(net)
    assert places == ["idle1", "crit1", "idle2", "crit2", "lock"]
    assert C[:, 0].tolist() == [-1, 1, 0, 0, -1]
    basis = p_invariants(net)
    assert len(basis) == 3
    for y in basis:
        v = np.array([y.get(p, 0) for p in places])
        assert (v @ C == 0).all()
    assert p_semiflows(net) == [{"idle1": 1, "crit1": 1}, {"crit1": 1, "crit2": 1, "lock": 1},
                                {"idle2": 1, "crit2": 1}]
    assert t_semiflows(net) == [{"enter1": 1, "leave1": 1}, {"enter2": 1, "leave2": 1}]
    assert len(t_invariants(net)) == 2
    assert structural_bounds(net) == [1, 1, 1, 1, 1]
    assert structurally_bounded(net).all()
    assert not structurally_bounded(producer())[1]


def test_siphons_and_traps():
    net = mutex()
    assert siphons(net) == [["idle1", "crit1"], ["idle2", "crit2"], ["crit1", "crit2", "lock"]]
    assert traps(net) == siphons(net)
    assert is_siphon(net, ["idle1", "crit1"]) and is_trap(net, ["idle1", "crit1"])
    assert not is_siphon(net, ["lock"])


# -- export --------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["graphml", "gexf", "json", "dot"])
def test_graph_files(tmp_path, fmt):
    net = Net("parallel")
    net.add_place("a", initial=1)
    net.add_place("b")
    net.add_transition("x", inputs=["a"], outputs=["b"])
    net.add_transition("y", inputs=["a"], outputs=["b"])       # a parallel edge
    g = reachability_graph(net)
    path = tmp_path / f"g.{fmt}"
    write_graph(g, path)
    if fmt == "graphml":
        G = nx.read_graphml(path, force_multigraph=True)
        assert (G.number_of_nodes(), G.number_of_edges()) == (2, 2)
        assert G.nodes["1"]["deadlock"] is True and G.nodes["0"]["marking"] == "a"
    elif fmt == "gexf":
        G = nx.read_gexf(path)
        assert (G.number_of_nodes(), G.number_of_edges()) == (2, 2)
    elif fmt == "json":
        d = json.loads(path.read_text())
        assert d["states"] == [{"id": 0, "marking": {"a": 1}}, {"id": 1, "marking": {"b": 1}}]
        assert d["edges"] == [{"source": 0, "target": 1, "transition": "x"},
                              {"source": 0, "target": 1, "transition": "y"}]
    else:
        text = path.read_text()
        assert 's0 [label="0: a", peripheries=2];' in text
        assert 's1 [label="1: b", color=red];' in text
        assert text.count("s0 -> s1") == 2
    G = to_networkx(g)
    assert type(G) is nx.DiGraph and G.edges[0, 1] == {"transition": "x,y", "count": 2}
    M = to_networkx(g, multigraph=True)
    assert M.number_of_edges() == 2


def test_coverability_graph_as_json():
    buf = io.StringIO()
    write_graph(coverability_graph(producer()), buf, "json")
    d = json.loads(buf.getvalue())
    assert d["states"][2] == {"id": 2, "marking": {"on": 1, "made": "ω", "sold": "ω"}}


def test_priorities_shape_the_state_space_as_in_the_token_game():
    from petri import Net
    from petri.analysis import reachability_graph
    net = Net("priorities")
    net.add_place("start", initial=1)
    net.add_place("low")
    net.add_place("high")
    net.add_transition("to_low", inputs=["start"], outputs=["low"])
    net.add_transition("to_high", inputs=["start"], outputs=["high"], priority=1)
    g = reachability_graph(net)
    assert (g.num_states, g.num_edges) == (2, 1)
    assert [g.edge_label(i) for i in range(g.num_edges)] == ["to_high"]
    net.transitions["to_high"].priority = 0
    g = reachability_graph(net)
    assert (g.num_states, g.num_edges) == (3, 2)


def _pumping_net(limit: str):
    """p -> t -> p + q (+ r): pumps q forever unless an inhibitor arc or a capacity stops it."""
    from petri import Net
    net = Net(f"pump limited by {limit}")
    net.add_place("p", initial=1)
    net.add_place("q")
    net.add_place("r", capacity=3 if limit == "capacity" else None)
    outputs = ["p", "q"] + (["r"] if limit == "capacity" else [])
    inhibitors = [("q", None, 3)] if limit == "inhibitor" else []
    net.add_transition("t", inputs=["p"], outputs=outputs, inhibitors=inhibitors)
    return net


def test_inhibitor_arcs_and_capacities_are_not_mistaken_for_unboundedness():
    from petri.analysis import reachability_graph
    for limit in ("inhibitor", "capacity"):
        g = reachability_graph(_pumping_net(limit))
        assert (g.complete, g.stopped, g.num_states, g.num_edges) == (True, None, 4, 3), limit
    g = reachability_graph(_pumping_net("nothing"))
    assert (g.complete, g.stopped, g.unbounded_witness) == (False, "unbounded", (0, 1))


def test_unbounded_coloured_net_is_detected():
    from petri import Net
    from petri.analysis import reachability_graph

    def pump(inhibitors=()):
        net = Net("coloured pump")
        net.add_place("p", "int", initial=[0])
        net.add_place("q", "int")
        net.add_transition("t", inputs=[("p", "x")], outputs=[("p", "x"), ("q", "x % 2")],
                           inhibitors=inhibitors)
        return net

    g = reachability_graph(pump())
    assert (g.complete, g.stopped, g.unbounded_witness) == (False, "unbounded", (0, 1))
    g = reachability_graph(pump(inhibitors=[("q", None, 2)]))      # at most two tokens in q
    assert (g.complete, g.stopped, g.num_states) == (True, None, 3)


def test_read_arc_on_a_consumed_place_is_tested_on_its_own():
    """As in the token game: input arcs need their tokens together, a read arc on its own."""
    from petri import Net
    from petri.analysis import reachability_graph
    from petri.engine import Simulator
    net = Net("read and take")
    net.add_place("p", initial=1)
    net.add_place("q")
    net.add_transition("t", inputs=["p"], reads=["p"], outputs=["q"])
    g = reachability_graph(net)
    assert (g.num_states, g.num_edges) == (2, 1)
    assert [b.transition for b in Simulator(net).enabled()] == ["t"]
    net.transitions["t"].inputs[1].weight = 2          # the read arc now needs two tokens
    assert reachability_graph(net).num_edges == 0


def test_coverability_tests_read_arcs_on_their_own():
    from petri import Net
    from petri.analysis.coverability import coverability_graph
    net = Net("read and take, pumping")
    net.add_place("p", initial=1)
    net.add_place("q")
    net.add_transition("t", inputs=["p"], reads=["p"], outputs=["p", "q"])
    g = coverability_graph(net)
    assert g.edge_label(0) == "t"


def test_compiled_exploration_without_numba_is_refused_or_skipped(monkeypatch):
    from petri.errors import PetriError
    monkeypatch.setattr(reach, "_compiled_kernel", lambda: None)
    with pytest.raises(PetriError) as e:
        reachability_graph(cycle(3, 2), compiled=True)
    assert str(e.value) == ("compiled exploration needs numba, which is not installed "
                            "(pip install 'petri-flow[fast]')")
    g = reachability_graph(cycle(3, 2))                     # the numpy explorer instead
    assert (g.num_states, g.num_edges, g._src is not None) == (6, 9, True)


def test_compiled_search_hands_unbounded_nets_to_the_checking_explorer(monkeypatch):
    monkeypatch.setattr(reach._PTExplorer, "PROBE", 50)
    g = reachability_graph(producer(), compiled=True)
    assert (g.complete, g.stopped) == (False, "unbounded")
    # a limit reached first: the numpy explorer decides, as without the compiled search
    g = reachability_graph(producer(), compiled=True, max_states=20)
    assert g.stopped == "unbounded" and g.num_states < 20
    # bounded: the compiled graph stores edges by source and numbers states breadth-first
    g = reachability_graph(cycle(4, 2), compiled=True)
    assert g._src is None and g.src.tolist() == sorted(g.src.tolist())
    assert g.out_degree().tolist() == np.bincount(g.src, minlength=g.num_states).tolist()
    assert [len(g.path_to(s)) for s in range(g.num_states)] == sorted(
        len(g.path_to(s)) for s in range(g.num_states))


class _FakeClock:
    """``time`` for the explorer with a ``perf_counter`` that moves ``tick`` seconds a call:
    0 makes every slice of the compiled search look short (each one twice as long as the one
    before), 1 long (all of one length)."""

    process_time = staticmethod(time.process_time)

    def __init__(self, tick):
        self.now, self.tick = 0.0, tick

    def perf_counter(self):
        self.now += self.tick
        return self.now


def test_compiled_numbering_depends_on_the_net_not_on_the_slices(monkeypatch):
    # two tokens on a ring of 200 places: 200 * 201 / 2 = 20,100 markings (the places of the
    # two tokens), each with two successors except the 200 with both tokens on one place:
    # 2 * 20,100 - 200 = 40,000 edges. Every transition reads a guard place holding 2 tokens,
    # so the first pivots are the guard (the larger requirement) and, once 2,048 markings are
    # found, the ring places (the condition least often met): successors are then numbered by
    # place, not by transition, and the transitions are declared against the places' order.
    L = 200
    net = Net("ring")
    for i in range(L):
        net.add_place(f"p{i}", initial=2 if i == 0 else 0)
    net.add_place("guard", initial=2)
    for i in reversed(range(L)):
        net.add_transition(f"t{i}", inputs=[f"p{i}"], outputs=[f"p{(i + 1) % L}"],
                           reads=[("guard", None, 2)])
    graphs = [reachability_graph(net, compiled=True)]
    for tick in (0.0, 1.0):
        monkeypatch.setattr(reach, "time", _FakeClock(tick))
        graphs.append(reachability_graph(net, compiled=True))
    monkeypatch.undo()
    first = graphs[0]
    assert first.explorer == "compiled"
    assert (first.num_states, first.num_edges) == (20100, 40000)
    for g in graphs[1:]:
        assert g.explorer == "compiled" and g.complete
        assert np.array_equal(g.markings, first.markings)
        assert np.array_equal(g.src, first.src) and np.array_equal(g.dst, first.dst)
        assert np.array_equal(g.transition, first.transition)


def test_condition_counts_with_huge_arc_weights():
    # (place, bound) pairs that do not fit one int64 key are counted on pairs of columns
    from petri.structure import pt_arcs
    big = 2**62
    net = Net("huge")
    net.add_place("b")
    net.add_place("idle")
    net.add_place("a", initial=big)
    net.add_transition("move", inputs=[("a", None, big)], outputs=["b"])
    net.add_transition("back", inputs=[("b", None, 2)], outputs=[("a", None, big)])
    s = reach._PTStructure(pt_arcs(net))
    sample = np.array([[0, 0, big], [1, 0, 0], [2, 0, 0], [2, 0, big], [1, 0, big - 1]],
                      dtype=np.int64)
    # conditions by transition, place: move needs a >= big, back needs b >= 2
    assert list(zip(s.cond_t.tolist(), s.cond_p.tolist())) == [(0, 2), (1, 0)]
    assert s._met(sample).tolist() == [2, 2]
    g = reachability_graph(net)
    assert sorted(tuple(int(x) for x in m) for m in g.markings) == [(0, 0, big), (1, 0, 0)]
