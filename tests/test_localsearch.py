"""The fast tabu search: heads and tails, move estimates, hand-checked small cases, and that
it never returns a worse or an infeasible schedule, compiled (numba) and as plain Python."""
import random
import time
from pathlib import Path

import numpy as np
import pytest

from control.scheduling import check_schedule, schedule
from control.scheduling import localsearch
from control.scheduling.dispatch import dispatch
from control.scheduling.generate import random_jobshop
from control.scheduling.rules import Rule
from control.scheduling.schedule import Schedule, ScheduledOperation
from petri.formats.jobshop import read_instance
from petri.jobshop import Instance
from jobshop_oracle import brute_force_optimum

#: the compiled kernels come from the background compilation (conftest.py)
pytestmark = pytest.mark.usefixtures("compiled_kernels")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "scheduling"
KERNELS = [False] + ([True] if localsearch.numba_available() else [])

# two jobs: job 0 = op 0 (machine 0, 3) then op 1 (machine 1, 2);
#           job 1 = op 2 (machine 1, 4) then op 3 (machine 0, 1)
TWO = Instance.from_routes([[(0, 3), (1, 2)], [(1, 4), (0, 1)]])
JPRED = np.array([-1, 0, -1, 2])
JSUCC = np.array([1, -1, 3, -1])
DUR = np.array([3, 2, 4, 1])
REL = np.zeros(4, np.int64)


def _orders(seq):
    seq = np.array(seq, np.int64)
    n = 4
    mpred, msucc, pos = (np.empty(n, np.int64) for _ in range(3))
    localsearch.kernels(False).links(seq, np.array([2, 2]), mpred, msucc, pos)
    return seq, mpred, msucc, pos


@pytest.mark.parametrize("compiled", KERNELS)
def test_heads_tails_by_hand(compiled):
    k = localsearch.kernels(compiled)
    r, q, order, indeg = (np.empty(4, np.int64) for _ in range(4))
    # machine 0: op 0 then op 3; machine 1: op 2 then op 1
    _, mpred, msucc, _ = _orders([[0, 3], [2, 1]])
    assert k.heads_tails(JPRED, JSUCC, mpred, msucc, DUR, REL, r, q, order, indeg) == 6
    assert list(r) == [0, 4, 0, 4] and list(q) == [2, 0, 2, 0]
    # machine 1: op 1 then op 2: job 1 waits for job 0
    _, mpred, msucc, _ = _orders([[0, 3], [1, 2]])
    assert k.heads_tails(JPRED, JSUCC, mpred, msucc, DUR, REL, r, q, order, indeg) == 10
    assert list(r) == [0, 3, 5, 9]
    # machine 0: op 3 first, machine 1: op 1 first: 3 -> 0 -> 1 -> 2 -> 3 is a cycle
    _, mpred, msucc, _ = _orders([[3, 0], [1, 2]])
    assert k.heads_tails(JPRED, JSUCC, mpred, msucc, DUR, REL, r, q, order, indeg) == -1


@pytest.mark.parametrize("compiled", KERNELS)
def test_move_estimate_by_hand(compiled):
    k = localsearch.kernels(compiled)
    r, q, order, indeg, seg, hh, tt = (np.empty(4, np.int64) for _ in range(7))
    seq, mpred, msucc, pos = _orders([[0, 3], [2, 1]])
    k.heads_tails(JPRED, JSUCC, mpred, msucc, DUR, REL, r, q, order, indeg)
    # swapping machine 0's two operations: op 3 (1) at 4..5 can go first only after op 2
    # ends at 4, then op 0 (3) at 5..8 and op 1 (2) after it on machine 1: 8..10; the tail
    # after op 3 is op 0 and op 1 (5), after op 0 op 1 (2)
    assert k.estimate(seq, np.array([2, 2]), 0, 1, 0, JPRED, JSUCC, DUR, REL, r, q,
                      seg, hh, tt) == 10
    assert list(seg[:2]) == [3, 0] and list(hh[:2]) == [4, 5] and list(tt[:2]) == [5, 2]
    # machine 1 swapped: op 1 after op 0 (3..5), then op 2 (5..9) and op 3 (9..10)
    assert k.estimate(seq, np.array([2, 2]), 1, 0, 1, JPRED, JSUCC, DUR, REL, r, q,
                      seg, hh, tt) == 10


def test_moves_on_the_critical_blocks_by_hand():
    k = localsearch.kernels(False)
    # one machine, three jobs of one operation each: the whole order is one critical block
    dur = np.array([2, 3, 4])
    none = np.full(3, -1)
    seq = np.array([[0, 1, 2]])
    mpred, msucc, pos, r, q, order, indeg = (np.empty(3, np.int64) for _ in range(7))
    k.links(seq, np.array([3]), mpred, msucc, pos)
    ms = k.heads_tails(none, none, mpred, msucc, dur, np.zeros(3, np.int64), r, q, order, indeg)
    assert ms == 9
    moves = np.empty((16, 3), np.int64)
    n = k.critical_moves(none, np.zeros(3, np.int64), msucc, dur, r, q, ms, np.array([3]), pos,
                         np.empty(3, np.int64), moves)
    # to the front: 1 -> 0, 2 -> 0; to the end: 0 -> 2, 1 -> 2; first inside: none (only
    # position 1, the swap already listed); last inside: none
    assert sorted(map(tuple, moves[:n].tolist())) == [(0, 0, 2), (0, 1, 0), (0, 1, 2), (0, 2, 0)]


