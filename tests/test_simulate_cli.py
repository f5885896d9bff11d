"""petri simulate: the summary (finish time, final marking, why it stopped), controllers on
the command line, zero-time loops, and event logs as JSON columns."""
import json
import textwrap
from pathlib import Path

import pandas as pd

from petri.cli import main

ROOT = Path(__file__).resolve().parent.parent
LINE = str(ROOT / "examples" / "production_line.toml")


def test_summary_shows_finish_time_and_final_marking(capsys):
    assert main(["simulate", LINE, "--seed", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("net production line: 48 firings, ") and out[0].endswith(" firings/s")
    assert out[1:] == [
        "clock 1255 (last firing), finish 1310 (the last token ready)",
        "stopped: no binding is enabled and no token will become ready (dead marking)",
        "final marking:",
        "  m1_idle   M1",
        "  m2_idle   M2",
        "  finished  A x10, B x8, C x6"]


def test_summary_as_json(capsys):
    assert main(["simulate", LINE, "--seed", "1", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert (s["clock"], s["finish"], s["firings"], s["stopped"]) == (1255, 1310, 48, "dead")
    assert s["marking"] == {"m1_idle": [["M1", 1]], "m2_idle": [["M2", 1]],
                            "finished": [["A", 10], ["B", 8], ["C", 6]]}


LOOP = """
[places.a]
initial = 1

[places.b]

[transitions.go]
delay = 5
inputs = ["a"]
outputs = ["b"]

[transitions.back]
inputs = ["b"]
outputs = ["a"]
"""


def test_zero_time_loop_is_reported(tmp_path, capsys):
    net = tmp_path / "loop.toml"
    net.write_text(LOOP)
    assert main(["simulate", str(net), "--instant-limit", "500"]) == 3
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "net loop: 500 firings" or out[0].startswith("net loop: 500 firings, ")
    assert out[2] == ("stopped: 500 firings at time 0 without the clock moving: likely a "
                      "zero-time loop (enabled: go); tokens of untimed places are always ready "
                      "and delays do not stamp them; --instant-limit N changes the limit")
    # the default limit applies without --max-firings
    assert main(["simulate", str(net), "--json"]) == 3
    s = json.loads(capsys.readouterr().out)
    assert (s["stopped"], s["firings"], s["enabled"]) == ("zero_time", 100_000, ["go"])
    # with --max-firings the run is bounded anyway: no instant limit unless asked for
    assert main(["simulate", str(net), "--max-firings", "200000", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stopped"] == "max_firings"


def test_validate_warns_about_untimed_delays(tmp_path, capsys):
    net = tmp_path / "loop.toml"
    net.write_text(LOOP)
    assert main(["validate", str(net)]) == 0
    cap = capsys.readouterr()
    assert cap.out == f"{net}: ok (2 places, 2 transitions)\n"
    assert cap.err == (f"{net}: transition 'go': warning: delay 5 has no effect: no output place "
                       f"is timed (only tokens of timed colour sets carry a time)\n")


ORDERS = """
[colours]
Product = ["A", "B"]

[variables]
q = "Product"

[places.slots]
initial = 3

[places.ordered]
colour = "Product"

[transitions.order]
controllable = true
inputs = ["slots"]
outputs = [{ place = "ordered", inscription = "q" }]
"""

CONTROLLER = """
from control.base import WAIT


class AlwaysB:
    '''Orders product B while it may.'''
    def choose(self, decision):
        for b in decision.bindings:
            if b.values["q"] == "B":
                return b
        return WAIT


controller = AlwaysB
"""


def test_controller_from_a_file(tmp_path, capsys):
    net = tmp_path / "orders.toml"
    net.write_text(ORDERS)
    py = tmp_path / "always_b.py"
    py.write_text(CONTROLLER)
    assert main(["simulate", str(net), "--controller", str(py), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["marking"]["ordered"] == [["B", 3]]


def test_controller_by_registered_name(tmp_path, capsys):
    from control import registry
    from control.base import FirstController
    if "first-offered" not in registry.names():
        registry.register("first-offered", FirstController)
    net = tmp_path / "orders.toml"
    net.write_text(ORDERS)
    assert main(["simulate", str(net), "--controller", "first-offered", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["marking"]["ordered"] == [["A", 3]]


def test_bad_controllers_are_one_line(tmp_path, capsys):
    net = tmp_path / "orders.toml"
    net.write_text(ORDERS)
    assert main(["simulate", str(net), "--controller", "nobody"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("petri: error: --controller nobody: unknown controller 'nobody' (known: ")
    assert err.endswith("; or name a Python file (.py)\n")
    assert err.count("\n") == 1
    py = tmp_path / "empty.py"
    py.write_text("x = 1\n")
    assert main(["simulate", str(net), "--controller", str(py)]) == 1
    assert capsys.readouterr().err == (f"petri: error: {py}: defines neither 'controller' (an "
                                       f"object with choose(decision)) nor 'make_controller(net)'\n")
    py.write_text("raise RuntimeError('boom')\n")
    assert main(["simulate", str(net), "--controller", str(py)]) == 1
    assert capsys.readouterr().err == (f"petri: error: {py}: loading the controller failed: "
                                       f"RuntimeError: boom\n")


def test_event_log_csv_has_json_columns(tmp_path, capsys):
    out = tmp_path / "events.csv"
    assert main(["simulate", LINE, "--seed", "1", "--events", str(out)]) == 0
    df = pd.read_csv(out)
    assert len(df) == 48 and list(df.columns) == ["step", "time", "transition", "binding",
                                                  "consumed", "produced"]
    first = df.iloc[0]
    binding = json.loads(first["binding"])
    assert set(binding) == {"p", "m"} and binding["m"] == "M1"
    assert json.loads(first["consumed"]) == [["orders", binding["p"], 0], ["m1_idle", "M1", 0]]
    produced = json.loads(first["produced"])
    assert produced[1][:2] == ["m1_idle", "M1"] and produced[1][2] > first["time"]
    assert produced[0][:2] == ["buffer", binding["p"]] and produced[0][2] == produced[1][2] + 20


def test_event_log_parquet_has_json_columns(tmp_path, capsys):
    out = tmp_path / "events.parquet"
    assert main(["simulate", LINE, "--seed", "1", "--events", str(out)]) == 0
    df = pd.read_parquet(out)
    assert len(df) == 48
    assert json.loads(df.iloc[-1]["produced"])[0][0] == "finished"


XES = "{http://www.xes-standard.org/}"


def test_xes_log_reads_back(tmp_path, capsys):
    from defusedxml import ElementTree
    out = tmp_path / "line.xes"
    assert main(["simulate", LINE, "--seed", "1", "--events", str(out), "--case", "p",
                 "--start", "2025-03-01T06:00:00"]) == 0
    log = ElementTree.parse(out).getroot()
    assert log.tag == XES + "log"
    traces = {}
    for trace in log.findall(XES + "trace"):
        name = trace.find(XES + "string").get("value")
        events = []
        for ev in trace.findall(XES + "event"):
            attrs = {a.get("key"): a.get("value") for a in ev}
            events.append(attrs)
        traces[name] = events
    # each part passes both machines: 10 A, 8 B, 6 C
    assert {k: len(v) for k, v in traces.items()} == {"A": 20, "B": 16, "C": 12}
    first = traces["A"][0]
    assert first["concept:name"] == "machine_1" and first["lifecycle:transition"] == "complete"
    t = float(first["petri:time"])
    import datetime as dt
    assert dt.datetime.fromisoformat(first["time:timestamp"]) == (
        dt.datetime(2025, 3, 1, 6, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=t))
    times = [float(e["petri:time"]) for e in traces["B"]]
    assert times == sorted(times)
    assert sum(map(len, traces.values())) == 48


def test_xes_field_of_a_tuple_as_case(tmp_path):
    from defusedxml import ElementTree
    from petri import Net
    from petri.engine import Simulator
    from petri.eventlog import write_xes
    net = Net()
    net.add_colour_set("Job", components=("str", "int"))
    net.add_place("jobs", "Job", initial=[("a", 1), ("a", 2), ("b", 3)])
    net.add_place("done", "Job")
    net.add_transition("work", inputs=[("jobs", "j")], outputs=[("done", "j")])
    sim = Simulator(net)
    sim.run()
    assert write_xes(sim.events, tmp_path / "j.xes", case="j[0]") == 2
    root = ElementTree.parse(tmp_path / "j.xes").getroot()
    assert sorted(len(t.findall(XES + "event")) for t in root.findall(XES + "trace")) == [1, 2]


def test_ocel_log_reads_back(tmp_path, capsys):
    out = tmp_path / "line.json"
    assert main(["simulate", LINE, "--seed", "1", "--events", str(out), "--objects", "p,m"]) == 0
    doc = json.loads(out.read_text())
    assert set(doc) == {"objectTypes", "eventTypes", "objects", "events"}
    assert [t["name"] for t in doc["objectTypes"]] == ["p", "m"]
    assert sorted(t["name"] for t in doc["eventTypes"]) == ["machine_1", "machine_2"]
    ids = {o["id"]: o["type"] for o in doc["objects"]}
    assert ids == {"p:A": "p", "p:B": "p", "p:C": "p", "m:M1": "m", "m:M2": "m"}
    assert len(doc["events"]) == 48 and len({e["id"] for e in doc["events"]}) == 48
    for e in doc["events"]:
        assert {r["qualifier"] for r in e["relationships"]} == {"p", "m"}
        assert all(r["objectId"] in ids for r in e["relationships"])
        assert e["type"] in ("machine_1", "machine_2")
        assert e["time"].startswith("1970-01-01T")
    m2 = [e for e in doc["events"] if e["type"] == "machine_2"]
    assert all({"objectId": "m:M2", "qualifier": "m"} in e["relationships"] for e in m2)


def test_xes_and_ocel_need_their_notions(capsys):
    assert main(["simulate", LINE, "--events", "x.xes"]) == 1
    assert capsys.readouterr().err == ("petri: error: x.xes: an XES log needs --case VAR (the "
                                       "binding variable that names a case)\n")
    assert main(["simulate", LINE, "--events", "x.json"]) == 1
    assert "an OCEL log needs --objects" in capsys.readouterr().err
