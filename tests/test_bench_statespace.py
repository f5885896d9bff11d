"""The C reference of the state-space benchmark: it compiles with the system compiler and finds
exactly the states, edges and deadlocks our explorer finds (hand-counted on a small net with
capacities, read and inhibitor arcs; the MCC oracle on a Philosophers net)."""
import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from petri import Net
from petri.analysis import reachability_graph

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "bench_statespace.py"


def _load():
    spec = importlib.util.spec_from_file_location("bench_statespace", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load()


def buffer_net():
    """``produce`` fills ``buf`` (capacity 3) while ``stop`` is empty (inhibitor arc); ``consume``
    takes two from ``buf`` into ``done`` (capacity 2); ``halt`` reads ``done`` and marks ``stop``
    once. Hand count: with ``stop`` empty every (buf 0-3, done 0-2) is reachable (12 states,
    9 produce + 4 consume + 8 halt edges); with ``stop`` marked, done 1-2 (8 states, 2 consume
    edges, 6 deadlocks): 20 states, 23 edges."""
    net = Net("buffer")
    net.add_place("buf", capacity=3)
    net.add_place("done", capacity=2)
    net.add_place("stop")
    net.add_transition("produce", outputs=["buf"], inhibitors=[("stop", None, 1)])
    net.add_transition("consume", inputs=[("buf", None, 2)], outputs=["done"])
    net.add_transition("halt", reads=["done"], inhibitors=[("stop", None, 1)], outputs=["stop"])
    return net


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    if shutil.which("cc") is None:
        pytest.skip("no C compiler (cc) on PATH: the C reference cannot be built here")
    exe, how = bench.compile_reference(tmp_path_factory.mktemp("cref"))
    assert exe is not None, how
    return exe


def test_reference_counts_a_small_net_by_hand(reference):
    net = buffer_net()
    g = reachability_graph(net)
    assert (g.num_states, g.num_edges, int((g.out_degree() == 0).sum())) == (20, 23, 6)
    c = bench.run_reference(reference, net, bench.bits_for(g.markings.max(axis=0)), 1)
    assert (c["states"], c["edges"], c["deadlocks"]) == (20, 23, 6)
    assert c["words"] == 1 and c["cpu_s"] >= 0


def test_reference_agrees_with_the_oracle_on_philosophers(reference):
    net = bench.load("Philosophers-PT-000005")
    c = bench.run_reference(reference, net, [1] * len(net.places), 2)
    assert (c["states"], c["edges"]) == (243, 945)       # tests/data/mcc/oracle.csv
    ours = {"states": 243, "edges": 945, "deadlocks": c["deadlocks"]}
    bench.check_same("Philosophers-PT-000005", ours, c)
    with pytest.raises(bench.BenchError, match="edges differ: ours 946, C reference 945"):
        bench.check_same("Philosophers-PT-000005", dict(ours, edges=946), c)


def test_no_compiler_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("CC", "no-such-cc")
    exe, why = bench.compile_reference(tmp_path)
    assert exe is None
    assert why == "no C compiler ('no-such-cc' is not on PATH): the C reference is skipped"


def test_peers_table_rates_and_ratios_by_hand():
    result = {"budget_s": 10.0, "versions": {"snakes": "0.9.33", "pm4py": None}, "rows": [{
        "model": "Philosophers-PT-000010",
        "ours": {"states": 59_049, "rate": 2_000_000.0},
        "numpy": {"states": 59_049, "rate": 500_000.0},
        "snakes": {"expanded": 2_500, "seconds": 10.0, "cpu_s": 10.0, "rate": 250.0},
        "pm4py": {"error": "pm4py is not installed"}}]}
    table = bench.peers_markdown(result).splitlines()
    assert table[0] == ("| net | states | ours compiled: states/s | ours numpy: states/s | "
                        "SNAKES 0.9.33: states/s (expanded in 10 s) | ours/SNAKES | "
                        "pm4py (not installed): states/s (expanded) | ours/pm4py |")
    assert table[2] == ("| Philosophers-PT-000010 | 59,049 | 2,000,000 | 500,000 | 250 (2,500) | "
                        "8,000x | pm4py is not installed | - |")
    result["rows"][0]["snakes"].update(expanded=59_049, rate=5_904.9)
    assert "| 5,905 (59,049, all) | 339x |" in bench.peers_markdown(result)
