"""Random delays, the clock in expressions, negative delays and zero-time loops."""
import math
import statistics

import pytest

from petri import Net, Token
from petri.check import check_net, check_warnings
from petri.distributions import Draws
from petri.engine import SimulationError, Simulator

N = 20_000


def moments(draw):
    xs = [draw() for _ in range(N)]
    return statistics.fmean(xs), statistics.pvariance(xs)


@pytest.mark.parametrize("call, mean, var", [
    (lambda d: d.uniform(2, 8), 5, 36 / 12),
    (lambda d: d.exponential(4), 4, 16),
    (lambda d: d.normal(10, 2), 10, 4),
    (lambda d: d.lognormal(10, 3), 10, 9),          # the delay's own mean and sd
    (lambda d: d.triangular(1, 2, 6), 3, (1 + 4 + 36 - 2 - 6 - 12) / 18),
    (lambda d: d.erlang(3, 6), 6, 3 * 2 ** 2),      # 3 phases of mean 2
    (lambda d: d.discrete((1, 2, 5), (2, 1, 1)), 2.25, (2 * 1 + 4 + 25) / 4 - 2.25 ** 2),
])
def test_distribution_moments(call, mean, var):
    d = Draws(seed=7)
    m, v = moments(lambda: call(d))
    # five standard errors of the mean; the variance within 8 %
    assert abs(m - mean) < 5 * math.sqrt(var / N)
    assert abs(v - var) < 0.08 * var


def test_same_seed_same_draws():
    a, b, c = Draws(3), Draws(3), Draws(4)
    xs = [a.exponential(2) for _ in range(5)]
    assert xs == [b.exponential(2) for _ in range(5)]
    assert xs != [c.exponential(2) for _ in range(5)]


@pytest.mark.parametrize("call, message", [
    (lambda d: d.normal(1, -1), "normal(mean, sd): sd must be 0 or more, got -1"),
    (lambda d: d.uniform(3, 2), "uniform(a, b): a must not exceed b, got 3 > 2"),
    (lambda d: d.exponential(0), "exponential(mean): mean must be a number above 0, got 0"),
    (lambda d: d.lognormal(-1, 1), "lognormal(mean, sd): mean must be a number above 0, got -1"),
    (lambda d: d.triangular(1, 5, 3), "triangular(low, mode, high): need low <= mode <= high, "
                                      "got 1, 5, 3"),
    (lambda d: d.erlang(1.5, 2), "erlang(k, mean): k must be a whole number of 1 or more, "
                                 "got 1.5"),
    (lambda d: d.discrete((1, 2), (1,)), "discrete(values, weights): need as many weights as "
                                         "values (at least one), got 2 values and 1 weights"),
    (lambda d: d.discrete((1,), (0,)), "discrete(values, weights): weights must be numbers of 0 "
                                       "or more, not all 0, got (0,)"),
])
def test_bad_parameters(call, message):
    with pytest.raises(SimulationError) as e:
        call(Draws(0))
    assert str(e.value) == message


def machine(delay, parts=(1, 2, 3)):
    """Parts pass one timed machine; ``delay`` may use the part number ``p``."""
    net = Net("machine")
    net.add_colour_set("Part", "int", timed=True)
    net.add_colour_set("M", values=["m"], timed=True)
    net.add_place("raw", "Part", initial=list(parts))
    net.add_place("idle", "M", initial=["m"])
    net.add_place("done", "Part")
    net.add_transition("work", delay=delay, inputs=[("raw", "p"), ("idle", "x")],
                       outputs=[("done", "p"), ("idle", "x")])
    return net


def test_random_delays_follow_the_seed():
    def run(seed):
        sim = Simulator(machine("exponential(5)"), seed=seed)
        result = sim.run()
        return result.finish, [(e.time, e.binding["p"]) for e in sim.events]
    assert run(1) == run(1)
    assert run(1) != run(2)
    finish, events = run(1)
    assert len(events) == 3 and finish > events[-1][0] > 0


def test_distribution_error_names_transition_and_binding():
    with pytest.raises(SimulationError) as e:
        Simulator(machine("normal(10, 2 - p)")).run()
    # parts 1 and 2 draw; part 3 has sd -1; which part comes when depends on the seed
    assert str(e.value) == ("transition 'work': normal(mean, sd): sd must be 0 or more, got -1 "
                            "(p=3, x='m', time 0)")


def test_negative_delay_is_an_error():
    with pytest.raises(SimulationError) as e:
        Simulator(machine("5 - 3 * p", parts=[2])).run()
    assert str(e.value) == ("transition 'work': delay '5 - 3 * p' must be a finite number of 0 or "
                            "more, got -1 (p=2, x='m', time 0)")


def test_negative_arc_delay_is_an_error():
    net = machine(1, parts=[4])
    net.transitions["work"].outputs[0].delay = "2 - p"
    with pytest.raises(SimulationError) as e:
        Simulator(net).run()
    assert str(e.value) == ("transition 'work': output arc 1 (done): delay '2 - p' must be a "
                            "finite number of 0 or more, got -2 (p=4, x='m', time 0)")


def test_draws_are_not_allowed_in_guards():
    net = machine(1)
    net.transitions["work"].guard = "uniform(0, 1) < 0.5"
    assert [str(e) for e in check_net(net)] == [
        "transition 'work': guard: uniform() draws a random number, which only a delay, an "
        "output inscription or an output weight may do (enabling must not depend on chance)"]


