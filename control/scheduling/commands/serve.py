"""``petri serve``: the scheduling service over HTTP (needs the ``serve`` extra)."""
from __future__ import annotations

import os

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
                   help="processes that make schedules (default 1: the server itself); with "
                        "N > 1, one process speaks HTTP and hands each schedule to whichever "
                        "of N scheduling processes is free; up to one per CPU helps")


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
                    compiled_wait=60.0, workers=args.workers)


def run(args) -> int:
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError:
        raise CommandError("petri serve needs FastAPI and uvicorn: "
                           "python -m pip install 'petri-flow[serve]'") from None
    from control.scheduling.service.app import create_app
    app = create_app(settings_from(args))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0
