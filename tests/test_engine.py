"""The token game: firing rule, time, priorities, controllers, determinism, the event log."""
import pytest

from control.base import WAIT, FirstController
from petri import Net, NetError, Token
from petri.engine import Binding, SimulationError, Simulator, compile_net


def colours(sim, place):
    return dict(sim.colours(place))


# -- the firing rule ----------------------------------------------------------------------------

def test_weights_consume_and_produce():
    net = Net()
    net.add_place("p", initial=5)
    net.add_place("q")
    net.add_transition("t", inputs=[("p", None, 2)], outputs=[("q", None, 3)])
    sim = Simulator(net)
    result = sim.run()
    assert (result.firings, sim.count("p"), sim.count("q")) == (2, 1, 6)
    assert result.reason == "dead"


def test_guard_selects_bindings():
    net = Net()
    net.add_place("numbers", "int", initial=[1, 2, 3, 4, 5])
    net.add_place("even", "int")
    net.add_transition("pick", guard="x % 2 == 0", inputs=[("numbers", "x")], outputs=[("even", "x * 10")])
    sim = Simulator(net)
    sim.run()
    assert colours(sim, "even") == {20: 1, 40: 1}
    assert colours(sim, "numbers") == {1: 1, 3: 1, 5: 1}


def test_tuple_patterns_and_repeated_variable():
    net = Net()
    net.add_colour_set("Job", components=("str", "int"))
    net.add_place("jobs", "Job", initial=[("a", 1), ("b", 2), ("a", 3)])
    net.add_place("wanted", "str", initial=["a"])
    net.add_place("out", "int")
    net.add_transition("take", inputs=[("jobs", "(k, n)"), ("wanted", "k")],
                       outputs=[("out", "n"), ("wanted", "k")])
    sim = Simulator(net)
    sim.run()
    assert colours(sim, "out") == {1: 1, 3: 1}
    assert colours(sim, "jobs") == {("b", 2): 1}


def test_read_arc_tests_without_consuming():
    net = Net()
    net.add_place("switch", initial=0)
    net.add_place("p", initial=2)
    net.add_place("q")
    net.add_transition("t", inputs=["p"], reads=["switch"], outputs=["q"])
    assert Simulator(net).run().firings == 0
    net.places["switch"].initial = [Token((), 1)]
    sim = Simulator(net)
    assert sim.run().firings == 2
    assert sim.count("switch") == 1


def test_inhibitor_arc_blocks_from_weight_on():
    net = Net()
    net.add_place("p", initial=5)
    net.add_place("q")
    net.add_transition("t", inputs=["p"], inhibitors=[("q", None, 3)], outputs=["q"])
    sim = Simulator(net)
    sim.run()
    assert (sim.count("p"), sim.count("q")) == (2, 3)


def test_inhibitor_arc_with_pattern_counts_that_colour_only():
    net = Net()
    net.add_colour_set("P", values=["A", "B"])
    net.add_place("todo", "P", initial=["A", "B", "A"])
    net.add_place("busy", "P", initial=["A"])
    net.add_place("done", "P")
    net.add_transition("start", inputs=[("todo", "p")], inhibitors=[("busy", "p")], outputs=[("done", "p")])
    sim = Simulator(net)
    sim.run()
    assert colours(sim, "done") == {"B": 1}


def test_capacity_of_output_place():
    net = Net()
    net.add_place("p", initial=5)
    net.add_place("q", capacity=2)
    net.add_transition("t", inputs=["p"], outputs=["q"])
    sim = Simulator(net)
    sim.run()
    assert (sim.count("p"), sim.count("q")) == (3, 2)
    sim.set_capacity("q", 4)
    sim.run()
    assert (sim.count("p"), sim.count("q")) == (1, 4)


def test_capacity_counts_tokens_the_transition_consumes_from_the_same_place():
    net = Net()
    net.add_place("loop", initial=2, capacity=2)
    net.add_place("count")
    net.add_transition("t", inputs=["loop"], outputs=["loop", "count"])
    sim = Simulator(net)
    assert sim.run(max_firings=5).firings == 5


