"""The scheduling service: schedules over an authenticated HTTP API, kept in a database.

``petri serve`` runs it (FastAPI under uvicorn, the ``serve`` extra); ``petri keys`` makes and
revokes API keys; ``petri schedule --database URL`` stores command-line results in the same
tables. See docs/service.md.

* ``store``: the tables (SQLAlchemy), their Alembic migrations, saving and reading schedules;
* ``requests``: what a request may contain (pydantic) and how it becomes an ``Instance``;
* ``reschedule``: repairing a schedule after a machine breakdown, started operations kept;
* ``metrics``: request counts, latencies and schedule counters in Prometheus' text format;
* ``app``: the HTTP endpoints.

Nothing here is imported by ``import petri`` or ``import control.scheduling``.
"""
__all__: list[str] = []
