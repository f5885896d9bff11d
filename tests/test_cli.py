"""The petri command: summaries, JSON, event logs, and clear errors without tracebacks."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from petri import __version__
from petri.cli import main

EXAMPLE = str(Path(__file__).resolve().parent.parent / "examples" / "production_line.toml")


def test_simulate_prints_a_summary(capsys):
    assert main(["simulate", EXAMPLE, "--seed", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("net production line: 48 firings, ")
    assert out[0].endswith(" firings/s")
    assert out[2] == "stopped: no binding is enabled and no token will become ready (dead marking)"


def test_simulate_json_and_limits(capsys):
    assert main(["simulate", EXAMPLE, "--max-firings", "5", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["firings"] == 5 and summary["stopped"] == "max_firings"
    assert set(summary) >= {"net", "clock", "firings", "wall_seconds", "firings_per_second"}
    assert main(["simulate", EXAMPLE, "--until", "100", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["stopped"] == "until" and summary["clock"] <= 100


def test_simulate_writes_the_event_log(tmp_path, capsys):
    out = tmp_path / "events.csv"
    assert main(["simulate", EXAMPLE, "--events", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0] == "step,time,transition,binding,consumed,produced"
    assert len(lines) == 49


def test_simulate_rejects_unknown_event_format(capsys):
    assert main(["simulate", EXAMPLE, "--events", "x.txt"]) == 1
    assert capsys.readouterr().err == ("petri: error: x.txt: the event log is written as .csv, "
                                       ".parquet, .xes or .json (OCEL 2.0)\n")


def test_missing_file_is_one_line(capsys):
    assert main(["simulate", "no/such/net.toml"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no/such/net.toml" in err and "Traceback" not in err


def test_bad_net_exits_non_zero_without_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[places.p]\ncolour = "Nope"\n')
    r = subprocess.run([sys.executable, "-m", "petri", "simulate", str(bad)],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "bad.toml" in r.stderr and "Nope" in r.stderr


def test_version_and_help():
    r = subprocess.run([sys.executable, "-m", "petri", "--version"], capture_output=True, text=True)
    assert r.stdout.strip() == f"petri {__version__}"
    r = subprocess.run([sys.executable, "-m", "petri", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "simulate" in r.stdout and "validate" in r.stdout
    r = subprocess.run([sys.executable, "-m", "petri", "simulate", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--max-firings" in r.stdout


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "usage: petri" in capsys.readouterr().out


def test_simulate_first_come_first_served(capsys):
    assert main(["simulate", EXAMPLE, "--choice", "oldest", "--json"]) == 0
    oldest = json.loads(capsys.readouterr().out)
    assert oldest["firings"] == 48 and oldest["stopped"] == "dead"
    with pytest.raises(SystemExit) as e:
        main(["simulate", EXAMPLE, "--choice", "lifo"])
    assert e.value.code == 2
    assert "invalid choice: 'lifo'" in capsys.readouterr().err
