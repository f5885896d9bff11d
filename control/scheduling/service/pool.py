"""The scheduling processes behind ``petri serve --workers N``.

One server process speaks HTTP (every connection, every endpoint) and hands the body of each
``POST /schedules`` to whichever of N scheduling processes is free; the others wait in the
order they arrived. Each scheduling process reads the body, builds the instance, schedules,
checks and stores it (its own database connection, one transaction per schedule) and
returns the answer's bytes. A request with a ``time_limit`` (it improves for seconds) is
handed back and runs in the HTTP process beside the queue.

Which process schedules a request does not depend on the connection it came on: a client
that keeps its connection open is not tied to one process's queue.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import signal
import threading
import time

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from petri.errors import CommandError

__all__ = ["SchedulingPool"]

#: a process's answer to a request with a time limit: run it in the HTTP process
BESIDE = "beside"


class _Worker:
    def __init__(self, context, settings_text: str, number: int):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, settings_text), daemon=True,
                                       name=f"petri-schedules-{number}")
        self.process.start()
        child.close()

    def wait_ready(self) -> None:
        try:
            message = self.conn.recv()
        except (EOFError, OSError):
            message = None
        if message != "ready":
            raise CommandError(f"a scheduling process stopped while starting "
                               f"(exit code {self.process.exitcode})")

    def ask(self, body: bytes, content_type: str | None):
        self.conn.send((body, content_type))
        return self.conn.recv()


class SchedulingPool:
    """``processes`` scheduling processes, started now; each loads the policy and waits for
    the compiled pass as the settings say (``wait_ready``)."""

    def __init__(self, settings_text: str, processes: int):
        self._context = multiprocessing.get_context("spawn")
        self._settings = settings_text
        self._started = 0
        self._workers = [self._start() for _ in range(processes)]
        self._idle: asyncio.Queue = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wait_ready(self) -> None:
        """Return once every process has loaded (raises ``CommandError`` if one stopped)."""
        try:
            for w in self._workers:
                w.wait_ready()
        except CommandError:
            for w in self._workers:
                w.process.kill()
            raise
        for w in self._workers:
            self._idle.put_nowait(w)

    def _start(self) -> _Worker:
        self._started += 1
        return _Worker(self._context, self._settings, self._started)

    async def schedule(self, body: bytes, content_type: str | None):
        """(answer bytes, method, fallback) from the next free process; None for a request
        with a time limit (the caller runs it); raises what the endpoint answers."""
        self._loop = asyncio.get_running_loop()
        worker = await self._idle.get()
        while not worker.process.is_alive():      # it stopped while idle: the next one
            self._replace(worker)
            worker = await self._idle.get()
        exchange = asyncio.ensure_future(run_in_threadpool(worker.ask, body, content_type))
        try:
            reply = await asyncio.shield(exchange)
        except (EOFError, OSError):   # the process stopped during the request
            self._replace(worker)
            raise HTTPException(500, "the scheduling process stopped during this request; "
                                     "a new one is starting") from None
        except asyncio.CancelledError:
            # This request was cancelled (the server stopping, a client gone) while its
            # process schedules: the process is free again once the exchange is over.
            exchange.add_done_callback(lambda done: self._after_cancel(worker, done))
            raise
        self._idle.put_nowait(worker)
        kind, *rest = reply
        if kind == "done":
            return tuple(rest)
        if kind == BESIDE:
            return None
        if kind == "invalid":
            raise RequestValidationError(rest[0])
        if kind == "http":
            raise HTTPException(*rest)
        if kind == "unavailable":
            raise _DatabaseUnavailable()
        raise HTTPException(500, rest[0])

    def _after_cancel(self, worker: _Worker, exchange: asyncio.Future) -> None:
        if exchange.cancelled() or exchange.exception() is not None:
            self._replace(worker)      # its answer was not read: a fresh process instead
        else:
            self._idle.put_nowait(worker)

    def _replace(self, stopped: _Worker) -> None:
        """Start a process in place of ``stopped``; it joins the free ones once loaded."""
        stopped.conn.close()
        stopped.process.join(0)

        def start():
            while True:
                worker = self._start()
                try:
                    worker.wait_ready()
                    break
                except CommandError:
                    time.sleep(5.0)
            self._loop.call_soon_threadsafe(self._idle.put_nowait, worker)
        threading.Thread(target=start, daemon=True, name="petri-schedules-start").start()


class _DatabaseUnavailable(SQLAlchemyError):
    """Raised in the HTTP process when a scheduling process could not store (answered 503
    like every database error)."""


def _reply(state, body: bytes, content_type: str | None):
    from .app import finish, prepare
    try:
        prepared = prepare(body, content_type)
        if prepared[0].time_limit:
            return (BESIDE,)
        return ("done", *finish(state, *prepared))
    except RequestValidationError as e:
        return ("invalid", [{"loc": list(err.get("loc", ())), "msg": err.get("msg", ""),
                             "type": err.get("type", "")} for err in e.errors()[:20]])
    except HTTPException as e:
        return ("http", e.status_code, e.detail, e.headers)
    except SQLAlchemyError:
        return ("unavailable",)
    except Exception as e:             # answered 500, as the HTTP process answers its own
        return ("failed", f"{type(e).__name__}: {e}")


def _serve(conn, settings_text: str) -> None:
    """A scheduling process: answer requests from ``conn`` one at a time until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # the HTTP process stops it
    import json

    from .app import Settings, _load_policy, _settle_heap, _State
    from .store import open_database
    settings = Settings(**json.loads(settings_text))
    state = _State(settings, open_database(settings.database, migrate=False))
    _load_policy(state)
    ready = None
    if state.policy is not None:
        from ..onepass import warm_up
        ready = warm_up()
        ready.wait(settings.compiled_wait)
    _settle_heap(ready)
    conn.send("ready")
    while True:
        try:
            body, content_type = conn.recv()
        except (EOFError, OSError):   # the HTTP process has stopped
            return
        conn.send(_reply(state, body, content_type))
