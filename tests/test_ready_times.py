"""The clock's pending ready times: the engine against references that work from scratch.

The engine keeps, per *ready group* (a place and the transitions a token of its colour can
enable), the group's earliest pending time on one heap and its later times in its own heap, and
re-examines at each ready time only the transitions a group names. Two references check that
this changes no run:

* ``FromScratch``: the same engine whose clock advance finds the next ready time by looking at
  every token of the marking and re-examines every dependent of every place with a token getting
  ready then, in net order (the rule as docs/semantics.md states it). Runs with random choices,
  random delays and priorities must be identical, event for event.
* ``reference_run``: a token game written from the definitions alone (no compiled code), for
  nets whose transitions all carry a binding ``order`` with distinct values, so that no choice is
  random: the same events, clock and tokens.
"""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from petri import WAIT, Net, Token
from petri.compiler import TIMED
from petri.engine import Simulator

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class FromScratch(Simulator):
    """The engine with the clock advance written from the definition: the next ready time is
    the smallest timestamp later than the clock in the marking; every transition depending on
    a place with a token stamped then is examined again, places in net order."""

    def advance(self, until=None):
        c, start = self.compiled, self.clock
        while True:
            later = [(ts, i) for i, kind in enumerate(c.place_kinds) if kind == TIMED
                     for stamps in self._m[i].values() for ts in stamps if ts > self.clock]
            if not later:
                break
            t = min(ts for ts, _ in later)
            if until is not None and t > until:
                break
            self.clock, self._declined = t, False
            for i in sorted({i for ts, i in later if ts == t}):
                self._rechecks(c.place_dependents[i], t)
            if any(s.items for _, s in self._uncontrolled):
                return True
            self._settle()
            if any(s.items for _, s in self._controlled):
                return True
        self.clock = start
        return False


MACHINES = ("M1", "M2", "M3")


@st.composite
def machine_nets(draw, ordered: bool = False):
    """Jobs (int colours) moving between timed queues; most steps also take a machine
    ("M1".."M3", one timed place, each read by a literal, so a machine getting ready concerns
    only its own steps). Delays are numbers, expressions of the job or random draws, on the
    transition and on output arcs: many distinct ready times."""
    net = Net("machines")
    net.add_colour_set("Job", "int", timed=True)
    net.add_colour_set("Machine", values=list(MACHINES), timed=True)
    queues = [f"q{k}" for k in range(draw(st.integers(1, 4)))]
    for q in queues:
        jobs = draw(st.lists(st.tuples(st.integers(0, 7), st.integers(1, 3),
                                       st.sampled_from([0, 0, 1, 2.5, 7, 13.25])), max_size=6))
        net.add_place(q, "Job", initial=[Token(j, n, t) for j, n, t in jobs])
    idle = draw(st.lists(st.sampled_from(MACHINES), min_size=1, max_size=3, unique=True))
    net.add_place("idle", "Machine", initial=[Token(m, 1, draw(st.sampled_from([0, 0, 3])))
                                              for m in idle])
    delays = ["0", "1", "2.5", "x % 3", "x * 0.75 + 0.5"]
    if not ordered:
        delays += ["uniform(0, 4)", "exponential(1.5)"]
    for k in range(draw(st.integers(1, 5))):
        src, dst = draw(st.sampled_from(queues)), draw(st.sampled_from(queues))
        inputs, outputs = [(src, "x")], [(dst, f"(x + {draw(st.integers(0, 3))}) % 8")]
        machine = draw(st.sampled_from(MACHINES + (None,)))
        if machine is not None:
            inputs.append(("idle", f'"{machine}"'))
            outputs.append(("idle", f'"{machine}"', 1, draw(st.sampled_from([None, 0.5, 1]))))
        if draw(st.booleans()):
            outputs.append((draw(st.sampled_from(queues)), "x", 1,
                            draw(st.sampled_from([1, 2, 3.5, "x % 4 + 0.25"]))))
        extra = {"order": f"x * 10 + {k}"} if ordered else {"priority": draw(st.integers(0, 1))}
        net.add_transition(f"t{k}", guard=f"x >= {draw(st.integers(0, 2))}",
                           delay=draw(st.sampled_from(delays)), inputs=inputs, outputs=outputs,
                           **extra)
    return net


