"""Fixtures shared by test modules: the scheduling service's databases and servers
(``test_service``, ``test_service_plants``), started once for the whole run, and the
scheduling kernels compiled in the background while the first tests run."""
import subprocess
import sys
from pathlib import Path

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


#: numba compiles the policy's one pass and the tabu search once per checkout (minutes on a
#: busy machine) and keeps them in its cache; this process does it on the other core while the
#: tests before theirs run
PRECOMPILE = """
from control.scheduling import localsearch, onepass
one, tabu = onepass.warm_up(), localsearch.warm_up()
one.wait(), tabu.wait()
"""


@pytest.fixture(scope="session", autouse=True)
def _compiling_kernels():
    proc = subprocess.Popen([sys.executable, "-c", PRECOMPILE],
                            cwd=Path(__file__).resolve().parent.parent,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.fixture
def compiled_kernels(_compiling_kernels):
    """Waits for the background compilation, so that a test loads the kernels from numba's
    cache instead of compiling them a second time beside it (if it failed, the test compiles
    them itself)."""
    try:
        _compiling_kernels.wait(timeout=900)
    except subprocess.TimeoutExpired:
        pass
