"""``petri train``: checkpoints, interruption and resume; ``petri experiment --policy``."""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from control.flowfactory import plant as ff
from control.flowfactory.rl import FlowFactoryQController
from petri.cli import main
from terminal import default_sigint


@pytest.fixture
def small(tmp_path):
    """Orders 1-6 of the thesis's list and two initial-stock cases (3 and 8): fast episodes."""
    orders = tmp_path / "orders.csv"
    lines = (ff.DATA / "orders.csv").read_text().splitlines()
    orders.write_text("\n".join(lines[:7]) + "\n")
    cases = tmp_path / "cases.csv"
    lines = (ff.DATA / "initial_stock.csv").read_text().splitlines()
    cases.write_text("\n".join([lines[0], lines[3], lines[8]]) + "\n")
    return ["--orders", str(orders), "--cases", str(cases)]


def _train(small, out, *extra):
    return main(["train", *small, "--out", str(out), "--seed", "3", *extra])


def _tables(path):
    data = json.loads(path.read_text())
    return data["meta"]["episodes"], data["tables"]


def test_checkpoints_are_written_every_k_episodes(small, tmp_path, monkeypatch, capsys):
    import control.policy
    written = []
    real = control.policy.save_policy

    def spy(path, tables, **kw):
        written.append(kw["meta"]["episodes"])
        return real(path, tables, **kw)

    monkeypatch.setattr(control.policy, "save_policy", spy)
    out = tmp_path / "p.json"
    assert _train(small, out, "--episodes", "7", "--checkpoint-every", "3") == 0
    assert written == [3, 6, 7]
    assert _tables(out)[0] == 7


def test_an_interrupted_run_resumes_to_the_same_q_tables(small, tmp_path, monkeypatch, capsys):
    whole = tmp_path / "whole.json"
    assert _train(small, whole, "--episodes", "6", "--checkpoint-every", "4") == 0

    # Ctrl-C in the middle of the fourth episode (decisions are counted across episodes)
    calls = {"n": 0}
    real = FlowFactoryQController.choose
    per_episode = []

    def count(self, decision):
        calls["n"] += 1
        return real(self, decision)

    monkeypatch.setattr(FlowFactoryQController, "choose", count)
    probe = tmp_path / "probe.json"
    for k in range(1, 5):
        calls["n"] = 0
        assert _train(small, probe, "--episodes", str(k), "--force") == 0
        per_episode.append(calls["n"])
    stop_at = per_episode[2] + (per_episode[3] - per_episode[2]) // 2

    def interrupt(self, decision):
        calls["n"] += 1
        if calls["n"] == stop_at:
            raise KeyboardInterrupt
        return real(self, decision)

    calls["n"] = 0
    monkeypatch.setattr(FlowFactoryQController, "choose", interrupt)
    part = tmp_path / "part.json"
    assert _train(small, part, "--episodes", "6", "--checkpoint-every", "4") == 130
    assert "3 episodes kept" in capsys.readouterr().out
    episodes, _ = _tables(part)
    assert episodes == 3                      # the three finished episodes are kept
    monkeypatch.setattr(FlowFactoryQController, "choose", real)
    assert _train(small, part, "--episodes", "6", "--resume") == 0
    assert _tables(part) == _tables(whole)


def test_resume_needs_the_file_and_the_same_options(small, tmp_path, capsys):
    out = tmp_path / "p.json"
    assert _train(small, out, "--episodes", "2", "--resume") == 1
    assert "no policy to resume from" in capsys.readouterr().err
    assert _train(small, out, "--episodes", "1") == 0
    assert main(["train", *small, "--out", str(out), "--seed", "4", "--episodes", "2",
                 "--resume"]) == 1
    assert "resume with the same options" in capsys.readouterr().err


def test_experiment_plays_the_given_policy(small, tmp_path, capsys):
    policy = tmp_path / "p.json"
    assert _train(small, policy, "--episodes", "2") == 0
    capsys.readouterr()
    run = ["experiment", *small, "--scenario", "ideal", "--controller", "thesis-rl",
           "--workers", "1", "--json", "--out", str(tmp_path / "out")]
    assert main(run + ["--policy", str(policy)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["controller"], r["complete"]) for r in rows] == [("thesis-rl", True)]


def test_experiment_policy_errors_are_clear(small, tmp_path, capsys):
    from control.policy import save_policy
    from control.qlearning import QTable
    from petri import Net
    base = ["experiment", *small, "--scenario", "ideal", "--workers", "1",
            "--out", str(tmp_path / "out")]
    assert main(base + ["--controller", "thesis-rl", "--policy", str(tmp_path / "none.json")]) == 1
    err = capsys.readouterr().err
    assert "none.json: no such policy file" in err and "Traceback" not in err
    assert main(base + ["--controller", "ss", "--policy", str(tmp_path / "none.json")]) == 1
    assert "--policy is for the thesis-rl controller" in capsys.readouterr().err
    other = Net("other")
    other.add_place("p", initial=1)
    path = save_policy(tmp_path / "other.json", {"prioritization": QTable(2)}, net=other,
                       kind="flowfactory-qlearning")
    assert main(base + ["--controller", "thesis-rl", "--policy", str(path)]) == 1
    err = capsys.readouterr().err
    assert "trained on another net" in err and "Traceback" not in err


def test_a_policy_file_is_not_overwritten_without_force(small, tmp_path, capsys):
    out = tmp_path / "p.json"
    out.write_text("mine\n")
    assert _train(small, out, "--episodes", "1") == 1
    assert capsys.readouterr().err == (f"petri: error: {out}: already exists; use --force to "
                                       "overwrite it\n")
    assert out.read_text() == "mine\n"
    assert _train(small, out, "--episodes", "1", "--force") == 0
    assert _tables(out)[0] == 1


def test_sigint_keeps_exactly_the_finished_episodes(small, tmp_path):
    """Ctrl-C in the middle of training: the policy file holds the finished episodes only,
    with the tables an uninterrupted run of that many episodes gives."""
    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "p.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "petri", "train", *small, "--out", str(out), "--seed", "3",
         "--episodes", "1000", "--checkpoint-every", "1"],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=default_sigint)
    try:
        deadline = time.monotonic() + 120
        while not (out.exists() and _tables(out)[0] >= 2):   # two episodes written
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.1)                 # most likely in the middle of an episode now
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    episodes, tables = _tables(out)
    assert proc.returncode == 130
    assert stdout == f"interrupted: {episodes} episodes kept in {out}; continue with --resume\n"
    assert stderr == ""
    assert 2 <= episodes < 1000
    reference = tmp_path / "reference.json"
    assert _train(small, reference, "--episodes", str(episodes)) == 0
    assert _tables(reference) == (episodes, tables)
