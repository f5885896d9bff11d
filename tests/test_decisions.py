"""Decisions without re-listing: kept bindings against a full recomputation, lazy decision
objects, and a compiled net reused across runs against a fresh load."""
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from petri import Net, Token
from petri.engine import WAIT, Binding, Simulator, compile_net
from petri.errors import NetError, SimulationError

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def controlled_nets(draw):
    """Random timed coloured nets with controllable transitions: colours 0..2 on timed and
    untimed places, read and inhibitor arcs, capacities, delays, guards on the clock,
    priorities and binding orders."""
    net = Net("controlled")
    net.add_colour_set("T", "int", low=0, high=2, timed=True)
    net.add_colour_set("U", "int", low=0, high=2)
    net.add_constant("k", draw(st.integers(0, 2)))
    places = []
    for i in range(draw(st.integers(1, 4))):
        colour = draw(st.sampled_from(["T", "U"]))
        tokens = draw(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 9)), max_size=5))
        cap = draw(st.one_of(st.none(), st.integers(5, 8)))
        net.add_place(f"p{i}", colour, capacity=cap,
                      initial=[Token(v, 1, t if colour == "T" else 0) for v, t in tokens])
        places.append(f"p{i}")
    for k in range(draw(st.integers(1, 5))):
        src = draw(st.sampled_from(places))
        dst = draw(st.sampled_from(places))
        guard = draw(st.sampled_from(["", "x >= k", "clock >= 4", "x != 1 or clock < 6"]))
        kw = {}
        others = [p for p in places if p != src]
        if others and draw(st.booleans()):
            kw["reads"] = [(draw(st.sampled_from(others)), "y")]
        if others and draw(st.booleans()):
            kw["inhibitors"] = [(draw(st.sampled_from(others)), None, 2)]
        if draw(st.integers(0, 4)) == 0:
            kw["order"] = "x"
        net.add_transition(f"t{k}", guard=guard or None, delay=draw(st.integers(0, 4)),
                           inputs=[(src, "x")], outputs=[(dst, f"(x + {draw(st.integers(0, 2))}) % 3")],
                           controllable=draw(st.booleans()), priority=draw(st.integers(0, 1)),
                           **kw)
    return net


def assert_kept_state_is_fresh(sim: Simulator) -> None:
    """The enabled sets, kept binding lists and kept Binding objects are what a full
    recomputation from the marking and the clock gives."""
    c, m, now = sim.compiled, sim._m, sim.clock
    for u, t in enumerate(c.transitions):
        fresh = list(t.bindings(m, now))
        assert t.check(m, now) == bool(fresh), t.name
        if u not in sim._dirty:     # marked ones are settled when a decision is due
            assert (u in sim._class_of[u].pos) == bool(fresh), t.name
        if sim._listed is not None and sim._listed[u] is not None:
            assert sim._listed[u] == fresh, t.name
        if sim._offered is not None and sim._offered[u] is not None:
            assert [(b.transition, b.values) for b in sim._offered[u]] == \
                [(t.name, dict(zip(t.variables, b))) for b in fresh], t.name


