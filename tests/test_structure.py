"""One firing rule: every consumer is tested against ``petri.structure``'s reference.

Random place/transition nets (weights including 0, read and inhibitor arcs, capacities,
priorities) are played by the reference rule (``enabled``/``fire``) and by each fast consumer:
the engine's generated code, the reachability explorer, coverability graphs, the incidence
matrix of the invariants and the Gymnasium environment's action masks.
"""
from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from petri import Net
from petri.analysis import coverability_graph, incidence_matrix, reachability_graph
from petri.check import check_net
from petri.engine import Simulator, compile_net
from petri.structure import enabled, fire, is_enabled, pt_view

LIMIT = 400        # reference explorations stop here: the nets below stay small


@st.composite
def pt_nets(draw, inhibitors=True, capacities=True, priorities=True):
    P = draw(st.integers(1, 4))
    T = draw(st.integers(1, 4))
    net = Net("random")
    for p in range(P):
        cap = draw(st.one_of(st.none(), st.integers(1, 4))) if capacities else None
        initial = draw(st.integers(0, cap if cap is not None else 3))
        net.add_place(f"p{p}", initial=initial, capacity=cap)
    for t in range(T):
        places = [f"p{p}" for p in range(P)]
        inputs = [(p, None, draw(st.integers(1, 2))) for p in places if draw(st.booleans())]
        reads = [(p, None, draw(st.integers(1, 2))) for p in places if draw(st.integers(0, 3)) == 0]
        inhib = ([(p, None, draw(st.integers(1, 3))) for p in places if draw(st.integers(0, 3)) == 0]
                 if inhibitors else [])
        outputs = [(p, None, draw(st.integers(0, 2))) for p in places if draw(st.booleans())]
        net.add_transition(f"t{t}", inputs=inputs, reads=reads, inhibitors=inhib, outputs=outputs,
                           priority=draw(st.integers(0, 1)) if priorities else 0)
    assume(not check_net(net))
    return net


def reference_graph(view, limit=LIMIT):
    """Breadth-first search by the reference rule: (markings in order, edges, complete)."""
    order = [view.initial]
    index = {view.initial: 0}
    edges = set()
    i = 0
    while i < len(order):
        m = order[i]
        for t in enabled(view, m):
            m2 = fire(view, t, m)
            if m2 not in index:
                if len(order) >= limit:
                    return order, edges, False
                index[m2] = len(order)
                order.append(m2)
            edges.add((m, t, m2))
        i += 1
    return order, edges, True


SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@SETTINGS
@given(pt_nets(), st.integers(0, 2**16))
def test_engine_plays_the_reference_rule(net, seed):
    view = pt_view(net)
    sim = Simulator(net, seed=seed)
    m = view.initial
    for _ in range(30):
        assert sorted({b.transition for b in sim.enabled()}) == [
            view.transitions[t] for t in enabled(view, m)]
        event = sim.step()
        if event is None:
            assert enabled(view, m) == []
            break
        m = fire(view, view.transitions.index(event.transition), m)
        assert tuple(sim.count(p) for p in view.places) == m


@pytest.mark.parametrize("compiled", [False, True], ids=["numpy", "compiled"])
@SETTINGS
@given(pt_nets())
def test_explorer_finds_the_reference_graph(compiled, net):
    view = pt_view(net)
    order, edges, complete = reference_graph(view)
    g = reachability_graph(net, max_states=LIMIT + 1, compiled=compiled)
    if g.stopped == "unbounded":
        # the witness: a firing sequence from an ancestor that ends strictly above it (equal
        # where inhibitor arcs and capacities look) and so can be repeated for ever
        a, s = g.unbounded_witness
        counts = g.token_counts()
        ma = tuple(int(x) for x in counts[a])
        ms = tuple(int(x) for x in counts[s])
        frozen = view.frozen()
        assert all(x <= y for x, y in zip(ma, ms)) and ma != ms
        assert all(ma[p] == ms[p] for p in np.flatnonzero(frozen))
        pa, ps = g.path_to(a), g.path_to(s)
        assert ps[:len(pa)] == pa
        m = view.initial
        for name in pa:
            t = view.transitions.index(name)
            assert t in enabled(view, m)
            m = fire(view, t, m)
        assert m == ma
        for _ in range(3):               # the loop keeps firing, adding tokens each round
            for name in ps[len(pa):]:
                t = view.transitions.index(name)
                assert is_enabled(view, t, m)
                m = fire(view, t, m)
        assert not complete or len(order) > g.num_states
        return
    assume(complete)
    assert g.complete and g.num_states == len(order)
    markings = [tuple(int(x) for x in row) for row in g.token_counts()]
    assert set(markings) == set(order)
    assert markings[0] == view.initial
    got = {(markings[s], int(t), markings[d]) for s, t, d in zip(g.src, g.transition, g.dst)}
    assert got == edges and g.num_edges == len(edges)


