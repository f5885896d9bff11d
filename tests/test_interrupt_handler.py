"""The Ctrl-C handler of ``petri.interrupt`` in this process: a block takes SIGINT as a flag;
outside every block SIGINT does what it did before the first block, though the handler stays
installed (a block per environment step changes the process's signal handling once)."""
import os
import signal

import pytest

import petri.interrupt as interrupt
from petri.interrupt import Interrupt


@pytest.fixture
def handler():
    """SIGINT's handler put back as it was after the test."""
    before = signal.getsignal(signal.SIGINT)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def ctrl_c():
    os.kill(os.getpid(), signal.SIGINT)     # handled before the next line runs


def counting_installs(monkeypatch):
    calls = []
    real = interrupt._set_handler

    def set_handler(signum, fn):
        calls.append(fn)
        return real(signum, fn)
    monkeypatch.setattr(interrupt, "_set_handler", set_handler)
    return calls


def test_a_block_sets_its_flag_and_a_second_ctrl_c_raises(handler):
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with Interrupt() as stop:
        ctrl_c()
        assert stop.flag
        with pytest.raises(KeyboardInterrupt):
            ctrl_c()


def test_outside_a_block_ctrl_c_raises_as_before_and_blocks_install_nothing_again(
        handler, monkeypatch):
    signal.signal(signal.SIGINT, signal.default_int_handler)
    calls = counting_installs(monkeypatch)
    for _ in range(3):
        with Interrupt() as stop:
            pass
    assert calls == [interrupt._handle]         # installed by the first block only
    assert not stop.flag
    with pytest.raises(KeyboardInterrupt):      # Python's own handler, handed the signal
        ctrl_c()
    with Interrupt() as stop:                   # a new block starts with its flag down
        assert not stop.flag
        ctrl_c()
    assert stop.flag


def test_ignored_ctrl_c_stays_ignored_outside_a_block(handler, monkeypatch):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with Interrupt() as stop:
        ctrl_c()
    assert stop.flag
    ctrl_c()                                    # nothing happens
    assert signal.getsignal(signal.SIGINT) is interrupt._handle


def test_the_default_action_is_put_back_after_each_block(handler, monkeypatch):
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    calls = counting_installs(monkeypatch)
    for _ in range(2):
        with Interrupt():
            assert signal.getsignal(signal.SIGINT) is interrupt._handle
        assert signal.getsignal(signal.SIGINT) == signal.SIG_DFL
    assert calls == [interrupt._handle, signal.SIG_DFL] * 2


def test_a_handler_set_after_a_block_gets_ctrl_c_outside_the_next_block(handler):
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with Interrupt():
        pass
    seen = []
    signal.signal(signal.SIGINT, lambda signum, frame: seen.append("mine"))
    with Interrupt() as stop:
        ctrl_c()
    assert stop.flag and seen == []
    ctrl_c()
    assert seen == ["mine"]


def test_a_handler_that_hands_ctrl_c_on_to_ours_does_not_loop(handler):
    """A handler set after a block that calls the one it replaced (ours), which then is
    installed again by a block: outside blocks ours would call it back; it raises instead."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with Interrupt():
        pass
    seen = []

    def chained(signum, frame):
        seen.append("chained")
        return previous(signum, frame)
    previous = signal.signal(signal.SIGINT, chained)
    with Interrupt():
        pass
    with pytest.raises(KeyboardInterrupt):
        ctrl_c()
    assert seen == ["chained"]


def test_environment_steps_install_the_handler_once(handler, monkeypatch):
    pytest.importorskip("gymnasium")
    from control.env import PetriNetEnv
    from petri import Net
    net = Net()
    net.add_place("queue", initial=30)
    net.add_place("done")
    net.add_transition("work", inputs=["queue"], outputs=["done"], delay=1, controllable=True)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    calls = counting_installs(monkeypatch)
    env = PetriNetEnv(net)
    env.reset(seed=0)
    for _ in range(20):
        env.step(0)
    assert env.sim.count("done") == 20 and calls == [interrupt._handle]
