"""The scheduling service over real HTTP on loopback: ``petri serve`` in a subprocess.

Every database test runs against SQLite, against MariaDB when ``PETRI_TEST_MARIADB_URL`` is set
and against PostgreSQL when ``PETRI_TEST_POSTGRES_URL`` is set (``.ci/run`` sets both; under
CI=true they must be set).
"""
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings, strategies as st

from bench.harness import cpu_seconds
from control.scheduling.schedule import ScheduledOperation, check_schedule
from control.scheduling.service import store
from control.scheduling.service.reschedule import reschedule
from control.scheduling.service.store import open_database
from petri.jobshop import Instance, Job, Operation

ROOT = Path(__file__).resolve().parent.parent
ENV_KEY = "env-key-for-tests"
TINY = {"jobs": [{"operations": [{"machines": {"A": 3}}, {"machines": {"B": 2}}]},
                 {"operations": [{"machines": {"B": 4}}, {"machines": {"A": 1}}]}],
        "method": "rule:spt"}
#: rule:spt on TINY, by hand: at 0 job 0 takes A (3) and job 1 takes B (4); at 4 job 0 takes B
#: (4-6) and job 1 takes A (4-5)
TINY_OPS = [{"job": 0, "operation": 0, "machine": "A", "start": 0, "end": 3},
            {"job": 0, "operation": 1, "machine": "B", "start": 4, "end": 6},
            {"job": 1, "operation": 0, "machine": "B", "start": 0, "end": 4},
            {"job": 1, "operation": 1, "machine": "A", "start": 4, "end": 5}]
MAX_BODY = 2_000_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def petri(*args, env=None):
    return subprocess.run([sys.executable, "-m", "petri", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


class Server:
    """``petri serve`` on an ephemeral loopback port."""

    def __init__(self, url: str, *extra, healthy=True):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PETRI_API_KEY": ENV_KEY}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "petri", "serve", "--port", str(self.port), "--database", url,
             "--max-body", str(MAX_BODY), *map(str, extra)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"petri serve stopped: {self.proc.stderr.read()}")
            try:
                if httpx.get(self.base + "/health", timeout=2).status_code in (
                        (200,) if healthy else (200, 503)):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError("petri serve did not answer within 120 s")
            time.sleep(0.2)
        self.client = httpx.Client(base_url=self.base, headers={"X-API-Key": ENV_KEY},
                                   timeout=120)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


SERVERS = {"mariadb": "PETRI_TEST_MARIADB_URL", "postgresql": "PETRI_TEST_POSTGRES_URL"}


def _server_url(kind: str) -> str:
    variable = SERVERS[kind]
    url = os.environ.get(variable)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {variable} is not set: .ci/run starts the {kind} server "
                        "and sets it")
        pytest.skip(f"{variable} is not set (no {kind} server to test against)")
    return url


#: the server fixture (tests/conftest.py) with one process only, for what the HTTP process does
#: alone whatever the number of scheduling processes (keys, reading, rescheduling): every
#: database still; the scheduling processes answer POST /schedules only
ONE_PROCESS = pytest.mark.parametrize("server", [1], indirect=True, ids=["one-process"])


# -- authentication --------------------------------------------------------------------------

@ONE_PROCESS
def test_every_endpoint_but_health_needs_a_key(server):
    assert httpx.get(server.base + "/health").json()["status"] == "ok"
    for method, path in (("GET", "/schedules"), ("GET", "/schedules/1"), ("GET", "/metrics"),
                         ("POST", "/schedules"), ("POST", "/schedules/1/reschedule")):
        r = httpx.request(method, server.base + path, json={})
        assert r.status_code == 401, path
        assert r.json() == {"detail": "missing API key: send it in the header X-API-Key"}
        r = httpx.request(method, server.base + path, json={}, headers={"X-API-Key": "wrong"})
        assert r.status_code == 401, path
        assert r.json() == {"detail": "invalid API key"}


@ONE_PROCESS
def test_keys_created_and_revoked(server, db_url):
    r = petri("keys", "create", "planner", "--database", db_url)
    assert r.returncode == 0, r.stderr
    key = r.stdout.strip()
    assert key.startswith("pk_") and len(key) > 40
    assert "shown only now" in r.stderr
    ok = httpx.get(server.base + "/schedules", headers={"X-API-Key": key})
    assert ok.status_code == 200
    again = petri("keys", "create", "planner", "--database", db_url)
    assert again.returncode == 1
    assert again.stderr.strip() == ("petri: error: a key called 'planner' exists already "
                                    "(revoke it first)")
    r = petri("keys", "revoke", "planner", "--database", db_url)
    assert r.returncode == 0 and r.stdout.strip() == "key 'planner' revoked"
    gone = httpx.get(server.base + "/schedules", headers={"X-API-Key": key})
    assert gone.status_code == 401 and gone.json() == {"detail": "invalid API key"}
    r = petri("keys", "revoke", "planner", "--database", db_url)
    assert r.stderr.strip() == "petri: error: no key called 'planner'"
    # only the hash is stored
    db = open_database(db_url)
    with db.sessions() as s:
        hashes = s.scalars(store.select(store.ApiKey.key_hash)).all()
    assert store.hash_key(key) in hashes and key not in hashes