def test_two_arcs_from_one_place_need_tokens_jointly():
    net = Net()
    net.add_place("p", "int", initial=[1])
    net.add_place("q", "int")
    net.add_transition("pair", inputs=[("p", "x"), ("p", "y")], outputs=[("q", "x + y")])
    assert Simulator(net).run().firings == 0
    net.places["p"].initial = [Token(1, 1), Token(2, 1)]
    sim = Simulator(net, seed=0)
    sim.run()
    assert colours(sim, "q") == {3: 1}


def test_declared_variable_takes_every_value_of_its_colour_set():
    net = Net()
    net.add_colour_set("P", values=["A", "B", "C"])
    net.add_variable("kind", "P")
    net.add_place("orders", initial=3)
    net.add_place("made", "P")
    net.add_transition("make", guard="kind != 'B'", inputs=["orders"], outputs=[("made", "kind")])
    sim = Simulator(net)
    bindings = sim.enabled()
    assert [b.values for b in bindings] == [{"kind": "A"}, {"kind": "C"}]


def test_tables_and_constants_in_inscriptions():
    net = Net()
    net.add_colour_set("P", values=["A", "B"])
    net.add_constant("FACTOR", 10)
    net.add_table("weight", {("A", "x"): 2, ("B", "x"): 5}, key=("product", "m"), value="w")
    net.add_place("in", "P", initial=["A", "B"])
    net.add_place("out", "int")
    net.add_transition("t", inputs=[("in", "p")], outputs=[("out", "weight[p, 'x'] * FACTOR")])
    sim = Simulator(net)
    sim.run()
    assert colours(sim, "out") == {20: 1, 50: 1}


def test_output_weight_expression():
    net = Net()
    net.add_place("n", "int", initial=[3])
    net.add_place("store")
    net.add_transition("fill", inputs=[("n", "k")], outputs=[("store", None, "k * 2")])
    sim = Simulator(net)
    sim.run()
    assert sim.count("store") == 6


def test_produced_token_outside_colour_set_is_an_error():
    net = Net()
    net.add_colour_set("P", values=["A", "B"])
    net.add_place("in", "int", initial=[1])
    net.add_place("out", "P")
    net.add_transition("t", inputs=[("in", "x")], outputs=[("out", "x + 1")])
    with pytest.raises(SimulationError) as e:
        Simulator(net).run()
    assert str(e.value) == ("transition 't': output arc 1 (out): inscription 'x + 1' gives a "
                            "token not in colour set P: 2 (x=1, time 0)")


def test_runtime_error_names_transition_and_time():
    net = Net()
    net.add_place("in", "str", initial=["nope"])
    net.add_place("out", "int")
    net.add_table("t", {"A": 1})
    net.add_transition("look", inputs=[("in", "k")], outputs=[("out", "t[k]")])
    with pytest.raises(SimulationError) as e:
        Simulator(net).run()
    assert str(e.value) == ("transition 'look': output arc 1 (out) 't[k]': table t has no row "
                            "'nope' (k='nope', time 0)")


def guard_fails_after_fill():
    """``fill`` puts a 0 in ``n``; ``split``'s guard then divides by it and fails."""
    net = Net()
    net.add_place("go", initial=1)
    net.add_place("n", "int")
    net.add_place("out", "int")
    net.add_transition("fill", inputs=["go"], outputs=[("n", "0")])
    net.add_transition("split", inputs=[("n", "k")], guard="10 // k > 0", outputs=[("out", "k")])
    return net


@pytest.mark.parametrize("controller", [None, FirstController()])
def test_failing_guard_is_blamed_on_its_own_transition(controller):
    """A dependent's guard that fails right after a firing names the dependent, with or
    without a controller (one run loop for both)."""
    with pytest.raises(SimulationError) as e:
        Simulator(guard_fails_after_fill(), controller=controller).run()
    assert str(e.value) == ("transition 'split': guard '10 // k > 0': integer division or modulo "
                            "by zero (k=0, time 0)")


