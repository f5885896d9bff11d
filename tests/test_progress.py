"""The progress line of long runs: drawn over itself on a terminal, silent in a pipe, whole lines
in a log when ``PETRI_PROGRESS=always``, nothing with ``never``."""
import io
import os
import subprocess
import sys
from pathlib import Path

from petri.progress import Progress

ROOT = Path(__file__).resolve().parent.parent


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_silent_when_not_a_terminal(monkeypatch):
    monkeypatch.delenv("PETRI_PROGRESS", raising=False)
    stream = io.StringIO()
    with Progress("experiment", total=4, stream=stream, interval=0) as bar:
        bar.update(1, "1/4 ideal/rl case 1")
    assert stream.getvalue() == ""


def test_drawn_over_itself_on_a_terminal(monkeypatch):
    monkeypatch.delenv("PETRI_PROGRESS", raising=False)
    stream = Terminal()
    with Progress("experiment", total=4, stream=stream, interval=0) as bar:
        bar.update(1, "1/4")
        bar.update(2, "2/4")
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert "[#######                       ]  25.0% 1/4" in text
    assert "[###############               ]  50.0% 2/4" in text


def test_whole_lines_in_a_log_when_asked(monkeypatch):
    monkeypatch.setenv("PETRI_PROGRESS", "always")
    stream = io.StringIO()
    with Progress("experiment", total=4, stream=stream, interval=0) as bar:
        bar.update(1, "1/4 ideal/rl case 1")
        bar.update(4, "4/4 ideal/rl case 4")
    lines = stream.getvalue().split("\n")
    assert "\r" not in stream.getvalue() and lines[-1] == "" and len(lines) == 3
    assert lines[0].startswith("experiment [#######                       ]  25.0% 1/4 ideal/rl case 1")
    assert lines[1].startswith("experiment [##############################] 100.0% 4/4 ideal/rl case 4")


def test_never_draws_even_on_a_terminal(monkeypatch):
    monkeypatch.setenv("PETRI_PROGRESS", "never")
    stream = Terminal()
    with Progress("experiment", total=4, stream=stream, interval=0) as bar:
        bar.update(1, "1/4")
    assert stream.getvalue() == ""


def test_a_setting_the_command_line_does_not_know_is_refused():
    env = {**os.environ, "PETRI_PROGRESS": "yes", "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "petri", "validate", "examples/mm1.toml"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120, env=env)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == ("petri: error: environment variable PETRI_PROGRESS='yes': not auto, "
                        "always or never\n")
    for value in ("auto", "ALWAYS", "never", ""):
        r = subprocess.run([sys.executable, "-m", "petri", "validate", "examples/mm1.toml"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120,
                           env={**env, "PETRI_PROGRESS": value})
        assert r.returncode == 0, (value, r.stderr)
