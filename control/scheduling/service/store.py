"""The service's tables, their migrations, and saving and reading schedules.

Four tables: ``instances`` (the problem as sent, verbatim), ``schedules`` (one answer to an
instance: method, makespan, lower bound, whether the fallback rule made it),
``scheduled_operations`` (one row per operation) and ``api_keys`` (a name and the SHA-256 of
the key; keys themselves are never stored). Any SQLAlchemy URL works; the default is
``sqlite:///petri.db``. ``open_database`` brings the tables to the newest migration (Alembic
scripts shipped in ``migrations/``). A schedule is written in one transaction.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import hmac
import os
import secrets
import threading
from itertools import chain
from operator import attrgetter
from pathlib import Path

from sqlalchemy import (BigInteger, Boolean, DateTime, Double, ForeignKey, Integer, String, Text,
                        bindparam, create_engine, insert, select)
from sqlalchemy.dialects import mysql
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from petri.errors import CommandError

__all__ = ["DEFAULT_URL", "Base", "InstanceRow", "ScheduleRow", "OperationRow", "ApiKey",
           "Database", "open_database", "hash_key", "new_key"]

#: the database used when neither ``--database`` nor ``PETRI_DATABASE_URL`` says otherwise
DEFAULT_URL = "sqlite:///petri.db"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: long texts: TEXT holds 64 KiB in MariaDB, instances can be larger
LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class InstanceRow(Base):
    """A scheduling problem as it was sent: ``format`` is orlib, fjs, json or plant."""

    __tablename__ = "instances"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(LongText)
    n_jobs: Mapped[int] = mapped_column(Integer)
    n_machines: Mapped[int] = mapped_column(Integer)
    n_operations: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[_dt.datetime] = mapped_column(DateTime, default=_now)


class ScheduleRow(Base):
    """One schedule of an instance; ``parent_id``: the schedule it reschedules."""

    __tablename__ = "schedules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id"), nullable=True)
    method: Mapped[str] = mapped_column(String(64))
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    makespan: Mapped[int] = mapped_column(BigInteger)
    lower_bound: Mapped[int] = mapped_column(BigInteger)
    wall_seconds: Mapped[float] = mapped_column(Double)
    origin: Mapped[str] = mapped_column(String(16), default="api")
    created_at: Mapped[_dt.datetime] = mapped_column(DateTime, default=_now)


class OperationRow(Base):
    """Operation ``operation`` of job ``job`` on ``machine`` (its name) from start to end."""

    __tablename__ = "scheduled_operations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id"), index=True)
    job: Mapped[int] = mapped_column(Integer)
    operation: Mapped[int] = mapped_column(Integer)
    machine: Mapped[str] = mapped_column(String(200))
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)


class ApiKey(Base):
    """An API key by name: the SHA-256 of the key (hex), revoked or not."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[_dt.datetime] = mapped_column(DateTime, default=_now)
    revoked_at: Mapped[_dt.datetime | None] = mapped_column(DateTime, nullable=True)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh API key: 32 random bytes, URL-safe."""
    return "pk_" + secrets.token_urlsafe(32)


def database_url(url: str | None) -> str:
    return url or os.environ.get("PETRI_DATABASE_URL") or DEFAULT_URL


def _plain_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        from sqlalchemy.engine import make_url
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database URL>"


class Database:
    """An engine and its sessions, with the operations the service and the commands need."""

    def __init__(self, url: str):
        self.url = url
        try:
            from sqlalchemy.engine import make_url
            kwargs: dict = {"pool_pre_ping": True}
            parsed = make_url(url)
            if parsed.get_backend_name() == "sqlite" and "timeout" not in parsed.query:
                # concurrent requests queue for SQLite's single writer instead of failing
                kwargs["connect_args"] = {"timeout": 30}
            self.engine = create_engine(url, **kwargs)
            # SQLite has one writer at a time and lets waiting writers poll for the lock,
            # unfairly: under load some wait for many seconds. This process's writes queue
            # here instead, each transaction short (its rows are prepared before it starts).
            self._writing = (threading.Lock() if parsed.get_backend_name() == "sqlite"
                             else contextlib.nullcontext())
        except (ArgumentError, ImportError, ValueError) as e:
            raise CommandError(f"{_plain_url(url)}: not a usable database URL ({e})") from None
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    # -- schema ------------------------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the tables to the newest migration (creates them in an empty database)."""
        from alembic import command
        from alembic.config import Config
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except SQLAlchemyError as e:
            raise CommandError(f"{_plain_url(self.url)}: cannot prepare the database: "
                               f"{_first_line(e)}") from None

    def ping(self) -> None:
        """Read one row of a table (raises ``SQLAlchemyError`` if the database does not
        answer)."""
        with self.engine.connect() as conn:
            conn.execute(select(ApiKey.id).limit(1)).all()

    # -- keys --------------------------------------------------------------------------------
    def create_key(self, name: str) -> str:
        """A new key called ``name`` (returned once; only its hash is kept)."""
        key = new_key()
        with self.sessions.begin() as s:
            old = s.scalar(select(ApiKey).where(ApiKey.name == name))
            if old is not None and old.revoked_at is None:
                raise CommandError(f"a key called {name!r} exists already (revoke it first)")
            if old is not None:
                s.delete(old)
                s.flush()
            s.add(ApiKey(name=name, key_hash=hash_key(key)))
        return key

    def revoke_key(self, name: str) -> None:
        with self.sessions.begin() as s:
            row = s.scalar(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None)))
            if row is None:
                raise CommandError(f"no key called {name!r}")
            row.revoked_at = _now()

    def list_keys(self) -> list[tuple[str, _dt.datetime, _dt.datetime | None]]:
        with self.sessions() as s:
            return [(k.name, k.created_at, k.revoked_at)
                    for k in s.scalars(select(ApiKey).order_by(ApiKey.id))]

    def key_is_valid(self, key: str) -> bool:
        """Whether ``key`` is a key not revoked; every hash is compared in constant time."""
        digest = hash_key(key)
        with self.sessions() as s:
            hashes = s.scalars(select(ApiKey.key_hash).where(ApiKey.revoked_at.is_(None))).all()
        ok = False
        for h in hashes:
            ok |= hmac.compare_digest(h, digest)
        return ok

    # -- schedules ---------------------------------------------------------------------------
    def save(self, *, name: str, format: str, source: str, instance, schedule, fallback: bool,
             origin: str = "api", instance_id: int | None = None,
             parent_id: int | None = None) -> int:
        """Store ``schedule`` (and its instance unless ``instance_id`` is given) in one
        transaction; returns the schedule's id."""
        names = instance.machine_names
        ops = sorted(schedule.operations, key=_BY_JOB)
        # the two rows by SQLAlchemy Core (the ORM's unit of work costs more than the
        # database's work for them), the operations by one driver call per chunk
        with self._writing, self.engine.begin() as conn:
            if instance_id is None:
                instance_id = conn.execute(_INSERT_INSTANCE, {
                    "name": name[:200], "format": format, "source": source,
                    "n_jobs": instance.n_jobs, "n_machines": instance.n_machines,
                    "n_operations": instance.n_operations}).inserted_primary_key[0]
            sid = conn.execute(_INSERT_SCHEDULE, {
                "instance_id": instance_id, "parent_id": parent_id, "method": schedule.method,
                "fallback": fallback, "makespan": int(schedule.makespan),
                "lower_bound": int(schedule.lower_bound),
                "wall_seconds": float(schedule.wall_seconds), "origin": origin}
            ).inserted_primary_key[0]
            if ops:
                _insert_many(conn, OperationRow.__table__, _OPERATION_COLUMNS,
                             [(sid, o.job, o.operation, names[o.machine], int(o.start),
                               int(o.end)) for o in ops])
            return sid

    def schedule(self, schedule_id: int) -> tuple[ScheduleRow, InstanceRow, list] | None:
        """The schedule, its instance and its operations (job, operation, machine, start, end),
        or None."""
        with self.sessions() as s:
            sched = s.get(ScheduleRow, schedule_id)
            if sched is None:
                return None
            inst = s.get(InstanceRow, sched.instance_id)
            ops = s.execute(select(OperationRow.job, OperationRow.operation, OperationRow.machine,
                                   OperationRow.start, OperationRow.end)
                            .where(OperationRow.schedule_id == schedule_id)
                            .order_by(OperationRow.job, OperationRow.operation)).all()
            return sched, inst, [tuple(o) for o in ops]

    def counts(self) -> dict[str, int]:
        """Schedules stored, by origin (api, cli)."""
        from sqlalchemy import func
        with self.engine.connect() as conn:
            rows = conn.execute(select(ScheduleRow.origin, func.count())
                                .group_by(ScheduleRow.origin)).all()
        return {origin: n for origin, n in rows}

    def schedules(self, limit: int) -> list[tuple[ScheduleRow, InstanceRow]]:
        """The newest ``limit`` schedules, newest first."""
        with self.sessions() as s:
            rows = s.execute(select(ScheduleRow, InstanceRow)
                             .join(InstanceRow, ScheduleRow.instance_id == InstanceRow.id)
                             .order_by(ScheduleRow.id.desc()).limit(limit)).all()
            return [(a, b) for a, b in rows]