def test_failing_guard_is_blamed_on_its_own_transition_in_step_and_fire():
    sim = Simulator(guard_fails_after_fill())
    with pytest.raises(SimulationError, match="^transition 'split': guard '10 // k > 0': integer division"):
        sim.step()
    sim = Simulator(guard_fails_after_fill())
    with pytest.raises(SimulationError, match="^transition 'split': guard '10 // k > 0': integer division"):
        sim.fire("fill")


@pytest.mark.parametrize("timed", [False, True])
def test_output_weight_zero_produces_nothing(timed):
    """A weight that evaluates to 0 adds no token and leaves no colour with a count of 0,
    even when a later arc of the same transition adds that colour."""
    net = Net()
    net.add_colour_set("C", values=["a", "b"], timed=timed)
    net.add_place("src", "int", initial=[0, 1])
    net.add_place("q", "C")
    net.add_transition("t", inputs=[("src", "k")],
                       outputs=[("q", "'a'", "k"), ("q", "'b'", "k"), ("q", "'a'", 1)])
    sim = Simulator(net, seed=0)
    sim.run()
    assert colours(sim, "q") == {"a": 3, "b": 1}
    assert sim.firings == 2
    zero = [e for e in sim.events if e.binding == {"k": 0}][0]
    assert [tok[:2] for tok in zero.produced] == [("q", "a")]
    c = compile_net(net, untimed=True)
    assert c.successors(c.initial_key()) == [
        ("t", {"k": 0}, (((1, 1),), (("a", 1),))),
        ("t", {"k": 1}, (((0, 1),), (("a", 2), ("b", 1))))]


def test_output_weight_zero_leaves_no_empty_colour_in_the_marking():
    net = Net()
    net.add_colour_set("C", values=["a", "b"])
    net.add_place("on", initial=1)
    net.add_place("q", "C")
    net.add_transition("t", inputs=["on"], outputs=["on", ("q", "'b'", "0")])
    sim = Simulator(net)
    sim.run(max_firings=3)
    assert sim.firings == 3
    assert sim.compiled.marking_key(sim._m) == (1, ())


# -- time -----------------------------------------------------------------------------------------

def two_machines():
    """raw -> M1 (3) -> mid -> M2 (5) -> done, each machine one job at a time."""
    net = Net("two machines")
    net.add_colour_set("Job", "int", timed=True)
    net.add_colour_set("Machine", values=["m"], timed=True)
    net.add_place("raw", "Job", initial=[1, 2])
    net.add_place("mid", "Job")
    net.add_place("done", "Job")
    net.add_place("m1", "Machine", initial=["m"])
    net.add_place("m2", "Machine", initial=["m"])
    net.add_transition("M1", delay=3, inputs=[("raw", "j"), ("m1", "x")], outputs=[("mid", "j"), ("m1", "x")])
    net.add_transition("M2", delay=5, inputs=[("mid", "j"), ("m2", "x")], outputs=[("done", "j"), ("m2", "x")])
    return net


def test_hand_computed_schedule_of_two_machines():
    sim = Simulator(two_machines(), seed=0)
    result = sim.run()
    # job a: M1 0-3, M2 3-8; job b: M1 3-6, waits for M2 until 8, M2 8-13
    starts = [(e.time, e.transition) for e in sim.events]
    assert sorted(starts) == [(0, "M1"), (3, "M1"), (3, "M2"), (8, "M2")]
    assert sorted(t for _, t in sim.tokens("done")) == [8, 13]
    assert result.clock == 8          # the clock stops at the last firing
    assert result.firings == 4


def test_clock_jumps_to_earliest_enabling_time():
    net = Net()
    net.add_colour_set("T", "dot", timed=True)
    net.add_place("later", "T", initial=[Token((), 1, 10), Token((), 1, 4)])
    net.add_place("out")
    net.add_transition("t", inputs=["later"], outputs=["out"])
    sim = Simulator(net)
    assert sim.enabled() == []
    assert sim.step().time == 4
    assert sim.step().time == 10
    assert sim.step() is None
    assert sim.clock == 10


