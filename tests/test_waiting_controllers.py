"""A controller that says its choice follows from what it reads (``deterministic``) is not
asked again after it waited until its offer or something it read changed: the run is the same
as when it is asked every time, with fewer questions."""
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from petri import Net
from petri.engine import WAIT, Simulator
from petri.errors import NetError

from test_incremental_views import controlled_nets


class Plain:
    """The same controller without the word: asked every time."""

    def __init__(self, inner):
        self.inner = inner

    def reset(self, state):
        if hasattr(self.inner, "reset"):
            self.inner.reset(state)

    def choose(self, decision):
        return self.inner.choose(decision)


def run_log(net, controller, seed=0):
    sim = Simulator(net, controller=controller, seed=seed)
    for c in (controller, getattr(controller, "inner", None)):
        if isinstance(c, (ShipWhenStocked, ShipWhenOutOfFuel)):
            c.sim = sim         # to note when it is asked without reading the clock itself
    result = sim.run(max_firings=400)
    return [(r[0], r[1], r[2]) for r in sim.events._rows], result.reason, sim


def truck_net(capacity=None) -> Net:
    """One order to ship once stock arrives: a ticker fires at 0, 1 and 2 (three units of
    fuel), a truck leaves at 0 and its load is in stock at 4."""
    net = Net("truck")
    net.add_colour_set("Timed", "dot", timed=True)
    net.add_place("ticker", "Timed", initial=1)
    net.add_place("fuel", initial=3)
    net.add_transition("tick", inputs=["ticker", "fuel"], outputs=["ticker"], delay=1)
    net.add_place("truck", initial=1)
    net.add_place("arriving", "Timed")
    net.add_place("stock", capacity=capacity)
    net.add_transition("drive", inputs=["truck"], outputs=["arriving"], delay=4)
    net.add_transition("arrive", inputs=["arriving"], outputs=["stock"])
    net.add_place("order", initial=1)
    net.add_place("shipped")
    net.add_transition("ship", inputs=["order"], outputs=["shipped"], controllable=True)
    return net


class ShipWhenStocked:
    """Ship once the stock place holds a unit (or, reading the clock, from ``late`` on)."""

    deterministic = True

    def __init__(self, late=None, holds=None):
        self.late, self.holds, self.asked = late, holds, []

    def choose(self, decision):
        state = decision.state
        self.asked.append(self.sim.clock)
        ready = state.count("stock") >= 1
        if self.late is not None:
            ready = ready or decision.clock >= self.late
            if self.holds is not None:
                state.valid_until(self.holds)
        ship = [b for b in decision.bindings if b.transition == "ship"]
        return ship[0] if ready and ship else WAIT


def test_a_wait_holds_until_what_the_controller_read_changes():
    """Hand-computed: asked every time, the controller waits at 0, 1, 2 (after each tick),
    3 (the ticker's token gets ready, fuel is out) and ships at 4; the ticks change nothing it
    reads, so it is asked at 0 and at 4 only, and the run is the same."""
    net = truck_net()
    plain = ShipWhenStocked()
    log_plain, _, sim = run_log(net, Plain(plain))
    assert plain.asked == [0, 1, 2, 3, 4]
    assert (sim.clock, sim.count("shipped")) == (4, 1)
    kept = ShipWhenStocked()
    log_kept, _, _ = run_log(net, kept)
    assert kept.asked == [0, 4]
    assert log_kept == log_plain


def test_a_wait_sees_a_change_counted_before_it_was_asked_again():
    """The stock's arrival at 4 asks the controller again also when the counts were brought up
    to date after every firing (an observer reading them), so that the firing is no longer
    pending and only the stock's version shows the change; reading one place or two."""
    for extra in ((), ("fuel",)):
        class Reads(ShipWhenStocked):
            def choose(self, decision):
                for p in extra:
                    decision.state.count(p)
                return super().choose(decision)
        kept = Reads()
        sim = kept.sim = Simulator(truck_net(), controller=kept, seed=0)
        counted = []
        sim.add_observer(lambda ev: counted.append(sim.kept_counts()[sim.compiled.place_index["stock"]]))
        sim.run()
        assert counted == [0, 0, 0, 0, 1, 1]     # drive, tick x3, arrive, ship
        # reading the fuel too, each tick (which uses fuel) asks it again
        assert kept.asked == ([0, 4] if not extra else [0, 1, 2, 4])
        assert (sim.clock, sim.count("shipped")) == (4, 1)


class ShipWhenOutOfFuel:
    """Ship once the fuel is used up, read as a count or as a comparison (``at_least``)."""

    deterministic = True

    def __init__(self, compare):
        self.compare, self.asked = compare, []

    def choose(self, decision):
        state = decision.state
        self.asked.append(self.sim.clock)
        out = not state.at_least("fuel", 1) if self.compare else state.count("fuel") == 0
        return decision.bindings[0] if out else WAIT


