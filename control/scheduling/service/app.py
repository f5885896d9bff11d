"""The HTTP endpoints of the scheduling service (``create_app(settings)``).

Every endpoint except ``/health`` (and the documentation at ``/docs``) needs the header
``X-API-Key`` with a key made by ``petri keys create`` or the value of ``PETRI_API_KEY``.
"""
from __future__ import annotations

import asyncio
import contextlib
import email.message
import gc
import hmac
import json
import math
import sys
import threading
import time
from dataclasses import dataclass, field
from operator import attrgetter

from fastapi import FastAPI, HTTPException, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from petri.errors import CommandError, PetriError

from ..api import METHODS, schedule as make_schedule
from ..schedule import ScheduledOperation, check_schedule
from .metrics import Metrics
from .requests import (RequestError, RescheduleRequest, ScheduleRequest, build_instance,
                       instance_from_source)
from .reschedule import reschedule
from .store import Database, open_database

__all__ = ["Settings", "create_app"]

OPEN_PATHS = {"/health", "/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc"}
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False,
                        description="a key made by `petri keys create NAME`")


@dataclass
class Settings:
    """How the service runs: its database, the policy, limits and the fallback rule."""

    database: str | None = None
    policy: str | None = None              # a policy file; None: the shipped policy
    policy_timeout: float = 30.0           # seconds a method may take beyond its time limit
    fallback_rule: str = "mwkr"
    max_body: int = 16 * 2 ** 20           # bytes
    env_key: str | None = None             # PETRI_API_KEY
    migrate: bool = True
    #: seconds to wait at start for the policy's compiled pass (numba), which takes seconds
    #: to load and, the first time on a machine, about a minute to compile; until it is
    #: ready the same schedules come from the dispatcher, several times slower
    compiled_wait: float = 0.0
    #: processes that make schedules: 1, this one; N > 1, N scheduling processes behind
    #: this one, which speaks HTTP (``pool.py``)
    workers: int = 1


def settings_text(settings: Settings) -> str:
    """The settings but the API key as JSON, for the scheduling processes."""
    from dataclasses import asdict
    return json.dumps({k: v for k, v in asdict(settings).items() if k != "env_key"})


@dataclass
class _State:
    settings: Settings
    db: Database
    metrics: Metrics = field(default_factory=Metrics)
    policy: object = None
    policy_error: str | None = None
    ready: bool = False                    # the tables are migrated
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: one schedule's work at a time in this process, the others waiting in arrival order
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    #: with ``workers`` > 1, the scheduling processes (``pool.SchedulingPool``)
    pool: object = None

    def ensure_ready(self) -> None:
        """Migrate the tables if that has not succeeded yet (the database was down at
        start); raises ``CommandError`` while the database stays unavailable."""
        if self.ready:
            return
        with self.lock:
            if not self.ready:
                self.db.migrate()
                self.ready = True


class OperationOut(BaseModel):
    job: int
    operation: int
    machine: str
    start: int
    end: int


class ScheduleOut(BaseModel):
    id: int
    instance: str
    makespan: int
    lower_bound: int
    method: str
    fallback: bool
    wall_seconds: float
    operations: list[OperationOut]


class MovedOut(OperationOut):
    was: OperationOut


class RescheduleOut(ScheduleOut):
    parent: int
    moved: list[MovedOut]


class SummaryOut(BaseModel):
    id: int
    instance: str
    makespan: int
    lower_bound: int
    method: str
    fallback: bool
    origin: str
    created_at: str