def clocked_net():
    """Orders become ready at 0, 4, 8 and 12: before time 6 they go out early, later late;
    each leaves stamped with the time it was handled."""
    net = Net("clock")
    net.add_colour_set("Order", "int", timed=True)
    net.add_colour_set("Out", components=("int", "int"))
    net.add_place("orders", "Order", initial=[Token(k, 1, t) for k, t in
                                              ((1, 0), (2, 4), (3, 8), (4, 12))])
    net.add_place("early", "Out")
    net.add_place("late", "Out")
    net.add_transition("on_time", guard="time() < 6", inputs=[("orders", "o")],
                       outputs=[("early", "(o, time())")])
    net.add_transition("overdue", guard="time() >= 6", inputs=[("orders", "o")],
                       outputs=[("late", "(o, time() * 10)")])
    return net


def test_time_in_guards_and_inscriptions():
    sim = Simulator(clocked_net())
    sim.run()
    assert dict(sim.colours("early")) == {(1, 0): 1, (2, 4): 1}
    assert dict(sim.colours("late")) == {(3, 80): 1, (4, 120): 1}


def test_a_guard_on_the_clock_is_looked_at_when_the_clock_moves():
    """``wake`` needs time() >= 5 and takes an untimed token; the clock only stops at 7 (a
    timed token elsewhere), so wake fires at 7."""
    net = Net("wake")
    net.add_colour_set("Tick", "dot", timed=True)
    net.add_place("sleeper", initial=1)
    net.add_place("tick", "Tick", initial=[Token((), 1, 7)])
    net.add_place("awake")
    net.add_place("tocked")
    net.add_transition("wake", guard="time() >= 5", inputs=["sleeper"], outputs=["awake"])
    net.add_transition("tock", inputs=["tick"], outputs=["tocked"])
    sim = Simulator(net)
    sim.run()
    assert [(e.time, e.transition) for e in sim.events] in (
        [(7, "wake"), (7, "tock")], [(7, "tock"), (7, "wake")])


def loop_net():
    net = Net("loop")
    net.add_place("a", initial=1)
    net.add_place("b")
    net.add_transition("go", delay=5, inputs=["a"], outputs=["b"])
    net.add_transition("back", inputs=["b"], outputs=["a"])
    return net


def test_zero_time_loop_stops_at_the_instant_limit():
    sim = Simulator(loop_net())
    result = sim.run(instant_limit=1000)
    assert (result.reason, result.firings, result.clock) == ("zero_time", 1000, 0)
    # max_firings below the limit wins
    assert Simulator(loop_net()).run(max_firings=10, instant_limit=1000).reason == "max_firings"


def test_instant_limit_counts_from_the_last_clock_move():
    """Each part takes 1 time unit: never more than two firings at one instant."""
    net = machine(1, parts=range(50))
    result = Simulator(net).run(instant_limit=2)
    assert (result.reason, result.firings, result.finish) == ("dead", 50, 50)


def test_validate_warns_about_delays_on_untimed_places():
    net = loop_net()
    net.add_place("c")
    net.transitions["back"].outputs.append(type(net.transitions["back"].outputs[0])("c", delay=3))
    assert check_warnings(net) == [
        "transition 'go': warning: delay 5 has no effect: no output place is timed (only tokens "
        "of timed colour sets carry a time)",
        "transition 'back': warning: output arc 2: delay 3 has no effect: place 'c' is untimed "
        "(colour set 'dot')"]
    assert check_warnings(machine("exponential(2)")) == []


def test_order_may_read_the_clock_but_not_draw():
    """At time 10 the order value o - time() picks the smallest order number first."""
    net = Net("order")
    net.add_colour_set("Order", "int", timed=True)
    net.add_place("orders", "Order", initial=[Token(k, 1, 10) for k in (3, 1, 2)])
    net.add_place("served", "Order")
    net.add_transition("serve", inputs=[("orders", "o")], outputs=[("served", "o")], delay=1)
    net.transitions["serve"].order = "o - time()"
    sim = Simulator(net)
    sim.run()
    assert [(e.time, e.binding["o"]) for e in sim.events] == [(10, 1), (10, 2), (10, 3)]
    net.transitions["serve"].order = "exponential(1)"
    assert [str(e) for e in check_net(net)] == [
        "transition 'serve': order: exponential() draws a random number, which only a delay, an "
        "output inscription or an output weight may do (enabling must not depend on chance)"]


from pathlib import Path  # noqa: E402

from hypothesis import given, settings, strategies as st  # noqa: E402

LINE = Path(__file__).resolve().parent.parent / "examples" / "stochastic_line.toml"


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2 ** 32))
def test_any_seed_gives_a_consistent_repeatable_run(seed):
    from petri.drawing.timeline import resource_intervals, token_counts
    from petri.formats.toml import load
    net = load(LINE)
    sim = Simulator(net, seed=seed)
    result = sim.run()
    events = [(e.time, e.transition, e.binding) for e in sim.events]
    again = Simulator(load(LINE), seed=seed)
    again.run()
    assert events == [(e.time, e.transition, e.binding) for e in again.events]
    assert dict(sim.colours("shipped")) == {n: 1 for n in range(1, 61)}
    times = [t for t, _, _ in events]
    assert times == sorted(times) and result.finish >= result.clock == times[-1]
    # ship fires when M2 is done with the order: never before it was taken
    taken = {b["n"]: t for t, name, b in events if name == "m2"}
    assert all(t >= taken[b["n"]] for t, name, b in events if name == "ship")
    places = list(net.places)
    initial = {p: sum(t.count for t in net.places[p].initial) for p in places}
    series = token_counts(sim.events, initial, places)
    assert {p: s[-1][1] for p, s in series.items()} == {p: sim.count(p) for p in places}
    for machine in ("M1", "M2"):     # a machine holds one part (or repair) at a time
        spans = sorted((s, e) for name, s, e, _ in resource_intervals(sim.events, "idle", 0)
                       if name == machine)
        assert spans
        assert all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:]))
