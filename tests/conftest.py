"""Fixtures shared by test modules: the scheduling service's databases and servers
(``test_service``, ``test_service_plants``), started once for the whole run."""
import pytest

from control.scheduling.service import store
from test_service import SERVERS, Server, _server_url


@pytest.fixture(scope="session", params=["sqlite", *SERVERS])
def db_url(request, tmp_path_factory):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'petri.db'}"
    url = _server_url(request.param)
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.begin() as conn:           # a clean database for this run
        store.Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    return url


@pytest.fixture(scope="session", params=[1, 2], ids=["one-process", "two-scheduling-processes"])
def server(db_url, request):
    """The server alone, and with two scheduling processes behind its HTTP process."""
    s = Server(db_url, "--workers", request.param)
    yield s
    s.stop()
