"""The timed token store (``petri.timestamps``) against a plain sorted list, and the engine's
timed firings against a reference marking kept as sorted lists."""
from __future__ import annotations

from bisect import bisect_right, insort

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from petri import Net, Token
from petri import timestamps as ts
from petri.engine import Simulator

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

stamps = st.one_of(st.integers(0, 30), st.sampled_from([0.5, 2.5, 7.25, 30.0]))
operations = st.lists(st.one_of(
    st.tuples(st.just("add"), stamps, st.integers(1, 3)),
    st.tuples(st.just("take"), st.integers(1, 4)),
    st.tuples(st.just("pop")),
    st.tuples(st.just("push"), stamps),
), max_size=80)


@SETTINGS
@given(st.lists(stamps, max_size=20), operations, st.lists(stamps, min_size=1, max_size=5))
def test_the_store_is_a_sorted_list_taken_oldest_first(initial, ops, clocks):
    model = sorted(initial)
    h = sorted(initial)            # a sorted list is a valid store
    for op in ops:
        if op[0] == "add":
            ts.add(h, op[1], op[2])
            for _ in range(op[2]):
                insort(model, op[1])
        elif op[0] == "push":
            ts.heappush(h, op[1])
            insort(model, op[1])
        elif op[0] == "pop" and model:
            assert ts.heappop(h) == model.pop(0)
        elif op[0] == "take" and len(model) >= op[1]:
            assert ts.take(h, op[1]) == model[:op[1]]
            del model[:op[1]]
        assert sorted(h) == model
        if model:
            assert h[0] == model[0]
            assert ts.latest(h) == model[-1]
            for w in range(1, len(model) + 1):
                assert ts.nth_oldest(h, w) == model[w - 1]
        for now in clocks:
            ready = bisect_right(model, now)
            for w in range(0, len(model) + 2):
                assert ts.few_ready(h, now, w) == (ready < w), (h, now, w)


def test_few_ready_looks_only_at_the_top_of_a_large_store():
    h = list(range(100_000))       # sorted: a heap
    assert ts.few_ready(h, 2, 3) is False
    assert ts.few_ready(h, 2, 4) is True
    assert ts.nth_oldest(h, 5) == 4
    assert ts.latest(h) == 99_999


# ---------------------------------------------------------------------------------------------
# the engine against a reference marking of sorted lists
# ---------------------------------------------------------------------------------------------

COLOURS = ("a", "b")


@st.composite
def timed_nets(draw):
    """Timed nets over two colours, constant inscriptions only, so the reference can tell which
    transitions are enabled: arc weights 1-3, several arcs from one place, read arcs, delays."""
    net = Net("timed store")
    net.add_colour_set("C", values=COLOURS, timed=True)
    places = [f"p{i}" for i in range(draw(st.integers(1, 3)))]
    for p in places:
        tokens = draw(st.lists(st.tuples(st.sampled_from(COLOURS), st.integers(1, 3),
                                         st.integers(0, 12)), max_size=5))
        net.add_place(p, "C", initial=[Token(v, n, t) for v, n, t in tokens])
    for k in range(draw(st.integers(1, 4))):
        def arcs(n_min, n_max):
            return [(draw(st.sampled_from(places)), repr(draw(st.sampled_from(COLOURS))),
                     draw(st.integers(1, 3))) for _ in range(draw(st.integers(n_min, n_max)))]
        net.add_transition(f"t{k}", delay=draw(st.integers(0, 6)), inputs=arcs(1, 3),
                           reads=arcs(0, 1), outputs=arcs(0, 2))
    return net


def ready_count(model, place, colour, now):
    return bisect_right(model[place].get(colour, []), now)


def reference_enabled(net, model, now):
    """Transition -> its ready times compared by "oldest" (the w-th oldest token of each timed
    arc, latest first), for every transition enabled at ``now``."""
    out = {}
    for name, t in net.transitions.items():
        need = {}
        ok = True
        for a in t.inputs:
            key = (a.place, a.pattern.strip("'"))
            if a.kind == "normal":
                need[key] = need.get(key, 0) + a.weight
            elif ready_count(model, *key, now) < a.weight:
                ok = False
        if ok and all(ready_count(model, *key, now) >= w for key, w in need.items()):
            out[name] = sorted((model[a.place][a.pattern.strip("'")][a.weight - 1]
                                for a in t.inputs), reverse=True)
    return out


@SETTINGS
@given(timed_nets(), st.integers(0, 1000), st.sampled_from(Simulator.CHOICES))
def test_timed_firings_take_the_oldest_ready_tokens(net, seed, choice):
    model = {p: {} for p in net.places}
    for p, place in net.places.items():
        for tok in place.initial:
            for _ in range(tok.count):
                insort(model[p].setdefault(tok.value, []), tok.time)
    sim = Simulator(net, seed=seed, choice=choice)
    for _ in range(30):
        ev = sim.step()
        if ev is None:
            break
        now = ev.time
        enabled = reference_enabled(net, model, now)
        assert ev.transition in enabled
        if choice == "oldest":
            assert enabled[ev.transition] == min(enabled.values())
        # the transition takes, per place and colour, the oldest tokens, all ready
        expected = []
        for a in net.transitions[ev.transition].inputs:
            if a.kind == "normal":
                colour = a.pattern.strip("'")
                lst = model[a.place][colour]
                expected += [(a.place, colour, x) for x in lst[:a.weight]]
                del lst[:a.weight]
        assert sorted(ev.consumed) == sorted(expected)
        assert all(x <= now for _, _, x in ev.consumed)
        delay = net.transitions[ev.transition].delay
        for place, colour, x in ev.produced:
            assert x == now + delay
            insort(model[place].setdefault(colour, []), x)
        # the engine's enabled sets, kept up to date after each firing, are the reference's
        assert {b.transition for b in sim.enabled()} == set(reference_enabled(net, model, sim.clock))
        for p in net.places:
            assert sim.tokens(p) == sorted(((v, x) for v, lst in model[p].items() for x in lst),
                                           key=lambda vt: (vt[1], repr(vt[0])))
    latest = max([sim.clock] + [x for d in model.values() for lst in d.values() for x in lst])
    assert sim.finish_time() == latest


@pytest.mark.parametrize("delay, clock", [(0, 0), (5, 10)])
def test_a_full_place_serves_its_oldest_parts_first(delay, clock):
    """Hand-computed: 1,000 parts stamped 999, 998, ..., 0 are served in timestamp order."""
    net = Net("queue")
    net.add_colour_set("Part", values=["part"], timed=True)
    net.add_place("queue", "Part", initial=[Token("part", 1, 999 - k) for k in range(1000)])
    net.add_place("served", "Part")
    net.add_transition("serve", delay=delay, inputs=[("queue", "p")], outputs=[("served", "p")])
    sim = Simulator(net, seed=0)
    sim.run(until=clock)
    consumed = [ev.consumed[0][2] for ev in sim.events]
    assert consumed == list(range(clock + 1))
    assert sim.count("queue") == 1000 - clock - 1