@SETTINGS
@given(machine_nets(), st.integers(0, 2**16), st.sampled_from(Simulator.CHOICES))
def test_the_clock_visits_the_same_times_as_when_working_from_scratch(net, seed, choice):
    ours, scratch = Simulator(net, seed=seed, choice=choice), FromScratch(net, seed=seed, choice=choice)
    a, b = ours.run(max_firings=150), scratch.run(max_firings=150)
    assert list(ours.events) == list(scratch.events)
    assert (a.firings, a.reason, a.clock, a.finish) == (b.firings, b.reason, b.clock, b.finish)
    assert ours.marking == scratch.marking


@SETTINGS
@given(machine_nets(), st.integers(0, 2**16), st.floats(0, 40))
def test_a_run_until_a_time_stops_where_working_from_scratch_stops(net, seed, until):
    ours, scratch = Simulator(net, seed=seed), FromScratch(net, seed=seed)
    a = ours.run(until=until, max_firings=200)
    b = scratch.run(until=until, max_firings=200)
    assert list(ours.events) == list(scratch.events)
    assert (a.firings, a.clock) == (b.firings, b.clock)
    assert all(e.time <= until for e in ours.events)
    if a.reason != "max_firings":     # until: a token is still to get ready after `until`
        later = any(ts > until for toks in ours.marking.values() for _, ts in toks)
        assert a.reason == ("until" if later else "dead")


def reference_run(net: Net, firings: int) -> list[tuple]:
    """The token game of a net built by ``machine_nets(ordered=True)``, from the definitions:
    at each instant the enabled binding with the smallest order value fires, taking the oldest
    ready token of each input; when none is enabled the clock moves to the next timestamp."""
    marking = {p: [(t.value, t.time) for t in place.initial for _ in range(t.count)]
               for p, place in net.places.items()}
    consts = {}
    clock, events = 0, []

    def value(text, x):
        return eval(str(text), {"__builtins__": {}}, {"x": x, **consts})   # the test's own inscriptions

    def ready(place, colour):
        stamps = [ts for c, ts in marking[place] if c == colour and ts <= clock]
        return min(stamps) if stamps else None

    while len(events) < firings:
        best = None
        for name, t in net.transitions.items():
            src = t.inputs[0].place
            for x in sorted({c for c, ts in marking[src] if ts <= clock}):
                if not value(t.guard, x):
                    continue
                if len(t.inputs) > 1 and ready("idle", value(t.inputs[1].pattern, x)) is None:
                    continue
                order = value(t.order, x)
                if best is None or order < best[0]:
                    best = (order, name, x)
        if best is None:
            later = [ts for toks in marking.values() for _, ts in toks if ts > clock]
            if not later:
                break
            clock = min(later)
            continue
        _, name, x = best
        t = net.transitions[name]
        consumed = []
        for a in t.inputs:
            colour = x if a.pattern == "x" else value(a.pattern, x)
            ts = ready(a.place, colour)
            marking[a.place].remove((colour, ts))
            consumed.append((a.place, colour, ts))
        start = clock + value(t.delay, x)
        produced = []
        for a in t.outputs:
            ts = start + (value(a.delay, x) if a.delay is not None else 0)
            colour = value(a.expression, x)
            marking[a.place].append((colour, ts))
            produced.append((a.place, colour, ts))
        events.append((clock, name, {"x": x}, tuple(consumed), tuple(produced)))
    return events


@SETTINGS
@given(machine_nets(ordered=True))
def test_ordered_timed_nets_run_as_the_definitions_say(net):
    sim = Simulator(net, seed=0)
    sim.run(max_firings=120)
    ours = [(e.time, e.transition, e.binding, e.consumed, e.produced) for e in sim.events]
    assert ours == reference_run(net, 120)


def test_many_distinct_ready_times_in_one_place():
    """2,000 parts, each ready at its own time and back after a random one: the clock visits
    every one of those times, in order, as working from scratch does."""
    def initial(k):
        return (k * 7919) % 2000 / 8          # 0, 0.125, ..., 249.875, each once

    net = Net("many")
    net.add_colour_set("Part", "int", timed=True)
    net.add_place("queue", "Part", initial=[Token(k, 1, initial(k)) for k in range(2000)])
    net.add_transition("serve", inputs=[("queue", "p")], outputs=[("queue", "p")],
                       delay="uniform(1, 10)")
    ours, scratch = Simulator(net, seed=7), FromScratch(net, seed=7)
    ours.run(max_firings=3000)
    scratch.run(max_firings=3000)
    assert list(ours.events) == list(scratch.events)
    times = [e.time for e in ours.events]
    assert times == sorted(times)
    first = {}
    for e in ours.events:
        first.setdefault(e.binding["p"], e.time)
    assert all(first[k] == initial(k) for k in first)       # each served when it got ready
    assert {k for k in range(2000) if initial(k) < ours.clock} <= set(first)
    assert all(initial(k) <= ours.clock for k in first)
    assert len(first) > 300


