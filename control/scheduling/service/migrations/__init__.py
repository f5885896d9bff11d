"""Alembic migrations of the scheduling service's tables (``env.py`` and ``versions/``)."""
__all__: list[str] = []
