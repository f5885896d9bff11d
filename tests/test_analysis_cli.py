"""The reach, export and invariants commands."""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import pytest

from bench.harness import cpu_seconds
from petri.cli import main
from petri.formats import pnml
from terminal import default_sigint

DATA = Path(__file__).parent / "data" / "mcc"
PRODUCER = """
[net]
name = "producer"
[places.on]
initial = 1
[places.made]
[places.sold]
[transitions.make]
inputs = ["on"]
outputs = ["on", "made"]
[transitions.sell]
inputs = ["made"]
outputs = ["sold"]
"""


def test_reach_json_report(capsys):
    assert main(["reach", str(DATA / "Philosophers-PT-000005.pnml"), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {k: d[k] for k in ("states", "edges", "deadlock", "bounded", "max_tokens_in_place",
                              "max_tokens_per_marking", "safe")} == {
        "states": 243, "edges": 945, "deadlock": True, "bounded": True,
        "max_tokens_in_place": 1, "max_tokens_per_marking": 10, "safe": True}
    # every philosopher takes the first fork: a shortest path to a deadlock, in some order
    assert sorted(d["deadlock_path"]) == ["FF1a_1", "FF1a_2", "FF1a_3", "FF1a_4", "FF1a_5"]


def test_reach_text_report_and_graph_file(tmp_path, capsys):
    out = tmp_path / "g.graphml"
    assert main(["reach", str(DATA / "Eratosthenes-PT-010.pnml"), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "States: 32   Edges: 120" in text
    assert "Deadlock: yes" in text
    assert f"reachability graph written to {out} (graphml)" in text
    G = nx.read_graphml(out, force_multigraph=True)
    assert (G.number_of_nodes(), G.number_of_edges()) == (32, 120)


def test_reach_graph_to_standard_output(capsys):
    assert main(["reach", str(DATA / "Eratosthenes-PT-010.pnml"), "--format", "dot"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith('digraph "Eratosthenes-PT-010 state space" {')
    assert "States: 32" in captured.err


def test_reach_max_states_is_partial(capsys):
    rc = main(["reach", str(DATA / "Philosophers-PT-000010.pnml"), "--max-states", "500"])
    assert rc == 3
    out = capsys.readouterr().out
    assert "PARTIAL RESULT: exploration stopped because the state limit was reached." in out
    assert "States: 500" in out


def test_reach_says_a_net_is_unbounded(tmp_path, capsys):
    f = tmp_path / "producer.toml"
    f.write_text(PRODUCER)
    assert main(["reach", str(f), "-o", str(tmp_path / "c.json"), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert (d["bounded"], d["complete"], d["unbounded_places"]) == (False, False,
                                                                    ["made", "sold"])
    cover = json.loads((tmp_path / "c.json").read_text())
    assert cover["states"][-1]["marking"] == {"on": 1, "made": "ω", "sold": "ω"}
    assert main(["reach", str(f)]) == 0
    assert "The net is UNBOUNDED" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["reach", "missing.pnml"], "petri: error: missing.pnml: no such file\n"),
    (["reach", "{bad}", "-o", "x.png"],
     "petri: error: x.png: cannot tell the graph format from the extension (use .graphml, "
     ".gexf, .dot, .gv or .json, or give --format)\n"),
])
def test_bad_input_is_one_line(args, message, capsys, tmp_path):
    bad = tmp_path / "bad.pnml"
    bad.write_text("<pnml><net")
    args = [str(bad) if a == "{bad}" else a for a in args]
    assert main(args) == 1
    assert capsys.readouterr().err == message


def test_malformed_pnml_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.pnml"
    bad.write_text("<pnml><net")
    assert main(["reach", str(bad)]) == 1
    assert capsys.readouterr().err == (f"petri: error: {bad}: malformed XML: unclosed token at "
                                       "line 1, column 6\n")


def test_export_to_pnml_dot_and_toml(tmp_path, capsys):
    src = DATA / "Philosophers-PT-000005.pnml"
    out = tmp_path / "p.pnml"
    assert main(["export", str(src), "--to", "pnml", "-o", str(out)]) == 0
    assert pnml.load(out) == pnml.load(src)
    assert main(["export", str(src), "--to", "dot"]) == 0
    dot = capsys.readouterr().out
    assert dot.startswith('digraph "Philosophers-PT-000005" {')
    assert '"p:Think_1" [label="●", xlabel="Think_1", shape=circle' in dot
    toml_out = tmp_path / "p.toml"
    assert main(["export", str(src), "--to", "toml", "-o", str(toml_out)]) == 0
    assert main(["reach", str(toml_out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["states"] == 243


def test_export_to_dot_pins_the_positions_when_every_node_has_one(capsys):
    assert main(["export", str(DATA / "FMS-PT-00002.pnml"), "--to", "dot"]) == 0
    dot = capsys.readouterr().out
    nodes = [line for line in dot.splitlines() if line.startswith('  "') and " -> " not in line]
    assert len(nodes) == 42 and all('!"' in line for line in nodes)
    assert '"p:P1" [' in dot and 'pos="458,-100!"' in dot          # y upwards in Graphviz
    assert 'pos="457,-139!"' in dot                                 # transition tP1


def test_export_to_dot_leaves_the_layout_to_graphviz_without_all_positions(tmp_path, capsys):
    src = tmp_path / "producer.toml"
    src.write_text(PRODUCER)
    assert main(["export", str(src), "--to", "dot"]) == 0
    assert "pos=" not in capsys.readouterr().out
    src.write_text(PRODUCER.replace("initial = 1", "initial = 1\nposition = [10, 20]"))
    assert main(["export", str(src), "--to", "dot"]) == 0
    assert "pos=" not in capsys.readouterr().out                   # one node is not enough


def test_invariants_command(capsys):
    assert main(["invariants", str(DATA / "Philosophers-PT-000005.pnml"), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert (len(d["p_semiflows"]), len(d["t_semiflows"])) == (10, 10)
    assert d["structurally_bounded"] and d["conservative"] and d["consistent"]
    assert {"weights": {"Think_1": 1, "Catch1_1": 1, "Catch2_1": 1, "Eat_1": 1},
            "tokens": 1} in d["p_semiflows"]
    assert main(["invariants", str(DATA / "Philosophers-PT-000005.pnml")]) == 0
    assert "Think_1 + Catch1_1 + Catch2_1 + Eat_1 = 1" in capsys.readouterr().out


def test_ctrl_c_reports_the_partial_result():
    proc = subprocess.Popen([sys.executable, "-m", "petri", "reach",
                             str(DATA / "Kanban-PT-00005.pnml"), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_sigint)
    # interrupt once the command has had 2 s of CPU (imports done, exploring), however busy
    # the machine is; Kanban-PT-00005 needs several seconds more to finish
    deadline = time.monotonic() + 120
    while cpu_seconds(proc.pid) < 2.0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    d = json.loads(out)
    assert (d["complete"], d["stopped"]) == (False, "interrupted")
    assert 0 < d["states"] < 2546432
    assert "Traceback" not in err


@pytest.mark.parametrize("explorer", ["auto", "compiled", "numpy"])
def test_reach_explorer_choice(explorer, monkeypatch, capsys):
    import petri.analysis as analysis
    used = []
    real = analysis.reachability_graph

    def recording(net, **kw):
        g = real(net, **kw)
        used.append((kw["compiled"], g.explorer))
        return g
    monkeypatch.setattr(analysis, "reachability_graph", recording)
    assert main(["reach", str(DATA / "Philosophers-PT-000005.pnml"), "--json",
                 "--explorer", explorer]) == 0
    d = json.loads(capsys.readouterr().out)
    assert (d["states"], d["edges"], d["deadlock"]) == (243, 945, True)
    compiled, built_by = used[0]
    assert compiled == {"auto": None, "compiled": True, "numpy": False}[explorer]
    if explorer != "auto":
        assert built_by == explorer


def test_reach_compiled_explorer_without_numba(monkeypatch, capsys):
    import petri.analysis.reachability as reach
    monkeypatch.setattr(reach, "_compiled_kernel", lambda: None)
    assert main(["reach", str(DATA / "Philosophers-PT-000005.pnml"),
                 "--explorer", "compiled"]) == 1
    assert capsys.readouterr().err == (
        "petri: error: --explorer compiled needs numba, which is not installed "
        "(pip install 'petri-flow[fast]'), or use --explorer numpy\n")


def test_reach_explorer_choice_is_for_place_transition_nets(capsys):
    mill = Path(__file__).parent.parent / "examples" / "mill.toml"
    assert main(["reach", str(mill), "--explorer", "numpy"]) == 1
    assert capsys.readouterr().err == (
        "petri: error: --explorer numpy: net 'mill' is coloured or has transitions of "
        "different priorities, which only the engine's explorer handles (leave --explorer "
        "at auto)\n")
