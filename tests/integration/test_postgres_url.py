"""-D postgres_url: a server the user runs. The suite works only in databases it creates, and drops them."""

from pathlib import Path

import pgserver
import pytest
from sqlalchemy import create_engine, make_url

from conftest import ROOT, run_behave

pytestmark = pytest.mark.integration


@pytest.fixture
def user_server(tmp_path: Path):
    """A PostgreSQL server the suite did not start, holding a database the suite must not touch."""
    server = pgserver.get_server(Path("/tmp") / f"userpg-{tmp_path.name[-8:]}", cleanup_mode="delete")
    server.psql("CREATE DATABASE precious;")
    server.psql("CREATE TABLE IF NOT EXISTS keep (v int); INSERT INTO keep VALUES (42);")
    yield server
    server.cleanup()


def databases(uri: str) -> set[str]:
    engine = create_engine(make_url(uri).set(drivername="postgresql+psycopg"))
    with engine.connect() as connection:
        names = {row[0] for row in connection.exec_driver_sql("SELECT datname FROM pg_database")}
        kept = connection.exec_driver_sql("SELECT v FROM keep").scalar()
    engine.dispose()
    assert kept == 42
    return names


def test_a_given_server_is_used_and_left_as_it_was(workdir: Path, user_server, no_leftovers):
    uri = user_server.get_uri()
    before = databases(uri)
    run = run_behave(
        workdir,
        str(ROOT / "features" / "upgrade.feature"),
        "--tags=@UPG-02 and @postgres and not @current",
        "-D",
        f"postgres_url={uri}",
    )
    assert run.returncode == 0, run.failures()
    assert "1 scenario passed" in run.output
    assert databases(uri) == before, "the suite's databases are dropped, nothing else is touched"
