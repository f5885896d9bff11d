"""The workbench's local web server: the page (package data) and a JSON API over a ``Game``.

Standard library only (``http.server.ThreadingHTTPServer``); binds to 127.0.0.1 unless told
otherwise. Bad requests get a JSON ``{"error": "..."}`` with 400 (malformed), 404 (unknown
path), 405 (wrong method), 409 (not possible in this state: a binding that is not enabled),
413 (body too large); no traceback reaches the client or the terminal.

GET ``/api/net``, ``/api/state``, ``/api/events[?since=N]``, ``/api/events.csv``,
``/api/decisions[?since=N]``, ``/api/svg``, ``/api/reach``; POST ``/api/fire``, ``/api/step``,
``/api/advance``, ``/api/run``, ``/api/undo``, ``/api/reset``, ``/api/goto`` (docs/cli.md).
"""
from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from ..errors import PetriError
from .game import Game, Refused

__all__ = ["make_server", "MAX_BODY", "STATIC"]

#: the largest request body accepted (bytes)
MAX_BODY = 64 * 1024
#: the page's files: URL path -> (file in petri/workbench/static, content type)
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}


class BadRequest(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Handler(BaseHTTPRequestHandler):
    server_version = "petri-workbench"
    sys_version = ""
    timeout = 30        # seconds a client may take to send its request
    game: Game = None  # set by make_server

    # -- plumbing ------------------------------------------------------------------------------
    def log_message(self, format, *args):     # quiet: the terminal is not a request log
        pass

    def _send(self, status: int, body: bytes, ctype: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data) -> None:
        self._send(status, json.dumps(data).encode("utf-8"), "application/json")

    def _body(self) -> dict:
        length = self.headers.get("Content-Length")
        if length is None:
            if self.headers.get("Transfer-Encoding"):
                raise BadRequest(411, "send the body with a Content-Length")
            return {}
        try:
            n = int(length)
        except ValueError:
            raise BadRequest(400, "Content-Length is not a number") from None
        if n < 0:
            raise BadRequest(400, "Content-Length is negative")
        if n > MAX_BODY:
            raise BadRequest(413, f"the request body is larger than {MAX_BODY} bytes")
        try:
            raw = self.rfile.read(n) if n else b""
        except TimeoutError:
            raise BadRequest(408, "the request body did not arrive in time") from None
        if len(raw) < n:
            raise BadRequest(400, "the request body is shorter than its Content-Length")
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise BadRequest(400, f"the body is not JSON: {e}") from None
        if not isinstance(data, dict):
            raise BadRequest(400, "the body must be a JSON object")
        return data

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        try:
            if method == "POST":
                body = self._body()
            routes = GET_ROUTES if method in ("GET", "HEAD") else POST_ROUTES
            other = POST_ROUTES if method in ("GET", "HEAD") else GET_ROUTES
            if method in ("GET", "HEAD") and url.path in STATIC:
                return self._static(url.path)
            if url.path not in routes:
                if url.path in other or (url.path in STATIC and method == "POST"):
                    raise BadRequest(405, f"{url.path} does not take {method}")
                raise BadRequest(404, f"no such page: {url.path}")
            if method == "POST":
                result = routes[url.path](self, body)
                self._json(200, {**result, "state": self.game.state_json()})
            else:
                query = {k: v[-1] for k, v in parse_qs(url.query).items()}
                routes[url.path](self, query)
        except BadRequest as e:
            self._json(e.status, {"error": str(e)})
        except Refused as e:
            self._json(409, {"error": str(e)})
        except PetriError as e:
            self._json(400, {"error": str(e)})
        except Exception as e:      # a failing controller or inscription: one line, no traceback
            print(f"petri play: {method} {url.path}: {type(e).__name__}: {e}", file=sys.stderr)
            self._json(500, {"error": f"{type(e).__name__}: {e}"})

    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._json(405, {"error": f"{urlsplit(self.path).path} does not take {self.command}"})

    do_DELETE = do_PATCH = do_PUT

    def _static(self, path: str) -> None:
        name, ctype = STATIC[path]
        data = resources.files("petri.workbench").joinpath("static", name).read_bytes()
        self._send(200, data, ctype)

    # -- GET ------------------------------------------------------------------------------------
    def get_net(self, query):
        self._json(200, self.game.net_json())

    def get_state(self, query):
        self._json(200, self.game.state_json())

    def get_events(self, query):
        self._json(200, self.game.events_json(_since(query)))

    def get_events_csv(self, query):
        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.game.net.name)
        self._send(200, self.game.events_csv().encode("utf-8"), "text/csv; charset=utf-8",
                   {"Content-Disposition": f'attachment; filename="{name or "net"}-events.csv"'})

    def get_decisions(self, query):
        self._json(200, self.game.decisions_json(_since(query)))

    def get_svg(self, query):
        self._send(200, self.game.svg().encode("utf-8"), "image/svg+xml")

    def get_reach(self, query):
        self._json(200, self.game.reach_json())

    # -- POST -----------------------------------------------------------------------------------
    def post_fire(self, body):
        if "transition" not in body:
            raise BadRequest(400, 'give the "transition" to fire (and its "binding")')
        return {"event": self.game.fire(body["transition"], body.get("binding"))}

    def post_step(self, body):
        return {"event": self.game.step()}

    def post_advance(self, body):
        return self.game.advance()

    def post_run(self, body):
        return self.game.run(until=body.get("until"), firings=body.get("firings"))

    def post_undo(self, body):
        return self.game.undo()

    def post_reset(self, body):
        return self.game.reset(body.get("seed"))

    def post_goto(self, body):
        return self.game.goto(body.get("state"))


def _since(query) -> int:
    try:
        return max(0, int(query.get("since", 0)))
    except ValueError:
        raise BadRequest(400, "since must be a whole number") from None


GET_ROUTES = {"/api/net": Handler.get_net, "/api/state": Handler.get_state,
              "/api/events": Handler.get_events, "/api/events.csv": Handler.get_events_csv,
              "/api/decisions": Handler.get_decisions, "/api/svg": Handler.get_svg,
              "/api/reach": Handler.get_reach}
POST_ROUTES = {"/api/fire": Handler.post_fire, "/api/step": Handler.post_step,
               "/api/advance": Handler.post_advance, "/api/run": Handler.post_run,
               "/api/undo": Handler.post_undo, "/api/reset": Handler.post_reset,
               "/api/goto": Handler.post_goto}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # a client that went away mid-answer, or anything else outside a route: one line
        e = sys.exc_info()[1]
        if not isinstance(e, (ConnectionError, TimeoutError)):
            print(f"petri play: {type(e).__name__}: {e}", file=sys.stderr)


def make_server(game: Game, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A server for ``game`` (not yet serving: call ``serve_forever``); port 0 picks a free one."""
    handler = type("GameHandler", (Handler,), {"game": game})
    return _Server((host, port), handler)