# -- creating, reading, listing ----------------------------------------------------------------

def test_create_get_list(server):
    r = server.client.post("/schedules", json=TINY)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["operations"] == TINY_OPS
    assert (body["makespan"], body["lower_bound"], body["method"], body["fallback"]) == \
        (6, 6, "rule:spt", False)
    got = server.client.get(f"/schedules/{body['id']}").json()
    assert got["operations"] == TINY_OPS and got["makespan"] == 6
    text = server.client.post("/schedules", json={"instance": "2 2\n0 3 1 2\n1 4 0 1\n",
                                                  "format": "orlib", "method": "rule:spt"})
    assert text.status_code == 201
    assert [(o["machine"], o["start"], o["end"]) for o in text.json()["operations"]] == \
        [("0", 0, 3), ("1", 4, 6), ("1", 0, 4), ("0", 4, 5)]
    listing = server.client.get("/schedules", params={"limit": 2}).json()
    assert [s["id"] for s in listing] == [text.json()["id"], body["id"]]
    assert listing[1]["origin"] == "api" and listing[1]["makespan"] == 6
    assert server.client.get("/schedules/999999").status_code == 404


def test_brandimarte_text_with_the_policy(server):
    mk01 = (ROOT / "nets/scheduling/instances/brandimarte/mk01.fjs").read_text()
    r = server.client.post("/schedules", json={"instance": mk01, "format": "fjs"})
    assert r.status_code == 201
    body = r.json()
    assert body["method"] == "policy" and body["fallback"] is False
    assert len(body["operations"]) == 55
    assert body["makespan"] == max(o["end"] for o in body["operations"])
    assert body["lower_bound"] <= body["makespan"]


def test_concurrent_requests_queue_and_an_improvement_runs_beside(server):
    from concurrent.futures import ThreadPoolExecutor
    mk01 = (ROOT / "nets/scheduling/instances/brandimarte/mk01.fjs").read_text()
    with ThreadPoolExecutor(6) as pool:
        # improves for up to 6 s (mk01's tabu search stops after some 3 s without progress);
        # it must not hold up the quick requests behind it
        long = pool.submit(server.client.post, "/schedules",
                           json={"instance": mk01, "format": "fjs", "method": "rule:spt",
                                 "time_limit": 6})
        time.sleep(0.5)
        quick = [pool.submit(server.client.post, "/schedules", json=TINY) for _ in range(5)]
        answers = [f.result() for f in quick]
        assert not long.done()                   # the quick ones were answered before it
        assert [r.status_code for r in answers] == [201] * 5
        assert [r.json()["operations"] for r in answers] == [TINY_OPS] * 5
        assert len({r.json()["id"] for r in answers}) == 5
        done = long.result()
    assert done.status_code == 201 and done.json()["wall_seconds"] > 1
    assert done.json()["method"].startswith("rule:spt")


def test_sql_looking_names_are_stored_verbatim(server):
    evil = "x'); DROP TABLE schedules; --"
    req = {"name": evil, "method": "rule:fifo",
           "jobs": [{"name": evil, "operations": [{"machines": {evil: 2}}]}]}
    r = server.client.post("/schedules", json=req)
    assert r.status_code == 201
    got = server.client.get(f"/schedules/{r.json()['id']}").json()
    assert got["instance"] == evil
    assert got["operations"] == [{"job": 0, "operation": 0, "machine": evil, "start": 0,
                                  "end": 2}]
    assert server.client.get("/schedules").status_code == 200


# -- what is refused ---------------------------------------------------------------------------

def _detail(r):
    assert r.status_code == 422, r.text
    return [(e["loc"], e["msg"]) for e in r.json()["detail"]]


def _job(machines):
    return {"jobs": [{"operations": [{"machines": machines}]}]}