def test_arc_delay_adds_to_transition_delay_and_oldest_tokens_go_first():
    net = Net()
    net.add_colour_set("T", "dot", timed=True)
    net.add_place("src", "T", initial=[Token((), 1, 2), Token((), 1, 0)])
    net.add_place("a", "T")
    net.add_place("b", "T")
    net.add_transition("t", delay=5, inputs=["src"], outputs=["a", ("b", None, 1, "2")])
    sim = Simulator(net)
    ev = sim.step()
    assert ev.consumed == (("src", (), 0),)
    assert ev.produced == (("a", (), 5), ("b", (), 7))


def test_delay_from_table_expression():
    net = Net()
    net.add_colour_set("P", values=["A", "B"], timed=True)
    net.add_table("pt", {"A": 4, "B": 9})
    net.add_place("in", "P", initial=["B"])
    net.add_place("out", "P")
    net.add_transition("work", delay="pt[p] + 1", inputs=[("in", "p")], outputs=[("out", "p")])
    sim = Simulator(net)
    sim.run()
    assert sim.tokens("out") == [("B", 10)]


def test_untimed_tokens_are_always_ready():
    net = Net()
    net.add_place("p", initial=1)
    net.add_place("q")
    net.add_transition("t", delay=7, inputs=["p"], outputs=["q"])
    sim = Simulator(net)
    sim.run()
    assert (sim.clock, sim.tokens("q")) == (0, [((), 0)])


def test_run_until_stops_before_later_firings():
    sim = Simulator(two_machines())
    result = sim.run(until=5)
    assert result.reason == "until"
    assert [e.time for e in sim.events] == [0, 3, 3]
    assert sim.run().firings == 1


def test_max_firings():
    sim = Simulator(two_machines())
    assert sim.run(max_firings=2).reason == "max_firings"
    assert sim.firings == 2


# -- priorities, randomness, determinism ---------------------------------------------------------

def conflict_net(priority_b=0):
    net = Net()
    net.add_place("token", initial=1)
    net.add_place("a")
    net.add_place("b")
    net.add_transition("to_a", inputs=["token"], outputs=["a"])
    net.add_transition("to_b", inputs=["token"], outputs=["b"], priority=priority_b)
    return net


def test_higher_priority_fires_first():
    for seed in range(20):
        sim = Simulator(conflict_net(priority_b=1), seed=seed)
        sim.run()
        assert sim.count("b") == 1
    assert [b.transition for b in Simulator(conflict_net(priority_b=1)).enabled()] == ["to_b"]


def test_seed_decides_free_choices_and_same_seed_gives_same_run():
    winners = {seed: Simulator(conflict_net(), seed=seed).step().transition for seed in range(30)}
    assert set(winners.values()) == {"to_a", "to_b"}
    net = philosophers(5)
    runs = []
    for _ in range(2):
        sim = Simulator(net, seed=42)
        sim.run(max_firings=200)
        runs.append(sim.events.to_frame())
    assert runs[0].equals(runs[1])
    other = Simulator(net, seed=43)
    other.run(max_firings=200)
    assert not other.events.to_frame().equals(runs[0])


def philosophers(n):
    net = Net(f"philosophers {n}")
    net.add_constant("N", n)
    net.add_place("thinking", "int", initial=list(range(n)))
    net.add_place("eating", "int")
    net.add_place("forks", "int", initial=list(range(n)))
    net.add_transition("take", inputs=[("thinking", "i"), ("forks", "i"), ("forks", "(i + 1) % N")],
                       outputs=[("eating", "i")])
    net.add_transition("release", inputs=[("eating", "i")],
                       outputs=[("thinking", "i"), ("forks", "i"), ("forks", "(i + 1) % N")])
    return net


def test_philosophers_never_share_a_fork():
    sim = Simulator(philosophers(5), seed=7)
    for _ in range(500):
        sim.step()
        eating = sorted(sim.colours("eating").elements())
        assert len(eating) <= 2
        for i in eating:
            assert (i + 1) % 5 not in eating
        assert sim.count("forks") + 2 * sim.count("eating") == 5


# -- interactive play ----------------------------------------------------------------------------

