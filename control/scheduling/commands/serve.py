"""``petri serve``: the scheduling service over HTTP (needs the ``serve`` extra)."""
from __future__ import annotations

import os
import sys

from petri.cli import whole_number
from petri.errors import CommandError

NAME = "serve"
HELP = "serve schedules over an authenticated HTTP API, stored in a database (docs/service.md)"


def add_arguments(p) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--database", metavar="URL", default=None,
                   help="SQLAlchemy database URL (default: $PETRI_DATABASE_URL or "
                        "sqlite:///petri.db); its tables are created or migrated on start")
    p.add_argument("--policy", metavar="FILE",
                   help="a learned policy file (default: the shipped one)")
    p.add_argument("--policy-timeout", type=float, default=30.0, metavar="S",
                   help="seconds a schedule may take beyond its time limit before the "
                        "fallback rule answers instead (default 30)")
    p.add_argument("--fallback-rule", default="mwkr", metavar="RULE",
                   help="the dispatching rule used when a method fails (default mwkr)")
    p.add_argument("--max-body", type=int, default=16 * 2 ** 20, metavar="BYTES",
                   help="largest request body accepted (default 16 MiB)")
    p.add_argument("--workers", type=whole_number(1, 64), default=1, metavar="N",
                   help="server processes answering requests (default 1); schedules are CPU "
                        "work, so up to one per CPU helps under concurrent requests")


def settings_from(args):
    from control.scheduling.rules import RULES
    from control.scheduling.service.app import Settings
    if not 0 <= args.port <= 65535:
        raise CommandError(f"--port {args.port}: must be between 0 and 65535")
    if not args.policy_timeout > 0:
        raise CommandError("--policy-timeout must be more than 0 seconds")
    if args.fallback_rule not in RULES:
        raise CommandError(f"--fallback-rule {args.fallback_rule!r}: unknown rule (known: "
                           f"{', '.join(RULES)})")
    if args.max_body < 1:
        raise CommandError("--max-body must be at least 1 byte")
    return Settings(database=args.database, policy=args.policy,
                    policy_timeout=args.policy_timeout, fallback_rule=args.fallback_rule,
                    max_body=args.max_body, env_key=os.environ.get("PETRI_API_KEY") or None,
                    compiled_wait=60.0)


def run(args) -> int:
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError:
        raise CommandError("petri serve needs FastAPI and uvicorn: "
                           "python -m pip install 'petri-flow[serve]'") from None
    from control.scheduling.service.app import SETTINGS_VARIABLE, create_app, settings_text
    settings = settings_from(args)
    if args.workers == 1:
        app = create_app(settings)
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
        return 0
    # several processes: the tables are migrated once here, then each process builds the app
    # from the settings passed in its environment
    from control.scheduling.service.store import open_database
    try:
        open_database(settings.database).engine.dispose()
        settings.migrate = False
    except CommandError as e:     # down at start: each process tries again per request
        print(f"petri serve: {e}; answering 503 until it is reachable", file=sys.stderr,
              flush=True)
    os.environ[SETTINGS_VARIABLE] = settings_text(settings)
    uvicorn.run("control.scheduling.service.app:app_from_environment", factory=True,
                workers=args.workers, host=args.host, port=args.port, log_level="warning",
                access_log=False)
    return 0
