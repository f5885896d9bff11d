"""The workbench's JSON API over real HTTP on loopback: exact answers, errors and limits."""
import http.client
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from control import registry
from petri import Net
from petri.formats.toml import load
from petri.workbench import Game, make_server
from petri.workbench.server import MAX_BODY
from terminal import default_sigint

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "production_line.toml"
# shared.toml first: it names the fused net
FLOWFACTORY = sorted((str(p) for p in (ROOT / "nets" / "flowfactory").glob("*.toml")),
                     key=lambda p: (not p.endswith("shared.toml"), p))


class Client:
    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, raw=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        conn.request(method, path, body=data, headers=headers or {})
        r = conn.getresponse()
        payload = r.read()
        conn.close()
        ctype = r.getheader("Content-Type", "")
        return r.status, (json.loads(payload) if ctype == "application/json" else payload), r

    def get(self, path):
        return self.request("GET", path)[:2]

    def post(self, path, body=None):
        return self.request("POST", path, {} if body is None else body)[:2]


@pytest.fixture
def serve():
    servers = []

    def start(game):
        server = make_server(game, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return Client(server.server_address[1])

    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def line_game(seed=1):
    return Game(load(str(EXAMPLE)), seed=seed)


def cycle_net():
    """a -> t1 -> b; b -> t2 -> c (dead); b -> back -> a: three states, one deadlock."""
    net = Net("cycle")
    net.add_place("a", initial=1)
    net.add_place("b")
    net.add_place("c")
    net.add_transition("t1", inputs=["a"], outputs=["b"])
    net.add_transition("t2", inputs=["b"], outputs=["c"])
    net.add_transition("back", inputs=["b"], outputs=["a"])
    return net


START = {
    "clock": 0,
    "marking": {"orders": [["A", 0, 10], ["B", 0, 8], ["C", 0, 6]], "m1_idle": [["M1", 0, 1]],
                "buffer": [], "m2_idle": [["M2", 0, 1]], "finished": []},
    "enabled": [{"transition": "machine_1", "binding": {"p": "A", "m": "M1"}},
                {"transition": "machine_1", "binding": {"p": "B", "m": "M1"}},
                {"transition": "machine_1", "binding": {"p": "C", "m": "M1"}}],
    "firings": 0, "seed": 1, "controller": None, "undo": 0,
}


def test_state_of_the_example_at_the_start(serve):
    c = serve(line_game())
    assert c.get("/api/state") == (200, START)


def test_net_lists_places_transitions_arcs_and_positions(serve):
    c = serve(line_game())
    status, net = c.get("/api/net")
    assert status == 200 and net["name"] == "production line" and net["controller"] is None
    assert [p["name"] for p in net["places"]] == ["orders", "m1_idle", "buffer", "m2_idle",
                                                  "finished"]
    buffer = net["places"][2]
    assert buffer["capacity"] == 2 and buffer["colour"] == "Product" and buffer["fused"] is False
    assert [t["name"] for t in net["transitions"]] == ["machine_1", "machine_2"]
    assert net["transitions"][0]["delay"] == "proc_time[p, m]"
    assert net["arcs"][:3] == [
        {"source": "orders", "target": "machine_1", "kind": "normal", "inscription": "p",
         "weight": 1},
        {"source": "m1_idle", "target": "machine_1", "kind": "normal", "inscription": "m",
         "weight": 1},
        {"source": "machine_1", "target": "buffer", "kind": "output", "inscription": "p",
         "weight": 1}]
    assert len(net["arcs"]) == 8
    xs = {n["name"]: n["position"][0] for n in net["places"] + net["transitions"]}
    assert xs["orders"] < xs["machine_1"] < xs["buffer"] < xs["machine_2"] < xs["finished"]


def test_fire_a_binding_then_undo(serve):
    c = serve(line_game())
    status, answer = c.post("/api/fire", {"transition": "machine_1",
                                          "binding": {"p": "B", "m": "M1"}})
    assert status == 200
    # proc_time[B, M1] = 65 and TRANSPORT = 20 (examples/data/processing_times.csv)
    assert answer["event"] == {"step": 1, "time": 0, "transition": "machine_1",
                               "binding": {"p": "B", "m": "M1"},
                               "consumed": [["orders", "B", 0], ["m1_idle", "M1", 0]],
                               "produced": [["buffer", "B", 85], ["m1_idle", "M1", 65]]}
    state = answer["state"]
    assert state["marking"]["orders"] == [["A", 0, 10], ["B", 0, 7], ["C", 0, 6]]
    assert state["marking"]["buffer"] == [["B", 85, 1]]
    assert state["enabled"] == [] and state["firings"] == 1 and state["undo"] == 1
    assert c.get("/api/state")[1] == state
    status, answer = c.post("/api/undo")
    assert status == 200 and answer["clock"] == 0 and answer["firings"] == 0
    assert answer["state"] == START
    assert c.post("/api/undo") == (409, {"error": "nothing to undo"})


def test_a_binding_that_is_not_enabled_gets_409_with_the_reason(serve):
    c = serve(line_game())
    assert c.post("/api/fire", {"transition": "machine_2"}) == (409, {
        "error": "transition 'machine_2' is not enabled at time 0: its input place 'buffer' is empty"})
    assert c.post("/api/fire", {"transition": "machine_1", "binding": {"p": "D", "m": "M1"}}) == (
        409, {"error": "transition 'machine_1' is not enabled with p='D', m='M1' at time 0; "
                       "enabled with: p='A', m='M1'; p='B', m='M1'; p='C', m='M1'"})
    c.post("/api/fire", {"transition": "machine_1", "binding": {"p": "A", "m": "M1"}})
    assert c.post("/api/fire", {"transition": "machine_1", "binding": {"p": "A", "m": "M1"}}) == (
        409, {"error": "transition 'machine_1' is not enabled at time 0: the tokens in 'm1_idle' "
                       "are ready at time 40 at the earliest"})
    assert c.get("/api/state")[1]["firings"] == 1


def test_step_advance_and_run(serve):
    c = serve(line_game())
    status, answer = c.post("/api/advance")
    assert status == 409 and answer == {"error": "no binding becomes enabled after time 0: the "
                                                 "clock stays"}
    status, answer = c.post("/api/step")
    assert status == 200 and answer["event"]["step"] == 1 and answer["event"]["time"] == 0
    status, answer = c.post("/api/advance")
    assert status == 200 and answer["clock"] == answer["state"]["clock"] > 0
    status, answer = c.post("/api/run", {"firings": 5})
    assert status == 200 and answer["fired"] == 5 and answer["stopped"] == "max_firings"
    assert answer["state"]["firings"] == 6
    status, answer = c.post("/api/run", {"until": 1e9})
    assert status == 200 and answer["stopped"] == "dead" and answer["state"]["firings"] == 48
    assert answer["state"]["marking"]["finished"][-1][2] >= 1
    assert sum(n for _, _, n in answer["state"]["marking"]["finished"]) == 24
    assert c.post("/api/step") == (409, {"error": f"nothing can fire at time "
                                                  f"{answer['clock']} or later (dead marking)"})
    status, events = c.get("/api/events?since=46")
    assert status == 200 and [e["step"] for e in events] == [47, 48]
    status, csv, r = c.request("GET", "/api/events.csv")
    lines = csv.decode().splitlines()
    assert lines[0] == "step,time,transition,binding,consumed,produced" and len(lines) == 49
    assert r.getheader("Content-Disposition") == 'attachment; filename="production_line-events.csv"'


def test_reset_with_a_seed_and_the_same_seed_gives_the_same_run(serve):
    c = serve(line_game())
    first = c.post("/api/run", {"firings": 20})[1]["state"]
    status, answer = c.post("/api/reset", {"seed": 7})
    assert status == 200 and answer["seed"] == 7 and answer["state"]["firings"] == 0
    assert answer["state"]["undo"] == 0
    c.post("/api/reset", {"seed": 1})
    assert c.post("/api/run", {"firings": 20})[1]["state"] == first


def test_bad_requests(serve):
    c = serve(line_game())
    status, answer, _ = c.request("POST", "/api/fire", raw=b"{not json")
    assert status == 400 and answer["error"].startswith("the body is not JSON: ")
    assert c.request("POST", "/api/fire", raw=b"[1, 2]")[:2] == (
        400, {"error": "the body must be a JSON object"})
    assert c.post("/api/fire", {"binding": {}}) == (
        400, {"error": 'give the "transition" to fire (and its "binding")'})
    assert c.post("/api/fire", {"transition": "nope"}) == (
        400, {"error": "unknown transition 'nope'"})
    assert c.post("/api/fire", {"transition": "machine_1", "binding": [1]}) == (
        400, {"error": "a binding is an object of variable: value"})
    assert c.post("/api/run", {"firings": -1}) == (
        400, {"error": "firings must be a number, zero or more"})
    assert c.post("/api/reset", {"seed": "x"}) == (400, {"error": "seed must be a whole number"})
    assert c.get("/api/nothing") == (404, {"error": "no such page: /api/nothing"})
    assert c.get("/../../etc/passwd") == (404, {"error": "no such page: /../../etc/passwd"})
    assert c.get("/api/fire") == (405, {"error": "/api/fire does not take GET"})
    assert c.post("/api/state") == (405, {"error": "/api/state does not take POST"})
    assert c.request("DELETE", "/api/state")[:2] == (
        405, {"error": "/api/state does not take DELETE"})
    big = b"{" + b" " * MAX_BODY + b"}"
    assert c.request("POST", "/api/fire", raw=big)[:2] == (
        413, {"error": f"the request body is larger than {MAX_BODY} bytes"})
    assert c.get("/api/events?since=x") == (400, {"error": "since must be a whole number"})
    assert c.get("/api/state")[1] == START        # nothing of that changed the game


def test_the_page_and_its_files_are_served(serve):
    c = serve(line_game())
    status, page, r = c.request("GET", "/")
    assert status == 200 and r.getheader("Content-Type") == "text/html; charset=utf-8"
    assert b'<script src="app.js"></script>' in page and b"http" not in page   # no CDN
    status, js, r = c.request("GET", "/app.js")
    assert status == 200 and b'api("POST", "api/step"' in js
    status, svg, r = c.request("GET", "/api/svg")
    assert status == 200 and r.getheader("Content-Type") == "image/svg+xml"
    assert b'class="transition enabled" data-name="machine_1"' in svg


def test_reachability_graph_and_going_to_a_state(serve):
    c = serve(Game(cycle_net()))
    status, graph = c.get("/api/reach")
    assert status == 200
    assert graph["states"] == [
        {"id": 0, "marking": "a", "initial": True, "deadlock": False},
        {"id": 1, "marking": "b", "initial": False, "deadlock": False},
        {"id": 2, "marking": "c", "initial": False, "deadlock": True}]
    assert sorted((e["source"], e["target"], e["label"]) for e in graph["edges"]) == [
        (0, 1, "t1"), (1, 0, "back"), (1, 2, "t2")]
    assert graph["current"] == 0 and graph["svg"].count('class="state') == 3
    status, answer = c.post("/api/goto", {"state": 2})
    assert status == 200 and answer["reached"] == 2 and answer["path"] == ["t1<>", "t2<>"]
    assert answer["state"]["marking"] == {"a": [], "b": [], "c": [[[], 0, 1]]}
    assert c.get("/api/reach")[1]["current"] == 2
    assert c.post("/api/goto", {"state": 9}) == (
        400, {"error": "the reachability graph has no state 9 (states 0 to 2)"})
    c.post("/api/undo")
    assert c.get("/api/state")[1]["marking"]["a"] == [[[], 0, 1]]


def test_reachability_graph_too_large_is_refused(serve):
    c = serve(line_game())
    assert c.get("/api/reach") == (409, {"error": "the reachability graph is not drawn: it has "
                                                  "more than 300 states"})


def test_flowfactory_with_a_controller_shows_its_decisions(serve):
    c = serve(Game(load(*FLOWFACTORY), controller=lambda: registry.create("traditional"),
                   controller_name="traditional"))
    status, answer = c.post("/api/run", {"firings": 60})
    assert status == 200 and answer["fired"] == 60
    status, decisions = c.get("/api/decisions")
    assert status == 200 and decisions
    first = decisions[0]
    assert set(first) == {"clock", "firing", "offered", "chosen"}
    assert first["chosen"] is None or first["chosen"] in first["offered"]
    fired = {e["step"]: e for e in c.get("/api/events")[1]}
    for d in decisions:     # a chosen binding is the next firing
        if d["chosen"] is not None and d["firing"] in fired:
            e = fired[d["firing"]]
            assert d["chosen"].startswith(e["transition"] + "<")
    released = [e for e in fired.values() if e["transition"] == "release"]
    assert [e["binding"]["o"] for e in released] == sorted(e["binding"]["o"] for e in released)
    c.post("/api/undo")
    assert c.get("/api/state")[1]["firings"] == 0 and c.get("/api/decisions")[1] == []


class Broken:
    """Fails at its first decision."""

    def choose(self, decision):
        raise KeyError("no such store")


def test_a_failing_controller_is_one_line_and_changes_nothing(serve, capsys):
    net = Net("choice")
    net.add_place("a", initial=1)
    net.add_place("b")
    net.add_transition("go", inputs=["a"], outputs=["b"], controllable=True)
    c = serve(Game(net, controller=Broken, controller_name="broken"))
    assert c.post("/api/step") == (500, {"error": "KeyError: 'no such store'"})
    err = capsys.readouterr().err
    assert err == "petri play: POST /api/step: KeyError: 'no such store'\n"
    assert c.get("/api/state")[1]["marking"] == {"a": [[[], 0, 1]], "b": []}


def test_petri_play_bad_requests_are_one_line():
    r = subprocess.run([sys.executable, "-m", "petri", "play", str(EXAMPLE), "--no-browser",
                        "--controller", "nobody"], capture_output=True, text=True, cwd=ROOT,
                       timeout=60)
    assert r.returncode == 1 and r.stderr.startswith(
        "petri: error: unknown controller 'nobody' (known: traditional, ")
    r = subprocess.run([sys.executable, "-m", "petri", "play", str(EXAMPLE), "--no-browser",
                        "--port", "70000"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 2
    assert r.stderr.endswith("petri play: error: argument --port: must be a whole number from 0 "
                             "to 65535, got '70000'\n")


def test_petri_play_serves_until_interrupted():
    import signal
    import urllib.request
    p = subprocess.Popen([sys.executable, "-m", "petri", "play", str(EXAMPLE), "--no-browser",
                          "--port", "0"], cwd=ROOT, stderr=subprocess.PIPE, text=True,
                         preexec_fn=default_sigint)
    try:
        line = p.stderr.readline()
        assert line.startswith("playing production line (5 places, 2 transitions) at http://127.0.0.1:")
        url = line.split(" at ")[1].split()[0]
        with urllib.request.urlopen(url + "api/state", timeout=30) as r:
            assert json.loads(r.read())["enabled"] == START["enabled"]
    finally:
        p.send_signal(signal.SIGINT)
        rest = p.communicate(timeout=30)[1]
    assert p.returncode == 0 and rest == "petri play: stopped\n"



def test_a_body_shorter_than_announced_is_refused(serve):
    import socket
    c = serve(line_game())
    with socket.create_connection(("127.0.0.1", c.port), timeout=30) as s:
        s.sendall(b"POST /api/step HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{}")
        s.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := s.recv(4096):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 400 ")
    assert json.loads(body) == {"error": "the request body is shorter than its Content-Length"}
    assert c.get("/api/state")[1]["firings"] == 0