def test_enabled_and_fire():
    sim = Simulator(philosophers(3))
    assert [b.values["i"] for b in sim.enabled() if b.transition == "take"] == [0, 1, 2]
    b = Binding("take", {"i": 1})
    ev = sim.fire(b)
    assert ev.transition == "take" and ev.binding == {"i": 1}
    assert dict(sim.colours("forks")) == {0: 1}
    with pytest.raises(NetError) as e:
        sim.fire(Binding("take", {"i": 0}))
    assert str(e.value) == "take<i=0> is not enabled at time 0"
    ev = sim.fire("release", {"i": 1})
    assert ev.produced == (("thinking", 1, 0), ("forks", 1, 0), ("forks", 2, 0))
    with pytest.raises(NetError, match="unknown transition 'nap'"):
        sim.fire("nap")


def test_event_log_parquet(tmp_path):
    pd = pytest.importorskip("pandas")
    sim = Simulator(two_machines())
    sim.run()
    path = tmp_path / "events.parquet"
    sim.events.to_parquet(path)
    back = pd.read_parquet(path)
    assert list(back["transition"]) == [e.transition for e in sim.events]
    assert list(back["time"]) == [0, 3, 3, 8]


# -- controllers ---------------------------------------------------------------------------------

class Recorder:
    def __init__(self, answers):
        self.answers = list(answers)
        self.seen = []

    def choose(self, decision):
        self.seen.append((decision.clock, [repr(b) for b in decision.bindings],
                          decision.state.count("free")))
        answer = self.answers.pop(0) if self.answers else WAIT
        if answer == "first":
            return decision.bindings[0]
        return answer


def controlled_net():
    net = Net()
    net.add_colour_set("T", "dot", timed=True)
    net.add_place("orders", "int", initial=[1, 2])
    net.add_place("free", initial=0)
    net.add_place("seed", initial=1)
    net.add_place("clock", "T", initial=[Token((), 1, 5)])
    net.add_place("released", "int")
    net.add_transition("prepare", inputs=["seed"], outputs=["free"])
    net.add_transition("tick", inputs=["clock"], outputs=["free"])
    net.add_transition("release", controllable=True, inputs=[("orders", "o"), "free"],
                       outputs=[("released", "o")])
    return net


def test_uncontrollable_bindings_fire_before_the_controller_is_asked():
    ctl = Recorder(["first", "first"])
    sim = Simulator(controlled_net(), controller=ctl)
    sim.run()
    # prepare fires first by itself; the controller sees the settled state (one free slot)
    assert ctl.seen[0] == (0, ["release<o=1>", "release<o=2>"], 1)
    assert ctl.seen[1] == (5, ["release<o=2>"], 1)
    assert sorted(sim.colours("released")) == [1, 2]


def test_wait_lets_time_advance():
    ctl = Recorder([WAIT, "first"])
    sim = Simulator(controlled_net(), controller=ctl)
    result = sim.run()
    assert [s[0] for s in ctl.seen] == [0, 5, 5]
    assert [(e.time, e.transition) for e in sim.events] == [(0, "prepare"), (5, "tick"), (5, "release")]
    assert result.reason == "waiting"


def test_controller_must_choose_an_offered_binding():
    class Bad:
        def choose(self, decision):
            return Binding("release", {"o": 99})
    with pytest.raises(SimulationError) as e:
        Simulator(controlled_net(), controller=Bad()).run()
    assert str(e.value) == ("the controller chose release<o=99>, which is not one of the 2 "
                            "bindings it was offered at time 0")


def test_without_controller_controllable_transitions_fire_like_others():
    sim = Simulator(controlled_net())
    sim.run()
    assert sim.count("released") == 2


def test_first_controller_is_deterministic():
    sim = Simulator(controlled_net(), controller=FirstController())
    sim.run()
    assert [e.binding.get("o") for e in sim.events if e.transition == "release"] == [1, 2]


# -- parameters during a run -----------------------------------------------------------------------

def test_set_table_value_changes_later_delays_only_for_this_run():
    net = Net()
    net.add_colour_set("J", "int", timed=True)
    net.add_table("pt", {"x": 2})
    net.add_place("in", "J", initial=[1, 2])
    net.add_place("m", "J", initial=[0])
    net.add_place("out", "J")
    net.add_transition("work", delay="pt['x']", inputs=[("in", "j"), ("m", "k")],
                       outputs=[("out", "j"), ("m", "k")])
    sim = Simulator(net)
    sim.step()
    sim.set_table_value("pt", "x", 6)
    sim.run()
    assert sorted(t for _, t in sim.tokens("out")) == [2, 8]
    assert net.tables["pt"]["x"] == 2


