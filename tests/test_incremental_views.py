"""What the engine keeps from one decision to the next (token counts, the offered bindings as
tuples) and what the Gymnasium environment builds from it (observation, mask) must equal a
full recomputation after every step, on random nets and on the plants of the benchmarks."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from petri import Net, Token
from petri.engine import WAIT, Simulator

gym = pytest.importorskip("gymnasium")
from control.env import PetriNetEnv  # noqa: E402

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def controlled_nets(draw):
    """Random timed coloured nets with a bounded int colour set, black-token and untimed
    coloured places, weights given by expressions, delays, guards; some transitions
    controllable (at least one); the uncontrolled ones cannot run forever."""
    net = Net("controlled")
    net.add_colour_set("J", "int", low=0, high=3, timed=True)
    net.add_colour_set("U", "int", low=0, high=3)
    places = []
    for i in range(draw(st.integers(1, 4))):
        tokens = draw(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 12)), max_size=4))
        net.add_place(f"p{i}", "J", initial=[Token(v, 1, t) for v, t in tokens])
        places.append((f"p{i}", "J"))
    if draw(st.booleans()):
        net.add_place("u", "U", initial=draw(st.lists(st.integers(0, 3), max_size=3)))
        places.append(("u", "U"))
    net.add_place("r", initial=draw(st.integers(0, 3)))
    n = draw(st.integers(1, 4))
    control = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    control[draw(st.integers(0, n - 1))] = True
    net.add_place("sink", "J")
    places.append(("sink", "J"))
    for k in range(n):
        # uncontrolled transitions move tokens only forward (towards the sink): a run
        # without decisions ends
        i = draw(st.integers(0, len(places) - 2))
        src, _ = places[i]
        dst, _ = draw(st.sampled_from(places if control[k] else places[i + 1:]))
        inputs = [(src, "x")] + (["r"] if draw(st.booleans()) else [])
        outputs = [(dst, f"(x + {draw(st.integers(0, 2))}) % 4",
                    draw(st.sampled_from([1, 2, "1 if x < 2 else 0"])))]
        if draw(st.booleans()):
            outputs.append("r")
        net.add_transition(f"t{k}", guard=f"x >= {draw(st.integers(0, 2))}",
                           delay=draw(st.integers(0, 5)), inputs=inputs, outputs=outputs,
                           controllable=control[k])
    return net


def full_mask(env) -> np.ndarray:
    """The mask recomputed from scratch: every controllable transition's bindings listed
    again on the marking (the engine's generated ``bindings``), no kept list."""
    sim = env.sim
    mask = np.zeros(len(env.actions), dtype=bool)
    mask[env.actions.wait] = True
    if env._done:
        return mask
    for t in sim.compiled.transitions:
        if t.controllable:
            for b in t.bindings(sim._m, sim.clock):
                mask[env.actions._index[(t.name, b)]] = True
    return mask


def check_episode(env, seed, steps=40):
    obs, _ = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        counts = env.sim.counts()               # counted again, place by place
        assert obs[:-1].tolist() == counts
        assert obs[-1] == np.float32(env.sim.clock / env.time_scale)
        mask = env.action_masks()
        assert mask.tolist() == full_mask(env).tolist()
        if not env._done:       # the Binding objects a controller sees name the same actions
            assert mask.tolist() == env.actions.mask(env._decision.bindings).tolist()
        if env._done:           # nothing to decide at all (reset ran the net to its end)
            break
        offered = np.flatnonzero(mask[:-1])
        action = int(rng.choice(offered)) if len(offered) and rng.random() < 0.9 \
            else env.actions.wait
        obs, _, done, truncated, info = env.step(action)
        assert info["enabled"] == int(full_mask(env)[:-1].sum())
        if done or truncated:
            assert obs[:-1].tolist() == env.sim.counts()
            break


@SETTINGS
@given(controlled_nets(), st.integers(0, 2**16))
def test_incremental_observation_and_mask_equal_a_full_recomputation(net, seed):
    check_episode(PetriNetEnv(net, max_firings=500), seed)


class Checking:
    """A controller that compares the counts the engine keeps with a full count at every
    decision, then chooses at random (or waits)."""

    def __init__(self, sim_of, seed):
        import random
        self.rng = random.Random(seed)
        self.sim_of = sim_of
        self.decisions = 0

    def choose(self, decision):
        sim = self.sim_of()
        state = decision.state
        assert state.counts() == sim.counts()
        assert [state.count(p) for p in sim.net.places] == sim.counts()
        listed = [(u, list(bs)) for u, bs in decision.listed]
        objects = [(b._t, b._b) for b in decision.bindings]
        assert [(u, b) for u, bs in listed for b in bs] == objects
        self.decisions += 1
        if self.rng.random() < 0.2:
            return WAIT
        return self.rng.choice(decision.bindings)


@SETTINGS
@given(controlled_nets(), st.integers(0, 2**16))
def test_kept_counts_equal_a_full_count_at_every_decision_and_after_restore(net, seed):
    holder = []
    ctrl = Checking(lambda: holder[0], seed)
    sim = Simulator(net, controller=ctrl, seed=seed, log=True)
    holder.append(sim)
    snap = sim.snapshot()
    sim.run(max_firings=30)
    assert sim.kept_counts() == sim.counts()
    sim.restore(snap)               # the marking goes back: so do the kept counts
    assert sim.kept_counts() == sim.counts()
    if sim.enabled():
        sim.fire(sim.enabled()[0])  # by hand, outside the run loop
        assert sim.kept_counts() == sim.counts()


def test_kept_counts_by_hand_on_a_flow_shop():
    """Hand-computed: starting job a moves it from the queue to machine 1 (free1 empties)."""
    from small_nets import flow_shop
    seen = []

    class Start:
        def choose(self, decision):
            seen.append((decision.clock, list(decision.state.counts())))
            return next((b for b in decision.bindings if b.values["j"] == "a"), WAIT)

    sim = Simulator(flow_shop(), controller=Start(), seed=0)
    # places: queue, m1, between, done, free1, free2
    assert sim.kept_counts() == [2, 0, 0, 0, 1, 1]
    sim.run()
    # a starts at 0, finishes on machine 1 at 1 and goes on to machine 2 (done, stamped 11)
    # before the next decision at 1, where b is offered and declined; once more when
    # machine 2 is free at 11
    assert seen == [(0, [2, 0, 0, 0, 1, 1]), (1, [1, 0, 0, 1, 1, 1]), (11, [1, 0, 0, 1, 1, 1])]
    assert sim.kept_counts() == sim.counts() == [1, 0, 0, 1, 1, 1]


@pytest.mark.parametrize("make", ["flowfactory_env", "jobshop_env"])
def test_benchmark_plants_incremental_views_equal_full_recomputation(make):
    import bench.bench_decisions as bd
    check_episode(getattr(bd, make)(), seed=3, steps=120)


def test_a_place_version_changes_exactly_when_a_firing_changes_the_place():
    """On the flow shop: between the decisions at 0 and 1 every place changed, between 1 and
    11 none; firing start<a> by hand changes queue, m1 and free1 only; a restore changes every
    version (what was computed before may be stale)."""
    from small_nets import flow_shop
    versions = []

    class Look:
        def choose(self, decision):
            st = decision.state
            versions.append({p: st.version(p) for p in st.net.places})
            return decision.bindings[0] if decision.clock == 0 else WAIT

    sim = Simulator(flow_shop(), controller=Look(), seed=0)
    snap = sim.snapshot()
    sim.run()
    first, second = versions[0], versions[1]
    assert {p for p in first if first[p] != second[p]} == {"queue", "m1", "between", "done",
                                                           "free1", "free2"}
    third = versions[2]                 # at 11: nothing fired since the decision at 1
    assert third == second
    sim.restore(snap)
    st = sim.state()
    assert all(st.version(p) not in (first[p], second[p]) for p in first)
    before = {p: st.version(p) for p in sim.net.places}
    sim.fire("start", {"j": "a"})
    after = {p: st.version(p) for p in sim.net.places}
    assert {p for p in before if before[p] != after[p]} == {"queue", "m1", "free1"}


def test_a_transition_whose_machine_is_busy_is_judged_without_listing_its_bindings():
    """Two jobs wait, the one machine works on job a until 5: at the decision point the
    engine settles `start` as disabled from the machine place alone (its bindings are not
    listed), and at 5 it offers b."""
    net = Net("one machine")
    net.add_colour_set("Job", values=["a", "b", "c"], timed=True)
    net.add_colour_set("Machine", "dot", timed=True)
    net.add_place("queue", "Job", initial=["a", "b"])
    net.add_place("done", "Job")
    net.add_place("machine", "Machine", initial=1)
    net.add_transition("start", inputs=[("queue", "j"), "machine"], delay=5,
                       outputs=[("done", "j"), "machine"], controllable=True)
    seen = []

    class First:
        def choose(self, decision):
            seen.append((decision.clock, [b.values["j"] for b in decision.bindings]))
            return decision.bindings[0]

    sim = Simulator(net, controller=First(), seed=0)
    listings = []
    t = sim.compiled.transitions[0]
    real = t.listing            # what the engine calls to list a transition's bindings
    t.listing = lambda m, now: listings.append(now) or real(m, now)
    try:
        sim.run()
    finally:
        t.listing = real
    assert seen == [(0, ["a", "b"]), (5, ["b"])]
    # listed at 0 (before a starts) and at 5 (the machine is back); after a started at 0 and
    # after b started at 5 the busy machine (then the empty queue) settles it without a listing
    assert listings == [0, 5]
    assert (sim.clock, sim.count("done")) == (5, 2)