class Checking:
    """Checks the engine's kept state at every decision, then picks at random or waits."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.sim = None
        self.decisions = 0

    def choose(self, decision):
        sim = self.sim
        assert_kept_state_is_fresh(sim)
        c, m, now = sim.compiled, sim._m, sim.clock
        top = max(c.transitions[u].priority for s in sim._sets.values() for u in s.items)
        expected = [(t.name, dict(zip(t.variables, b))) for t in c.transitions
                    if t.controllable and t.priority == top for b in t.bindings(m, now)]
        assert [(b.transition, b.values) for b in decision.bindings] == expected
        self.decisions += 1
        if self.rng.random() < 0.3:
            return WAIT
        return self.rng.choice(decision.bindings)


@SETTINGS
@given(controlled_nets(), st.integers(0, 1000), st.sampled_from(Simulator.CHOICES))
def test_kept_bindings_equal_a_full_recomputation(net, seed, choice):
    ctl = Checking(seed)
    sim = Simulator(net, controller=ctl, seed=seed, choice=choice)
    ctl.sim = sim
    for _ in range(40):
        assert_kept_state_is_fresh(sim)
        if sim.step() is None:
            break
    assert_kept_state_is_fresh(sim)


@SETTINGS
@given(controlled_nets(), st.integers(0, 1000))
def test_kept_bindings_survive_parameter_changes_and_restores(net, seed):
    ctl = Checking(seed)
    sim = Simulator(net, controller=ctl, seed=seed)
    ctl.sim = sim
    sim.run(max_firings=5)
    snap = sim.snapshot()
    k = sim.constant("k")
    sim.set_constant("k", 2 - k)
    assert_kept_state_is_fresh(sim)
    sim.run(max_firings=5)
    sim.restore(snap)               # k comes back with the snapshot
    assert sim.constant("k") == k
    assert_kept_state_is_fresh(sim)
    sim.run(max_firings=5)
    assert_kept_state_is_fresh(sim)


def two_jobs() -> Net:
    net = Net()
    net.add_colour_set("Job", values=["a", "b"], timed=True)
    net.add_constant("speed", 2)
    net.add_place("queue", "Job", initial=["a", "b"])
    net.add_place("done", "Job", capacity=2)
    net.add_place("machine", initial=1)
    net.add_transition("start", inputs=[("queue", "j"), "machine"], delay="speed",
                       outputs=[("done", "j"), "machine"], controllable=True)
    return net


class Last:
    """Takes the last offered binding; counts how often it looked at the bindings."""

    def __init__(self, look=True):
        self.look = look
        self.offered = []

    def choose(self, decision):
        if not self.look:
            return WAIT
        self.offered.append([repr(b) for b in decision.bindings])
        return decision.bindings[-1]


def test_a_decision_offers_the_same_binding_objects_until_a_place_changes():
    seen = []

    class Keep:
        def choose(self, decision):
            seen.append((decision.clock, decision.bindings))
            return WAIT if len(seen) == 1 else decision.bindings[-1]

    net = two_jobs()
    net.add_place("tick", "Job", initial=[Token("a", 1, 3)])
    net.add_place("tocked", "Job")
    net.add_transition("tock", inputs=[("tick", "j")], outputs=[("tocked", "j")])
    sim = Simulator(net, controller=Keep(), seed=0)
    sim.run()
    # clock 0: wait; clock 3 (tock fired, the queue did not change): start<j=b>, then a
    assert [(t, [repr(b) for b in bs]) for t, bs in seen] == [
        (0, ["start<j='a'>", "start<j='b'>"]), (3, ["start<j='a'>", "start<j='b'>"]),
        (3, ["start<j='a'>"])]
    assert all(x is y for x, y in zip(seen[0][1], seen[1][1]))
    assert seen[0][1] is not seen[1][1]     # each decision its own list
    assert sim.tokens("done") == [("a", 5), ("b", 5)]


def test_no_binding_object_is_built_for_a_controller_that_does_not_look():
    sim = Simulator(two_jobs(), controller=Last(look=False), seed=3)
    assert sim.run().reason == "waiting"
    assert sim._offered == [None] and sim._listed == [[("a",), ("b",)]]


def test_a_binding_made_by_hand_or_from_an_earlier_decision_is_accepted():
    class ByHand:
        def __init__(self):
            self.kept = None

        def choose(self, decision):
            if self.kept is None:
                self.kept = decision.bindings[1]          # start<j=b>
                return Binding("start", {"j": "a"})
            return self.kept

    sim = Simulator(two_jobs(), controller=ByHand(), seed=0)
    sim.run()
    assert [(e.time, e.transition, e.binding) for e in sim.events] == [
        (0, "start", {"j": "a"}), (0, "start", {"j": "b"})]


@pytest.mark.parametrize("chosen, message", [
    (Binding("start", {"j": "c"}), "start<j='c'>"),
    (Binding("start", {"j": "a", "x": 1}), "start<j='a', x=1>"),
    (Binding("stop", {"j": "a"}), "stop<j='a'>"),
    ("start", "'start'"),
])
def test_a_choice_not_offered_is_refused_naming_it(chosen, message):
    class Bad:
        def choose(self, decision):
            return chosen

    sim = Simulator(two_jobs(), controller=Bad(), seed=0)
    with pytest.raises(SimulationError) as e:
        sim.run()
    assert str(e.value) == (f"the controller chose {message}, which is not one of the 2 "
                            f"bindings it was offered at time 0")


def test_a_decision_kept_after_the_run_moved_on_still_shows_what_was_offered():
    kept = []

    class Keep:
        def choose(self, decision):     # looks at no binding
            kept.append(decision)
            return WAIT

    net = two_jobs()
    net.places["queue"].initial = [Token("a")]
    net.add_place("later", "Job", initial=[Token("b", 1, 5)])
    net.add_transition("arrive", inputs=[("later", "j")], outputs=[("queue", "j")])
    sim = Simulator(net, controller=Keep(), seed=0)
    assert sim.run().reason == "waiting"
    assert [(d.clock, [repr(b) for b in d.bindings]) for d in kept] == [
        (0, ["start<j='a'>"]), (5, ["start<j='a'>", "start<j='b'>"])]


# -- a compiled net reused across runs ------------------------------------------------------------

def events(sim):
    return [(e.time, e.transition, e.binding, e.consumed, e.produced) for e in sim.events]


@SETTINGS
@given(controlled_nets(), st.integers(0, 1000), st.sampled_from(Simulator.CHOICES))
def test_a_reused_compiled_net_runs_as_a_fresh_load(net, seed, choice):
    compiled = compile_net(net)
    first = Simulator(compiled, controller=Checking(seed), seed=seed + 1, choice=choice)
    first.controller.sim = first
    first.set_constant("k", 2 - first.constant("k"))     # left changed by the first run
    first.run(max_firings=30)
    again = Simulator(compiled, controller=Checking(seed), seed=seed, choice=choice)
    again.controller.sim = again
    fresh = Simulator(net, controller=Checking(seed), seed=seed, choice=choice)
    fresh.controller.sim = fresh
    a, b = again.run(max_firings=30), fresh.run(max_firings=30)
    assert (a.firings, a.reason, a.clock) == (b.firings, b.reason, b.clock)
    assert events(again) == events(fresh)
    assert again.marking == fresh.marking


def test_a_new_run_on_a_compiled_net_starts_from_the_nets_parameters():
    compiled = compile_net(two_jobs())
    sim = Simulator(compiled, controller=Last(), seed=0)
    sim.set_constant("speed", 10)
    sim.set_capacity("done", 1)
    assert sim.run().reason == "dead"
    assert sim.tokens("done") == [("b", 10)]
    again = Simulator(compiled, controller=Last(), seed=0)
    assert again.constant("speed") == 2 and again.capacity("done") == 2
    again.run()
    assert again.tokens("done") == [("a", 2), ("b", 2)]


def test_flowfactory_cases_on_one_compiled_plant_run_as_on_fresh_loads():
    from control.flowfactory import plant as ff
    from control.flowfactory.earliest import EarliestOrderController
    from control.flowfactory.scenarios import load_scenario, resolve_scenario
    cases = ff.read_cases(ff.DATA / "initial_stock.csv")
    compiled = ff.compiled_plant()
    assert ff.compiled_plant() is compiled
    for case, name in ((2, "malfunction"), (1, "storage")):
        reused = ff.run_case(compiled, case, cases[case], EarliestOrderController(),
                             load_scenario(resolve_scenario(name)), seed=case)
        fresh = ff.run_case(ff.load_plant(), case, cases[case], EarliestOrderController(),
                            load_scenario(resolve_scenario(name)), seed=case)
        assert (reused.makespan, reused.shipped, reused.reason) == \
            (fresh.makespan, fresh.shipped, fresh.reason)
        assert reused.events.equals(fresh.events)
        assert len(reused.events) > 1000


def _bench_decisions():
    """bench/bench_decisions.py as a module."""
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "bench" / "bench_decisions.py"
    spec = importlib.util.spec_from_file_location("bench_decisions", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_the_decisions_benchmark_plays_whole_job_shop_episodes():
    bench = _bench_decisions()
    # 20 jobs x 10 machines: 200 operations, one started per step (waiting is never chosen
    # while an operation can start), so 300 steps are one episode and half of the next
    assert bench.measure_env(bench.jobshop_env, 300)["episodes"] == 2
    assert bench.measure_env(bench.flowfactory_env, 50)["steps_per_second"] > 0


def test_the_split_of_a_step_counts_one_firing_per_job_shop_step():
    bench = _bench_decisions()
    split = bench.measure_split(bench.jobshop_env, 300)
    # 300 steps: one whole episode of 200 operations and 100 operations of the next
    assert split["firings_per_step"] == 1.0
    assert split["binding_order"] == 0.0        # the job shop has no binding order
    assert 0 < split["settling"] <= split["engine"] <= split["step"]
    from petri.engine import Simulator
    assert Simulator.run.__name__ == "run"      # the timers are taken off again


class Thinker:
    """Works out something of its own (pure Python) before taking the first binding."""

    def choose(self, decision):
        x = 0
        for i in range(20000):
            x = (x * 31 + i) % 1000003
        return decision.bindings[0]


class Reader:
    """Reads the queue's count through the state view many times before taking the first
    binding: time the engine spends serving the controller."""

    def choose(self, decision):
        count = decision.state.count
        for _ in range(3000):
            count("queue")
        return decision.bindings[0]


def _jobs_on_one_machine(controller):
    net = Net()
    net.add_colour_set("Job", "int", low=0, high=99, timed=True)
    net.add_place("queue", "Job", initial=list(range(100)))
    net.add_place("done", "Job")
    net.add_place("machine", initial=1)
    net.add_transition("start", inputs=[("queue", "j"), "machine"], delay=1,
                       outputs=[("done", "j"), "machine"], controllable=True)
    compiled = compile_net(net)
    return lambda: Simulator(compiled, controller=controller, seed=0).run()


@pytest.mark.parametrize("controller, part, least", [(Thinker(), "controllers", 0.8),
                                                     (Reader(), "engine", 0.6)])
def test_the_choosing_share_is_split_between_the_engine_and_the_controllers(controller, part,
                                                                           least):
    """The decisions benchmark's split of the choosing share: a controller that thinks is
    counted as the controllers' own time, one that reads through the state view as the
    engine's, by the profile's call edges; the timers split at ``choose``."""
    bench = _bench_decisions()
    play = _jobs_on_one_machine(controller)
    profiled = bench.profiled_share(play)
    assert profiled["share_controllers"] + profiled["share_engine"] == \
        pytest.approx(profiled["share"])
    # the reader's loop and calls are its own code: about 0.7 of its share is the engine's
    assert profiled[f"share_{part}"] > least * profiled["share"]
    assert profiled["share"] > 0.8        # 100 decisions, each far dearer than a firing
    # where the engine's part goes: the reader's reads are the state view's count
    assert profiled["where_services"] <= profiled["share_engine"]
    if part == "engine":
        assert profiled["where_count"] > 0.9 * profiled["where_services"]
    else:
        assert profiled["where_count"] == 0
    timed = bench.timed_share([controller], play)
    assert timed["share_choose_timed"] + timed["share_outside_choose_timed"] == \
        pytest.approx(timed["share_timed"])
    assert timed["share_choose_timed"] > 0.9 * timed["share_timed"]
    assert "choose" not in vars(controller)     # the timer is taken off again
    assert Simulator._decide.__name__ == "_decide"


def test_the_timed_share_counts_the_asks_that_took_a_binding_and_those_that_waited():
    """Every controllable firing of a run comes from one ask that took a binding; the other
    asks waited (traditional, FlowFactory case 1)."""
    bench = _bench_decisions()
    from control import registry
    from control.flowfactory import plant as ff
    ctrl = registry.create("traditional")
    compiled = compile_net(ff.load_plant(None))
    ff.set_case(compiled.net, ff.read_cases(ff.DATA / "initial_stock.csv")[1])
    runs = []

    def play():
        sim = Simulator(compiled, controller=ctrl, seed=0)
        sim.run()
        runs.append(sim)

    asks = []
    real = ctrl.choose
    ctrl.choose = lambda d: asks.append(d) or real(d)
    timed = bench.timed_share([ctrl], play)
    del ctrl.choose
    controllable = {t.name for t in compiled.net.transitions.values() if t.controllable}
    fired = sum(1 for e in runs[0].events if e.transition in controllable)
    assert timed["asks_took"] == fired > 200
    assert timed["asks_took"] + timed["asks_waited"] == len(asks)
    assert timed["asks_waited"] > 0
    assert timed["asks_by_controller"] == {"traditional": [timed["asks_took"],
                                                           timed["asks_waited"]]}
    assert timed["share_choose_took_timed"] + timed["share_choose_waited_timed"] == \
        pytest.approx(timed["share_choose_timed"])


def test_why_a_controller_that_waited_was_asked_again_by_hand():
    """The truck of tests/test_waiting_controllers.py: shipping once stock arrives, the
    controller is asked again at 4 because the stock changed; reading the clock too (holding
    until 2.5), at 3 because the clock passed 2.5 and at 4 because the clock moved and the
    stock changed; the fuel run down, below."""
    bench = _bench_decisions()
    from test_waiting_controllers import ShipWhenStocked, truck_net
    for late, holds, expected in ((None, None, {"places": 1}),
                                  (10, 2.5, {"clock": 1, "clock+places": 1})):
        ctrl = ShipWhenStocked(late, holds)
        ctrl.name = "ship"

        def play():
            ctrl.sim = Simulator(truck_net(), controller=ctrl, seed=0)
            ctrl.sim.run()
        assert bench.wait_reasons([ctrl], play) == {"ship": expected}
        assert "choose" not in vars(ctrl)
        assert Simulator._still_waiting.__name__ == "_still_waiting"
    # shipping once the fuel is out: asked at 1 and 2 because the fuel changed (a count
    # read), or only at 2, because whether it holds a unit changed (a comparison read)
    from test_waiting_controllers import ShipWhenOutOfFuel
    for compare, expected in ((False, {"places": 2}), (True, {"comparisons": 1})):
        ctrl = ShipWhenOutOfFuel(compare)

        def play():
            ctrl.sim = Simulator(truck_net(), controller=ctrl, seed=0)
            ctrl.sim.run()
        assert bench.wait_reasons([ctrl], play) == {"ShipWhenOutOfFuel": expected}


def test_what_a_choosing_share_of_20_percent_allows_per_ask_by_hand():
    bench = _bench_decisions()
    # 10 s of run, 0.6 of it choosing (0.2 in choose at asks that took a binding, 0.1 at
    # asks that waited), 1,000 asks that took a binding and 3,000 that waited
    b = bench.asks_budget({"asks_took": 1000, "asks_waited": 3000, "run_seconds_timed": 10.0,
                           "share_timed": 0.6, "share_choose_took_timed": 0.2,
                           "share_choose_waited_timed": 0.1})
    assert b["us_took"] == pytest.approx(2000.0)         # 2 s over 1,000 asks
    assert b["us_waited"] == pytest.approx(1000 / 3)     # 1 s over 3,000
    assert b["us_choosing"] == pytest.approx(1500.0)     # 6 s over 4,000
    # the rest of the run is 4 s: 20 % choosing is 1 s of choosing to 4 s of the rest
    assert b["us_allowed"] == pytest.approx(250.0)
    assert b["us_allowed_took"] == pytest.approx(1000.0)


def test_the_counts_of_the_decisions_benchmark_by_hand():
    """``bench_decisions.py --counts`` on two one-transition nets, two steps each, by hand."""
    bench = _bench_decisions()
    from control.env import PetriNetEnv

    def black():
        net = Net()
        net.add_place("queue", initial=2)
        net.add_place("done")
        net.add_transition("work", inputs=["queue"], outputs=["done"], delay=3,
                           controllable=True)
        return PetriNetEnv(net)
    # reset: work is settled (_lacks finds the queue full, a full listing); each step fires
    # it, and it is settled again in full (it made a token ready now, so no keeps): listed
    # after the first, lacking the queue after the second; then the clock cannot move.
    # _decide: 1 at the reset, 2 per step (the choice, after the firing)
    assert bench.measure_counts(black, 2) == {
        "full_listings": 2 / 2, "fresh_listings": 0.0, "fresh_colours": 0.0, "lacks": 3 / 2,
        "keeps": 0.0, "settled": 3 / 2, "advances": 1 / 2, "decides": 5 / 2}

    def machine():
        net = Net()
        net.add_colour_set("Job", values=["a", "b"], timed=True)
        net.add_colour_set("Machine", "dot", timed=True)
        net.add_place("queue", "Job", initial=["a", "b"])
        net.add_place("done", "Job")
        net.add_place("machine", "Machine", initial=1)
        net.add_transition("start", inputs=[("queue", "j"), "machine"], delay=5,
                           outputs=[("done", "j"), "machine"], controllable=True)
        return PetriNetEnv(net)
    # reset: _lacks, a full listing (a and b). Step 1 (start<a>) only takes tokens and puts
    # them back for 5: keeps (none left: the machine is busy), _lacks (the machine); at 5
    # the machine alone gets ready: its newly ready colour (one) listed, b offered. Step 2
    # (start<b>): keeps, _lacks (the queue, now empty); at 10 only the machine gets ready:
    # the clock does not move, the transition is judged again at 5 (_lacks: the queue).
    assert bench.measure_counts(machine, 2) == {
        "full_listings": 1 / 2, "fresh_listings": 1 / 2, "fresh_colours": 1 / 2,
        "lacks": 4 / 2, "keeps": 2 / 2, "settled": 5 / 2, "advances": 2 / 2, "decides": 6 / 2}


def test_a_choice_made_in_advance_is_taken_without_asking_the_controller():
    asked = []

    class Ask:
        def choose(self, decision):
            asked.append((decision.clock, [b.values["j"] for b in decision.bindings]))
            return decision.bindings[0]

    sim = Simulator(two_jobs(), controller=Ask(), seed=0)
    sim.choose_next(WAIT)       # nothing else can happen: the step fires nothing
    assert sim.step() is None and asked == []
    sim = Simulator(two_jobs(), controller=Ask(), seed=0)
    sim.choose_next(next(b for b in sim.enabled() if b.values == {"j": "b"}))
    assert sim.step().binding == {"j": "b"} and asked == []
    assert sim.step().binding == {"j": "a"} and asked == [(0, ["a"])]


def test_a_choice_made_in_advance_is_checked_as_a_controllers_is():
    sim = Simulator(two_jobs(), controller=Last(), seed=0)
    sim.choose_next(Binding("start", {"j": "c"}))
    with pytest.raises(SimulationError, match=r"the controller chose start<j='c'>, which is not "
                                              r"one of the 2 bindings it was offered at time 0"):
        sim.step()
    with pytest.raises(NetError, match="choose_next needs a run with a controller"):
        Simulator(two_jobs(), seed=0).choose_next(WAIT)


def test_uncontrolled_bindings_at_or_above_the_controlled_priority_fire_before_asking():
    """Priorities 2 and 1 uncontrolled, 1 controllable, 0 uncontrolled, one token each: the
    priority-2 and the uncontrolled priority-1 transitions fire first (at equal priority the
    uncontrolled ones go first), then the controller is asked (after two firings), then the
    priority-0 one fires."""
    net = Net("priorities")
    for p in ("a", "b", "c", "d", "done"):
        net.add_place(p, initial=0 if p == "done" else 1)
    net.add_transition("high", inputs=["a"], outputs=["done"], priority=2)
    net.add_transition("chosen", inputs=["b"], outputs=["done"], priority=1, controllable=True)
    net.add_transition("tie", inputs=["c"], outputs=["done"], priority=1)
    net.add_transition("low", inputs=["d"], outputs=["done"])
    asked = []

    class First:
        def choose(self, decision):
            asked.append((decision.state.firings, [b.transition for b in decision.bindings]))
            return decision.bindings[0]

    sim = Simulator(net, controller=First(), seed=0)
    sim.run()
    assert [e.transition for e in sim.events] == ["high", "tie", "chosen", "low"]
    assert asked == [(2, ["chosen"])]
