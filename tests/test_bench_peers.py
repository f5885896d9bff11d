"""The benchmark's peers play the same nets as our engine: same firing times on a deterministic
timed line, token invariants kept, a missing peer reported rather than measured."""
import itertools
import random

import pytest

from bench import bench_engine as be
from bench import bench_peers as bp
from petri import Simulator

BENCHES = {b.name: b for b in be.BENCHES}
# one part through three machines: A takes 3 on M1, 5 on M2, 2 on M3, then round again
ONE_PART = dict(products=("A",), per_product=1)
TIMES = [(0, "process_M1"), (3, "process_M2"), (8, "process_M3"), (10, "process_M1"),
         (13, "process_M2"), (18, "process_M3"), (20, "process_M1")]


def test_one_part_fires_at_the_same_times_in_every_tool():
    sim = Simulator(be.timed_line_ours(**ONE_PART), seed=0, log=True)
    sim.run(max_firings=7)
    assert [(e.time, e.transition) for e in sim.events] == TIMES
    random.seed(0)
    assert list(itertools.islice(bp.simpn_firings(bp.timed_line_simpn(**ONE_PART)), 7)) == TIMES
    cpn, marking, context = bp.timed_line_cpnpy(**ONE_PART)
    got = list(itertools.islice(bp.cpnpy_firings(cpn, marking, context, random.Random(0)), 7))
    assert got == TIMES


@pytest.mark.parametrize("net, peer", [(n, p) for n in bp.NETS for p in bp.RUNNERS[n]])
def test_every_peer_fires_every_net_and_keeps_its_tokens(net, peer):
    assert bp.RUNNERS[net][peer](BENCHES[net], 40) >= 0


def test_a_dead_peer_net_is_an_error():
    # two parts of one product on a line whose only machine is gone: nothing can fire
    def dead():
        sp = bp.timed_line_simpn(**ONE_PART)
        sp.var("idle").marking.clear()
        return sp
    with pytest.raises(be.BenchError, match=r"timed_line \(SimPN\): fired 0 of 5 \(dead marking\)"):
        bp.run_simpn(dead, BENCHES["timed_line"], 5)


def test_a_peer_that_is_not_installed_is_reported(monkeypatch):
    monkeypatch.setattr(bp, "peer_version", lambda peer: None if peer == "cpnpy" else "9.9")
    monkeypatch.setattr(bp, "NETS", ("timed_line",))
    rows = bp.measure(0.01, 1, progress=False)
    assert [r["tool"] for r in rows] == ["ours, log=False", "ours, log=True", "SimPN", "cpnpy"]
    assert rows[3] == {"net": "timed_line", "title": BENCHES["timed_line"].title, "tool": "cpnpy",
                       "version": None, "missing": True}
    assert rows[2]["ours_over_peer"] == pytest.approx(rows[0]["median"] / rows[2]["median"])
    text = bp.table(rows)
    assert '|  | cpnpy | not installed (`pip install -e ".[bench]"`) | | | |' in text
    assert "|  | SimPN 9.9 | " in text


def test_peer_versions_are_read_from_the_installed_packages():
    from importlib import metadata
    assert bp.peer_version("SNAKES") == metadata.version("snakes")
    assert bp.peer_version("SimPN") == metadata.version("simpn")
    assert bp.peer_version("no-such-peer") is None
