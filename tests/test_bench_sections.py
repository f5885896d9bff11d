"""The measuring code behind the scaling and distributed sections: exact state counts, nets that
keep their tokens, the partition and cost arithmetic by hand."""
import numpy as np
import pytest

from bench import bench_distributed as bd
from bench import bench_engine as be
from bench import bench_scaling as bs
from petri import Simulator
from petri.analysis import reachability_graph


@pytest.mark.parametrize("n, states, edges", [(1, 160, 616), (2, 4_600, 28_120)])
def test_kanban_by_size_has_the_known_state_counts(n, states, edges):
    g = reachability_graph(bs.kanban(n))
    assert (g.num_states, g.num_edges) == (states, edges)


@pytest.mark.parametrize("kind", list(bs.TOKEN_KINDS))
def test_one_place_keeps_its_tokens(kind):
    sim = Simulator(bs.one_place(1_000, kind), seed=0, log=False)
    assert sim.run(max_firings=500).firings == 500
    assert sim.count("queue") == 1_000


def test_one_place_timed_delay_moves_the_clock():
    sim = Simulator(bs.one_place(10, "timed, delay 5"), seed=0, log=True)
    sim.run(max_firings=25)
    # ten tokens at 0, each back 5 later: firings 1-10 at 0, 11-20 at 5, 21-25 at 10
    assert [e.time for e in sim.events] == [0] * 10 + [5] * 10 + [10] * 5


def test_waiting_jobs_and_join_keep_their_tokens():
    for build, places in ((bs.waiting_jobs, ("waiting", "busy")), (bs.join, ("orders", "matched"))):
        sim = Simulator(build(50), seed=1, log=False)
        assert sim.run(max_firings=400).firings == 400
        assert sum(sim.count(p) for p in places) == 50


def test_the_places_scaling_uses_the_engine_line():
    assert len(be.pt_line_ours(100).places) == 300


def test_bits_per_marking_is_each_places_width_at_its_largest_count():
    markings = np.array([[0, 5, 1, 0], [3, 0, 0, 0]])
    assert bd.bits_per_marking(markings) == 2 + 3 + 1 + 1


def test_partition_counts_crossing_edges_and_balance():
    markings = np.arange(4_000, dtype=np.int64).reshape(1_000, 4)
    src = np.arange(1_000)
    parts = bd.partition_figures(markings, src, src)        # self-loops never cross
    assert [p["cross_fraction"] for p in parts] == [0.0] * len(bd.WORKERS)
    parts = bd.partition_figures(markings, src, (src + 1) % 1_000)
    owner = bd.owner_hash(markings) % np.uint64(2)
    assert parts[0]["cross_fraction"] == np.mean(owner != np.roll(owner, -1))
    assert 0.4 < parts[0]["cross_fraction"] < 0.6 and parts[0]["imbalance"] < 1.1


def test_the_exchange_estimate_by_hand():
    f = {"states": 100, "edges": 500, "explore_seconds": 1e-3, "bytes_narrow": 16,
         "hash_seconds_per_state": 10e-9, "pickle_seconds_per_state": 5e-9,
         "loopback": {"bytes_per_second": 1e9, "round_trip_seconds": 1e-4},
         "ray": {"seconds_per_batch": 1e-3},
         "partition": [{"workers": 2, "cross_fraction": 0.5, "imbalance": 1.0}]}
    (row,) = bd.estimate(f)
    # 5 successors per state, half cross: 2.5 markings of 16 B
    assert row["sent_per_state"] == 2.5 and row["bytes_per_state"] == 40
    # 2.5 x (10 + 5 ns + 16 B / 1 GB/s = 16 ns + 100 µs / 10,000 = 10 ns) = 102.5 ns
    assert row["loopback_seconds_per_state"] == pytest.approx(102.5e-9)
    # 2.5 x (15 ns + 16 B / 1.1 GB/s + 50 µs / 10,000)
    assert row["network_seconds_per_state"] == pytest.approx(2.5 * (15e-9 + 16 / 1.1e9 + 5e-9))
    # 2.5 x (10 ns + 1 ms / 10,000)
    assert row["ray_seconds_per_state"] == pytest.approx(2.5 * (10e-9 + 100e-9))
    assert row["local_seconds_per_state"] == pytest.approx(10e-6)


def test_loopback_moves_every_byte():
    r = bd.loopback(4 * 2**20, 2**20, 5)
    assert r["bytes"] == 4 * 2**20 and r["bytes_per_second"] > 0 and r["round_trip_seconds"] > 0


def test_drawing_section_quick_draws_the_production_line_both_ways():
    from bench import bench_drawing
    r = bench_drawing.drawing_section(True)
    assert [(row["net"], row["picture"]) for row in r.figures] == [
        ("production line (5 places, 2 transitions)", "SVG"),
        ("production line (5 places, 2 transitions)", "PNG")]
    width, height = r.figures[1]["pixels"]
    assert width > height > 100
    assert f"| PNG | {r.figures[1]['bytes'] / 1e3:,.0f} kB, {width:,} x {height:,} pixels |" \
        in r.markdown


def test_levels_counts_breadth_first_levels_from_parents():
    assert bd.levels(np.array([0, 0, 0, 1, 3])) == 4
    assert bd.levels(np.array([0])) == 1
    g = reachability_graph(bs.kanban(2))
    import networkx as nx
    graph = nx.DiGraph(zip(g.src.tolist(), g.dst.tolist()))
    assert bd.levels(g.parent) == max(nx.single_source_shortest_path_length(graph, 0).values()) + 1


def test_training_runs_a_command_and_counts_its_cpu_time():
    from bench import bench_training
    r = bench_training.run(["-c", "sum(i * i for i in range(3_000_000))"])
    assert 0.05 < r["cpu_seconds"] <= r["wall_seconds"] + 0.5
    with pytest.raises(RuntimeError, match=r"-c import sys; sys.exit\(3\) failed"):
        bench_training.run(["-c", "import sys; sys.exit(3)"])
