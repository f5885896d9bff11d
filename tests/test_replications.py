"""Replications against queueing theory: M/M/1 and M/M/c nets reproduce the analytic mean
waiting times within their 95 % confidence intervals; results do not depend on the workers."""
import json
import math
from pathlib import Path

import pytest

from petri import Token
from petri.cli import main
from petri.formats.toml import load
from petri.replications import (Sojourn, confidence_interval, replicate, run_measures,
                                t_quantile)

ROOT = Path(__file__).resolve().parent.parent
MM1 = ROOT / "examples" / "mm1.toml"
WAIT, STAY = Sojourn("arrive", "start"), Sojourn("arrive", "depart", ("c",))


@pytest.mark.parametrize("p, df, value", [
    (0.975, 1, 12.706205), (0.975, 4, 2.776445), (0.975, 9, 2.262157), (0.975, 19, 2.093024),
    (0.995, 30, 2.749996), (0.975, 1000, 1.962339), (0.025, 9, -2.262157)])
def test_t_quantiles(p, df, value):
    assert t_quantile(p, df) == pytest.approx(value, abs=1e-6)


def test_confidence_interval_by_hand():
    e = confidence_interval([2.0, 4.0, 6.0, 8.0])
    # sd = sqrt(20/3), t(0.975, 3) = 3.182446
    assert e.mean == 5.0 and e.half_width == pytest.approx(3.182446 * math.sqrt(20 / 3) / 2,
                                                           rel=1e-6)
    assert confidence_interval([3.0]).half_width is None


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean waiting time in line of an M/M/c queue (Erlang's C formula)."""
    a, rho = lam / mu, lam / (c * mu)
    tail = a ** c / math.factorial(c) / (1 - rho)
    p_wait = tail / (sum(a ** k / math.factorial(k) for k in range(c)) + tail)
    return p_wait / (c * mu - lam)


def test_mm1_mean_waits_match_queueing_theory():
    lam, mu = 1.0, 2.0          # the example's means: 1 between arrivals, 0.5 of service
    r = replicate(load(MM1), 20, seed=1, until=2000, warm_up=50, sojourns=[WAIT, STAY])
    wq, w = r.estimate("sojourn", WAIT.name), r.estimate("sojourn", STAY.name)
    assert erlang_c_wait(lam, mu, 1) == pytest.approx(0.5)
    assert wq.contains(0.5) and wq.half_width < 0.05, wq
    assert w.contains(1.0) and w.half_width < 0.05, w
    # Little's law and the utilisation, from the other measures
    assert r.estimate("tokens", "queue").contains(lam * 0.5)
    assert r.estimate("tokens", "in_service").contains(lam / mu)
    assert r.estimate("throughput", "arrive").contains(lam)


def test_mmc_mean_wait_matches_erlang_c():
    net = load(MM1)
    lam, mu, c = 2.0, 1.0, 3
    net.constants["ARRIVAL_MEAN"], net.constants["SERVICE_MEAN"] = 1 / lam, 1 / mu
    net.places["server"].initial = [Token((), c, 0)]
    r = replicate(net, 20, seed=1, until=2000, warm_up=50, sojourns=[WAIT])
    wq = r.estimate("sojourn", WAIT.name)
    assert erlang_c_wait(lam, mu, c) == pytest.approx(4 / 9)
    assert wq.contains(4 / 9) and wq.half_width < 0.08, wq
    assert r.estimate("tokens", "in_service").contains(lam / mu)


def test_results_do_not_depend_on_the_workers():
    net = load(MM1)
    one = replicate(net, 4, seed=5, until=200, sojourns=[WAIT], workers=1)
    two = replicate(net, 4, seed=5, until=200, sojourns=[WAIT], workers=2)
    assert one.to_dict() == two.to_dict()
    # replication k is the single run with seed 5 + k
    assert one.estimate("throughput", "arrive").mean == pytest.approx(
        sum(run_measures(net, 5 + k, until=200)[("throughput", "arrive")] for k in range(4)) / 4)
    assert ("finish", "") not in one.estimates      # the runs stop at the horizon


def test_measures_of_one_run_by_hand():
    """Three parts on one machine taking 2 each: finish 6, throughput 0.5, the machine's
    output place holds one part (not yet ready) from 0 to 6."""
    from petri import Net
    net = Net("three")
    net.add_colour_set("Part", "int", timed=True)
    net.add_colour_set("M", "dot", timed=True)
    net.add_place("raw", "Part", initial=[1, 2, 3])
    net.add_place("idle", "M", initial=1)
    net.add_place("busy", "Part")
    net.add_place("done", "Part")
    net.add_transition("start", delay=2, inputs=[("raw", "p"), "idle"],
                       outputs=[("busy", "p"), "idle"])
    net.add_transition("end", inputs=[("busy", "p")], outputs=[("done", "p")])
    m = run_measures(net, 0, sojourns=[Sojourn("start", "end")])
    assert m[("finish", "")] == 6
    assert m[("throughput", "start")] == pytest.approx(3 / 6)
    assert m[("tokens", "busy")] == pytest.approx(1.0)
    assert m[("tokens", "raw")] == pytest.approx((2 * 2 + 1 * 2) / 6)
    assert m[("tokens", "done")] == pytest.approx((1 * 2 + 2 * 2) / 6)
    assert m[("sojourn", "start->end")] == 2


def test_sojourn_needs_a_shared_variable():
    from petri.errors import NetError
    with pytest.raises(NetError) as e:
        run_measures(load(MM1), 0, until=10, sojourns=[Sojourn("arrive", "nope")])
    assert str(e.value) == "sojourn arrive->nope: unknown transition 'nope'"


def test_replications_on_the_command_line(capsys):
    args = ["simulate", str(MM1), "--replications", "3", "--until", "300", "--warm-up", "10",
            "--sojourn", "arrive,start", "--workers", "1"]
    assert main(args + ["--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["replications"], doc["seeds"], doc["warm_up"], doc["until"]) == (3, [0, 1, 2],
                                                                               10, 300)
    wait = next(m for m in doc["measures"] if m["measure"] == "sojourn")
    assert wait["of"] == "arrive->start" and wait["n"] == 3
    assert wait["low"] < wait["mean"] < wait["high"]
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "net M/M/1: 3 replications (seeds 0..2), warm-up 10, horizon 300"
    assert out[1].split() == ["measure", "mean", "95%", "confidence", "interval"]
    line = next(x for x in out if x.startswith("sojourn arrive->start"))
    assert line.split()[2] == f"{wait['mean']:.6g}"


def test_replication_options_are_checked(capsys):
    assert main(["simulate", str(MM1), "--warm-up", "5"]) == 1
    assert capsys.readouterr().err == "petri: error: --warm-up goes with --replications N\n"
    assert main(["simulate", str(MM1), "--replications", "2", "--until", "5", "--warm-up",
                 "10"]) == 1
    assert capsys.readouterr().err == ("petri: error: --until (5) must be later than --warm-up "
                                       "(10)\n")
    assert main(["simulate", str(MM1), "--replications", "2", "--until", "5", "--sojourn",
                 "arrive"]) == 1
    assert capsys.readouterr().err == ("petri: error: --sojourn: sojourn 'arrive': expected "
                                       "FROM,TO or FROM,TO,VARIABLE\n")
