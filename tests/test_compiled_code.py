"""What the compiler leaves out of a firing, and that the results stay those of the full checks."""
from __future__ import annotations

import pytest

from petri import Net, SimulationError, Simulator, Token
from petri.compiler import compile_net


def job_net(output_colour: str, expression: str) -> Net:
    net = Net("jobs")
    net.add_colour_set("Order", "int", low=0, high=3)
    net.add_colour_set("Small", "int", low=0, high=1)
    net.add_colour_set("Product", values=["A", "B"])
    net.add_colour_set("Job", components=("Order", "Product"), timed=True)
    net.add_colour_set("SmallJob", components=("Small", "Product"), timed=True)
    net.add_place("waiting", "Job", initial=[Token((3, "A"), 1, 0), Token((1, "B"), 1, 2)])
    net.add_place("done", output_colour)
    net.add_transition("work", delay=4, inputs=[("waiting", "(o, p)")],
                       outputs=[("done", expression)])
    return net


def fire_source(net: Net) -> str:
    src = compile_net(net).transitions[0].source
    return src[src.index("def fire"):]


def test_a_token_given_back_as_it_was_matched_is_not_checked_again():
    net = job_net("Job", "(o, p)")
    assert "_cs_" not in fire_source(net)
    sim = Simulator(net, seed=0)
    sim.run()
    assert sim.tokens("done") == [((3, "A"), 4), ((1, "B"), 6)]


@pytest.mark.parametrize("colour, expression", [("SmallJob", "(o, p)"), ("Job", "(o % 2, p)")])
def test_a_token_that_may_leave_its_colour_set_is_checked(colour, expression):
    net = job_net(colour, expression)
    assert "_cs_" in fire_source(net)
    sim = Simulator(net, seed=0)
    if colour == "Job":       # (3 % 2, "A") is a Job: no error
        sim.run()
        assert sim.tokens("done") == [((1, "A"), 4), ((1, "B"), 6)]
        return
    with pytest.raises(SimulationError) as e:
        sim.run()
    assert "transition 'work': output arc 1 (done): inscription '(o, p)' gives a token not in " \
           "colour set SmallJob: (3, 'A') (o=3, p='A', time 0)" in str(e.value)


def test_a_missing_table_row_is_named_at_run_time():
    net = Net("table")
    net.add_colour_set("P", values=["A", "B"], timed=True)
    net.add_table("proc", {"A": 3}, key=("product",), value="minutes")
    net.add_place("raw", "P", initial=["A", "B"])
    net.add_place("done", "P")
    net.add_transition("work", delay="proc[p]", inputs=[("raw", "p")], outputs=[("done", "p")])
    sim = Simulator(net, seed=0, choice="oldest")
    with pytest.raises(SimulationError) as e:
        sim.run()
    assert "table proc has no row 'B'" in str(e.value)
    assert sim.table_value("proc", "A") == 3
    sim.set_table_value("proc", "A", 5)
    assert (sim.table_value("proc", "A"), net.tables["proc"]["A"]) == (5, 3)


def test_a_firing_re_examines_the_transitions_reading_what_it_changed():
    """Three machines share the place ``idle``; each takes and gives back only its own
    colour, so a firing re-examines its own transition and the next machine's (whose queue
    it fills), not the third."""
    net = Net("line")
    net.add_colour_set("Machine", values=["M1", "M2", "M3"], timed=True)
    net.add_colour_set("Part", values=["A"], timed=True)
    net.add_place("idle", "Machine", initial=["M1", "M2", "M3"])
    for m in ("M1", "M2", "M3"):
        net.add_place(f"queue_{m}", "Part", initial=["A"] if m == "M1" else None)
    for k, m in enumerate(("M1", "M2", "M3")):
        nxt = ("M1", "M2", "M3")[(k + 1) % 3]
        net.add_transition(f"process_{m}", delay=2, inputs=[(f"queue_{m}", "p"), ("idle", f"'{m}'")],
                           outputs=[(f"queue_{nxt}", "p"), ("idle", f"'{m}'")])
    assert compile_net(net).dependents == [(0, 1), (1, 2), (0, 2)]
    sim = Simulator(net, seed=0)
    sim.run(until=6)
    assert [(e.time, e.transition) for e in sim.events] == [
        (0, "process_M1"), (2, "process_M2"), (4, "process_M3"), (6, "process_M1")]
    # a transition whose idle arc has no literal colour reads every machine
    net.add_transition("inspect", delay=1, inputs=[("idle", "x")], outputs=[("idle", "x")])
    assert compile_net(net).dependents[:3] == [(0, 1, 3), (1, 2, 3), (0, 2, 3)]


