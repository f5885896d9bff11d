"""``POST /schedules`` reads its body and writes its answer itself (in one process, no server):
the same errors as FastAPI's own body parameter, the same answer bytes as ``JSONResponse``,
the same OpenAPI document."""
import asyncio
import gc
import json

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from control.scheduling.api import schedule as make_schedule
from control.scheduling.service.app import (ScheduleOut, Settings, answer_json, create_app,
                                            parse_schedule_request)
from control.scheduling.service.requests import ScheduleRequest, build_instance


def _reference_app() -> FastAPI:
    """The endpoint as FastAPI reads a body parameter, with the service's error handler."""
    ref = FastAPI()

    @ref.exception_handler(RequestValidationError)
    async def _invalid(request, exc):
        return JSONResponse({"detail": [{"loc": list(e["loc"]), "msg": e["msg"],
                                         "type": e["type"]} for e in exc.errors()]}, 422)

    @ref.post("/schedules")
    def create(req: ScheduleRequest):
        return JSONResponse(req.model_dump(mode="json"))

    return ref


async def _post_all(app, cases):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        return [await client.post("/schedules", content=body,
                                  headers={"content-type": ct} if ct else {})
                for body, ct in cases]


JOB = b'{"jobs": [{"operations": [{"machines": {"A": 1}}]}]'
CASES = [
    (b"", "application/json"),
    (b"{bad", "application/json"),
    (JOB + b"} x", "application/json"),
    (b"[1]", "application/json"),
    (b'"x"', "application/json"),
    (b'{"jobs": []}', "application/json"),
    (JOB + b"}", None),                                   # no content type: not read as JSON
    (JOB + b"}", "text/plain"),
    (b"\xff\xfe{", "application/json"),                   # not text: 400
    (b'{"jobs": [{"operations": [{"machines": {"A": NaN}}]}]}', "application/json; charset=utf-8"),
    (b'{"jobs": [{"operations": [{"machines": {"A": 1e400}}]}]}', "application/json"),
    (b'{"jobs": [{"operations": [{"machines": {"A": 1}}], "priority": Infinity}]}',
     "application/json"),
    (b'{"jobs": [{"operations": [{"machines": {"A": 1}}], "priority": 1e400}]}',
     "application/json"),
    (JOB + b', "x": 1}', "application/vnd.plant+json"),
    (b'{"instance": "1 1\\n0 3\\n"}', "application/json"),
    ('{"jobs": [{"operations": [{"machines": {"\\ud800": 1}}]}]}'.encode(), "application/json"),
    (b'{"jobs": [{"operations": [{"machines": {"A": 1, "A": 2}}]}]}', "application/json"),
    (JOB + b', "start": 0}', "application/json"),
    (JOB + b', "start": "2026-01-05T00:00"}', "application/json"),
    (b'{"jobs": [{"operations": [{"machines": {"A": "3"}, "splittable": "yes"}]}]}',
     "application/json"),
    (b'{"jobs": [{"operations": [{"machines": {"A": 3}, "splittable": "yes"}],'
     b' "priority": "2", "due": 4}], "time_limit": 0.5, "seed": 3}', "application/json"),
]


def test_bodies_read_as_fastapi_reads_a_body_parameter():
    answers = asyncio.run(_post_all(_reference_app(), CASES))
    statuses = []
    for (body, ct), ref in zip(CASES, answers):
        try:
            got = (200, parse_schedule_request(body, ct).model_dump(mode="json"))
        except RequestValidationError as e:
            got = (422, {"detail": [{"loc": list(x["loc"]), "msg": x["msg"], "type": x["type"]}
                                    for x in e.errors()]})
        except HTTPException as e:
            got = (e.status_code, {"detail": e.detail})
        assert got == (ref.status_code, ref.json()), body
        statuses.append(ref.status_code)
    # the cases reach every way out: accepted, refused by JSON, by a field, not text
    assert statuses.count(200) == 4 and statuses.count(400) == 1 and statuses.count(422) == 16
    assert parse_schedule_request(CASES[-1][0], "application/json").jobs[0].priority == 2.0


def test_refused_bodies_name_the_place():
    with pytest.raises(RequestValidationError) as e:
        parse_schedule_request(b'{"jobs": [{"operations": [{"machines": {"A": -1}}]}]}',
                               "application/json")
    assert [(x["loc"], x["msg"]) for x in e.value.errors()] == [
        (("body", "jobs", 0, "operations", 0, "machines", "A"),
         "Input should be greater than or equal to 0")]


