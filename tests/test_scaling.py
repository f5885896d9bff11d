"""Analyses that scale with the graph: long chains, deep unbounded nets, memory budgets."""
from __future__ import annotations

import json
import re
import resource
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from petri import LimitError, Net
from petri.analysis import analyse, reachability_graph
from petri.analysis import properties, reachability
from petri.limits import MemoryBudget, resident_bytes

ROOT = Path(__file__).resolve().parent.parent
MCC = ROOT / "tests" / "data" / "mcc"


@contextmanager
def hang_guard(seconds=300):
    """Fails the test instead of hanging (no timing is asserted: the bound is generous)."""
    def fail(signum, frame):
        raise AssertionError(f"still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def move_chain(n):
    """``n - 1`` tokens moved one by one from ``a`` to ``b``: ``n`` markings in one chain."""
    net = Net(f"move chain {n}")
    net.add_place("a", initial=n - 1)
    net.add_place("b")
    net.add_transition("t", inputs=["a"], outputs=["b"])
    return net


def fill_chain(n):
    """``fill`` adds a token to ``b`` until an inhibitor arc stops it at ``n - 1``: one chain of
    ``n`` markings, and no structural bound, so the unboundedness check runs at every state."""
    net = Net(f"fill chain {n}")
    net.add_place("b")
    net.add_transition("fill", inhibitors=[("b", None, n - 1)], outputs=["b"])
    return net


@pytest.mark.parametrize("make", [move_chain, fill_chain])
def test_a_long_chain_is_explored_and_analysed(make):
    n = 100_000
    with hang_guard():
        g = reachability_graph(make(n))
        p = analyse(g)
    assert (g.num_states, g.num_edges, g.complete, g.stopped) == (n, n - 1, True, None)
    last = g.marking(n - 1)
    assert last["b"] == n - 1
    assert (p.deadlock, p.deadlock_state, len(p.deadlock_path)) == (True, n - 1, n - 1)
    assert (p.bounded, p.live, p.reversible, p.strongly_connected_components) == (
        True, False, False, n)
    assert p.place_bounds["b"] == n - 1


def deep_then_unbounded(depth):
    """A chain of ``depth`` firings, after which ``make`` adds tokens to ``made`` for ever."""
    net = Net("deep then unbounded")
    net.add_place("a", initial=depth)
    net.add_place("b")
    net.add_place("made")
    net.add_transition("t", inputs=["a"], outputs=["b"])
    net.add_transition("make", inhibitors=["a"], outputs=["made"])
    return net


def test_unboundedness_found_after_a_deep_chain():
    with hang_guard():
        g = reachability_graph(deep_then_unbounded(50_000))
    assert (g.complete, g.stopped) == (False, "unbounded")
    assert g.unbounded_witness == (50_000, 50_001)
    p = analyse(g)
    assert (p.bounded, p.unbounded_places, p.unbounded_path) == (False, ["made"], ["make"])


def ring(n):
    """A token going round ``n`` places; the last step also adds a token to ``made``."""
    net = Net(f"ring {n}")
    for i in range(n):
        net.add_place(f"p{i}", initial=1 if i == 0 else 0)
    net.add_place("made")
    for i in range(n):
        out = [f"p{(i + 1) % n}"] + (["made"] if i == n - 1 else [])
        net.add_transition(f"t{i}", inputs=[f"p{i}"], outputs=out)
    return net


@pytest.mark.parametrize("n", [3, 12, 40])
def test_a_long_repeating_sequence_is_found(n):
    """Beyond the nearest ancestors, the ancestors at power-of-two depths (the root among them)
    still catch a repeating sequence of any length."""
    g = reachability_graph(ring(n))
    assert (g.stopped, g.unbounded_witness, g.num_states) == ("unbounded", (0, n), n + 1)
    assert analyse(g).unbounded_path == [f"t{i}" for i in range(n)]


def test_a_coloured_long_chain_is_checked_quickly():
    net = Net("coloured fill")
    net.add_place("n", "int", initial=[0])
    net.add_transition("inc", inputs=[("n", "k")], guard="k < 3000", outputs=[("n", "k + 1")])
    with hang_guard():
        g = reachability_graph(net)
    assert (g.num_states, g.num_edges, g.complete) == (3001, 3000, True)


# -- memory ------------------------------------------------------------------------------------

def test_exploration_stops_at_a_measured_memory_budget():
    """In a fresh process (a long-lived one reuses freed memory without growing), a budget 4 MiB
    above the memory in use stops the exploration of a net that needs more."""
    code = ("import json; from petri.analysis import reachability_graph, analyse; "
            "from petri.formats import pnml; from petri.limits import resident_bytes; "
            f"net = pnml.load({str(MCC / 'Philosophers-PT-000010.pnml')!r}); "
            "g = reachability_graph(net, max_memory=resident_bytes() + 4 * 2**20); "
            "print(json.dumps([g.complete, g.stopped, g.num_states, g.num_edges, g.stop_detail, "
            "g.stop_message(), analyse(g).to_text().splitlines()[1]]))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True, timeout=600)
    complete, stopped, states, edges, detail, message, line = json.loads(out.stdout)
    assert (complete, stopped) == (False, "memory")
    assert 1 <= states < 59_049
    assert re.fullmatch(r"\d+\.\d\d GiB resident of a \d+\.\d\d GiB budget"
                        r"(, about [\d,]+ bytes per state)?", detail), detail
    assert message.startswith(f"exploration stopped after {states:,} states and {edges:,} edges "
                              "because the memory budget was reached (")
    assert line.startswith(
        "PARTIAL RESULT: exploration stopped because the memory budget was reached (")


def test_memory_budget_measures_growth():
    budget = MemoryBudget(resident_bytes() + 64 * 2**20)
    assert budget.check(1) is None
    block = bytearray(96 * 2**20)          # the next check sees 96 MiB more in use
    block[::4096] = b"x" * len(block[::4096])
    why = budget.check(2)
    assert why is not None and " resident of a " in why
    assert budget.per_unit > 40 * 2**20    # about 48 MiB per unit of work, measured


def test_out_of_memory_while_exploring_is_a_limit_error(monkeypatch):
    def fail(self):
        raise MemoryError
    monkeypatch.setattr(reachability._PTExplorer, "run", fail)
    with pytest.raises(LimitError) as e:
        reachability_graph(move_chain(3))
    assert str(e.value) == (
        "net 'move chain 3': out of memory while exploring the reachability graph (an "
        "allocation failed before the memory budget saw it coming): give --max-states or a "
        "smaller --max-memory")


def test_out_of_memory_while_analysing_is_a_limit_error(monkeypatch):
    g = reachability_graph(move_chain(3))

    def fail(n, src, dst):
        raise MemoryError
    monkeypatch.setattr(properties, "strongly_connected_components", fail)
    with pytest.raises(LimitError) as e:
        analyse(g)
    assert str(e.value) == ("net 'move chain 3': out of memory while analysing a graph of 3 states "
                            "and 2 edges: give --max-states or a smaller --max-memory")


def run_limited(args, address_space):
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    return subprocess.run([sys.executable, "-m", "petri", *args], cwd=ROOT, capture_output=True,
                          text=True, preexec_fn=limit, timeout=900)


def baseline_address_space():
    """The address space of a ``petri reach`` process before it explores (imports done)."""
    code = ("import petri.cli, petri.analysis, petri.formats.pnml, scipy.sparse.csgraph; "
            "print(open('/proc/self/statm').read().split()[0])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return int(out.stdout) * resource.getpagesize()


@pytest.mark.parametrize("room", [100 * 2**20])
def test_reach_under_an_address_space_limit_ends_with_one_line(room):
    """Under ``ulimit -v`` the exploration either stops at the budget (a partial report, exit
    3) or, when an allocation fails first, prints one line (exit 1); never a traceback."""
    r = run_limited(["reach", str(MCC / "Kanban-PT-00005.pnml")], baseline_address_space() + room)
    assert "Traceback" not in r.stderr
    if r.returncode == 1:
        assert r.stderr.count("\n") == 1 and r.stderr.startswith(
            "petri: error: net 'Kanban-PT-00005': out of memory while "), r.stderr
    else:
        assert r.returncode == 3, r.stderr
        assert ("PARTIAL RESULT: exploration stopped because the memory budget was reached ("
                in r.stdout)
        assert "of address space, near the limit of" in r.stdout