def test_a_tuple_pattern_on_a_product_place_binds_without_testing_the_shape():
    # every token of a place is in its colour set: a Job is a pair, so (o, p) unpacks it, and
    # (o, "B") compares the second part; the nested ((o, p), k) of a Batch unpacks twice
    net = job_net("Job", "(o, p)")
    net.add_colour_set("Batch", components=("Job", "Order"), timed=True)
    net.add_place("batches", "Batch", initial=[Token(((2, "B"), 1), 1, 1), Token(((0, "A"), 3), 1, 0)])
    net.add_place("counted", "Order")
    net.transitions["work"].order = "o"
    net.add_transition("only_b", inputs=[("waiting", '(o, "B")')], outputs=[("done", '(o, "B")')],
                       priority=1)
    net.add_transition("split", inputs=[("batches", "((o, p), k)")], outputs=[("counted", "k")],
                       guard='p == "A" or k == 1')
    sources = [t.source[:t.source.index("def listing")] for t in compile_net(net).transitions]
    assert all("_tuple" not in src and "_len" not in src for src in sources)
    assert "v_o, v_p = _x0\n" in sources[0]
    assert "v_o = _x0[0]\n" in sources[1] and "if _x0[1] != 'B': continue" in sources[1]
    assert "v_o, v_p = _x0[0]\n" in sources[2]
    sim = Simulator(net, seed=0)
    sim.run()
    # work (ordered) takes (3, "A") at 0, before split; only_b (priority 1, no delay) takes
    # (1, "B") as soon as it is ready, at 2
    assert sim.tokens("done") == [((1, "B"), 2), ((3, "A"), 4)]
    assert [(e.time, e.transition, e.binding) for e in sim.events] == [
        (0, "work", {"o": 3, "p": "A"}), (0, "split", {"o": 0, "p": "A", "k": 3}),
        (1, "split", {"o": 2, "p": "B", "k": 1}), (2, "only_b", {"o": 1})]


def test_a_tuple_pattern_of_another_length_than_the_product_matches_nothing():
    net = Net("shapes")
    net.add_colour_set("Pair", components=("int", "int"))
    net.add_place("pairs", "Pair", initial=[(1, 2)])
    net.add_place("out", "int")
    net.add_transition("three", inputs=[("pairs", "(a, b, c)")], outputs=[("out", "a")])
    src = compile_net(net, check=False).transitions[0].source
    assert "_len(_x0) != 3: continue" in src
    assert Simulator(compile_net(net, check=False)).run().firings == 0


def _counting_checks(sim):
    """Note (transition, clock) of every enabling test the engine makes from now on."""
    calls, checks = [], sim._checks
    for k, f in enumerate(list(checks)):
        checks[k] = (lambda f, k: lambda m, now: calls.append((k, now)) or f(m, now))(f, k)
    return calls


@pytest.mark.parametrize("log", [True, False])
def test_a_token_for_later_re_examines_nothing_that_only_reads_its_place(log):
    net = Net("two machines")
    net.add_colour_set("Part", values=["A"], timed=True)
    net.add_place("queue_1", "Part", initial=["A"])
    net.add_place("queue_2", "Part")
    net.add_place("done", "Part")
    net.add_transition("first", delay=2, inputs=[("queue_1", "p")], outputs=[("queue_2", "p")])
    net.add_transition("second", inputs=[("queue_2", "p")], outputs=[("done", "p")])
    net.add_transition("alarm", inputs=[("done", "p")], inhibitors=[("queue_2", None, 2)],
                       outputs=[("done", "p")], delay=100)
    c = compile_net(net, log=log)
    # first changes queue_1 (first reads it) and queue_2 (second reads it, alarm counts it)
    assert c.dependents == [(0, 1, 2), (1, 2), (2,)]
    assert c.dependents_later == [(0, 2), (1, 2), (2,)]
    sim = Simulator(c, seed=0)
    calls = _counting_checks(sim)
    sim.step()          # first at 0: the part it puts into queue_2 is ready at 2
    assert calls == [(0, 0), (2, 0)]
    del calls[:]
    sim.step()          # the clock goes to 2, where second finds the part, and fires
    assert calls == [(1, 2), (2, 2), (1, 2), (2, 2)] and sim.clock == 2
    assert [e.transition for e in sim.events] == ["first", "second"] if log else sim.firings == 2
    # without the delay, the part is ready at once: second is examined and fires at 0
    net.transitions["first"].delay = 0
    sim = Simulator(compile_net(net, log=log), seed=0)
    calls = _counting_checks(sim)
    sim.step()
    assert calls == [(0, 0), (1, 0), (2, 0)]
    sim.step()
    assert (sim.clock, sim.firings, sim.count("done")) == (0, 2, 1)