def _old_answer(schedule_id, name, result, fallback) -> bytes:
    """The answer as the service wrote it before: a dict through JSONResponse."""
    names = result.instance.machine_names
    return JSONResponse({
        "id": schedule_id, "instance": name, "makespan": int(result.makespan),
        "lower_bound": int(result.lower_bound), "method": result.method, "fallback": fallback,
        "wall_seconds": round(result.wall_seconds, 6),
        "operations": [{"job": o.job, "operation": o.operation, "machine": names[o.machine],
                        "start": int(o.start), "end": int(o.end)}
                       for o in sorted(result.operations, key=lambda o: (o.job, o.operation))]},
        status_code=201).body


def test_the_answer_is_the_json_response_byte_for_byte():
    evil = 'press "1"\\ \u00e9\u4e2d\n\U0001f600'
    req = ScheduleRequest.model_validate({
        "name": "plant \"north\" \u00e9", "method": "rule:spt",
        "jobs": [{"operations": [{"machines": {evil: 3, "B": 4}}, {"machines": {"B": 2}}]},
                 {"operations": [{"machines": {"B": 4}}, {"machines": {evil: 1}}]},
                 {"operations": [{"machines": {evil: 2}}]}]})
    inst, _, _ = build_instance(req)
    result = make_schedule(inst, method="rule:spt")
    result.wall_seconds = 0.1234567891
    got = answer_json(17, req.name, result, True)
    assert got == _old_answer(17, req.name, result, True)
    body = json.loads(got)
    assert ScheduleOut.model_validate(body).model_dump() == body
    assert body["wall_seconds"] == 0.123457 and body["fallback"] is True
    assert [(o["job"], o["operation"]) for o in body["operations"]] == [
        (0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]
    assert [o["machine"] for o in body["operations"]][-2:] == [evil, evil]


def test_the_plant_answer_is_the_json_response_byte_for_byte():
    from control.scheduling.generate import generate_plant
    inst = generate_plant(jobs=30, machines=8, hours=400, seed=5)
    result = make_schedule(inst, method="rule:mwkr")
    assert answer_json(3, inst.name, result, False) == _old_answer(3, inst.name, result, False)


def test_the_documented_request_body_is_fastapis(tmp_path):
    app = create_app(Settings(database=f"sqlite:///{tmp_path / 'p.db'}", policy=None))
    spec, ref = app.openapi(), _reference_app().openapi()
    assert spec["paths"]["/schedules"]["post"]["requestBody"] == \
        ref["paths"]["/schedules"]["post"]["requestBody"] == {
            "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/ScheduleRequest"}}}, "required": True}
    models = {"ScheduleRequest", "JobIn", "OperationIn", "MachineIn", "CalendarIn"}
    assert models <= set(ref["components"]["schemas"])
    for name in models:
        assert spec["components"]["schemas"][name] == ref["components"]["schemas"][name], name
    assert list(spec["components"]["schemas"]) == sorted(spec["components"]["schemas"])
    assert spec["paths"]["/schedules"]["post"]["responses"]["201"]["content"][
        "application/json"]["schema"] == {"$ref": "#/components/schemas/ScheduleOut"}


def test_objects_made_at_start_are_left_out_of_collections(tmp_path):
    gc.unfreeze()
    create_app(Settings(database=f"sqlite:///{tmp_path / 'p.db'}"))
    try:
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold()[0] == 20_000
    finally:
        gc.unfreeze()
        gc.set_threshold(700, 10, 10)


def test_the_cycle_collector_is_off_while_a_request_is_prepared_and_scheduled(tmp_path,
                                                                               monkeypatch):
    import threading

    from control.scheduling.service import app as service
    seen = []
    build = service.build_instance
    monkeypatch.setattr(service, "build_instance",
                        lambda *a: seen.append(("building", gc.isenabled())) or build(*a))
    state = create_app(Settings(database=f"sqlite:///{tmp_path / 'p.db'}", policy=None)
                       ).state.petri
    save = state.db.save
    monkeypatch.setattr(state.db, "save",
                        lambda **k: seen.append(("storing", gc.isenabled())) or save(**k))
    body = json.dumps({"jobs": [{"operations": [{"machines": {"A": 3}}]}],
                       "method": "rule:spt"}).encode()
    assert gc.isenabled()
    answer, method, fallback = service.finish(state, *service.prepare(body, "application/json"))
    assert json.loads(answer)["makespan"] == 3 and method == "rule:spt" and not fallback
    assert seen == [("building", False), ("storing", False)] and gc.isenabled()
    # held by two threads at once: on again when the second lets go
    entered = [threading.Event(), threading.Event()]
    leave = [threading.Event(), threading.Event()]

    def hold(k):
        with service.collector_paused():
            entered[k].set()
            leave[k].wait(10)
    threads = [threading.Thread(target=hold, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    assert entered[0].wait(10) and entered[1].wait(10) and not gc.isenabled()
    leave[0].set()
    threads[0].join(10)
    assert not gc.isenabled()
    leave[1].set()
    threads[1].join(10)
    assert gc.isenabled()
    # off before: left off
    gc.disable()
    try:
        with service.collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
