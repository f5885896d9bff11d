"""Controllable transitions left alone while an input place of theirs lacks tokens (the
firings and ready times that give that place nothing do not mark them), and listed with the
ready colours of their inner places taken once: their kept bindings and enabled sets against
a full recomputation at every step."""
import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from petri import Net, Token
from petri.engine import WAIT, Simulator, compile_net

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def two_arc_nets(draw):
    """Random timed nets whose transitions take two tokens (colours 0..2) from two places
    (sometimes the same), with guards on both, inhibitor and read arcs, capacities, delays,
    several outputs, priorities and binding orders; most of them controllable."""
    net = Net("two arcs")
    net.add_colour_set("T", "int", low=0, high=2, timed=True)
    net.add_colour_set("U", "int", low=0, high=2)
    net.add_constant("k", draw(st.integers(0, 3)))
    places = []
    for i in range(draw(st.integers(2, 4))):
        colour = draw(st.sampled_from(["T", "T", "U"]))
        tokens = draw(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 6)), max_size=6))
        cap = draw(st.one_of(st.none(), st.none(), st.integers(6, 9)))
        net.add_place(f"p{i}", colour, capacity=cap,
                      initial=[Token(v, 1, t if colour == "T" else 0) for v, t in tokens])
        places.append(f"p{i}")
    for k in range(draw(st.integers(1, 5))):
        a, b = draw(st.sampled_from(places)), draw(st.sampled_from(places))
        guard = draw(st.sampled_from(["", "x != y", "x + y >= k", "x == y", "clock >= 3"]))
        kw = {}
        others = [p for p in places if p not in (a, b)]
        if others and draw(st.integers(0, 3)) == 0:
            kw["inhibitors"] = [(draw(st.sampled_from(others)), None, 2)]
        if others and draw(st.integers(0, 3)) == 0:
            kw["reads"] = [(draw(st.sampled_from(others)), "z")]
        if draw(st.integers(0, 4)) == 0:
            kw["order"] = "x"
        outputs = [(draw(st.sampled_from(places)), f"(x + {draw(st.integers(0, 2))}) % 3")]
        if draw(st.booleans()):
            outputs.append((draw(st.sampled_from(places)), "y"))
        net.add_transition(f"t{k}", guard=guard or None, delay=draw(st.integers(0, 3)),
                           inputs=[(a, "x"), (b, "y")], outputs=outputs,
                           controllable=draw(st.integers(0, 3)) > 0,
                           priority=draw(st.integers(0, 1)), **kw)
    return net


def assert_kept_lists_are_fresh(sim: Simulator) -> None:
    """Every kept list of bindings, and the enabled set of every settled transition, is what
    listing from the marking gives now."""
    c, m, now = sim.compiled, sim._m, sim.clock
    for u, t in enumerate(c.transitions):
        fresh = t.listing(m, now)
        if sim._listed[u] is not None:
            assert sim._listed[u] == fresh, t.name
        if u not in sim._dirty:
            assert (u in sim._class_of[u].pos) == bool(fresh), t.name
        if sim._lacking[u] >= 0:
            assert not fresh, t.name
        if t.listing_many is not None:      # inner places' ready colours taken once
            assert t.listing_many(m, now) == fresh, t.name
        old = sim._dirty.get(u)
        if isinstance(old, list):           # an older list, only takings since: what it keeps
            assert sim._listed[u] is None and t.keeps(m, now, old) == fresh, t.name
            KEPT_OLD[0] += 1
        elif old is not None:   # none at ``since``, then only tokens of ``p`` got ready
            p, since = old
            assert sim._listed[u] is None and p in t.fresh, t.name
            assert since is not None and since <= now, t.name
            colours = {x: st for x, st in m[p].items() if st and since < st[0] <= now}
            restricted = list(m)
            restricted[p] = colours
            assert t.listing(restricted, now) == fresh, t.name


def check_newly_ready(sim: Simulator) -> None:
    """Every listing of only the colours that got ready since (``_bindings`` with a place)
    is checked against a full listing as it is made."""
    real = sim._bindings

    def bindings(u, p=-1, colours=None):
        bs = real(u, p, colours)
        if p >= 0:
            t = sim.compiled.transitions[u]
            assert bs == t.listing(sim._m, sim.clock), t.name
            NEWLY_READY[0] += 1
        return bs
    sim._bindings = bindings


KEPT_OLD = [0]      # how often an older list waiting for ``keeps`` was checked
NEWLY_READY = [0]   # how often only the newly ready colours of a place were listed


