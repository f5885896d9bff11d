"""The progress line of long runs: drawn over itself on a terminal, silent in a pipe, whole lines
in a log when ``PETRI_PROGRESS=always``."""
import io

from petri.progress import Progress


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