#: the statements that store an instance and a schedule (made once: SQLAlchemy compiles each
#: once per dialect and keeps it)
_INSERT_INSTANCE = insert(InstanceRow.__table__)
_INSERT_SCHEDULE = insert(ScheduleRow.__table__)
#: operations in the order of their job and their place in it
_BY_JOB = attrgetter("job", "operation")
_OPERATION_COLUMNS = ("schedule_id", "job", "operation", "machine", "start", "end")


def _insert_many(conn, table, columns, rows) -> None:
    """Insert ``rows`` (tuples of ``columns``) with one executemany of the database driver:
    the statement is compiled once for the connection's dialect, and the rows go to the
    driver as they are (no per-row processing of parameters, which costs more than the
    database's work for thousands of plain integers and names)."""
    stmt = insert(table).values({c: bindparam(c) for c in columns})
    compiled = stmt.compile(dialect=conn.dialect)
    names = compiled.positiontup
    if names is not None:             # positional parameters (?, %s, :1)
        order = [columns.index(n) for n in names]
        params = rows if order == list(range(len(columns))) else \
            [tuple(r[i] for i in order) for r in rows]
    else:                             # named parameters (:name, %(name)s)
        params = [dict(zip(columns, r)) for r in rows]
    sql = str(compiled)
    head, values = sql.rsplit(" VALUES ", 1) if " VALUES " in sql else (sql, "")
    if conn.dialect.name == "sqlite" and names is not None and len(params) > 1 and \
            values.startswith("(") and values.endswith(")"):
        # SQLite runs its statement once per row of an executemany; rows in one statement,
        # _SQLITE_ROWS at a time (within SQLite's oldest limit of 999 parameters), take half
        # the time
        for i in range(0, len(params), _SQLITE_ROWS):
            chunk = params[i:i + _SQLITE_ROWS]
            conn.exec_driver_sql(f"{head} VALUES {', '.join([values] * len(chunk))}",
                                 tuple(chain.from_iterable(chunk)))
        return
    conn.exec_driver_sql(sql, params)


_SQLITE_ROWS = 150


def _first_line(e: Exception) -> str:
    text = str(getattr(e, "orig", None) or e)
    return text.splitlines()[0] if text else type(e).__name__


def open_database(url: str | None = None, migrate: bool = True) -> Database:
    """The database at ``url`` (default ``PETRI_DATABASE_URL`` or sqlite:///petri.db), its
    tables brought up to date."""
    db = Database(database_url(url))
    if migrate:
        db.migrate()
    return db