class Checking:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.sim = None

    def choose(self, decision):
        assert_kept_lists_are_fresh(self.sim)
        if self.rng.random() < 0.25:
            return WAIT
        return self.rng.choice(decision.bindings)


@SETTINGS
@given(two_arc_nets(), st.integers(0, 1000), st.sampled_from(Simulator.CHOICES))
def test_kept_lists_equal_a_full_listing(net, seed, choice):
    ctl = Checking(seed)
    sim = Simulator(net, controller=ctl, seed=seed, choice=choice)
    ctl.sim = sim
    check_newly_ready(sim)
    for _ in range(60):
        assert_kept_lists_are_fresh(sim)
        if sim.step() is None:
            break
    assert_kept_lists_are_fresh(sim)


@SETTINGS
@given(two_arc_nets(), st.integers(0, 1000))
def test_kept_lists_survive_parameter_changes_and_restores(net, seed):
    ctl = Checking(seed)
    sim = Simulator(net, controller=ctl, seed=seed)
    ctl.sim = sim
    check_newly_ready(sim)
    sim.run(max_firings=6)
    snap = sim.snapshot()
    k = sim.constant("k")
    sim.set_constant("k", 3 - k)
    assert_kept_lists_are_fresh(sim)
    sim.run(max_firings=6)
    assert_kept_lists_are_fresh(sim)
    sim.restore(snap)               # k comes back with the snapshot
    assert sim.constant("k") == k
    assert_kept_lists_are_fresh(sim)
    sim.run(max_firings=6)
    assert_kept_lists_are_fresh(sim)


def job_shop():
    from control.scheduling.generate import random_jobshop
    from petri.jobshop import instance_net
    return instance_net(random_jobshop(6, 4, random.Random(3)))


def test_a_busy_machine_is_left_alone_until_it_comes_back():
    """Job a starts at 0 on the one machine (busy until 5); b arrives at 2 and c at 3. At 0
    `start` is listed (nothing lacks); with a started, it lacks a job (the queue is empty: the
    first arc that finds too few); b's arrival marks it, then it lacks the machine, so c's arrival at 3 leaves it alone. The
    machine's return at 5 marks it to list only the machine's newly ready colour (it had no
    binding at 2 and only the machine got tokens ready since): b and c, no look for what
    lacks; after b starts it lacks the machine; the same at 10 gives c; after c starts it
    lacks a job again and the machine's return at 15 leaves it alone (the run ends at 10: the
    end of the run judges again at 10 what it examined at 15)."""
    net = Net("arrivals")
    net.add_colour_set("Job", values=["a", "b", "c"], timed=True)
    net.add_colour_set("Machine", "dot", timed=True)
    net.add_place("coming", "Job", initial=[Token("b", 1, 2), Token("c", 1, 3)])
    net.add_place("queue", "Job", initial=["a"])
    net.add_place("done", "Job")
    net.add_place("machine", "Machine", initial=1)
    net.add_transition("arrive", inputs=[("coming", "j")], outputs=[("queue", "j")])
    net.add_transition("start", inputs=[("queue", "j"), "machine"], delay=5,
                       outputs=[("done", "j"), "machine"], controllable=True)
    marked = []

    class First:
        def choose(self, decision):
            return decision.bindings[0]

    sim = Simulator(net, controller=First(), seed=0)
    start, machine = sim.compiled.transition_index["start"], sim.compiled.place_index["machine"]
    names = sim.compiled.place_names
    real, listing = sim._lacks, sim._bindings

    def lacks(u):
        p = real(u)
        marked.append((sim.clock, "lacks", names[p] if p >= 0 else None))
        return p

    def bindings(u, p=-1, colours=None):
        if p >= 0:
            marked.append((sim.clock, "newly ready", names[p]))
        return listing(u, p, colours)

    sim._lacks, sim._bindings = lacks, bindings
    sim.run(until=4)
    assert sim.count("queue") == 2 and sim._lacking[start] == machine
    assert start not in sim._dirty
    assert marked == [(0, "lacks", None), (0, "lacks", "queue"), (2, "lacks", "machine")]
    sim.run()
    assert marked[3:] == [(5, "newly ready", "machine"), (5, "lacks", "machine"),
                          (10, "newly ready", "machine"), (10, "lacks", "queue"),
                          (10, "lacks", "queue")]
    assert [(e.time, e.binding["j"]) for e in sim.events if e.transition == "start"] == [
        (0, "a"), (5, "b"), (10, "c")]
    assert (sim.clock, sim.count("done")) == (10, 3)


