"""Tabular Q-learning and policy files on tiny nets built in code."""
import json

import numpy as np
import pytest

from control.policy import FORMAT_VERSION, PolicyError, load_policy, net_hash, save_policy
from control.qlearning import HyperParameters, QLearningController, QTable, train
from petri import Net
from petri.engine import Simulator

from small_nets import flow_shop


def makespan(net, controller, seed=0):
    from control.actions import end_time
    sim = Simulator(net, controller=controller, seed=seed, log=False)
    sim.run()
    return end_time(sim.state())


def trained(episodes=60, seed=0):
    """The thesis's settings: learning rate 1 (exact on a deterministic net), discount 1,
    epsilon 0.9; here decaying 5 % per episode."""
    net = flow_shop()
    ctl = QLearningController(net, params=HyperParameters(learning_rate=1.0, seed=seed,
                                                          epsilon_decay=0.05))
    train(net, ctl, episodes, seed=seed)
    ctl.learn = False
    return net, ctl


def test_q_learning_finds_the_optimal_policy_on_a_tiny_net():
    net, ctl = trained()
    first = ctl.features(Simulator(net, log=False).state())
    q = ctl.table.q[first]
    assert ctl.actions.labels == ["start<j=a>", "start<j=b>", "wait"]
    # the values are minus the makespans: a first 12, b first 21
    assert q[0] == pytest.approx(-12.0)
    assert q[1] == pytest.approx(-21.0)
    assert ctl.greedy_policy()[first] == "start<j=a>"
    assert makespan(net, ctl) == 12


def test_same_seed_same_q_table():
    _, a = trained(seed=3)
    _, b = trained(seed=3)
    assert a.table.to_data() == b.table.to_data()


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_saved_and_reloaded_policy_decides_identically(tmp_path, suffix):
    net, ctl = trained()
    path = save_policy(tmp_path / f"p{suffix}", {"q": ctl.table}, net=net, kind="qlearning",
                       meta={"episodes": 60})
    head, tables = load_policy(path, net=net, kind="qlearning")
    assert head["format_version"] == FORMAT_VERSION and head["meta"] == {"episodes": 60}
    assert head["net_hash"] == net_hash(net)
    again = QLearningController(net, table=tables["q"], learn=False)
    assert again.table.to_data() == ctl.table.to_data()
    for state, q in ctl.table.q.items():
        allowed = [0, 1, 2]
        assert again.table.greedy(state, allowed) == ctl.table.greedy(state, allowed)
        assert np.array_equal(again.table.q[state], q)
    # and the same run, decision for decision
    log1, log2 = [], []
    for c, log in ((ctl, log1), (again, log2)):
        sim = Simulator(net, controller=c, seed=0)
        sim.run()
        log.extend((e.time, e.transition, tuple(e.binding.items())) for e in sim.events)
    assert log1 == log2


def test_policy_of_another_net_is_refused(tmp_path):
    net, ctl = trained(episodes=5)
    path = save_policy(tmp_path / "p.json", {"q": ctl.table}, net=net, kind="qlearning")
    other = flow_shop()
    other.add_place("extra")
    with pytest.raises(PolicyError, match="trained on another net"):
        load_policy(path, net=other)
    # initial marking and table rows are not part of the structure: still accepted
    same = flow_shop()
    same.places["queue"].initial = []
    same.tables["P1"].rows["a"] = 5
    load_policy(path, net=same)


def test_policy_files_are_checked(tmp_path):
    net, ctl = trained(episodes=5)
    path = save_policy(tmp_path / "p.json", {"q": ctl.table}, net=net, kind="qlearning")
    data = json.loads(path.read_text())
    data["format_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(PolicyError, match="format version 99"):
        load_policy(path)
    with pytest.raises(PolicyError, match=".json or .npz"):
        save_policy(tmp_path / "p.pkl", {"q": ctl.table}, net=net, kind="qlearning")
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(PolicyError, match="not a policy file"):
        load_policy(bad)


def test_npz_policy_loads_without_pickle(tmp_path):
    net, ctl = trained(episodes=5)
    path = save_policy(tmp_path / "p.npz", {"q": ctl.table}, net=net, kind="qlearning")
    with np.load(path, allow_pickle=False) as z:
        assert sorted(z.files) == ["meta", "q.q", "q.rest", "q.visits"]


def test_epsilon_schedule_and_update_rule():
    p = HyperParameters(learning_rate=0.5, discount=0.9, epsilon_start=0.8, epsilon_decay=0.5,
                        epsilon_min=0.1)
    assert [p.epsilon(k) for k in range(4)] == [0.8, 0.4, 0.2, 0.1]
    t = QTable(2, p)
    t.update("s", 0, 1.0, "s2", [0, 1])            # 0 + 0.5 * (1 + 0.9 * 0 - 0)
    t.q["s2"] = np.array([2.0, 4.0])
    t.update("s", 0, 1.0, "s2", [0])               # 0.5 + 0.5 * (1 + 0.9 * 2 - 0.5)
    assert t.q["s"].tolist() == [1.65, 0.0]
    assert t.greedy("s", [0, 1]) == 0 and t.greedy("s2", [0, 1]) == 1
