"""Ctrl-C (SIGINT) stops every long command, keeps what finished and exits 130.

Each test starts ``python -m petri ...`` in its own process group, waits until the command has
used some CPU time (so that it is past start-up and in the middle of its work), sends SIGINT
to the group, as a terminal's Ctrl-C does, and checks the exit, the output and the files.
``petri train`` is tested in test_train.py.
"""
import csv
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench.harness import cpu_seconds
from petri.formats.pnml import PNML_NS, PTNET_TYPE
from terminal import default_sigint

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="reads CPU times from /proc (Linux)")


def interrupt(args, after_cpu: float = 0.0, timeout: float = 120, group: bool = True,
              after_progress: str | None = None):
    """Run ``petri ARGS``, SIGINT it after ``after_cpu`` CPU seconds, or once a progress line
    on standard error matches ``after_progress`` (progress lines forced on with
    ``PETRI_PROGRESS=always``); (exit, out, err, seconds from the signal to the exit).
    ``group``: to the whole process group, as Ctrl-C in a terminal does, else to the command's
    own process only."""
    env = dict(os.environ)
    if after_progress is not None:
        env["PETRI_PROGRESS"] = "always"
    proc = subprocess.Popen([sys.executable, "-m", "petri", *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=default_sigint, env=env)
    err_lines: list[str] = []
    reader = threading.Thread(target=lambda: err_lines.extend(iter(proc.stderr.readline, "")),
                              daemon=True)
    reader.start()

    def ready():
        if after_progress is not None:
            return any(re.search(after_progress, line) for line in list(err_lines))
        return cpu_seconds(proc.pid) >= after_cpu

    try:
        deadline = time.monotonic() + timeout
        while not ready():
            assert proc.poll() is None, (proc.stdout.read(), "".join(err_lines))
            assert time.monotonic() < deadline, "the command did not get going"
            time.sleep(0.05)
        sent = time.monotonic()
        if group:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)
        out = proc.stdout.read()
        proc.wait(timeout=timeout)
        reader.join(timeout)
        err = "".join(line for line in err_lines
                      if after_progress is None or not line.startswith("experiment ("))
        return proc.returncode, out, err, time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_simulate_stops_and_reports_what_finished(tmp_path):
    net = tmp_path / "loop.toml"
    net.write_text('[places.a]\ninitial = 1\n[places.b]\n[transitions.go]\ninputs = ["a"]\n'
                   'outputs = ["b"]\n[transitions.back]\ninputs = ["b"]\noutputs = ["a"]\n')
    # a zero-time loop: without a high --instant-limit simulate would stop it by itself
    code, out, err, seconds = interrupt(["simulate", net, "--instant-limit", 10 ** 12],
                                        after_cpu=2.5)
    assert code == 130 and err == ""
    assert re.fullmatch(r"net loop: \d+ firings, [\d,]+ firings/s\n"
                        r"clock 0 \(last firing\), finish 0 \(the last token ready\)\n"
                        r"stopped: interrupted; the summary covers what finished\n"
                        r"final marking:\n  [ab]  1 token\n", out)
    assert seconds < 30


def test_simulate_writes_the_events_of_the_firings_that_finished(tmp_path):
    # a slow coloured net: every firing looks at the pairs of 150 tokens
    net = tmp_path / "pairs.toml"
    net.write_text('[places.n]\ncolour = "int"\ninitial = [' + ", ".join(map(str, range(150)))
                   + ']\n[transitions.swap]\nguard = "x < y"\n'
                   'inputs = [{ place = "n", inscription = "x" }, { place = "n", inscription = "y" }]\n'
                   'outputs = [{ place = "n", inscription = "y" }, { place = "n", inscription = "x" }]\n')
    events = tmp_path / "events.csv"
    code, out, err, _ = interrupt(["simulate", net, "--events", events, "--json",
                                   "--instant-limit", 10 ** 12], after_cpu=2.5)
    assert code == 130 and err == ""
    import json
    summary = json.loads(out)
    assert summary["stopped"] == "interrupted" and summary["firings"] > 0
    with open(events, newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == summary["firings"] + 1                 # the header and every firing
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv", "pairs.toml"]


def test_reach_stops_and_reports_a_partial_graph(tmp_path):
    net = tmp_path / "toggles.toml"
    net.write_text("".join(f'[places.p{i}]\ninitial = 1\n[places.q{i}]\n'
                           f'[transitions.on{i}]\ninputs = ["p{i}"]\noutputs = ["q{i}"]\n'
                           f'[transitions.off{i}]\ninputs = ["q{i}"]\noutputs = ["p{i}"]\n'
                           for i in range(24)))
    code, out, err, _ = interrupt(["reach", net], after_cpu=2.5)
    assert code == 130 and err == ""
    assert out.splitlines()[:2] == [
        "Net: toggles", "PARTIAL RESULT: exploration stopped because it was interrupted."]


def test_invariants_stops_at_once(tmp_path):
    n = 1500          # a ring of 1,500 places: the invariants take minutes
    body = "".join(f'<place id="p{i}"/><transition id="t{i}"/>'
                   f'<arc id="a{i}" source="p{i}" target="t{i}"/>'
                   f'<arc id="b{i}" source="t{i}" target="p{(i + 1) % n}"/>' for i in range(n))
    net = tmp_path / "ring.pnml"
    net.write_text(f'<pnml xmlns="{PNML_NS}"><net id="ring" type="{PTNET_TYPE}"><page id="g">'
                   f'{body}</page></net></pnml>')
    code, out, err, seconds = interrupt(["invariants", net], after_cpu=2.5)
    assert (code, out, err) == (130, "", "petri: interrupted\n")
    assert seconds < 30


@pytest.mark.parametrize("workers, group", [("1", True), ("2", True), ("2", False)])
def test_experiment_keeps_the_cases_that_finished(tmp_path, workers, group):
    # signalled alone, the experiment passes the signal on to its worker processes.  Forty
    # cases of about 0.5 s CPU each: the signal goes once the progress line counts a finished
    # case, so it lands in the run, not in the tables and plots written after it.
    out = tmp_path / "out"
    scenarios = ["ideal", "storage", "malfunction", "workforce"]
    code, stdout, err, _ = interrupt(
        ["experiment", *[a for s in scenarios for a in ("--scenario", s)], "--controller", "rl",
         "--workers", workers, "--out", out], group=group, after_progress=r" [1-9]\d*/40 ")
    assert code == 130
    assert err.endswith("interrupted: the table covers the cases that finished\n")
    with open(out / "cases.csv", newline="") as f:
        cases = [(r["scenario"], int(r["case"])) for r in csv.DictReader(f)]
    assert 1 <= len(cases) < 40 and len(set(cases)) == len(cases)
    for scenario in {s for s, _ in cases}:
        done = sum(1 for s, _ in cases if s == scenario)
        if done < 10:
            assert f"({done}/10 cases)" in stdout
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]   # no temporary file