def test_a_job_getting_ready_lists_only_its_colour():
    """Jobs a (ready at 4), b and c (ready at 6) for two idle machines; w1 does not take b. At
    0 neither transition has a binding (the queue has no ready token). At 4 only a got ready:
    each is listed with the queue holding a alone ([a] each); w1 takes a and its machine, so
    the next decision keeps of the older lists what is still there (none: the queue lacks
    again). At 6 b and c get ready: both are listed with the queue holding b and c (w1: none,
    its machine is busy); w2 takes b, and w1, with no binding before a taking, is not looked
    at again. At 9 m1 comes back: w1 is listed with m1 holding its newly ready token (the
    queue as it is: c), and takes c."""
    net = Net("arrivals")
    net.add_colour_set("Job", values=["a", "b", "c"], timed=True)
    net.add_colour_set("Machine", "dot", timed=True)
    net.add_place("queue", "Job", initial=[Token("a", 1, 4), Token("b", 1, 6), Token("c", 1, 6)])
    net.add_place("done", "Job")
    for k in (1, 2):
        net.add_place(f"m{k}", "Machine", initial=1)
    net.add_transition("w1", inputs=[("queue", "j"), "m1"], guard='j != "b"', delay=5,
                       outputs=[("done", "j"), "m1"], controllable=True)
    net.add_transition("w2", inputs=[("queue", "j"), "m2"], delay=5,
                       outputs=[("done", "j"), "m2"], controllable=True)
    compiled = compile_net(net)
    names, sim, seen = compiled.place_names, None, []
    queue, m1, m2 = (compiled.place_index[p] for p in ("queue", "m1", "m2"))
    assert [t.fresh for t in compiled.transitions] == [{queue, m1}, {queue, m2}]

    def spy(t, what, f):
        def call(m, now, *rest):
            # the place the listing sees holding fewer colours than the marking, and those
            held = [(names[i], sorted(m[i])) for i in range(len(m)) if m[i] is not sim._m[i]]
            seen.append((now, what, t.name, *held))
            return f(m, now, *rest)
        return call

    for t in compiled.transitions:
        t.listing = spy(t, "list", t.listing)

    class First:
        def choose(self, decision):
            return decision.bindings[0]

    sim = Simulator(compiled, controller=First(), seed=0)
    sim._keeps = [spy(t, "keep", t.keeps) for t in compiled.transitions]
    real = sim._lacks
    sim._lacks = lambda u: seen.append(
        (sim.clock, "lacks", compiled.transitions[u].name, names[real(u)])) or real(u)
    sim.run(max_firings=3)
    assert [(e.time, e.transition, e.binding["j"]) for e in sim.events] == [
        (4, "w1", "a"), (6, "w2", "b"), (9, "w1", "c")]
    assert seen == [(0, "lacks", "w1", "queue"), (0, "lacks", "w2", "queue"),
                    (4, "list", "w1", ("queue", ["a"])), (4, "list", "w2", ("queue", ["a"])),
                    (4, "keep", "w1"), (4, "lacks", "w1", "queue"),
                    (4, "keep", "w2"), (4, "lacks", "w2", "queue"),
                    (6, "list", "w1", ("queue", ["b", "c"])),
                    (6, "list", "w2", ("queue", ["b", "c"])),
                    (6, "keep", "w2"), (6, "lacks", "w2", "m2"),
                    (9, "list", "w1", ("m1", [()]))]


def test_which_places_list_only_newly_ready_colours():
    """A place of weight 1 on a transition whose enabling does not read the clock: yes; an arc
    of weight 2, an untimed place: no; a guard reading the clock, an inhibitor arc, an
    uncontrollable transition: none of its places."""
    net = Net("kinds")
    net.add_colour_set("Job", values=["a", "b"], timed=True)
    net.add_colour_set("Plain", values=["x"])
    net.add_place("queue", "Job", initial=["a", "b"])
    net.add_place("pairs", "Job", initial=["a", "a"])
    net.add_place("tools", "Plain", initial=["x"])
    net.add_place("other", "Job")
    net.add_transition("plain", inputs=[("queue", "j"), ("pairs", "i", 2), ("tools", "t")],
                       delay=1, controllable=True, outputs=[("other", "j")])
    net.add_transition("timely", inputs=[("queue", "j")], guard="clock >= 2",
                       controllable=True, outputs=[("other", "j")])
    net.add_transition("inhibited", inputs=[("queue", "j")], inhibitors=[("other", None, 1)],
                       controllable=True, outputs=[("other", "j")])
    net.add_transition("free", inputs=[("queue", "j")], outputs=[("other", "j")])
    compiled = compile_net(net)
    fresh = {t.name: {compiled.place_names[i] for i in t.fresh} for t in compiled.transitions}
    assert fresh == {"plain": {"queue"}, "timely": set(), "inhibited": set(), "free": set()}


