"""Plants scheduled by ``petri schedule FOLDER --database URL`` and rescheduled through the
service, over real HTTP on loopback (the databases of ``test_service``: SQLite, and MariaDB or
PostgreSQL when their URLs are set)."""
import json
from pathlib import Path

import pytest

from control.scheduling.generate import generate_plant
from control.scheduling.service.requests import instance_from_source, instance_request
from control.scheduling.service.store import open_database
from petri.formats.jobshop import read_instance
from test_service import CALENDARED, ONE_PROCESS, petri

ROOT = Path(__file__).resolve().parent.parent
PLANT = ROOT / "tests" / "data" / "scheduling" / "plant"


def _stored_by_cli(folder, db_url, *extra):
    r = petri("schedule", folder, "--method", "rule:spt", "--json", "--database", db_url, *extra)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["id"], r.stderr


def _key(o):
    return o["job"], o["operation"]


@ONE_PROCESS
def test_a_generated_plant_from_the_cli_is_rescheduled(server, db_url, tmp_path):
    r = petri("generate-plant", "--jobs", 10, "--machines", 4, "--hours", 100, "--seed", 3,
              "-o", tmp_path / "plant")
    assert r.returncode == 0, r.stderr
    sid, err = _stored_by_cli(tmp_path / "plant", db_url)
    assert err == ""
    listed = {s["id"]: s for s in server.client.get("/schedules").json()}
    assert (listed[sid]["origin"], listed[sid]["instance"]) == ("cli", "plant")
    before = server.client.get(f"/schedules/{sid}").json()["operations"]
    assert len(before) == read_instance(tmp_path / "plant").n_operations
    # now: the median start; the machine that breaks down: the one with the most operations
    # not yet started; the breakdown starts in its working time, 10 h long
    starts = sorted(o["start"] for o in before)
    now = starts[len(starts) // 2]
    later = [o["machine"] for o in before if o["start"] >= now]
    machine = max(sorted(set(later)), key=later.count)
    inst = read_instance(tmp_path / "plant")
    cal = inst.calendar_of(inst.machine_names.index(machine))
    down_start = now if cal.window_at(now) else cal.next_start(now)
    down = {"machine": machine, "start": down_start, "end": down_start + 600}
    r = server.client.post(f"/schedules/{sid}/reschedule", json={"down": down, "now": now})
    assert r.status_code == 201, r.text
    body = r.json()
    after = body["operations"]
    assert body["parent"] == sid and body["method"] == "reschedule"
    assert [_key(o) for o in after] == [_key(o) for o in before]
    old = {_key(o): o for o in before}
    # started before now: where they were
    kept = [o for o in after if old[_key(o)]["start"] < now]
    assert kept and all(o == old[_key(o)] for o in kept)
    # nothing starts before now that had not started; nothing on the machine in the breakdown
    for o in after:
        if old[_key(o)]["start"] >= now:
            assert o["start"] >= now
            if o["machine"] == machine:
                assert o["end"] <= down["start"] or o["start"] >= down["end"], o
    # moved: exactly the operations whose machine, start or end changed, with where they were
    changed = [o for o in after if o != old[_key(o)]]
    assert changed and body["moved"] == [{**o, "was": old[_key(o)]} for o in changed]
    # a feasible plan: jobs in order, one operation at a time on each machine
    for a, b in zip(after, after[1:]):
        if a["job"] == b["job"]:
            assert a["end"] <= b["start"]
    for m in inst.machine_names:
        on = sorted((o["start"], o["end"]) for o in after if o["machine"] == m)
        assert all(e <= s for (_, e), (s, _) in zip(on, on[1:])), m
    assert body["makespan"] == max(o["end"] for o in after)
    assert server.client.get(f"/schedules/{body['id']}").json()["operations"] == after


@ONE_PROCESS
def test_the_documented_plant_reschedule(server, db_url):
    sid, _ = _stored_by_cli(PLANT, db_url)
    ops = server.client.get(f"/schedules/{sid}").json()["operations"]
    # rule:spt on the plant (times in minutes from Monday 2026-03-02 0:00; the mill works
    # 9:00-17:00): A on Saw1 480-570 then the mill 570-750; B on Saw1 615-720, the mill
    # 870-2190 (split overnight); C on Saw2 480-675, the mill 750-870
    assert [(o["machine"], o["start"], o["end"]) for o in ops] == [
        ("Saw1", 480, 570), ("Mill", 570, 750), ("Saw1", 615, 720), ("Mill", 870, 2190),
        ("Saw2", 480, 675), ("Mill", 750, 870)]
    request = json.loads((ROOT / "examples" / "reschedule_request.json").read_text())
    r = server.client.post(f"/schedules/{sid}/reschedule", json=request)
    assert r.status_code == 201, r.text
    body = r.json()
    # at 9:00 the saws' first operations have started and stay; the mill is down from 10:00
    # to Tuesday 1:00, and A's 3 h (planned 9:30) do not fit before 10:00: the mill's
    # operations go to Tuesday in their planned order, A 9:00-12:00 (1980-2160), C
    # 12:00-14:00, B's 6 h 14:00-17:00 and Wednesday 9:00-12:00 (2280-3600)
    moved = {(0, 1): (1980, 2160), (2, 1): (2160, 2280), (1, 1): (2280, 3600)}
    assert body["makespan"] == 3600
    assert body["moved"] == [{**o, "start": moved[_key(o)][0], "end": moved[_key(o)][1], "was": o}
                             for o in ops if _key(o) in moved]
    assert [o for o in body["operations"] if _key(o) not in moved] == \
        [o for o in ops if _key(o) not in moved]
    doc = (ROOT / "docs" / "service.md").read_text()
    assert "petri schedule tests/data/scheduling/plant --method rule:spt --database" in doc
    assert "-d @examples/reschedule_request.json" in doc
    assert "A 9:00-12:00 (1980-2160)" in doc and "Wednesday 9:00-12:00 (2280-3600)" in doc


@ONE_PROCESS
@pytest.mark.parametrize("operations, why", [
    (f"job,sequence,machines,hours\n{'J' * 201},1,Saw1,1\n",
     "at jobs.0.name: String should have at most 200 characters")], ids=["long-name"])
def test_a_plant_beyond_what_a_request_may_hold(server, db_url, tmp_path, operations, why):
    folder = tmp_path / "beyond"
    folder.mkdir()
    for f in ("machines.csv", "plant.csv", "calendars.csv"):
        (folder / f).write_text((PLANT / f).read_text())
    (folder / "operations.csv").write_text(operations)
    sid, err = _stored_by_cli(folder, db_url)
    reason = f"the stored instance is not a valid request {why}"
    assert err.splitlines() == [f"petri schedule: schedule {sid} is stored, but the service "
                                f"cannot reschedule it: {reason}"]
    assert server.client.get(f"/schedules/{sid}").status_code == 200
    r = server.client.post(f"/schedules/{sid}/reschedule", json={"now": 0})
    assert r.status_code == 422 and r.json() == {"detail": f"schedule {sid}: {reason}"}


@ONE_PROCESS
def test_a_plant_stored_by_name_alone_says_so(server, db_url):
    from control.scheduling.api import schedule
    inst = read_instance(PLANT)
    db = open_database(db_url)
    try:
        sid = db.save(name="plant", format="plant", source="plant", instance=inst,
                      schedule=schedule(inst, method="rule:spt"), fallback=False, origin="cli")
    finally:
        db.engine.dispose()
    r = server.client.post(f"/schedules/{sid}/reschedule", json={"now": 0})
    assert r.status_code == 422
    assert r.json() == {"detail": f"schedule {sid}: the plant 'plant' was stored by its folder's "
                                  f"name only; store it again with petri schedule FOLDER "
                                  f"--database URL to reschedule it"}


def test_times_past_the_calendars_are_refused(server):
    """Calendars reach ten years from their start (time 5241600): a schedule or a repair that
    would run past that is answered with 422 naming the calendar."""
    past = ("calendar day: the schedule would run past the calendar's end, ten years from "
            "2026-01-05 (time 5241600)")
    late = {**CALENDARED, "jobs": [{"operations": [{"machines": {"A": 60}}],
                                    "release": 5_300_000}]}
    r = server.client.post("/schedules", json=late)
    assert r.status_code == 422
    assert r.json() == {"detail": [{"loc": ["body", "jobs"], "msg": past, "type": "value_error"}]}
    sid = server.client.post("/schedules", json=CALENDARED).json()["id"]
    r = server.client.post(f"/schedules/{sid}/reschedule",
                           json={"down": {"machine": "A", "start": 450, "end": 5_300_000},
                                 "now": 400})
    assert r.status_code == 422 and r.json() == {"detail": f"schedule {sid}: {past}"}
    # a breakdown that ends in time moves the same operations into the last weeks
    r = server.client.post(f"/schedules/{sid}/reschedule",
                           json={"down": {"machine": "A", "start": 450, "end": 5_000_000},
                                 "now": 400})
    assert r.status_code == 201 and len(r.json()["moved"]) == 3


def _described(inst):
    """Everything of an instance that scheduling reads, as plain values."""
    cals = [(c.name, c.start, c.windows(6 * 7 * 24 * 60)) for c in inst.calendars]
    return (inst.machine_names, inst.machine_groups, inst.machine_calendars, cals,
            [(j.name, j.release, j.due, j.priority,
              [(o.job, o.index, o.machines, o.durations, o.splittable) for o in j.operations])
             for j in inst.jobs], inst.lower_bound())


@pytest.mark.parametrize("which", ["data", "generated-3", "generated-8"])
def test_a_plant_as_a_request_rebuilds_the_same_instance(which):
    inst = read_instance(PLANT) if which == "data" else \
        generate_plant(jobs=12, machines=5, hours=150, seed=int(which[-1]))
    assert inst.has_calendars
    text = json.dumps(instance_request(inst))
    assert _described(instance_from_source("json", text)) == _described(inst)