def test_a_delay_that_always_gives_a_number_is_tested_only_for_its_range():
    net = Net("delays")
    net.add_colour_set("P", values=["A", "B"], timed=True)
    net.add_constant("SETUP", 1)
    net.add_table("proc", {"A": 3, "B": 2.5}, key=("product",), value="minutes")
    net.add_table("flag", {"A": True, "B": False}, key=("product",), value="rush")
    net.add_place("raw", "P", initial=["A", "B"])
    net.add_place("done", "P")
    net.add_transition("work", delay="proc[p] * 2 - SETUP", inputs=[("raw", "p")],
                       outputs=[("done", "p", 1, "flag[p]")])
    fire = fire_source(net)
    assert "_type(_t0)" not in fire and "if not 0 <= _t0 < _INF" in fire
    assert "_type(_t) not in _NUM" in fire          # flag holds bools: tested in full
    sim = Simulator(net, seed=0)
    with pytest.raises(SimulationError) as e:        # True is not a number of time
        sim.run()
    assert str(e.value) == ("transition 'work': output arc 1 (done): delay 'flag[p]' must be a "
                            "finite number of 0 or more, got False (p='B', time 0)")
    net.transitions["work"].outputs[0].delay = None
    sim = Simulator(net, seed=0)
    sim.set_table_value("proc", "A", 0.25)          # 0.25 * 2 - 1 < 0: refused when it fires
    with pytest.raises(SimulationError) as e:
        sim.run()
    assert str(e.value) == ("transition 'work': delay 'proc[p] * 2 - SETUP' must be a finite "
                            "number of 0 or more, got -0.5 (p='A', time 0)")
    assert sim.tokens("done") == [("B", 4)]         # B (2.5 * 2 - 1) fired first


def test_the_compiled_colour_set_test_agrees_with_the_colour_sets_own():
    """The generated code checks a token with one function per colour set, each component's
    test written out in one expression: it says what ``ColourSet.contains`` says."""
    from petri.compiler import _member_function
    net = Net("colours")
    net.add_colour_set("Small", "int", low=0, high=2)
    net.add_colour_set("Above", "int", low=1)
    net.add_colour_set("Below", "int", high=5)
    net.add_colour_set("Any", "int")
    net.add_colour_set("Kind", values=["A", "B", 3])
    net.add_colour_set("Name", "str")
    net.add_colour_set("Flag", "bool")
    net.add_colour_set("Pair", components=("Small", "Kind"))
    net.add_colour_set("Nested", components=("Pair", "Above", "Below", "Any", "Name", "Flag"))
    sets = net.all_colour_sets()
    values = [0, 1, 2, 3, -1, 6, 10**30, True, False, 1.0, "A", "B", "x", 3, None, (),
              (0, "A"), (2, 3), (3, "A"), (0, "C"), (True, "A"), (0, "A", 1),
              ((0, "A"), 1, 5, -7, "n", True), ((0, "A"), 0, 5, -7, "n", True),
              ((0, "A"), 1, 6, -7, "n", True), ((0, "A"), 1, 5, 1.5, "n", True),
              ((0, "A"), 1, 5, -7, 2, True), ((0, "A"), 1, 5, -7, "n", 1),
              ((1, "D"), 1, 5, -7, "n", True), ((0, "A"), 1, 5, -7, "n")]
    for name in ("Small", "Above", "Below", "Any", "Kind", "Name", "Flag", "Pair", "Nested"):
        cs = net.colour_set(name)
        member = _member_function(cs, sets)
        for v in values:
            assert member(v) == cs.contains(v, sets), (name, v)
    nested = _member_function(net.colour_set("Nested"), sets)
    assert nested(((0, "A"), 1, 5, -7, "n", True)) and not nested(((0, "A"), 1, 6, -7, "n", True))
