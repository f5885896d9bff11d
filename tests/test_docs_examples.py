"""Every example the simulation docs show is a file under examples/, and the commands they show
print what the docs say (firings per second aside)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ["docs/net-format.md", "docs/cli.md", "docs/simulation.md"]
EXAMPLES = {p: p.read_text() for p in (ROOT / "examples").rglob("*")
            if p.is_file() and p.suffix in (".toml", ".py", ".csv")}


def blocks(doc: str, kinds=("toml", "python", "csv", "console")):
    text = (ROOT / doc).read_text()
    for m in re.finditer(r"^```(\w+)\n(.*?)^```$", text, re.S | re.M):
        if m.group(1) in kinds:
            yield m.group(1), m.group(2)


CODE = [(doc, kind, body) for doc in DOCS for kind, body in blocks(doc, ("toml", "python", "csv"))]


@pytest.mark.parametrize("doc, kind, body", CODE, ids=[f"{d}:{k}:{i}" for i, (d, k, _) in
                                                         enumerate(CODE)])
def test_code_in_the_docs_is_an_example_file(doc, kind, body):
    first = body.splitlines()[0]
    named = re.match(r"# (examples/[\w/.]+)", first)
    if named:   # the whole file
        assert (ROOT / named.group(1).rstrip(":")).read_text() == body
    else:       # an excerpt of one
        assert any(body in text for text in EXAMPLES.values()), body[:80]


def console(doc):
    """(command, shown output lines) of the petri simulate/validate commands a doc shows."""
    for _, body in blocks(doc, ("console",)):
        command, shown = None, []
        for line in body.splitlines() + ["$ end"]:
            if line.startswith("$ "):
                if command is not None:
                    yield command, shown
                command, shown = line[2:], []
            elif line.strip():
                shown.append(line)


def runnable(command: str) -> bool:
    words = command.split()
    return (words[:2] in (["petri", "simulate"], ["petri", "validate"])
            and all((ROOT / w).exists() for w in words if w.startswith("examples/"))
            and not {"--events", "--plot", "-o"} & set(words) and len(words) > 2
            and words[2].startswith("examples/"))


COMMANDS = [(doc, c, shown) for doc in DOCS for c, shown in console(doc) if runnable(c)]


def normal(line: str) -> str:
    return re.sub(r"[\d,]+ firings/s", "N firings/s", line)


@pytest.mark.parametrize("doc, command, shown", COMMANDS,
                         ids=[f"{d}:{c[:60]}" for d, c, _ in COMMANDS])
def test_commands_in_the_docs_print_what_they_show(doc, command, shown):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "petri"] + command.split()[1:], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode in (0, 3), r.stderr
    actual = [normal(x) for x in (r.stderr + r.stdout).splitlines()]
    shown = [normal(x) for x in shown]
    if "..." in shown:   # an elided output: the lines shown after "..." are in it
        shown = shown[shown.index("...") + 1:]
        assert all(line in actual for line in shown), (shown, actual)
    else:
        assert sorted(actual) == sorted(shown)


def test_the_docs_show_the_examples_and_commands_they_should():
    assert len(COMMANDS) >= 6
    named = {re.match(r"# (examples/[\w/.]+)", body).group(1).rstrip(":")
             for _, kind, body in CODE if body.startswith("# examples/")}
    assert {"examples/mill.toml", "examples/order_b.py", "examples/zero_time_loop.toml",
            "examples/replications.py", "examples/positions.toml"} <= named


def test_python_example_of_replications_prints_what_the_docs_say():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "replications.py")], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["lead time 163.9 min, 95% interval [141.9, 185.9]",
                                     "makespan 2906 min, 95% interval [2760, 3051]"]
    doc = (ROOT / "docs" / "simulation.md").read_text()
    assert "prints `lead time 163.9 min, 95% interval [141.9, 185.9]`" in doc


def test_mill_example_finishes_as_computed_by_hand():
    """Whatever the order desk orders, the mill works the five parts back to back: A takes
    30 + 30 s and B 20 + 30 s; packing adds one A and four B."""
    from petri.engine import Simulator
    from petri.formats.toml import load
    for seed in range(5):
        sim = Simulator(load(ROOT / "examples" / "mill.toml"), seed=seed)
        result = sim.run()
        done = sim.colours("done")
        assert sum(done.values()) == 10 and set(done) <= {"A", "B"}
        milled_a, milled_b = done["A"] - 1, done["B"] - 4
        assert milled_a + milled_b == 5
        assert result.finish == 60 * milled_a + 50 * milled_b
        assert (result.reason, sim.count("raw"), sim.count("budget")) == ("dead", 0, 0)
