"""The compiled one pass of the greedy policy gives the dispatcher's schedule, operation for
operation (same machine, start, end, pieces, in the same order), compiled and as plain Python;
the dispatcher is the one checked against the engine playing the instance's net."""
import datetime as _dt
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from control.scheduling import onepass
from control.scheduling.dispatch import Shop, dispatch
from control.scheduling.features import week_shares
from control.scheduling.generate import generate_plant, random_flexible, random_jobshop
from control.scheduling.netplay import Recorder, play_net
from control.scheduling.policy import Policy, PolicyController, greedy_choice, shipped_policy
from control.scheduling.schedule import check_schedule
from petri.formats.jobshop import read_instance
from petri.jobshop import Calendar, Instance, Job, Operation

#: the compiled kernels come from the background compilation (conftest.py)
pytestmark = pytest.mark.usefixtures("compiled_kernels")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "scheduling"
NETS = ROOT / "nets" / "scheduling" / "instances"

numba = pytest.importorskip("numba")
COMPILED = onepass.kernel(True)
PLAIN = onepass.kernel(False)


def rows(ops):
    return [(o.job, o.operation, o.machine, o.start, o.end, o.pieces) for o in ops]


def same_as_dispatcher(inst, policy, kernels=(COMPILED, PLAIN)):
    ref = dispatch(inst, PolicyController(policy))
    for k in kernels:
        got = onepass._run(inst, policy, k)
        assert got is not None, inst.name
        assert rows(got) == rows(ref.operations), inst.name
    return ref


def test_benchmark_instances_taillard_and_brandimarte():
    pol = shipped_policy()
    for path in (NETS / "taillard" / "ta01.txt", NETS / "taillard" / "ta41.txt",
                 NETS / "brandimarte" / "mk01.fjs", NETS / "brandimarte" / "mk10.fjs"):
        inst = read_instance(path)
        kernels = (COMPILED, PLAIN) if inst.n_operations <= 300 else (COMPILED,)
        same_as_dispatcher(inst, pol, kernels)


def test_plants_with_calendars_splits_releases_and_due_times():
    pol = shipped_policy()
    inst = read_instance(DATA / "plant")
    s = same_as_dispatcher(inst, pol)
    assert any(len(o.pieces) > 1 for o in s.operations)          # splits at breaks
    for seed in range(4):
        inst = generate_plant(jobs=40, machines=12, hours=900, seed=seed)
        s = same_as_dispatcher(inst, pol)
        assert check_schedule(inst, s) == []
    big = generate_plant(jobs=411, machines=149, hours=14951, seed=1)
    s = same_as_dispatcher(big, pol, (COMPILED,))
    assert len(s.operations) == big.n_operations == 2055
    assert any(len(o.pieces) > 1 for o in s.operations)
    # petri generate-plant --jobs 411 (seed 0), and a larger plant
    for jobs, machines, seed, n_ops in ((411, 149, 0, 2033), (800, 250, 4, 4039)):
        big = generate_plant(jobs=jobs, machines=machines, hours=14951, seed=seed)
        s = same_as_dispatcher(big, pol, (COMPILED,))
        assert len(s.operations) == n_ops


def test_the_pass_is_the_engines_schedule():
    """The engine, given the dispatcher's decisions, plays the compiled pass's schedule."""
    pol = shipped_policy()
    for inst in (read_instance(DATA / "plant"), generate_plant(jobs=6, machines=4, hours=60,
                                                                 seed=2)):
        rec = Recorder(PolicyController(pol))
        fast = dispatch(inst, rec)
        ref, _ = play_net(inst, rec.chosen, horizon=fast.makespan + 14 * 24 * 60)
        got = onepass._run(inst, pol, COMPILED)
        assert sorted((o.job, o.operation, o.machine, o.pieces) for o in got) == \
            sorted((o.job, o.operation, o.machine, o.pieces) for o in ref.operations)


def test_windows_are_laid_out_further_when_the_pass_needs_them():
    # released in week 20, far past the first eight weeks laid out: the pass asks for more
    pol = shipped_policy()
    inst = generate_plant(jobs=12, machines=5, hours=300, seed=4)
    for j in inst.jobs:
        j.release += 20 * 7 * 24 * 60
        j.due = None
    s = same_as_dispatcher(inst, pol)
    assert min(o.start for o in s.operations) >= 20 * 7 * 24 * 60