def test_a_wait_on_a_comparison_holds_while_its_answer_stays():
    """Hand-computed: the ticks at 0, 1 and 2 use a unit of fuel each (3 -> 2 -> 1 -> 0).
    Reading the count, the controller is asked after each (at 0 and 1 it waits, at 2 it
    ships); reading only whether the fuel holds at least one unit, it is asked at 0 and then
    when the answer turns, at 2; the run is the same."""
    net = truck_net()
    logs = {}
    for compare in (False, True):
        kept = ShipWhenOutOfFuel(compare)
        logs[compare], _, sim = run_log(net, kept)
        assert kept.asked == ([0, 2] if compare else [0, 1, 2])
        assert [e.time for e in sim.events if e.transition == "ship"] == [2]
    assert logs[True] == logs[False] == run_log(net, Plain(ShipWhenOutOfFuel(True)))[0]


@pytest.mark.parametrize("place, n, message", [
    ("fuel", "1", "at_least('fuel', n): n must be a whole number of tokens, got '1'"),
    ("fuel", 0.5, "at_least('fuel', n): n must be a whole number of tokens, got 0.5"),
    ("fuel", True, "at_least('fuel', n): n must be a whole number of tokens, got True"),
    ("tank", 1, "unknown place 'tank'")])
def test_a_comparison_that_is_not_one_is_refused_naming_it(place, n, message):
    class Asks:
        def choose(self, decision):
            decision.state.at_least(place, n)
            return WAIT
    with pytest.raises(NetError) as e:
        Simulator(truck_net(), controller=Asks(), seed=0).run()
    assert str(e.value) == message


def test_reading_the_clock_keeps_a_wait_only_at_that_clock_or_until_it_says():
    """Reading the clock, the controller is asked at every instant as before; saying its
    reading holds until 2.5, it is asked again at 3 (the clock passed 2.5) and at 4."""
    net = truck_net()
    log_plain, _, _ = run_log(net, Plain(ShipWhenStocked(late=10)))
    every = ShipWhenStocked(late=10)
    assert run_log(net, every)[0] == log_plain
    assert every.asked == [0, 1, 2, 3, 4]
    until = ShipWhenStocked(late=10, holds=2.5)
    assert run_log(net, until)[0] == log_plain
    assert until.asked == [0, 3, 4]


def test_a_changed_parameter_asks_again():
    """A capacity changed by hand (a scenario's doing) asks the controller again."""
    net = truck_net(capacity=5)
    kept = ShipWhenStocked()
    sim = kept.sim = Simulator(net, controller=kept, seed=0)
    sim.run(until=1.5)
    assert kept.asked == [0]
    sim.set_capacity("stock", 4)
    sim.run()
    assert kept.asked == [0, 2, 4]


class Reader:
    """A deterministic controller over random nets: reads the counts of some places (and
    perhaps the clock, whole units of it, saying so with ``valid_until``) and picks a binding
    or waits from them alone."""

    deterministic = True

    def __init__(self, places, clock, salt):
        self.places, self.clock, self.salt = places, clock, salt
        self.asked = 0

    def value(self, state) -> int:
        h = sum((k + 3) * state.count(p) for k, p in enumerate(self.places))
        return h + (sum(v for _, v in state.tokens(self.places[0])) if self.places else 0)

    def choose(self, decision):
        self.asked += 1
        state = decision.state
        h = self.salt + self.value(state)
        if self.clock:
            h += 7 * math.floor(state.clock)
            state.valid_until(math.floor(state.clock) + 1)
        bindings = decision.bindings
        k = h % (len(bindings) + 2)
        return bindings[k] if k < len(bindings) else WAIT


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def add_signals(net, data) -> None:
    """A chain of uncontrolled transitions beside the net's own: tokens of sig0 move on to
    sig1 and sig2 after random delays, changing places a controller may read while its offer
    stays the same."""
    net.add_colour_set("Sig", "int", low=0, high=3, timed=True)
    tokens = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=4))
    net.add_place("sig0", "Sig", initial=tokens)
    net.add_place("sig1", "Sig")
    net.add_place("sig2", "Sig")
    for k in range(2):
        net.add_transition(f"signal{k}", inputs=[(f"sig{k}", "s")],
                           outputs=[(f"sig{k + 1}", "s")], delay=f"s + {data.draw(st.integers(0, 3))}")


