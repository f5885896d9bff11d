"""The Gymnasium environment: spaces, masks, event-driven steps, seeding, the env checker."""
import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")
from gymnasium.utils.env_checker import check_env  # noqa: E402

from control.actions import ActionSet, InvalidAction  # noqa: E402
from control.env import PetriNetEnv  # noqa: E402
from petri import Net  # noqa: E402
from petri.model import NetError  # noqa: E402

from small_nets import flow_shop  # noqa: E402


def test_actions_unfold_bindings_over_finite_colour_sets():
    actions = ActionSet(flow_shop())
    assert actions.labels == ["start<j=a>", "start<j=b>", "wait"]
    assert len(actions) == 3 and actions.wait == 2


def test_unbounded_variable_is_refused_with_advice_and_values_fix_it():
    net = Net("orders")
    net.add_place("backlog", "int", initial=[1, 2])
    net.add_place("out", "int")
    net.add_transition("release", inputs=[("backlog", "o")], outputs=[("out", "o")],
                       controllable=True)
    with pytest.raises(NetError, match="unbounded colour set 'int'.*values=\\{'o': range"):
        ActionSet(net)
    assert ActionSet(net, values={"o": [1, 2]}).labels == ["release<o=1>", "release<o=2>", "wait"]


def test_a_net_without_controllable_transitions_is_refused():
    net = Net()
    net.add_place("p", initial=1)
    net.add_transition("t", inputs=["p"])
    with pytest.raises(NetError, match="no controllable transition"):
        PetriNetEnv(net)


def test_env_checker_passes():
    check_env(PetriNetEnv(flow_shop()), skip_render_check=True)


def test_steps_are_event_driven_and_the_return_is_minus_the_makespan():
    env = PetriNetEnv(flow_shop())
    obs, info = env.reset(seed=0)
    assert env.action_masks().tolist() == [True, True, True]
    assert obs.tolist() == [2, 0, 0, 0, 1, 1, 0]
    obs, r1, term, trunc, info = env.step(0)          # start a at 0; next decision at 1
    assert (r1, term, info["clock"]) == (-1, False, 1)
    assert env.action_masks().tolist() == [False, True, True]
    obs, r2, term, trunc, info = env.step(1)          # start b at 1; last firing at 11,
    assert (r2, term, trunc, info["clock"]) == (-11, True, False, 11)   # b done at 12
    assert obs.tolist() == [0, 0, 0, 2, 1, 1, 11]
    assert env.action_masks().tolist() == [False, False, True]


def test_an_action_that_is_not_enabled_waits_or_raises():
    env = PetriNetEnv(flow_shop())
    env.reset(seed=0)
    env.step(0)
    _, _, _, _, info = env.step(0)                    # a is gone: waits instead
    assert info["invalid_action"] is True
    strict = PetriNetEnv(flow_shop(), invalid_action="raise")
    strict.reset(seed=0)
    strict.step(0)
    with pytest.raises(InvalidAction, match="start<j=a>"):
        strict.step(0)


def test_masks_equal_the_enabled_choices_at_every_step():
    """On the production line example with a random masked policy: at every step the mask is
    exactly the engine's enabled controllable bindings."""
    net = Net("line")
    net.add_colour_set("Part", values=["p1", "p2", "p3"], timed=True)
    net.add_place("raw", "Part", initial={"p1": 2, "p2": 2, "p3": 1})
    net.add_place("buffer", "Part", capacity=2)
    net.add_place("done", "Part")
    net.add_place("machine", initial=2)
    net.add_transition("load", inputs=[("raw", "p")], outputs=[("buffer", "p")], controllable=True)
    net.add_transition("work", inputs=[("buffer", "p"), "machine"], delay=3,
                       outputs=[("done", "p"), "machine"], controllable=True)
    env = PetriNetEnv(net)
    rng = np.random.default_rng(1)
    env.reset(seed=3)
    steps = 0
    done = False
    while not done:
        mask = env.action_masks()
        offered = {env.actions.index(b) for b in env._decision.bindings}
        assert set(np.flatnonzero(mask[:-1])) == offered
        assert mask[-1]
        action = int(rng.choice(np.flatnonzero(mask[:-1]))) if offered else env.actions.wait
        _, _, done, trunc, _ = env.step(action)
        steps += 1
        assert not trunc
    assert env.sim.count("done") == 5 and steps == 10


def test_same_seed_same_episode():
    def run(seed):
        env = PetriNetEnv(flow_shop())
        env.reset(seed=seed)
        out, done = [], False
        while not done:
            obs, r, done, _, _ = env.step(int(np.flatnonzero(env.action_masks())[0]))
            out.append((obs.tolist(), r))
        return out
    assert run(5) == run(5)


def test_wait_with_nothing_else_to_happen_ends_the_episode():
    env = PetriNetEnv(flow_shop())
    env.reset(seed=0)
    _, r, term, trunc, info = env.step(2)
    assert (term, trunc, r, info["clock"]) == (True, False, 0, 0)


def test_maskable_ppo_example_net_and_johnson_order():
    """The example's flow shop: Johnson's order gives 24; random play is never better."""
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "examples" / "maskable_ppo.py"
    spec = importlib.util.spec_from_file_location("maskable_ppo", path)
    ex = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ex)
    assert ex.johnson() == 24.0
    env = ex.NoIdleEnv(ex.flow_shop())
    env.reset(seed=0)
    assert not env.action_masks()[-1]          # waiting is masked while a job can start
    rng = np.random.default_rng(0)
    assert ex.play(env, lambda obs, m: int(rng.choice(np.flatnonzero(m))), episodes=5) >= 24.0
