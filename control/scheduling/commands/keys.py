"""``petri keys create|revoke|list``: the API keys of the scheduling service."""
from __future__ import annotations

NAME = "keys"
HELP = "create, revoke or list the scheduling service's API keys"


def add_arguments(p) -> None:
    p.add_argument("action", choices=("create", "revoke", "list"),
                   help="create NAME (prints the key once), revoke NAME, or list")
    p.add_argument("name", nargs="?", metavar="NAME", help="the key's name")
    p.add_argument("--database", metavar="URL", default=None,
                   help="SQLAlchemy database URL (default: $PETRI_DATABASE_URL or "
                        "sqlite:///petri.db)")


def run(args) -> int:
    from petri.errors import CommandError
    try:
        from control.scheduling.service.store import open_database
    except ImportError:
        raise CommandError("petri keys needs SQLAlchemy and Alembic: "
                           "python -m pip install 'petri-flow[serve]'") from None
    if args.action != "list" and not args.name:
        raise CommandError(f"petri keys {args.action} needs a NAME")
    if args.name is not None and not 1 <= len(args.name) <= 200:
        raise CommandError("a key's NAME has 1 to 200 characters")
    db = open_database(args.database)
    if args.action == "create":
        key = db.create_key(args.name)
        print(key)
        print(f"key {args.name!r} created; it is shown only now: keep it", flush=True,
              file=__import__("sys").stderr)
    elif args.action == "revoke":
        db.revoke_key(args.name)
        print(f"key {args.name!r} revoked")
    else:
        for name, created, revoked in db.list_keys():
            state = f"revoked {revoked:%Y-%m-%d %H:%M}" if revoked else "active"
            print(f"{name}\tcreated {created:%Y-%m-%d %H:%M}\t{state}")
    return 0