def test_set_constant_and_unknown_names():
    net = Net()
    net.add_constant("K", 1)
    net.add_place("p", "int", initial=[0])
    net.add_place("q", "int")
    net.add_transition("t", inputs=[("p", "x")], outputs=[("q", "x + K")])
    sim = Simulator(net)
    sim.set_constant("K", 5)
    sim.run()
    assert dict(sim.colours("q")) == {5: 1}
    with pytest.raises(NetError, match="unknown constant 'X'"):
        sim.set_constant("X", 1)
    with pytest.raises(NetError, match="place 'p' has no capacity in the net"):
        sim.set_capacity("p", 3)


# -- the event log ---------------------------------------------------------------------------------

def test_event_log_frame_and_csv(tmp_path):
    sim = Simulator(two_machines())
    sim.run()
    df = sim.events.to_frame()
    assert list(df.columns) == ["step", "time", "transition", "binding", "consumed", "produced"]
    first = df.iloc[0].to_dict()
    j = first["binding"]["j"]
    assert first == {
        "step": 1, "time": 0, "transition": "M1", "binding": {"j": j, "x": "m"},
        "consumed": [("raw", j, 0), ("m1", "m", 0)], "produced": [("mid", j, 3), ("m1", "m", 3)]}
    path = tmp_path / "events.csv"
    sim.events.to_csv(path)
    assert path.read_text().splitlines()[0] == "step,time,transition,binding,consumed,produced"
    assert len(path.read_text().splitlines()) == 5


def test_observers_see_every_firing():
    seen = []
    sim = Simulator(two_machines())
    sim.add_observer(lambda ev: seen.append((ev.time, ev.transition)))
    sim.run()
    assert len(seen) == 4 and seen[0] == (0, "M1")


# -- untimed state space interface -------------------------------------------------------------------

def test_untimed_successors():
    c = compile_net(two_machines(), untimed=True)
    key = c.initial_key()
    succ = c.successors(key)
    assert [(t, b) for t, b, _ in succ] == [("M1", {"j": 1, "x": "m"}), ("M1", {"j": 2, "x": "m"})]
    marking = c.key_to_marking(succ[0][2])
    assert marking["mid"] == {1: 1} and marking["raw"] == {2: 1}


def test_guard_equation_binds_like_an_arc_expression():
    """`y == (i + 1) % N` in the guard finds the same bindings as `(i + 1) % N` on the arc."""
    by_guard = philosophers(5)
    take = by_guard.transitions["take"]
    take.inputs[2].pattern = "y"
    take.guard = "y == (i + 1) % N and i != 3"
    by_arc = philosophers(5)
    by_arc.transitions["take"].guard = "i != 3"
    a, b = Simulator(by_guard, seed=5), Simulator(by_arc, seed=5)
    assert "for _x2 in ((v_i + 1) % c_N,):" in a.compiled.transitions[0].source
    for _ in range(100):
        ea = [(x.transition, x.values.get("i")) for x in a.enabled()]
        eb = [(x.transition, x.values.get("i")) for x in b.enabled()]
        assert ea == eb
        a.step()
        b.step()


def test_names_from_files_never_reach_generated_code_as_code(capsys):
    """A colour set name is data: the checker refuses odd ones, and the generated code refers
    to colour sets by number, so even an unchecked name cannot become code."""
    name = 'P)\nprint("INJECTED")\n('
    net = Net()
    net.add_colour_set(name, values=["A"])
    net.add_place("a", name, initial=["A"])
    net.add_place("b", name)
    net.add_transition("t", inputs=[("a", "x")], outputs=[("b", "'A' if x else 'A'")])
    from petri.check import check_net
    assert [str(e) for e in check_net(net)] == [
        "colour set 'P)\\nprint(\"INJECTED\")\\n(': a colour set name is made of letters, "
        "digits and _, not starting with a digit"]
    compiled = compile_net(net, check=False)
    source = compiled.transitions[0].source
    assert "if not _cs_4(_x)" in source      # by number: the 4 builtin colour sets come first
    sim = Simulator(compiled)
    sim.run()
    assert sim.count("b") == 1
    assert capsys.readouterr().out == ""