def test_bad_values_name_the_field(server):
    post = server.client.post
    nan = post("/schedules", content='{"jobs": [{"operations": [{"machines": {"A": NaN}}]}]}',
               headers={"content-type": "application/json"})
    assert _detail(nan) == [(["body", "jobs", 0, "operations", 0, "machines", "A"],
                             "Input should be a valid integer")]
    assert _detail(post("/schedules", json=_job({"A": -1}))) == [
        (["body", "jobs", 0, "operations", 0, "machines", "A"],
         "Input should be greater than or equal to 0")]
    assert _detail(post("/schedules", json=_job({}))) == [
        (["body", "jobs", 0, "operations", 0, "machines"],
         "Dictionary should have at least 1 item after validation, not 0")]
    assert _detail(post("/schedules", json=_job({"A": "3"}))) == [
        (["body", "jobs", 0, "operations", 0, "machines", "A"], "Input should be a valid integer")]
    assert _detail(post("/schedules", json=_job({"A": 2.5}))) == [
        (["body", "jobs", 0, "operations", 0, "machines", "A"], "Input should be a valid integer")]
    inf_priority = post("/schedules", content='{"jobs": [{"operations": [{"machines": {"A": 1}}],'
                                              ' "priority": Infinity}]}',
                        headers={"content-type": "application/json"})
    assert _detail(inf_priority) == [(["body", "jobs", 0, "priority"],
                                      "Input should be a finite number")]
    assert _detail(post("/schedules", json={**_job({"Z": 1}), "machines": ["A"]})) == [
        (["body", "jobs[0]", "operations[0]", "machines"],
         "unknown machine 'Z' (not in 'machines')")]
    assert _detail(post("/schedules", json={**_job({"A": 1}), "method": "magic"}))[0][0] == \
        ["body", "method"]
    assert _detail(post("/schedules", json={**_job({"A": 1}), "time_limit": -1})) == [
        (["body", "time_limit"], "Input should be greater than or equal to 0")]
    assert _detail(post("/schedules", json={"instance": "2 2\n0 3 1 2\n", "format": "orlib"})) == [
        (["body", "instance"], "1 job lines, but the first line announces 2")]
    assert _detail(post("/schedules", json={"instance": "1 1\n0 3\n"})) == [
        (["body"], "Value error, 'format' is required with 'instance' (orlib or fjs)")]
    assert _detail(post("/schedules", json={**_job({"A": 1}), "colour": "red"})) == [
        (["body", "colour"], "Extra inputs are not permitted")]


