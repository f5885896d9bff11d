"""The engine benchmark still builds its nets and runs them in both tools (a few firings)."""
import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_engine.py"


def _load():
    spec = importlib.util.spec_from_file_location("bench_engine", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module     # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


bench_engine = _load()
NAMES = [b.name for b in bench_engine.BENCHES]


def _bench(name):
    return next(b for b in bench_engine.BENCHES if b.name == name)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("log", [False, True])
def test_ours_fires_and_conserves_tokens(name, log):
    # run_ours raises unless every firing happened and every invariant holds
    wall = bench_engine.run_ours(_bench(name), 200, seed=3, log=log)
    assert wall > 0


@pytest.mark.parametrize("name", [b.name for b in bench_engine.BENCHES if b.snakes])
def test_snakes_fires_and_conserves_tokens(name):
    pytest.importorskip("snakes.nets")
    wall = bench_engine.run_snakes(_bench(name), 30, seed=3)
    assert wall > 0


def test_same_places_in_both_tools():
    pytest.importorskip("snakes.nets")
    for b in bench_engine.BENCHES:
        if b.snakes:
            ours = set(b.ours().places)
            theirs = {p.name for p in b.snakes().place()}
            assert ours == theirs, b.name
            assert set(b.ours().transitions) == {t.name for t in b.snakes().transition()}, b.name


def test_a_broken_invariant_is_caught():
    b = _bench("pt_line")
    broken = bench_engine.Bench(b.name, b.title, b.ours, b.snakes,
                                [(weights, total + 1) for weights, total in b.invariants])
    with pytest.raises(bench_engine.BenchError, match="not conserved"):
        bench_engine.run_ours(broken, 10)


def test_the_table_prints(capsys):
    bench_engine.main(["--only", "pt_line", "--seconds", "0.02", "--repeats", "1",
                       "--snakes-fraction", "1"])
    out = capsys.readouterr().out
    assert "ours/SNAKES" in out and "SNAKES" in out


@pytest.mark.parametrize("tokens, delay, bench", bench_engine.scaling_benches(),
                         ids=lambda x: str(x).replace(" ", "") if not hasattr(x, "name") else "")
def test_the_scaling_nets_fire_and_keep_their_tokens(tokens, delay, bench):
    assert bench_engine.run_ours(bench, 300, seed=3) > 0
    sim = bench_engine.Simulator(bench.ours(), seed=0)
    sim.run(max_firings=tokens + 1)
    # every part is served once, oldest first, before the first one comes back
    assert [ev.consumed[0][2] for ev in sim.events][:tokens] == [0] * tokens
    assert sim.count("queue") == tokens


def test_the_flowfactory_cases_ship_every_order():
    compiled = bench_engine.flowfactory_cases()
    fired, seconds = bench_engine.run_flowfactory(compiled[:2])
    assert (fired, seconds > 0) == (3243 + 1781, True)