@SETTINGS
@given(pt_nets(inhibitors=False, capacities=False, priorities=False))
def test_coverability_graph_of_a_bounded_net_is_the_reference_graph(net):
    view = pt_view(net)
    order, edges, complete = reference_graph(view)
    cover = coverability_graph(net, max_states=5000)
    if not complete:
        return
    assert cover.unbounded_places == []
    assert set(cover.markings) == set(order)
    got = {(cover.markings[s], int(t), cover.markings[d])
           for s, t, d in zip(cover.src, cover.transition, cover.dst)}
    assert got == edges


@SETTINGS
@given(pt_nets(inhibitors=False, capacities=False, priorities=False))
def test_coverability_graph_covers_every_reachable_marking(net):
    view = pt_view(net)
    order, _, _ = reference_graph(view, limit=150)
    cover = coverability_graph(net, max_states=5000)
    assume(cover.complete)
    for m in order:
        assert any(all(x <= y for x, y in zip(m, node)) for node in cover.markings)


@SETTINGS
@given(pt_nets())
def test_incidence_matrix_is_the_change_of_every_firing(net):
    view = pt_view(net)
    places, transitions, C = incidence_matrix(net)
    assert (places, transitions) == (view.places, view.transitions)
    _, edges, _ = reference_graph(view, limit=100)
    for m, t, m2 in edges:
        assert tuple(int(x) for x in np.subtract(m2, m)) == tuple(int(x) for x in C[:, t])


@SETTINGS
@given(pt_nets(), st.integers(0, 2**16))
def test_environment_masks_are_the_reference_enabled_transitions(net, seed):
    gym_env = pytest.importorskip("control.env")
    for t in net.transitions.values():
        t.controllable = True
    view = pt_view(net)
    env = gym_env.PetriNetEnv(net)
    obs, _ = env.reset(seed=seed)
    rng = random.Random(seed)
    m = view.initial
    for _ in range(20):
        assert tuple(int(x) for x in obs[:-1]) == m
        ready = enabled(view, m)
        mask = env.action_masks()
        assert mask[:-1].tolist() == [t in ready for t in range(len(view.transitions))]
        if not ready:
            break
        t = rng.choice(ready)
        obs, _, terminated, _, _ = env.step(t)
        m = fire(view, t, m)


def test_zero_weight_output_arcs_count_equal_markings_once():
    """A coloured net whose output weight evaluates to 0: no empty colour, so the marking
    after the firing equals the initial one and the graph has one state."""
    net = Net()
    net.add_colour_set("C", values=["a", "b"])
    net.add_place("on", initial=1)
    net.add_place("q", "C")
    net.add_transition("t", inputs=["on"], outputs=["on", ("q", "'b'", "0")])
    g = reachability_graph(net)
    assert (g.num_states, g.num_edges, g.complete) == (1, 1, True)
    assert g.marking(0) == {"on": {(): 1}, "q": {}}


def test_coloured_reference_is_the_engine_successors():
    """For coloured nets the reference is the untimed successors: the explorer's edges are
    exactly theirs."""
    net = Net()
    net.add_colour_set("C", values=["a", "b"])
    net.add_place("in", "C", initial=["a", "b"])
    net.add_place("out", "C")
    net.add_transition("move", inputs=[("in", "x")], outputs=[("out", "x")])
    c = compile_net(net, untimed=True)
    g = reachability_graph(net)
    for s in range(g.num_states):
        key = g._keys[s]
        want = sorted((name, tuple(b.items()), nxt) for name, b, nxt in c.successors(key))
        got = sorted((g.transition_names[g.transition[i]], tuple(g.bindings[i].items()),
                      g._keys[g.dst[i]]) for i in np.flatnonzero(g.src == s))
        assert got == want
    assert (g.num_states, g.num_edges) == (4, 4)