class _Gate:
    """ASGI middleware: body size limit (413), API key check (401), request metrics."""

    def __init__(self, app, state: _State):
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0 = time.perf_counter()
        status = {"code": 500, "started": False}

        async def send_wrapped(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
            await send(message)

        try:
            await self._handle(scope, receive, send_wrapped, status)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "other"
            self.state.metrics.request(scope["method"], path, status["code"],
                                       time.perf_counter() - t0)

    async def _handle(self, scope, receive, send, status):
        limit = self.state.settings.max_body
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        if scope["path"] not in OPEN_PATHS:
            key = headers.get("x-api-key")
            if key is None:
                return await _send_json(scope, send, 401, {
                    "detail": "missing API key: send it in the header X-API-Key"})
            try:
                if not self.state.ready:
                    await run_in_threadpool(self.state.ensure_ready)
                ok = self._env_key(key) or await run_in_threadpool(self._key_ok, key)
            except (CommandError, SQLAlchemyError):
                return await _send_json(scope, send, 503, _UNAVAILABLE)
            if not ok:
                return await _send_json(scope, send, 401, {"detail": "invalid API key"})
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await _send_json(scope, send, 413, {
                "detail": f"the request body is larger than {limit} bytes"})
        seen = 0

        async def receive_limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:      # a body sent in chunks without its length
                    raise HTTPException(413, f"the request body is larger than {limit} bytes")
            return message

        await self.app(scope, receive_limited, send)

    def _env_key(self, key: str) -> bool:
        env = self.state.settings.env_key
        return bool(env) and hmac.compare_digest(env.encode("utf-8"), key.encode("utf-8"))

    def _key_ok(self, key: str) -> bool:
        return self._env_key(key) or self.state.db.key_is_valid(key)


_UNAVAILABLE = {"detail": "the database is unavailable; try again later"}


async def _send_json(scope, send, code: int, body: dict) -> None:
    await JSONResponse(body, status_code=code)(scope, None, send)


def _load_policy(state: _State) -> None:
    from ..policy import load_policy, shipped_policy
    try:
        state.policy = (load_policy(state.settings.policy) if state.settings.policy
                        else shipped_policy())
        state.policy_error = None
    except Exception as e:      # a broken policy file: the service runs on the fallback rule
        state.policy = None
        state.policy_error = str(e).splitlines()[0] if str(e) else type(e).__name__


def _run_with_timeout(fn, seconds: float):
    """``fn()`` in a thread; its result, or the exception it raised, or TimeoutError when it
    took more than ``seconds`` (a thread still running is left to finish on its own)."""
    box: dict = {}
    t0 = time.perf_counter()

    def target():
        try:
            box["result"] = fn()
        except BaseException as e:       # handed to the caller
            box["error"] = e

    t = threading.Thread(target=target, daemon=True, name="petri-schedule")
    t.start()
    t.join(seconds)
    if t.is_alive() or time.perf_counter() - t0 > seconds:
        raise TimeoutError(f"no schedule within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box["result"]


def _unprocessable(field: str, message: str) -> HTTPException:
    return HTTPException(422, [{"loc": ["body"] + field.split("."), "msg": message,
                                "type": "value_error"}])


def _is_json(content_type: str | None) -> bool:
    """Whether a body of this content type is read as JSON (as FastAPI decides it:
    application/json or application/...+json)."""
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json"))


def parse_schedule_request(body: bytes, content_type: str | None) -> ScheduleRequest:
    """The body of ``POST /schedules`` as a ``ScheduleRequest``, parsed and checked by
    pydantic in one step from the raw bytes. A body it refuses is read again the way FastAPI
    reads a body parameter, so that the error (``RequestValidationError``, or 400 for bytes
    that are no text) names the same places with the same messages."""
    is_json = _is_json(content_type)
    if body and is_json:
        try:
            return ScheduleRequest.model_validate_json(body)
        except ValidationError:
            pass                        # worded below
    if not body:
        raise RequestValidationError([{"type": "missing", "loc": ("body",),
                                       "msg": "Field required", "input": None}])
    data: object = body
    if is_json:
        try:
            data = json.loads(body)
        except json.JSONDecodeError as e:
            raise RequestValidationError([{"type": "json_invalid", "loc": ("body", e.pos),
                                           "msg": "JSON decode error", "input": {},
                                           "ctx": {"error": e.msg}}]) from None
        except ValueError:              # not UTF-8, -16 or -32
            raise HTTPException(400, "There was an error parsing the body") from None
    try:
        return ScheduleRequest.model_validate(data, from_attributes=True)
    except ValidationError as e:
        raise RequestValidationError([{**err, "loc": ("body", *err["loc"])}
                                      for err in e.errors(include_url=False)]) from None


#: ``POST /schedules``'s body in the OpenAPI document (the endpoint reads the raw body)
_SCHEDULE_REQUEST_BODY = {"requestBody": {
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ScheduleRequest"}}},
    "required": True}}


def _request_schemas() -> dict:
    """The JSON schemas of ``ScheduleRequest`` and the models in it, for the OpenAPI
    document's components."""
    from pydantic.json_schema import models_json_schema
    _, top = models_json_schema([(ScheduleRequest, "validation")],
                                ref_template="#/components/schemas/{model}")
    return top["$defs"]


_BY_JOB = attrgetter("job", "operation")


def answer_json(schedule_id: int, name: str, result, fallback: bool) -> bytes:
    """A new schedule's answer (``ScheduleOut``) as the bytes of its JSON, written directly:
    the same bytes as FastAPI's ``JSONResponse`` of the answer as a dict (compact, UTF-8),
    without building thousands of dicts first."""
    head = json.dumps({"id": schedule_id, "instance": name, "makespan": int(result.makespan),
                       "lower_bound": int(result.lower_bound), "method": result.method,
                       "fallback": fallback, "wall_seconds": round(result.wall_seconds, 6)},
                      ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    machines = [json.dumps(n, ensure_ascii=False) for n in result.instance.machine_names]
    rows = ",".join([f'{{"job":{o.job},"operation":{o.operation},"machine":'
                     f'{machines[o.machine]},"start":{int(o.start)},"end":{int(o.end)}}}'
                     for o in sorted(result.operations, key=_BY_JOB)])
    return f'{head[:-1]},"operations":[{rows}]}}'.encode("utf-8")


def scheduled(state: _State, inst, method, time_limit, seed):
    """(schedule, fallback): the method's schedule, or the fallback rule's when the method
    fails or runs out of time."""
    s = state.settings
    if method not in METHODS:
        raise _unprocessable("method", f"unknown method {method!r} (known: "
                                       f"{', '.join(METHODS)})")
    if method == "cpsat":
        from .. import cpsat
        if not cpsat.available():
            raise _unprocessable("method", "cpsat needs OR-Tools, which is not installed")
        if inst.has_calendars:
            raise _unprocessable("method", "cpsat does not handle working calendars")
    if method == "policy" and state.policy is None:
        result = None
    else:
        budget = (time_limit or 0) + s.policy_timeout
        try:
            result = _run_with_timeout(
                lambda: make_schedule(inst, method=method, time_limit=time_limit, seed=seed,
                                      policy=state.policy if method == "policy" else None),
                budget)
        except (Exception, TimeoutError):
            result = None
    fallback = result is None
    if fallback:
        try:
            result = make_schedule(inst, method=f"rule:{s.fallback_rule}", seed=seed)
        except PetriError as e:     # no schedule fits (past the calendars' ten years)
            raise _unprocessable("jobs", str(e)) from None
    problems = check_schedule(inst, result)
    if problems:             # never expected: the checker is independent of the scheduler
        raise HTTPException(500, f"the schedule is infeasible: {problems[0]}")
    return result, fallback


_PAUSES = 0                    # requests holding the cycle collector off now
_RESUME = False                # whether it was on when the first of them began
_PAUSES_LOCK = threading.Lock()


@contextlib.contextmanager
def collector_paused():
    """Python's cycle collector held off while a request is read, scheduled and stored
    (from several threads at once too: on again when the last lets go, if it was on when the
    first began). A request's objects (models, operations, their tuples: tens of thousands
    on the 411-job plant) form no cycles and are freed by reference counting once the
    answer is made; a collection on the way, about one a request, would walk all of them
    (about 4 ms)."""
    global _PAUSES, _RESUME
    with _PAUSES_LOCK:
        _PAUSES += 1
        if _PAUSES == 1:
            _RESUME = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _PAUSES_LOCK:
            _PAUSES -= 1
            if _PAUSES == 0 and _RESUME:
                gc.enable()


def prepare(body: bytes, content_type: str | None):
    """``POST /schedules``'s body read and its instance built: (request, instance, format,
    source); a refused body raises what the endpoint answers (422, 400)."""
    with collector_paused():
        req = parse_schedule_request(body, content_type)
        try:
            inst, fmt, source = build_instance(req, body)
        except RequestError as e:
            raise _unprocessable(e.field, e.message) from None
        except PetriError as e:
            raise _unprocessable("jobs", str(e)) from None
    if req.time_limit is not None and not math.isfinite(req.time_limit):
        raise _unprocessable("time_limit", "must be a finite number of seconds")
    return req, inst, fmt, source


def finish(state: _State, req: ScheduleRequest, inst, fmt: str, source: str):
    """Schedule a prepared request and store it (one transaction): (the answer's JSON bytes,
    the method that made the schedule, whether the fallback rule made it). The collector
    is held off but for a request that improves for ``time_limit`` seconds."""
    with contextlib.nullcontext() if req.time_limit else collector_paused():
        result, fallback = scheduled(state, inst, req.method, req.time_limit, req.seed)
        name = req.name or inst.name
        sid = state.db.save(name=name, format=fmt, source=source, instance=inst,
                            schedule=result, fallback=fallback)
        return answer_json(sid, name, result, fallback), result.method, fallback


def _settle_heap(ready: threading.Event | None) -> None:
    """Keep Python's cycle collector off the objects made at start (the libraries, the
    policy, numba's compiled code: some 200,000 objects that a full collection walks each
    time, a few hundred milliseconds, every few requests), and collect less often: each
    request makes tens of thousands of short-lived objects. Done again once ``ready`` (the
    compiled pass) is set."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(_GC_THRESHOLD, 20, 20)
    if ready is not None and not ready.is_set():
        def later():
            ready.wait()
            gc.freeze()
        threading.Thread(target=later, daemon=True, name="petri-settle-heap").start()


#: objects made (less those freed) between two collections of the youngest generation
_GC_THRESHOLD = 20_000



def create_app(settings: Settings | None = None, quiet: bool = False) -> FastAPI:
    """The service as an ASGI application (opens the database and loads the policy now);
    ``quiet``: say nothing about a database down at start (the caller did)."""
    settings = settings or Settings()
    db = open_database(settings.database, migrate=False)
    state = _State(settings, db)
    if settings.migrate:
        try:
            state.ensure_ready()
        except CommandError as e:      # down at start: each request tries again (503 till then)
            if not quiet:
                print(f"petri serve: {e}; answering 503 until it is reachable",
                      file=sys.stderr, flush=True)
    else:
        state.ready = True
    if settings.workers > 1:
        from .pool import SchedulingPool
        state.pool = SchedulingPool(settings_text(settings), settings.workers)
    _load_policy(state)
    ready = None
    if state.policy is not None and state.pool is None:
        from ..onepass import warm_up
        ready = warm_up()
        ready.wait(settings.compiled_wait)         # the compiled pass, else in the background
    if state.pool is not None:
        state.pool.wait_ready()
    _settle_heap(ready)
    app = FastAPI(title="petri scheduling service",
                  description="Job-shop schedules over HTTP: send jobs and machines, get "
                              "every operation's machine, start and end. Send the header "
                              "X-API-Key on every call but /health.",
                  version="1")
    app.state.petri = state
    app.add_middleware(_Gate, state=state)
    documented = app.openapi

    def openapi() -> dict:
        """FastAPI's document with the request body's schemas added as FastAPI writes them."""
        if app.openapi_schema is None:
            from fastapi.encoders import jsonable_encoder
            from fastapi.openapi.models import OpenAPI
            spec = documented()
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(_request_schemas())
            spec["components"]["schemas"] = dict(sorted(schemas.items()))
            app.openapi_schema = jsonable_encoder(OpenAPI(**spec), by_alias=True,
                                                  exclude_none=True)
        return app.openapi_schema

    app.openapi = openapi

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        detail = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""),
                   "type": e.get("type", "")} for e in exc.errors()[:20]]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(SQLAlchemyError)
    async def _db_down(request: Request, exc: SQLAlchemyError):
        return JSONResponse(_UNAVAILABLE, status_code=503)

    def out(schedule_id, name, result, fallback) -> dict:
        names = result.instance.machine_names
        return {"id": schedule_id, "instance": name, "makespan": int(result.makespan),
                "lower_bound": int(result.lower_bound), "method": result.method,
                "fallback": fallback, "wall_seconds": round(result.wall_seconds, 6),
                "operations": [{"job": o.job, "operation": o.operation,
                                "machine": names[o.machine], "start": int(o.start),
                                "end": int(o.end)}
                               for o in sorted(result.operations,
                                               key=lambda o: (o.job, o.operation))]}

    @app.get("/health", tags=["service"], summary="Is the service ready?")
    def health():
        """200 when the database answers; says whether the learned policy is loaded (without
        it, schedules come from the fallback rule)."""
        body = {"status": "ok", "database": "ok",
                "policy": "loaded" if state.policy is not None
                else f"not loaded ({state.policy_error}); the fallback rule "
                     f"{state.settings.fallback_rule} schedules"}
        try:
            state.ensure_ready()
            state.db.ping()
        except (SQLAlchemyError, CommandError):
            body["status"], body["database"] = "unavailable", "unreachable"
            return JSONResponse(body, status_code=503)
        return body

    @app.get("/metrics", tags=["service"], summary="Counters in Prometheus' text format",
             response_class=PlainTextResponse, dependencies=[Security(_api_key)])
    def metrics():
        try:
            stored = state.db.counts()
        except SQLAlchemyError:          # the counters are still worth answering
            stored = None
        return PlainTextResponse(state.metrics.text(stored),
                                 media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.post("/schedules", status_code=201, response_model=ScheduleOut, tags=["schedules"],
              summary="Schedule a job shop", dependencies=[Security(_api_key)],
              openapi_extra=_SCHEDULE_REQUEST_BODY)
    async def create(request: Request):
        """Send an instance as text (``format``: orlib or fjs) or as ``jobs``; the answer
        lists every operation with its machine, start and end, and is stored under ``id``."""
        # The body is read here and parsed by pydantic straight from its bytes; the work is
        # done in a worker thread, one request at a time per process (in arrival order):
        # concurrent requests would only share the interpreter lock, each finishing later.
        # A request that improves for ``time_limit`` seconds runs beside the queue.
        body = await request.body()
        content_type = request.headers.get("content-type")
        if state.pool is not None:
            done = await state.pool.schedule(body, content_type)
            if done is None:         # a request with a time limit: it improves here, beside
                if state.policy is not None:
                    from ..onepass import warm_up
                    warm_up()        # the compiled pass for the next ones (this process
                    #                  schedules only these)
                prepared = await run_in_threadpool(prepare, body, content_type)
                done = await run_in_threadpool(finish, state, *prepared)
        else:
            async with state.turn:
                prepared = await run_in_threadpool(prepare, body, content_type)
                if not prepared[0].time_limit:
                    done = await run_in_threadpool(finish, state, *prepared)
            if prepared[0].time_limit:
                done = await run_in_threadpool(finish, state, *prepared)
        answer, method, fallback = done
        state.metrics.schedule(method, fallback)
        return Response(answer, status_code=201, media_type="application/json")

    @app.get("/schedules", response_model=list[SummaryOut], tags=["schedules"],
             summary="The newest schedules", dependencies=[Security(_api_key)])
    def listing(limit: int = Query(20, ge=1, le=1000)):
        return [{"id": s.id, "instance": i.name, "makespan": s.makespan,
                 "lower_bound": s.lower_bound, "method": s.method, "fallback": s.fallback,
                 "origin": s.origin, "created_at": s.created_at.isoformat(timespec="seconds")}
                for s, i in state.db.schedules(limit)]

    def stored(schedule_id: int):
        found = state.db.schedule(schedule_id)
        if found is None:
            raise HTTPException(404, f"no schedule {schedule_id}")
        return found

    @app.get("/schedules/{schedule_id}", response_model=ScheduleOut, tags=["schedules"],
             summary="One schedule", dependencies=[Security(_api_key)])
    def get(schedule_id: int):
        sched, inst, ops = stored(schedule_id)
        return {"id": sched.id, "instance": inst.name, "makespan": sched.makespan,
                "lower_bound": sched.lower_bound, "method": sched.method,
                "fallback": sched.fallback, "wall_seconds": sched.wall_seconds,
                "operations": [{"job": j, "operation": k, "machine": m, "start": s, "end": e}
                               for j, k, m, s, e in ops]}

    @app.post("/schedules/{schedule_id}/reschedule", status_code=201,
              response_model=RescheduleOut, tags=["schedules"],
              summary="Repair a schedule after a breakdown or as time moves on",
              dependencies=[Security(_api_key)])
    def repair(schedule_id: int, req: RescheduleRequest):
        """Operations that started before ``now`` stay; no operation runs on ``down.machine``
        between ``down.start`` and ``down.end``. The answer is a new stored schedule with
        ``moved``: the operations whose machine, start or end changed (``was``: before)."""
        sched, irow, ops = stored(schedule_id)
        try:
            inst = instance_from_source(irow.format, irow.source, irow.name)
        except RequestError as e:
            raise HTTPException(422, f"schedule {schedule_id}: {e.message}") from None
        index = {m: k for k, m in enumerate(inst.machine_names)}
        down = None
        if req.down is not None:
            if req.down.machine not in index:
                raise _unprocessable("down.machine", f"unknown machine {req.down.machine!r}")
            down = (index[req.down.machine], req.down.start, req.down.end)
        before = [ScheduledOperation(j, k, index[m], s, e) for j, k, m, s, e in ops]
        t0 = time.perf_counter()
        try:
            result = reschedule(inst, before, now=req.now, down=down)
        except PetriError as e:         # past the calendars' ten years
            raise HTTPException(422, f"schedule {schedule_id}: {e}") from None
        result.wall_seconds = time.perf_counter() - t0
        problems = check_schedule(inst, result)
        if problems:             # never expected
            raise HTTPException(500, f"the repaired schedule is infeasible: {problems[0]}")
        sid = state.db.save(name=irow.name, format=irow.format, source="", instance=inst,
                            schedule=result, fallback=False, instance_id=irow.id,
                            parent_id=schedule_id)
        state.metrics.schedule(result.method, False)
        body = out(sid, irow.name, result, False)
        old = {(o.job, o.operation): o for o in before}
        names = inst.machine_names
        body["parent"] = schedule_id
        body["moved"] = []
        for o in sorted(result.operations, key=lambda o: (o.job, o.operation)):
            w = old[(o.job, o.operation)]
            if (w.machine, w.start, w.end) != (o.machine, o.start, o.end):
                body["moved"].append({"job": o.job, "operation": o.operation,
                                      "machine": names[o.machine], "start": o.start,
                                      "end": o.end,
                                      "was": {"job": w.job, "operation": w.operation,
                                              "machine": names[w.machine], "start": w.start,
                                              "end": w.end}})
        return body

    return app