def test_size_limits(server):
    one = {"operations": [{"machines": {"A": 1}}]}
    r = server.client.post("/schedules", json={"jobs": [one] * 5001})
    assert _detail(r) == [(["body", "jobs"], "List should have at most 5000 items after "
                                             "validation, not 5001")]
    many = {"jobs": [{"operations": [{"machines": {"A": 1}}] * 10_001}] * 5}
    assert _detail(server.client.post("/schedules", json=many)) == [
        (["body"], "Value error, jobs: 50005 operations, at most 50000 are accepted per request")]
    huge = json.dumps({"instance": "x" * MAX_BODY, "format": "orlib"})
    r = server.client.post("/schedules", content=huge,
                           headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json() == {"detail": f"the request body is larger than {MAX_BODY} bytes"}

    def chunks():                          # no Content-Length: counted as it arrives
        for _ in range(3):
            yield b" " * (MAX_BODY // 2)
    r = server.client.post("/schedules", content=chunks(),
                           headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json() == {"detail": f"the request body is larger than {MAX_BODY} bytes"}


# -- rescheduling ------------------------------------------------------------------------------

def test_the_request_is_stored_as_sent_and_rebuilt_from_it(server, db_url):
    from sqlalchemy import select
    sent = json.dumps({**TINY, "seed": 3}, indent=1)          # spaces and all
    utf16 = json.dumps({**TINY, "name": "plant \u00e9"}).encode("utf-16")
    ids = []
    for body in (sent.encode(), utf16):
        r = server.client.post("/schedules", content=body,
                               headers={"content-type": "application/json"})
        assert r.status_code == 201 and r.json()["operations"] == TINY_OPS
        ids.append(r.json()["id"])
    db = open_database(db_url)
    try:
        with db.sessions() as s:
            stored = [s.scalar(select(store.InstanceRow.source)
                               .join(store.ScheduleRow,
                                     store.ScheduleRow.instance_id == store.InstanceRow.id)
                               .where(store.ScheduleRow.id == sid)) for sid in ids]
    finally:
        db.engine.dispose()
    assert stored[0] == sent
    # not UTF-8: the request's fields as JSON instead
    assert json.loads(stored[1]) == {"name": "plant \u00e9", "jobs": [
        {"operations": [{"machines": {"A": 3}, "splittable": False},
                        {"machines": {"B": 2}, "splittable": False}],
         "release": 0, "priority": 1.0},
        {"operations": [{"machines": {"B": 4}, "splittable": False},
                        {"machines": {"A": 1}, "splittable": False}],
         "release": 0, "priority": 1.0}]}
    for sid in ids:                          # rebuilt from what was stored
        r = server.client.post(f"/schedules/{sid}/reschedule", json={"now": 0})
        assert r.status_code == 201 and r.json()["operations"] == TINY_OPS


def test_reschedule_keeps_started_operations(server):
    sid = server.client.post("/schedules", json=TINY).json()["id"]
    # B down from 0 to 5 at time 1: job 1's first operation started on B at 0 and stays;
    # job 0's second operation (B, 4-6) waits for the end of the breakdown: 5-7
    r = server.client.post(f"/schedules/{sid}/reschedule",
                           json={"down": {"machine": "B", "start": 0, "end": 5}, "now": 1})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["parent"] == sid and body["method"] == "reschedule" and body["makespan"] == 7
    assert body["operations"] == [TINY_OPS[0], {**TINY_OPS[1], "start": 5, "end": 7},
                                  TINY_OPS[2], TINY_OPS[3]]
    assert body["moved"] == [{**TINY_OPS[1], "start": 5, "end": 7, "was": TINY_OPS[1]}]
    assert server.client.get(f"/schedules/{body['id']}").json()["operations"] == \
        body["operations"]
    # at 4, A down until 10: job 1's last operation (A, 4-5) has not started: 10-11
    r = server.client.post(f"/schedules/{sid}/reschedule",
                           json={"down": {"machine": "A", "start": 4, "end": 10}, "now": 4})
    assert r.json()["moved"] == [{**TINY_OPS[3], "start": 10, "end": 11, "was": TINY_OPS[3]}]
    bad = server.client.post(f"/schedules/{sid}/reschedule",
                             json={"down": {"machine": "Q", "start": 0, "end": 5}})
    assert _detail(bad) == [(["body", "down", "machine"], "unknown machine 'Q'")]
    bad = server.client.post(f"/schedules/{sid}/reschedule",
                             json={"down": {"machine": "A", "start": 5, "end": 5}})
    assert _detail(bad) == [(["body", "down"], "Value error, down: 'end' must be after 'start'")]


def test_reschedule_moves_to_another_capable_machine():
    # job 0: one operation on A (4) or B (6); A breaks down from 0 to 100 -> B, 0-6
    inst = Instance("flex", [Job("0", [Operation(0, 0, (0, 1), (4, 6))])], ["A", "B"])
    out = reschedule(inst, [ScheduledOperation(0, 0, 0, 0, 4)], now=0, down=(0, 0, 100))
    assert out.operations == [ScheduledOperation(0, 0, 1, 0, 6)]


WEEK = ["mon", "tue", "wed", "thu", "fri"]
#: machine A works 6:00-14:00 on weekdays with a break 12:00-12:30 (windows 360-720 and
#: 750-840 on Monday, 1800-2160 and 2190-2280 on Tuesday, ...); B always works
CALENDARED = {
    "jobs": [{"operations": [{"machines": {"A": 200}}, {"machines": {"B": 10}}]},
             {"operations": [{"machines": {"A": 300}, "splittable": True}]},
             {"operations": [{"machines": {"B": 30}}, {"machines": {"A": 60}}]}],
    "machines": [{"name": "A", "calendar": "day"}, "B"],
    "calendars": [{"name": "day", "shifts": {d: [[360, 840]] for d in WEEK},
                   "breaks": {d: [[720, 750]] for d in WEEK}}],
    "start": "2026-01-05", "method": "rule:spt"}


def _op(job, k, machine, start, end):
    return {"job": job, "operation": k, "machine": machine, "start": start, "end": end}


def test_reschedule_with_calendars(server):
    # rule:spt by hand: job 2 on B 0-30, then waits for A's window at 360: 360-420 (shortest);
    # job 0 on A 420-620, then B 620-630; job 1 (splittable) 620-720, 750-840, Tue 1800-1910
    r = server.client.post("/schedules", json=CALENDARED)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["operations"] == [_op(0, 0, "A", 420, 620), _op(0, 1, "B", 620, 630),
                                   _op(1, 0, "A", 620, 1910), _op(2, 0, "B", 0, 30),
                                   _op(2, 1, "A", 360, 420)]
    # at 400, A breaks down until 1900 (Tuesday 7:40): job 2's operations started and stay;
    # job 0 waits for A: 1900-2100 fits Tuesday's first window; B 2100-2110; job 1 on A from
    # 2100: 2100-2160, 2190-2280, Wednesday 3240-3390 (60 + 90 + 150 = 300)
    r = server.client.post(f"/schedules/{first['id']}/reschedule",
                           json={"down": {"machine": "A", "start": 450, "end": 1900}, "now": 400})
    assert r.status_code == 201, r.text
    body = r.json()
    moved = [_op(0, 0, "A", 1900, 2100), _op(0, 1, "B", 2100, 2110), _op(1, 0, "A", 2100, 3390)]
    assert body["makespan"] == 3390 and body["parent"] == first["id"]
    assert body["operations"] == moved + first["operations"][3:]
    assert body["moved"] == [{**m, "was": w} for m, w in zip(moved, first["operations"])]
    assert server.client.get(f"/schedules/{body['id']}").json()["operations"] == \
        body["operations"]
    # time alone moves on to Monday 13:00 (780): everything has started, nothing moves
    r = server.client.post(f"/schedules/{first['id']}/reschedule", json={"now": 780})
    assert r.status_code == 201 and r.json()["moved"] == []
    assert r.json()["operations"] == first["operations"]


@st.composite
def shop_and_schedule(draw):
    from control.scheduling import schedule
    n_machines = draw(st.integers(1, 4))
    routes = draw(st.lists(st.lists(st.tuples(st.integers(0, n_machines - 1),
                                              st.integers(0, 9)), min_size=1, max_size=4),
                           min_size=1, max_size=5))
    inst = Instance.from_routes(routes)
    s = schedule(inst, method=draw(st.sampled_from(["rule:spt", "rule:fifo", "rule:mwkr"])))
    now = draw(st.integers(0, 40))
    m = draw(st.integers(0, inst.n_machines - 1))
    t1 = draw(st.integers(0, 40))
    return inst, s, now, (m, t1, t1 + draw(st.integers(1, 20)))


@settings(max_examples=150, deadline=None)
@given(shop_and_schedule())
def test_reschedule_properties(case):
    inst, s, now, down = case
    out = reschedule(inst, s.operations, now=now, down=down)
    assert check_schedule(inst, out) == []
    before = {(o.job, o.operation): o for o in s.operations}
    for o in out.operations:
        old = before[(o.job, o.operation)]
        if old.start < now:
            assert o == old                              # started: stays where it was
        else:
            assert o.start >= now
            if o.machine == down[0] and o.end > o.start:  # nothing new on the broken machine
                assert o.end <= down[1] or o.start >= down[2]



@st.composite
def calendared_shop_and_schedule(draw):
    """Up to 3 machines, machine 0 on a weekday calendar with a break, operations that may
    be split; a schedule by a rule, a current time and a breakdown."""
    from control.scheduling import schedule
    from petri.jobshop import Calendar
    n_machines = draw(st.integers(1, 3))
    jobs = []
    for j in range(draw(st.integers(1, 4))):
        ops = []
        for k in range(draw(st.integers(1, 3))):
            ms = draw(st.lists(st.integers(0, n_machines - 1), min_size=1, max_size=2,
                               unique=True))
            ops.append(Operation(j, k, tuple(ms), tuple(draw(st.integers(0, 300)) for _ in ms),
                                 draw(st.booleans())))
        jobs.append(Job(str(j), ops))
    cal = Calendar("day", {d: [(360, 840)] for d in range(5)}, {d: [(720, 750)] for d in range(5)})
    inst = Instance("cal", jobs, [str(m) for m in range(n_machines)],
                    machine_calendars=[0] + [-1] * (n_machines - 1), calendars=[cal])
    s = schedule(inst, method=draw(st.sampled_from(["rule:spt", "rule:mwkr"])))
    ops = [ScheduledOperation(o.job, o.operation, o.machine, o.start, o.end)
           for o in s.operations]                    # as stored: without the pieces
    t1 = draw(st.integers(0, 3000))
    return inst, ops, draw(st.integers(0, 3000)), (draw(st.integers(0, n_machines - 1)), t1,
                                                   t1 + draw(st.integers(1, 2000)))


@settings(max_examples=60, deadline=None)
@given(calendared_shop_and_schedule())
def test_reschedule_with_calendars_properties(case):
    inst, ops, now, down = case
    out = reschedule(inst, ops, now=now, down=down)
    assert check_schedule(inst, out) == []           # windows, breaks and splits respected
    before = {(o.job, o.operation): o for o in ops}
    for o in out.operations:
        old = before[(o.job, o.operation)]
        if old.start < now:
            assert (o.machine, o.start, o.end) == (old.machine, old.start, old.end)
        else:
            assert o.start >= now
            if o.machine == down[0]:
                for s, e in o.pieces or ((o.start, o.end),):
                    assert e <= down[1] or s >= down[2] or (s == e and not down[1] <= s)


# -- the database ------------------------------------------------------------------------------

@ONE_PROCESS
def test_cli_stores_in_the_same_tables(server, db_url, tmp_path):
    f = tmp_path / "tiny.txt"
    f.write_text("2 2\n0 3 1 2\n1 4 0 1\n")
    r = petri("schedule", f, "--method", "rule:spt", "--json", "--database", db_url)
    assert r.returncode == 0, r.stderr
    sid = json.loads(r.stdout)["id"]
    got = server.client.get(f"/schedules/{sid}").json()
    assert got["makespan"] == 6 and got["method"] == "rule:spt" and len(got["operations"]) == 4
    listed = {s["id"]: s for s in server.client.get("/schedules").json()}
    assert listed[sid]["origin"] == "cli" and listed[sid]["instance"] == "tiny"
    # and the service can reschedule it
    r = server.client.post(f"/schedules/{sid}/reschedule", json={"now": 0})
    assert r.status_code == 201 and r.json()["moved"] == []


def test_a_failed_save_leaves_nothing(db_url, monkeypatch):
    from control.scheduling import schedule
    db = open_database(db_url)

    def counts():
        with db.sessions() as s:
            return [s.query(t).count() for t in (store.InstanceRow, store.ScheduleRow,
                                                 store.OperationRow)]
    before = counts()
    inst = Instance.from_routes([[(0, 3), (1, 2)], [(1, 4), (0, 1)]])
    result = schedule(inst, method="rule:spt")

    def broken(*a, **k):
        raise RuntimeError("the disk is gone")
    monkeypatch.setattr(store, "insert", broken)   # fails after instance and schedule rows
    with pytest.raises(RuntimeError):
        db.save(name="t", format="orlib", source="", instance=inst, schedule=result,
                fallback=False)
    assert counts() == before
    monkeypatch.undo()
    db.save(name="t", format="orlib", source="", instance=inst, schedule=result, fallback=False)
    assert counts() == [before[0] + 1, before[1] + 1, before[2] + 4]


def test_restart_keeps_everything(db_url):
    first = Server(db_url)
    try:
        sid = first.client.post("/schedules", json=TINY).json()["id"]
        r = petri("keys", "create", "restart-key", "--database", db_url)
        key = r.stdout.strip()
    finally:
        first.stop()
    second = Server(db_url)
    try:
        got = second.client.get(f"/schedules/{sid}")
        assert got.status_code == 200 and got.json()["operations"] == TINY_OPS
        assert httpx.get(second.base + "/schedules", headers={"X-API-Key": key}).status_code == 200
        # the counters start again from zero; the stored schedules are read from the database
        listed = second.client.get("/schedules?limit=1000").json()
        lines = second.client.get("/metrics").text.splitlines()
        assert not [x for x in lines if x.startswith("petri_schedules_total{")]
        assert f'petri_schedules_stored{{origin="api"}} ' \
               f'{sum(x["origin"] == "api" for x in listed)}' in lines
    finally:
        second.stop()



def test_several_worker_processes_share_the_database(tmp_path):
    s = Server(f"sqlite:///{tmp_path / 'w.db'}", "--workers", 2)
    try:
        ids = []
        for _ in range(6):
            r = s.client.post("/schedules", json=TINY)
            assert r.status_code == 201 and r.json()["operations"] == TINY_OPS
            ids.append(r.json()["id"])
        assert ids == list(range(1, 7))            # one sequence, whichever process answered
        assert [x["id"] for x in s.client.get("/schedules").json()] == ids[::-1]
        r = s.client.post(f"/schedules/{ids[2]}/reschedule",
                          json={"down": {"machine": "B", "start": 0, "end": 5}, "now": 1})
        assert r.status_code == 201 and r.json()["makespan"] == 7
    finally:
        s.stop()
    assert s.proc.returncode == 0 or s.proc.returncode < 0


#: a job shop that takes the dispatcher seconds (rule:spt, 9,600 operations with
#: two capable machines each), to keep one scheduling process busy
SLOW = {"jobs": [{"operations": [{"machines": {f"M{(j + k) % 20}": 1 + (j * k) % 9,
                                               f"M{(j + 3 * k + 7) % 20}": 2 + (j + k) % 7}}
                                 for k in range(12)]} for j in range(800)],
        "method": "rule:spt"}


def _scheduling_processes(server) -> list[int]:
    """The ids of the server's scheduling processes (its children started by multiprocessing)
    that are alive."""
    found = []
    for task in os.listdir(f"/proc/{server.proc.pid}/task"):
        for pid in Path(f"/proc/{server.proc.pid}/task/{task}/children").read_text().split():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if b"spawn_main" in cmdline and state != "Z":
                found.append(int(pid))
    return sorted(found)


def _taken_up(pids: list[int], idle: list[float]) -> int:
    """Wait until one of the scheduling processes ``pids`` has used CPU time beyond ``idle``
    (theirs while they all waited): it has the request that was just sent; its id. A sleep
    instead may end before the request has got there on a busy machine."""
    deadline = time.monotonic() + 120
    while True:
        for pid, before in zip(pids, idle):
            if cpu_seconds(pid) >= before + 0.05:
                return pid
        assert time.monotonic() < deadline, "no scheduling process took the request"
        time.sleep(0.02)


def test_a_free_scheduling_process_takes_the_next_request(tmp_path):
    from concurrent.futures import ThreadPoolExecutor
    s = Server(f"sqlite:///{tmp_path / 'p.db'}", "--workers", 2)
    try:
        processes = _scheduling_processes(s)
        assert len(processes) == 2
        clients = [httpx.Client(base_url=s.base, headers={"X-API-Key": ENV_KEY}, timeout=120)
                   for _ in range(3)]
        idle = [cpu_seconds(pid) for pid in processes]
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(s.client.post, "/schedules", json=SLOW)
            _taken_up(processes, idle)
            # three more kept-alive connections, two requests each: the free process answers
            # them all while the other is busy, whichever connection they came on
            answers = [c.post("/schedules", json=TINY) for _ in range(2) for c in clients]
            assert not slow.done()
            assert [r.status_code for r in answers] == [201] * 6
            assert [r.json()["operations"] for r in answers] == [TINY_OPS] * 6
            assert slow.result().status_code == 201
        assert sorted(r.json()["id"] for r in answers) == [1, 2, 3, 4, 5, 6]
        assert slow.result().json()["id"] == 7
        lines = s.client.get("/metrics").text.splitlines()   # one set of counters for all
        assert 'petri_schedules_total{method="rule:spt"} 7' in lines
        for c in clients:
            c.close()
    finally:
        s.stop()


def test_a_scheduling_process_that_stops_is_replaced(tmp_path):
    import signal
    from concurrent.futures import ThreadPoolExecutor
    s = Server(f"sqlite:///{tmp_path / 'r.db'}", "--workers", 2)
    try:
        first = _scheduling_processes(s)
        assert len(first) == 2
        idle = [cpu_seconds(pid) for pid in first]
        with ThreadPoolExecutor(1) as pool:
            slow = pool.submit(s.client.post, "/schedules", json=SLOW)
            _taken_up(first, idle)
            for pid in first:                     # one is scheduling, the other is free
                os.kill(pid, signal.SIGKILL)
            r = slow.result()
        assert r.status_code == 500
        assert r.json() == {"detail": "the scheduling process stopped during this request; "
                                      "a new one is starting"}
        # the next requests wait for the new processes
        for _ in range(3):
            r = s.client.post("/schedules", json=TINY)
            assert r.status_code == 201 and r.json()["operations"] == TINY_OPS
        now = _scheduling_processes(s)
        assert len(now) == 2 and not set(now) & set(first)
        assert [x["id"] for x in s.client.get("/schedules").json()] == [3, 2, 1]
    finally:
        s.stop()
    assert s.proc.returncode == 0 or s.proc.returncode < 0


def test_a_cancelled_request_gives_its_scheduling_process_back():
    """A request whose task is cancelled while its process schedules (the server stopping, a
    client gone) gives the process back once it has answered: the next request waits for
    it and gets its own answer, and the process is not lost to the pool."""
    import asyncio
    import threading

    from control.scheduling.service.pool import SchedulingPool

    class Process:
        def is_alive(self):
            return True

    class Worker:
        process = Process()

        def __init__(self):
            self.asked = threading.Event()
            self.answered = []

        def ask(self, body, content_type):
            self.asked.set()
            time.sleep(0.3)                      # scheduling
            self.answered.append(body)
            return ("done", b"{}", "rule:spt", False)

    async def run():
        pool = SchedulingPool.__new__(SchedulingPool)
        pool._idle = asyncio.Queue()
        worker = Worker()
        pool._idle.put_nowait(worker)
        first = asyncio.ensure_future(pool.schedule(b"one", None))
        while not worker.asked.is_set():
            await asyncio.sleep(0.01)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        assert worker.answered == [] and pool._idle.qsize() == 0   # still scheduling
        second = await asyncio.wait_for(pool.schedule(b"two", None), 5)
        assert second == (b"{}", "rule:spt", False)
        assert worker.answered == [b"one", b"two"] and pool._idle.qsize() == 1
        # a process that stops during a cancelled request is replaced, not given back
        replaced = []
        pool._replace = replaced.append

        def stops(body, content_type):
            worker.asked.set()
            time.sleep(0.1)
            raise EOFError

        worker.ask = stops
        worker.asked.clear()
        third = asyncio.ensure_future(pool.schedule(b"three", None))
        while not worker.asked.is_set():
            await asyncio.sleep(0.01)
        third.cancel()
        with pytest.raises(asyncio.CancelledError):
            await third
        for _ in range(100):
            if replaced:
                break
            await asyncio.sleep(0.01)
        assert replaced == [worker] and pool._idle.qsize() == 0

    asyncio.run(run())


def test_calendars_are_computed_once_and_stay_apart():
    from control.scheduling.service.requests import ScheduleRequest, build_instance
    a, _, _ = build_instance(ScheduleRequest.model_validate(CALENDARED))
    b, _, _ = build_instance(ScheduleRequest.model_validate(CALENDARED))
    ca, cb = a.calendars[0], b.calendars[0]
    assert ca is not cb and ca._starts == cb._starts and ca._starts is not cb._starts
    ca.window_at(10 ** 6)                      # extending one leaves the other as it was
    assert len(ca._starts) > len(cb._starts)
    assert cb.window_at(10 ** 6) == ca.window_at(10 ** 6)
    other = {**CALENDARED, "calendars": [{**CALENDARED["calendars"][0],
                                          "breaks": {"mon": [[700, 760]]}}]}
    c, _, _ = build_instance(ScheduleRequest.model_validate(other))
    assert c.calendars[0].window_at(400) == (360, 700) != ca.window_at(400) == (360, 720)


# -- fallback and metrics (SQLite) ------------------------------------------------------------

def test_fallback_and_metrics(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    s = Server(f"sqlite:///{tmp_path / 'f.db'}", "--policy", broken, "--policy-timeout", "1e-6")
    try:
        health = httpx.get(s.base + "/health").json()
        assert health["database"] == "ok"
        assert health["policy"].startswith("not loaded (") and \
            health["policy"].endswith("the fallback rule mwkr schedules")
        mk01 = (ROOT / "nets/scheduling/instances/brandimarte/mk01.fjs").read_text()
        # the policy did not load; spt runs out of its 1 microsecond: mwkr answers both
        for method in ("policy", "rule:spt"):
            r = s.client.post("/schedules", json={"instance": mk01, "format": "fjs",
                                                  "method": method})
            assert r.status_code == 201
            assert (r.json()["fallback"], r.json()["method"]) == (True, "rule:mwkr")
        assert s.client.get("/schedules?limit=5").json()[0]["fallback"] is True
        s.client.post("/schedules", json=_job({}))
        httpx.get(s.base + "/schedules")
        text = s.client.get("/metrics").text
        lines = set(text.splitlines())
        for line in ('petri_http_requests_total{method="POST",path="/schedules",status="201"} 2',
                     'petri_http_requests_total{method="POST",path="/schedules",status="422"} 1',
                     'petri_http_requests_total{method="GET",path="/schedules",status="200"} 1',
                     'petri_http_requests_total{method="GET",path="other",status="401"} 1',
                     'petri_schedules_total{method="rule:mwkr"} 2',
                     'petri_schedule_fallbacks_total 2',
                     'petri_schedules_stored{origin="api"} 2',
                     'petri_http_request_duration_seconds_count{path="/schedules"} 4',
                     'petri_http_request_duration_seconds_bucket{path="/schedules",le="+Inf"} 4'):
            assert line in lines, line
        assert "# TYPE petri_http_request_duration_seconds histogram" in lines
    finally:
        s.stop()


@ONE_PROCESS
def test_docs_are_served(server):
    assert httpx.get(server.base + "/docs").status_code == 200
    spec = httpx.get(server.base + "/openapi.json").json()
    assert {"/schedules", "/schedules/{schedule_id}", "/schedules/{schedule_id}/reschedule",
            "/health", "/metrics"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"


def test_bad_database_url_is_one_line():
    r = petri("serve", "--database", "nosuchdb://x/y")
    assert r.returncode == 1
    assert r.stderr.startswith("petri: error: nosuchdb://x/y: not a usable database URL (")
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_the_documented_example_request(server):
    req = json.loads((ROOT / "examples/service_request.json").read_text())
    body = server.client.post("/schedules", json=req).json()
    # mwkr by hand: order-17 takes press1 at 0 (most work left); order-18 the lathe at 30;
    # at 90 order-18 goes to press2; at 120 order-17 to the lathe, order-19 to press1;
    # order-19 waits for the lathe until 210, then takes press1 (lower index) at 255
    assert (body["makespan"], body["lower_bound"], body["instance"]) == \
        (285, 210, "two presses and a lathe")
    assert [(o["job"], o["operation"], o["machine"], o["start"], o["end"])
            for o in body["operations"]] == [
        (0, 0, "press1", 0, 120), (0, 1, "lathe", 120, 210), (1, 0, "lathe", 30, 90),
        (1, 1, "press2", 90, 190), (2, 0, "press1", 120, 200), (2, 1, "lathe", 210, 255),
        (2, 2, "press1", 255, 285)]


# -- the database goes away and comes back (SQLite) -------------------------------------------

UNAVAILABLE = {"detail": "the database is unavailable; try again later"}


def test_database_down_at_start_then_back(tmp_path):
    folder = tmp_path / "not-yet"             # SQLite cannot open a file in a missing folder
    s = Server(f"sqlite:///{folder / 'petri.db'}", healthy=False)
    try:
        health = httpx.get(s.base + "/health")
        assert health.status_code == 503 and health.json()["database"] == "unreachable"
        r = s.client.post("/schedules", json=TINY)
        assert r.status_code == 503 and r.json() == UNAVAILABLE
        assert httpx.get(s.base + "/schedules").status_code == 401    # no key: no database
        folder.mkdir()
        r = s.client.post("/schedules", json=TINY)
        assert r.status_code == 201 and r.json()["operations"] == TINY_OPS
        assert httpx.get(s.base + "/health").json()["database"] == "ok"
    finally:
        s.stop()
    err = s.proc.stderr.read()
    assert "answering 503 until it is reachable" in err and "Traceback" not in err


def test_database_locked_mid_run_then_back(tmp_path):
    path = tmp_path / "p.db"
    s = Server(f"sqlite:///{path}?timeout=0.5")
    try:
        sid = s.client.post("/schedules", json=TINY).json()["id"]
        lock = sqlite3.connect(path, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")          # nobody else reads or writes now
        try:
            for r in (s.client.get(f"/schedules/{sid}"), s.client.post("/schedules", json=TINY),
                      httpx.get(s.base + "/health")):
                assert r.status_code == 503, r.text
            assert s.client.get(f"/schedules/{sid}").json() == UNAVAILABLE
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        got = s.client.get(f"/schedules/{sid}")
        assert got.status_code == 200 and got.json()["operations"] == TINY_OPS
        assert s.client.post("/schedules", json=TINY).status_code == 201
        listed = s.client.get("/schedules").json()
        assert len(listed) == 2                  # the refused request left nothing behind
    finally:
        s.stop()