def test_a_machine_getting_ready_concerns_only_its_own_steps():
    net = Net("two machines")
    net.add_colour_set("Machine", values=["M1", "M2"], timed=True)
    net.add_colour_set("Part", "int", timed=True)
    net.add_place("idle", "Machine", initial=["M1", "M2"])
    net.add_place("parts", "Part", initial=[1, 2, 3])
    for m in ("M1", "M2"):
        net.add_transition(f"work_{m}", delay=4, inputs=[("parts", "p"), ("idle", f'"{m}"')],
                           outputs=[("parts", "p"), ("idle", f'"{m}"')])
    c = Simulator(net).compiled
    idle, parts = c.place_index["idle"], c.place_index["parts"]
    assert c.ready.members[c.ready.group(idle, '"M1"')] == (0,)
    assert c.ready.members[c.ready.group(idle, '"M2"')] == (1,)
    assert c.ready.members[c.ready.group(parts, "p")] == (0, 1)
    assert c.ready.dependents([c.ready.group(idle, '"M2"'), c.ready.group(idle, '"M1"')]) == (0, 1)


def test_restore_brings_back_the_pending_ready_times():
    net = Net("restore")
    net.add_colour_set("Part", "int", timed=True)
    net.add_place("queue", "Part", initial=[Token(k, 1, k * 0.5) for k in range(50)])
    net.add_transition("serve", inputs=[("queue", "p")], outputs=[("queue", "p")],
                       delay="uniform(1, 10)")
    sim = Simulator(net, seed=2)
    sim.run(max_firings=100)
    snap = sim.snapshot()
    sim.run(max_firings=200)
    first = list(sim.events)[100:]
    sim.restore(snap)
    sim.run(max_firings=200)
    assert list(sim.events)[100:] == first and len(first) == 200


class Waits:
    def choose(self, decision):
        return WAIT


def clock_guarded() -> Net:
    """``take`` may fire only before time 6; a part elsewhere gets ready at 6 and enables
    nothing (its step wants a part 3)."""
    net = Net("before six")
    net.add_colour_set("Part", "int", timed=True)
    net.add_constant("k", 3)
    net.add_place("ready", "Part", initial=[1])
    net.add_place("taken", "Part")
    net.add_place("later", "Part", initial=[Token(2, 1, 6)])
    net.add_place("gone", "Part")
    net.add_transition("take", inputs=[("ready", "x")], outputs=[("taken", "x")],
                       guard="clock < 6", controllable=True)
    net.add_transition("pass", inputs=[("later", "y")], outputs=[("gone", "y")], guard="y == k")
    return net


def test_an_advance_that_finds_nothing_leaves_the_clock_and_the_enabling_as_they_were():
    # the controller waits; at 6 nothing is enabled (take's guard is false from then on), so
    # the clock stays at 0, where take is still enabled: the run ends waiting, not dead
    sim = Simulator(clock_guarded(), controller=Waits())
    result = sim.run()
    assert (result.reason, result.clock, sim.clock) == ("waiting", 0, 0)
    assert [repr(b) for b in sim.enabled()] == ["take<x=1>"]
    assert sim.run().reason == "waiting"                      # and again, the same


def test_a_ready_time_passed_in_vain_is_visited_again_after_a_change():
    # the first run looks at time 6 and finds nothing; after k changes, the part ready at 6
    # enables pass, and the clock must go there (where take's guard no longer holds)
    sim = Simulator(clock_guarded(), controller=Waits())
    result = sim.run()
    assert (result.reason, sim.clock, sim.firings) == ("waiting", 0, 0)
    sim.set_constant("k", 2)
    result = sim.run()
    assert [(e.time, e.transition) for e in sim.events] == [(6, "pass")]
    assert (result.reason, sim.clock) == ("dead", 6)