def test_an_operation_split_over_many_windows():
    # 40 h of work on a day shift of 4 h + 3.5 h (break 12:00-12:30), Monday to Friday:
    # the first job works 10 windows in week 1 (37.5 h) and 2.5 h on the next Monday
    day = Calendar("day", {d: [(8 * 60, 16 * 60)] for d in range(5)},
                   {d: [(12 * 60, 12 * 60 + 30)] for d in range(5)}, start=_dt.date(2026, 1, 5))
    jobs = [Job(str(j), [Operation(j, 0, (0,), (40 * 60,), True)]) for j in range(3)]
    inst = Instance("long", jobs, ["M"], ["M"], [0], [day])
    ref = dispatch(inst, PolicyController(shipped_policy()))
    for k in (COMPILED, PLAIN):
        for room in (None, 2):           # room for 2 pieces at first: the pass asks for more
            assert rows(onepass._run(inst, shipped_policy(), k, room)) == rows(ref.operations)
    first = min(ref.operations, key=lambda o: o.start)
    assert len(first.pieces) == 11
    assert first.pieces[:3] == ((480, 720), (750, 960), (1440 + 480, 1440 + 720))
    assert first.pieces[-1] == (7 * 1440 + 480, 7 * 1440 + 630)
    assert sorted(len(o.pieces) for o in ref.operations) == [11, 11, 12]


def test_what_the_kernel_does_not_take_goes_to_the_dispatcher():
    pol = shipped_policy()
    # a calendar working round the clock: its one window is longer than a week
    always = Calendar("always", {d: [(0, 24 * 60)] for d in range(7)})
    inst = Instance("always", [Job("0", [Operation(0, 0, (0,), (90,))])], ["M"], ["M"], [0],
                    [always])
    assert onepass._run(inst, pol, COMPILED) is None
    # an operation that lists a machine twice
    twice = Instance("twice", [Job("0", [Operation(0, 0, (0, 0), (5, 7))])], ["M"])
    assert onepass._run(twice, pol, COMPILED) is None
    assert onepass._run(twice, pol, PLAIN) is None
    for i in (inst, twice):
        assert rows(onepass.policy_pass(i, pol, compiled=True).operations) == \
            rows(dispatch(i, PolicyController(pol)).operations)


def starting_state(inst, k):
    """``features.starting_state`` run by ``k`` on the instance's arrays, as the pass runs it:
    (op_min, op_n_machines, op_mean, op_time_left, remaining_work, load, total_work,
    mean time of the operations) as lists and numbers."""
    ops = [op for job in inst.jobs for op in job.operations]
    n, M = len(ops), inst.n_machines
    entry_first = np.cumsum([0] + [len(op.machines) for op in ops])
    total_ops = np.array([len(j.operations) for j in inst.jobs])
    out = (np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n), np.empty(n),
           np.empty(inst.n_jobs), np.zeros(M))
    sums = k.starting_state(entry_first, np.array([m for op in ops for m in op.machines]),
                            np.array([d for op in ops for d in op.durations]),
                            np.cumsum(total_ops) - total_ops, total_ops,
                            1.0 / np.array(week_shares(inst)), *out)
    return [a.tolist() for a in out] + [sums[0], sums[1] / max(1, n)]