def test_a_transition_that_changes_nothing_still_fires():
    for log in (False, True):
        net = Net()
        net.add_place("p", initial=1)
        net.add_transition("look", reads=["p"])
        sim = Simulator(net, log=log)
        result = sim.run(max_firings=3)
        assert (result.firings, result.reason, sim.count("p")) == (3, "max_firings", 1)


def station(arrivals, queues=1):
    """One machine (10 time units a job) fed by ``queues`` queues; ``arrivals`` lists
    (queue, job, arrival time)."""
    net = Net("station")
    net.add_colour_set("Job", "str", timed=True)
    net.add_colour_set("M", "dot", timed=True)
    net.add_place("machine", "M", initial=[Token((), 1, 0)])
    net.add_place("done", "Job")
    for q in range(queues):
        net.add_place(f"queue{q}", "Job",
                      initial=[Token(job, 1, t) for qq, job, t in arrivals if qq == q])
        net.add_transition(f"serve{q}", delay=10, inputs=[(f"queue{q}", "j"), "machine"],
                           outputs=[("done", "j"), "machine"])
    return net


def test_oldest_choice_serves_first_come_first_served():
    arrivals = [(0, "c", 5), (0, "a", 1), (0, "b", 3), (0, "d", 20)]
    orders = set()
    for seed in range(20):
        sim = Simulator(station(arrivals), seed=seed, choice="oldest")
        sim.run()
        assert [(e.time, e.binding["j"]) for e in sim.events] == [(1, "a"), (11, "b"), (21, "c"), (31, "d")]
        random = Simulator(station(arrivals), seed=seed)
        random.run()
        orders.add(tuple(e.binding["j"] for e in random.events))
    assert len(orders) > 1          # the default choice is random among waiting jobs


def test_oldest_choice_spans_transitions_that_share_a_resource():
    arrivals = [(0, "late", 2), (1, "early", 1), (0, "later", 4)]
    sim = Simulator(station(arrivals, queues=2), seed=3, choice="oldest")
    sim.run()
    assert [(e.time, e.transition, e.binding["j"]) for e in sim.events] == [
        (1, "serve1", "early"), (11, "serve0", "late"), (21, "serve0", "later")]


def test_unknown_choice_rule():
    with pytest.raises(NetError) as e:
        Simulator(two_machines(), choice="fifo")
    assert str(e.value) == "choice must be one of random, oldest, not 'fifo'"


def test_runs_on_one_compiled_net_share_its_structure_and_play_as_on_a_fresh_compile():
    """What follows from the net's structure (the places each transition gives to and takes
    from, what ``_lacks`` reads, the places a firing changes) is worked out by the first run on
    a compiled net and read by the next ones, which play as a run on a net compiled afresh."""
    import random as _random
    from control.scheduling.generate import random_jobshop
    from petri.jobshop import instance_net

    def events(sim):
        sim.run()
        return [(e.time, e.transition, e.binding) for e in sim.events]

    net = instance_net(random_jobshop(5, 3, _random.Random(2)))
    compiled = compile_net(net)
    assert compiled.engine_cache == {}
    first = Simulator(compiled, controller=FirstController(), seed=4)
    log = events(first)
    assert {"gains", "takes only", "inputs", ("needs", True)} <= set(compiled.engine_cache)
    second = Simulator(compiled, controller=FirstController(), seed=4)
    assert second._gains is first._gains and second._inputs is first._inputs
    assert events(second) == log == events(Simulator(compile_net(net), controller=FirstController(), seed=4))
    uncontrolled = Simulator(compiled, seed=1)     # another key: the inputs _lacks reads
    assert uncontrolled._takes_only is first._takes_only
    events(uncontrolled)
    assert ("needs", True) in compiled.engine_cache