def test_job_shop_episodes_keep_fresh_lists_and_use_them():
    from control.env import PetriNetEnv
    env = PetriNetEnv(job_shop(), values={"k": range(4)})
    rng = np.random.default_rng(1)
    incremental = 0     # transitions found lacking tokens, left alone
    NEWLY_READY[0] = 0
    for episode in range(3):
        env.reset(seed=episode)
        check_newly_ready(env.sim)
        done = False
        while not done:
            sim = env.sim
            assert_kept_lists_are_fresh(sim)
            incremental += sum(p >= 0 for p in sim._lacking)
            offered = np.flatnonzero(env.action_masks()[:-1])
            action = int(rng.choice(offered)) if len(offered) else env.actions.wait
            _, _, done, _, _ = env.step(action)
    assert incremental > 0 and NEWLY_READY[0] > 0
    assert all(t.listing_many is not None for t in env.sim.compiled.transitions)


def test_takings_keep_the_older_list_instead_of_listing_again():
    """Two machines, each its own transition, serve a queue of a, b and c (processing 5). At
    0 both are listed ([a, b, c]); w1 takes a and its machine, and puts both for later: the
    next decision keeps of the older lists what is still there (w1: none, its machine busy;
    w2: [b, c]); w2 takes b: w2 keeps none, w1 lacks its machine and is left alone. At 5 the
    machines come back: both listed ([c]); w1 takes c: both keep none of [c]."""
    net = Net("two machines")
    net.add_colour_set("Job", values=["a", "b", "c"], timed=True)
    net.add_colour_set("Machine", "dot", timed=True)
    net.add_place("queue", "Job", initial=["a", "b", "c"])
    net.add_place("done", "Job")
    for k in (1, 2):
        net.add_place(f"m{k}", "Machine", initial=1)
        net.add_transition(f"w{k}", inputs=[("queue", "j"), f"m{k}"], delay=5,
                           outputs=[("done", "j"), f"m{k}"], controllable=True)
    compiled = compile_net(net)
    seen = []

    def spy(t, what, f):
        def call(m, now, *rest):
            seen.append((now, what, t.name))
            return f(m, now, *rest)
        return call

    for t in compiled.transitions:
        t.listing = spy(t, "list", t.listing)
        assert t.listing_many is None and t.keeps is not None

    class First:
        def choose(self, decision):
            return decision.bindings[0]

    sim = Simulator(compiled, controller=First(), seed=0)
    sim._keeps = [spy(t, "keep", t.keeps) for t in compiled.transitions]
    sim.run()
    assert [(e.time, e.transition, e.binding["j"]) for e in sim.events] == [
        (0, "w1", "a"), (0, "w2", "b"), (5, "w1", "c")]
    assert seen == [(0, "list", "w1"), (0, "list", "w2"), (0, "keep", "w1"), (0, "keep", "w2"),
                    (0, "keep", "w2"), (5, "list", "w1"), (5, "list", "w2"),
                    (5, "keep", "w1"), (5, "keep", "w2")]
    assert (sim.clock, sim.count("done")) == (5, 3)


def test_no_keeping_where_a_taking_can_enable_or_a_listing_draws():
    """An inhibitor arc, an output into a place with a capacity, two arcs from one place: such a
    transition is listed again after every change (a taking may enable it, or the two arcs
    share the place's tokens)."""
    net = Net("kinds")
    net.add_colour_set("Job", values=["a", "b"], timed=True)
    net.add_place("queue", "Job", initial=["a", "b"])
    net.add_place("full", "Job", capacity=3)
    net.add_place("other", "Job")
    kinds = {"plain": {}, "inhibited": {"inhibitors": [("other", None, 1)]},
             "capped": {}, "twice": {}}
    for name, kw in kinds.items():
        inputs = [("queue", "j")] + ([("queue", "i")] if name == "twice" else [])
        net.add_transition(name, inputs=inputs, delay=1, controllable=True,
                           outputs=[("full" if name == "capped" else "other", "j")], **kw)
    keeps = {t.name: t.keeps is not None for t in compile_net(net).transitions}
    assert keeps == {"plain": True, "inhibited": False, "capped": False, "twice": False}


def test_the_random_nets_reach_older_lists_and_newly_ready_colours():
    KEPT_OLD[0] = NEWLY_READY[0] = 0
    test_kept_lists_equal_a_full_listing()
    assert KEPT_OLD[0] > 0 and NEWLY_READY[0] > 0