def test_the_pass_starts_from_the_shops_state():
    """The compiled pass works out the dispatcher's ``Shop``'s starting state itself (one
    function, ``features.starting_state``): the same numbers to the last bit; on a small
    instance, the values worked out by hand."""
    # machine 0 works half the week (12 h a day), machine 1 has no calendar; job 0: an
    # operation on M0 (4) or M1 (8), then one on M1 (10); job 1: one on M0 (5)
    half = Calendar("half", {d: [(0, 12 * 60)] for d in range(7)})
    jobs = [Job("0", [Operation(0, 0, (0, 1), (4, 8)), Operation(0, 1, (1,), (10,))]),
            Job("1", [Operation(1, 0, (0,), (5,))])]
    inst = Instance("small", jobs, ["M0", "M1"], ["M0", "M1"], [0, -1], [half])
    shop = Shop(inst)
    assert shop.machine_week == [0.5, 1.0]
    assert (shop.op_min, shop.op_n_machines, shop.op_mean) == ([4, 10, 5], [2, 1, 1],
                                                               [6.0, 10.0, 5.0])
    # 6 h of mean work at (1 / 0.5 + 1 / 1) / 2 = 1.5 hours of the clock per hour, then 10
    assert shop.op_time_left == [6 * 1.5 + 10, 10.0, 5 * 2.0]
    assert shop.remaining_work == [16.0, 5.0] and shop.total_work == 21.0
    assert shop.load == [6 / 2 + 5, 6 / 2 + 10] and shop.mean_duration == 7.0
    for inst in (inst, read_instance(DATA / "plant"), generate_plant(411, 149, 14951, seed=0),
                 read_instance(NETS / "brandimarte" / "mk10.fjs")):
        shop = Shop(inst)
        want = [shop.op_min, shop.op_n_machines, shop.op_mean, shop.op_time_left,
                shop.remaining_work, shop.load, shop.total_work, shop.mean_duration]
        for k in (COMPILED, PLAIN):
            assert starting_state(inst, k) == want, inst.name


def test_policy_pass_uses_the_kernel_once_warmed_up():
    inst = random_jobshop(10, 5, random.Random(7))
    pol = shipped_policy()
    assert onepass.warm_up().wait(600)
    a = onepass.policy_pass(inst, pol)
    b = onepass.policy_pass(inst, pol, compiled=False)
    assert rows(a.operations) == rows(b.operations)
    assert a.method == "policy" and a.lower_bound == inst.lower_bound()


def network_scores(k, pol, x, entry, refs, tie=1e-12):
    """The kernel's ``scores`` of the rows of ``x`` (bindings ``entry``) with the
    references ``refs`` (kept from call to call)."""
    a = pol.arrays
    n, F = x.shape
    H = a["w1"].shape[1]
    out = np.empty(n)
    k.scores(np.ascontiguousarray(x).reshape(-1), n, np.asarray(entry, np.int64), out,
             a["mean"], 1 / a["scale"], a["w1"], a["b1"], a["w2"], a["b2"], a["w3"].reshape(-1),
             float(a["b3"][0]), tie, k.score_bound_gain(a["w2"], a["w3"].reshape(-1)), *refs,
             np.empty(n * H), np.empty(n), np.empty(F), np.empty(H), np.empty(H),
             np.empty(H, np.int64))
    return out


def no_references(pol, n_bindings):
    H = pol.arrays["w1"].shape[1]
    return (np.empty(n_bindings * H), np.empty(n_bindings * H), np.empty(n_bindings),
            np.zeros(n_bindings, np.bool_))


def test_network_scores_equal_numpy():
    pol = Policy.random(hidden=16, seed=5)
    x = np.random.default_rng(1).normal(size=(50, len(pol.arrays["mean"])))
    out = network_scores(PLAIN, pol, x, range(50), no_references(pol, 50))
    assert np.allclose(out, pol.scores(x), rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [PLAIN, "compiled"])
def test_rows_left_unscored_cannot_be_the_choice(k):
    """Scored again after their features moved, the rows left at -inf (bound too far below
    the best) are more than the tie below the best; the others have numpy's scores, and the
    choice is numpy's."""
    k = COMPILED if k == "compiled" else k
    pol = shipped_policy()
    rng = np.random.default_rng(3)
    x = np.abs(rng.normal(size=(40, len(pol.arrays["mean"]))))
    refs = no_references(pol, 60)
    entry = rng.permutation(60)[:40]
    network_scores(k, pol, x, entry, refs)
    assert refs[3][entry].all() and refs[3].sum() == 40
    left = scored = 0
    for step in range(20):
        x = x + rng.normal(scale=0.01, size=x.shape)      # a little, as between decisions
        x[step] = x[step + 1]                             # equal rows: the first is taken
        got = network_scores(k, pol, x, entry, refs)
        want = pol.scores(x)
        unscored = np.isneginf(got)
        assert np.allclose(got[~unscored], want[~unscored], rtol=0, atol=1e-12)
        assert (want[unscored] < want.max() - 1e-12).all()
        assert greedy_choice(got) == greedy_choice(want)
        left += unscored.sum()
        scored += (~unscored).sum()
    assert left > 600 and scored >= 20            # most rows are left; the best is scored