@SETTINGS
@given(controlled_nets(), st.data())
def test_fewer_questions_same_run_on_random_nets(net, data):
    add_signals(net, data)
    places = data.draw(st.lists(st.sampled_from(sorted(net.places)), min_size=1, max_size=3,
                                unique=True))
    clock = data.draw(st.booleans())
    salt = data.draw(st.integers(0, 50))
    seed = data.draw(st.integers(0, 2**16))
    plain, kept = Reader(places, clock, salt), Reader(places, clock, salt)
    log_plain, reason_plain, _ = run_log(net, Plain(plain), seed)
    log_kept, reason_kept, _ = run_log(net, kept, seed)
    assert log_kept == log_plain
    assert reason_kept == reason_plain
    assert kept.asked <= plain.asked


class Comparer(Reader):
    """As ``Reader``, from comparisons of the places' counts with numbers (``at_least``)
    instead of the counts."""

    def __init__(self, places, clock, salt, thresholds):
        super().__init__(places, clock, salt)
        self.thresholds = thresholds

    def value(self, state) -> int:
        return sum((k + 3) * state.at_least(p, n)
                   for k, (p, n) in enumerate(zip(self.places, self.thresholds)))


@SETTINGS
@given(controlled_nets(), st.data())
def test_fewer_questions_same_run_on_random_nets_reading_comparisons(net, data):
    add_signals(net, data)
    # a signal place first: its count moves while the offer stays, crossing thresholds 1-2
    places = [data.draw(st.sampled_from(["sig1", "sig2"]))]
    places += data.draw(st.lists(st.sampled_from(sorted(set(net.places) - set(places))),
                                 max_size=2, unique=True))
    thresholds = [data.draw(st.integers(1, 2))]
    thresholds += data.draw(st.lists(st.integers(0, 4), min_size=len(places) - 1,
                                     max_size=len(places) - 1))
    clock = data.draw(st.booleans())
    salt = data.draw(st.integers(0, 50))
    seed = data.draw(st.integers(0, 2**16))
    plain = Comparer(places, clock, salt, thresholds)
    kept = Comparer(places, clock, salt, thresholds)
    log_plain, reason_plain, _ = run_log(net, Plain(plain), seed)
    log_kept, reason_kept, _ = run_log(net, kept, seed)
    assert log_kept == log_plain
    assert reason_kept == reason_plain
    assert kept.asked <= plain.asked


def test_what_says_deterministic():
    from control.flowfactory.rl import load
    from control.rules import FifoRelease, ReorderPoint, Rules
    from control import registry
    for name in ("traditional", "ss", "earliest-order", "thesis-rl", "rl"):
        assert registry.create(name).deterministic is True
    learning = load()
    learning.learn = True                   # exploring: its answers draw random numbers
    assert learning.deterministic is False
    assert Rules([ReorderPoint("r", "s", 1)]).deterministic is True
    assert Rules([FifoRelease("release", "o")]).deterministic is False      # a key function
    assert Rules([ReorderPoint("r", "s", 1)], base=Plain(None)).deterministic is False


@pytest.mark.parametrize("name", ["traditional", "ss", "earliest-order", "thesis-rl", "rl"])
def test_flowfactory_controllers_run_the_same_asked_less(name):
    """The FlowFactory controllers: the same event log asked every time or not, on two of
    the thesis's cases (ideal plant) and under the malfunction scenario (parameters changed
    during the run)."""
    from control import registry
    from control.flowfactory import plant as ff
    from control.flowfactory.scenarios import load_scenario, resolve_scenario
    stock = ff.read_cases(ff.DATA / "initial_stock.csv")
    ctrl = registry.create(name)
    net = ff.load_plant(None, dispatch=getattr(ctrl, "dispatch", False))
    for case, scenario in ((1, None), (3, None), (4, "malfunction")):
        sc = load_scenario(resolve_scenario(scenario)) if scenario else None
        runs = [ff.run_case(net, case, stock[case], c, sc, seed=0) for c in (Plain(ctrl), ctrl)]
        assert runs[0].shipped == runs[0].orders
        assert runs[1].events.equals(runs[0].events)
        assert runs[1].makespan == runs[0].makespan


def test_learned_controller_same_on_a_random_disrupted_plant():
    """The ``rl`` controller reads the clock (use and pace windows, stations' tokens getting
    ready) and says until when its reading holds: on random training plants with a
    disruption the run is the same as when it is asked every time."""
    import random

    from control.flowfactory import learned
    from control.flowfactory import plant as ff
    rng = random.Random(4)
    tried = 0
    while tried < 2:
        orders, stock, scenario = learned.random_plant(rng)
        if scenario is None or len(orders) > 60:
            continue
        tried += 1
        ctrl = learned.load()
        net = learned.plant_net(orders)
        runs = [ff.run_case(net, 0, stock, c, scenario, seed=0) for c in (Plain(ctrl), ctrl)]
        assert runs[1].events.equals(runs[0].events)