@pytest.mark.parametrize("compiled", KERNELS)
def test_reaches_the_optimum_of_the_hand_made_three_by_three(compiled):
    inst = read_instance(DATA / "three.txt")
    assert brute_force_optimum(inst) == 11
    worst = dispatch(inst, Rule("edd"))
    for seed in range(3):
        s = localsearch.tabu_search(inst, worst, time.perf_counter() + 60, seed=seed,
                                    max_iterations=2000, compiled=compiled)
        assert check_schedule(inst, s) == [] and s.makespan == 11


@pytest.mark.parametrize("compiled", KERNELS)
def test_never_worse_never_infeasible(compiled):
    rng = random.Random(7)
    for trial in range(12):
        n, m = rng.randint(2, 9), rng.randint(1, 6)
        inst = random_jobshop(n, m, rng, f"r{trial}")
        if trial % 3 == 0:                      # releases too
            for job in inst.jobs:
                job.release = rng.randint(0, 50)
        first = dispatch(inst, Rule(rng.choice(["fifo", "spt", "mwkr", "edd"])))
        s = localsearch.tabu_search(inst, first, time.perf_counter() + 60, seed=trial,
                                    max_iterations=300, compiled=compiled)
        assert check_schedule(inst, s) == [], inst.name
        assert s.makespan <= first.makespan
        assert s.makespan >= inst.lower_bound()
        if s.makespan == first.makespan:
            assert s is first                   # nothing better: the schedule given back


@pytest.mark.parametrize("compiled", KERNELS)
def test_an_optimal_start_stays_optimal(compiled):
    # ta01's best known makespan 1231 is optimal; start from a schedule of that makespan
    ta01 = read_instance(ROOT / "nets/scheduling/instances/taillard/ta01.txt")
    first = dispatch(ta01, Rule("mwkr"))
    s = localsearch.tabu_search(ta01, first, time.perf_counter() + 60, seed=1,
                                max_iterations=400 if compiled else 60, compiled=compiled)
    assert check_schedule(ta01, s) == [] and s.makespan < first.makespan
    again = localsearch.tabu_search(ta01, s, time.perf_counter() + 60, seed=2,
                                    max_iterations=50, compiled=compiled)
    assert again.makespan <= s.makespan and check_schedule(ta01, again) == []


def test_a_start_with_a_cycle_is_given_back():
    # machine orders that contradict the jobs cannot be searched: the input comes back
    ops = [ScheduledOperation(0, 0, 0, 1, 4), ScheduledOperation(0, 1, 1, 0, 2),
           ScheduledOperation(1, 0, 1, 2, 6), ScheduledOperation(1, 1, 0, 0, 1)]
    bad = Schedule(TWO, ops)
    assert localsearch.tabu_search(TWO, bad, time.perf_counter() + 5, max_iterations=10,
                                   compiled=False) is bad


def test_refuses_flexible_and_calendar_instances():
    fjs = read_instance(ROOT / "nets/scheduling/instances/brandimarte/mk01.fjs")
    assert not localsearch.applies(fjs) and not localsearch.applies(read_instance(DATA / "plant"))
    with pytest.raises(ValueError, match="one machine per operation and no calendars"):
        localsearch.tabu_search(fjs, dispatch(fjs, Rule("mwkr")), time.perf_counter() + 1)


@pytest.mark.skipif(not localsearch.numba_available(), reason="numba (the fast extra)")
def test_time_limit_uses_the_fast_search():
    ta01 = read_instance(ROOT / "nets/scheduling/instances/taillard/ta01.txt")
    from control.scheduling import cpsat
    localsearch.warm_up().wait()        # compile (or load from the cache) before timing
    cpsat.available()                   # and import OR-Tools (seconds on a busy machine)
    r = schedule(ta01, method="rule:mwkr", time_limit=10)
    assert check_schedule(ta01, r) == []
    assert r.stats["tabu_compiled"] is True and r.stats["tabu_iterations"] > 1000
    assert r.makespan <= r.stats["tabu"] < r.stats["rules"] <= r.stats["one_pass"]
    assert r.makespan <= 1.05 * 1231


@pytest.mark.skipif(not localsearch.numba_available(), reason="numba (the fast extra)")
def test_searches_in_threads_count_every_step():
    ta11 = read_instance(ROOT / "nets/scheduling/instances/taillard/ta11.txt")
    first = dispatch(ta11, Rule("mwkr"))
    stats = {}
    s = localsearch.tabu_search(ta11, first, time.perf_counter() + 600, seed=3,
                                max_iterations=500, workers=2, stats=stats)
    assert stats["tabu_workers"] == 2 and stats["tabu_iterations"] == 1000
    assert check_schedule(ta11, s) == [] and s.makespan < first.makespan
    # the best of the two searches: each alone is no better
    one = [localsearch.tabu_search(ta11, first, time.perf_counter() + 600, seed=3 + w,
                                   max_iterations=500, workers=1) for w in (0, 1)]
    assert s.makespan == min(o.makespan for o in one)


def test_time_limit_runs_the_python_search_while_the_kernels_compile(monkeypatch):
    import threading
    from control.scheduling import cpsat
    cpsat.available()
    monkeypatch.setattr(localsearch, "warm_up", lambda: threading.Event())   # never ready
    three = read_instance(DATA / "three.txt")
    r = schedule(three, method="rule:edd", time_limit=2)
    assert r.stats["tabu_compiled"] is False and r.stats["tabu_iterations"] >= 1
    assert check_schedule(three, r) == [] and r.makespan == 11