@pytest.mark.parametrize("k", [PLAIN, "compiled"])
def test_tanh_written_out_is_within_1e15_of_numpys(k):
    if k == "compiled":
        pytest.importorskip("numba")
        k = onepass.kernel(True)
    x = np.concatenate([np.linspace(-30, 30, 6001), [0.0, 1e-300, -1e-300, 5e-324, 19.9, 20.0,
                                                     20.1, -20.0, 25.0, 1e6, -1e6, 18.7]])
    h, bias = x.copy(), np.zeros_like(x)
    k.tanh_of_sum(h, bias, len(x), np.empty(len(x), np.int64))
    assert np.abs(h - np.tanh(x)).max() <= 1e-15
    assert (h[-6:] == [1.0, -1.0, 1.0, 1.0, -1.0, np.tanh(18.7)]).all()
    assert h[6001] == 0.0 and abs(h[6002]) <= 1e-300


@st.composite
def instances(draw):
    """Small flexible job shops with releases, due times, priorities, zero times and, on
    some machines, a calendar with breaks (operations longer than a window are splittable)."""
    n_machines = draw(st.integers(1, 4))
    with_calendar = draw(st.booleans())
    cal = Calendar("c", {d: [(6 * 60, 14 * 60)] for d in range(5)},
                   {d: [(10 * 60, 10 * 60 + 30)] for d in range(5)}, start=_dt.date(2026, 1, 5))
    on_calendar = [with_calendar and draw(st.booleans()) for _ in range(n_machines)]
    jobs = []
    for j in range(draw(st.integers(1, 6))):
        ops = []
        for k in range(draw(st.integers(1, 4))):
            machines = draw(st.lists(st.integers(0, n_machines - 1), min_size=1,
                                     max_size=n_machines, unique=True))
            durations = tuple(draw(st.integers(0, 600)) for _ in machines)
            split = any(d > 240 and on_calendar[m] for m, d in zip(machines, durations))
            ops.append(Operation(j, k, tuple(machines), durations, split))
        release = draw(st.sampled_from([0, 0, 30, 600, 3000]))
        due = draw(st.one_of(st.none(), st.integers(release, release + 5000)))
        jobs.append(Job(str(j), ops, release, due, float(draw(st.integers(1, 3)))))
    return Instance("h", jobs, [f"M{m}" for m in range(n_machines)],
                    [f"M{m}" for m in range(n_machines)],
                    [0 if c else -1 for c in on_calendar], [cal])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=instances(), seed=st.integers(0, 3))
def test_generated_instances(inst, seed):
    pol = shipped_policy() if seed == 0 else Policy.random(hidden=8, seed=seed)
    ref = dispatch(inst, PolicyController(pol))
    got = onepass._run(inst, pol, COMPILED)
    assert got is not None and rows(got) == rows(ref.operations)
    assert check_schedule(inst, ref) == []


def test_equal_scores_go_to_the_first_binding():
    assert greedy_choice(np.array([0.5, 0.7, 0.7 - 1e-14])) == 1
    assert greedy_choice(np.array([0.7 - 1e-14, 0.7, 0.1])) == 0
    assert greedy_choice(np.array([0.7 - 1e-9, 0.7])) == 1
    # jobs 0 and 2 offer the same binding (machine M0, no time): equal feature rows, whose
    # scores BLAS sums in different orders (with this network the last row's comes out a
    # few units of 1e-18 higher): both passes take job 0, the first
    jobs = [Job("0", [Operation(0, 0, (0,), (0,))]),
            Job("1", [Operation(1, 0, (0, 1, 2), (0, 299, 314))]),
            Job("2", [Operation(2, 0, (0,), (0,))])]
    inst = Instance("ties", jobs, ["M0", "M1", "M2"])
    pol = Policy.random(hidden=8, seed=0)
    rec = Recorder(PolicyController(pol))
    ref = dispatch(inst, rec)
    assert rec.offered[0] == [(0, 0), (1, 0), (1, 1), (1, 2), (2, 0)]
    assert rec.chosen == [(0, 0), (1, 2), (2, 0)]     # argmax would take (2, 0) first
    for k in (COMPILED, PLAIN):
        assert rows(onepass._run(inst, pol, k)) == rows(ref.operations)
