"""Each database-fault injector really injects, and hits only its target (faults.feature stands on them).

The connection ender (``probes/interrupt.py``, point ``terminate``) runs here on a migration of the suite's own
making, in GA's venv (its Alembic, SQLAlchemy and psycopg) on the embedded PostgreSQL: two revisions, the second
with two statements; the ender strikes right after the second revision's first statement. Run once with one
transaction for the whole upgrade (a migration that survives: nothing of it stays) and once with a transaction per
revision (one that does not: the first revision stays committed), so the same injector is shown to leave exactly
what each migration's design leaves. A bystander session open through the run is still alive afterwards: the
ender ended the migration's backend, no other.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from upgrade_suite.base.config import SuiteConfig
from upgrade_suite.probes import PROBES
from upgrade_suite.releases.pypi import PyPIReleases
from upgrade_suite.releases.specs import Release, resolve
from upgrade_suite.releases.venvs import ReleaseCache
from upgrade_suite.services.database import PostgresDatabase, PostgresServer

pytestmark = pytest.mark.integration

ENV_PY = """\
import os
from alembic import context
from sqlalchemy import create_engine

engine = create_engine(os.environ["FAULT_TEST_URL"])
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration={per_revision})
    with context.begin_transaction():
        context.run_migrations()
"""
REVISION = """\
from alembic import op
revision = "{name}"
down_revision = {parent!r}

def upgrade():
{body}
"""


@pytest.fixture(scope="module")
def ga() -> Release:
    config = SuiteConfig.from_userdata({})
    return ReleaseCache(config.cache_dir, 900).provision(
        resolve("GA", config.releases["GA"], PyPIReleases(config.cache_dir))
    )


def _project(root: Path, per_revision: bool) -> Path:
    """An Alembic project: r1 creates one table; r2 creates another, then writes a row into it."""
    versions = root / "versions"
    versions.mkdir(parents=True)
    (root / "env.py").write_text(ENV_PY.format(per_revision=per_revision))
    (root / "script.py.mako").write_text("")
    (versions / "r1.py").write_text(
        REVISION.format(name="r1", parent=None, body='    op.execute("CREATE TABLE a (x int)")')
    )
    body = '    op.execute("CREATE TABLE b (x int)")\n    op.execute("INSERT INTO b VALUES (1)")'
    (versions / "r2.py").write_text(REVISION.format(name="r2", parent="r1", body=body))
    ini = root / "alembic.ini"
    ini.write_text(f"[alembic]\nscript_location = {root}\n")
    return ini


@pytest.mark.parametrize(
    ("per_revision", "left"),
    [(False, ([], None)), (True, (["a"], "r1"))],
    ids=["one-transaction-survives", "a-transaction-per-revision-keeps-r1"],
)
def test_the_connection_ender_ends_the_migrations_own_backend_inside_the_revision(
    ga: Release, tmp_path: Path, per_revision: bool, left: tuple[list[str], str | None]
) -> None:
    with PostgresServer() as server, PostgresDatabase(server, tmp_path) as database:
        url = database.url_for(ga)
        bystander_engine = create_engine(url)
        with bystander_engine.connect() as bystander:
            bystander_pid = bystander.execute(text("SELECT pg_backend_pid()")).scalar()
            run = subprocess.run(
                [
                    str(ga.python),
                    str(PROBES / "interrupt.py"),
                    str(_project(tmp_path / "m", per_revision)),
                    "r2",
                    "terminate",
                ],
                capture_output=True,
                text=True,
                timeout=120,
                env={"FAULT_TEST_URL": url, "PATH": "/usr/bin:/bin"},
            )
            output = run.stdout + run.stderr
            assert run.returncode != 0, output
            struck = next(line for line in output.splitlines() if line.startswith("# suite: TERMINATED"))
            assert "pg_terminate_backend -> True" in struck and "CREATE TABLE b" in struck, struck
            assert f"backend {bystander_pid} " not in struck
            assert "terminating connection due to administrator command" in output, output[-2000:]
            assert bystander.execute(text("SELECT 1")).scalar() == 1, "the bystander's session was not touched"
        bystander_engine.dispose()
        with database.engine() as engine:
            tables = sorted(t for t in inspect(engine).get_table_names() if t != "alembic_version")
            with engine.connect() as connection:
                stamped = (
                    connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                    if inspect(engine).has_table("alembic_version")
                    else None
                )
        assert (tables, stamped) == left


def test_the_small_filesystem_fills_under_sqlite_grows_for_the_retry_and_leaves_the_database_behind(
    tmp_path: Path,
) -> None:
    """Root writes past file modes, not past a tmpfs's size: SQLite says "database or disk is full" there."""
    import sqlite3

    from upgrade_suite.services.database import SqliteDatabase
    from upgrade_suite.services.faults import SmallFilesystem, mounts_under

    database = SqliteDatabase(tmp_path / "database")
    with sqlite3.connect(database.path) as connection:
        connection.execute("CREATE TABLE t (x TEXT)")
    with SmallFilesystem(database, 16 * 1024) as small:
        assert mounts_under(database.directory) == [database.directory.resolve()]
        connection = sqlite3.connect(database.path)
        with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
            for _ in range(1000):
                connection.execute("INSERT INTO t VALUES (?)", ("x" * 4096,))
                connection.commit()
        connection.rollback()
        small.grow(64 * 1024 * 1024)
        connection.execute("INSERT INTO t VALUES ('after')")
        connection.commit()
        connection.close()
    assert not mounts_under(database.directory)
    with sqlite3.connect(database.path) as connection:
        assert connection.execute("SELECT x FROM t WHERE x = 'after'").fetchone() == ("after",)


def test_the_server_stopper_stops_the_whole_server_inside_the_revision_and_it_comes_back(
    ga: Release, tmp_path: Path
) -> None:
    """``crash``: the embedded server stopped with -m immediate from inside the migration; started again, the
    one-transaction migration left nothing behind."""
    import json

    with PostgresServer() as server, PostgresDatabase(server, tmp_path) as database:
        url = database.url_for(ga)
        ini = _project(tmp_path / "m", per_revision=False)
        run = subprocess.run(
            [str(ga.python), str(PROBES / "interrupt.py"), str(ini), "r2", "crash"],
            capture_output=True,
            text=True,
            timeout=120,
            env={
                "FAULT_TEST_URL": url,
                "PATH": "/usr/bin:/bin",
                "UPGRADE_SUITE_CRASH": json.dumps(server.crash_command()),
            },
        )
        output = run.stdout + run.stderr
        assert run.returncode != 0, output
        assert "# suite: CRASHED the server inside revision r2" in output and "-> True" in output, output[-2000:]
        assert server.recover() < 60
        with database.engine() as engine:
            assert [t for t in inspect(engine).get_table_names()] == []


def test_a_wait_across_two_databases_of_one_server_is_seen(tmp_path: Path) -> None:
    """The two-deployments check sees a session of one database waiting for a lock of the other: here both
    comment on the same database (a shared catalog row), the first inside a transaction it keeps open."""
    import threading

    from upgrade_suite.services.database import PG_MARK
    from upgrade_suite.services.locks import LockSampler

    with (
        PostgresServer() as server,
        PostgresDatabase(server, tmp_path / "a") as first,
        PostgresDatabase(server, tmp_path / "b") as second,
    ):
        names = (first.name, second.name)
        holder_engine, waiter_engine = create_engine(first.url_for(None)), create_engine(second.url_for(None))
        with holder_engine.connect() as holder:
            holder.exec_driver_sql(f"COMMENT ON DATABASE \"{second.name}\" IS 'held'")  # its transaction stays open

            def wait() -> None:
                with waiter_engine.connect() as waiter:
                    # the suite's mark is that very comment: the waiter writes it back once it gets through
                    waiter.exec_driver_sql(f"COMMENT ON DATABASE \"{second.name}\" IS '{PG_MARK}'")
                    waiter.commit()

            waiting = threading.Thread(target=wait)
            waiting.start()
            seen: list[str] = []
            with LockSampler(first) as sampler:
                for _ in range(100):
                    seen = sampler.across([first.name, second.name])
                    if seen:
                        break
                    threading.Event().wait(0.05)
            holder.rollback()
            waiting.join(timeout=30)
        holder_engine.dispose()
        waiter_engine.dispose()
    assert seen and seen[0].startswith(f"{names[1]} waits for ") and seen[0].endswith(f"held by {names[0]}"), seen


def test_the_read_only_fault_refuses_writes_on_both_engines_and_undoes_itself(tmp_path: Path) -> None:
    """SQLite under a read-only bind mount and PostgreSQL with default_transaction_read_only: a write is refused
    while it holds, and taken once it is undone; nothing stays mounted."""
    import sqlite3
    from contextlib import closing

    from sqlalchemy.exc import DBAPIError

    from upgrade_suite.services.database import SqliteDatabase
    from upgrade_suite.services.faults import ReadOnly, mounts_under

    sqlite = SqliteDatabase(tmp_path / "sqlite")
    with closing(sqlite3.connect(sqlite.path)) as connection:
        connection.execute("CREATE TABLE t (x int)")
    with ReadOnly(sqlite) as fault:
        with pytest.raises(sqlite3.OperationalError, match="readonly|unable to open"):
            with closing(sqlite3.connect(sqlite.path)) as connection:
                connection.execute("INSERT INTO t VALUES (1)")
        fault.undo()
        with closing(sqlite3.connect(sqlite.path)) as connection:
            connection.execute("INSERT INTO t VALUES (1)")
            connection.commit()
    assert not mounts_under(sqlite.directory)

    with PostgresServer() as server, PostgresDatabase(server, tmp_path / "pg") as database:
        with database.engine() as engine, engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x int)")
        with ReadOnly(database):
            with pytest.raises(DBAPIError, match="read-only transaction"):
                with database.engine() as engine, engine.begin() as connection:
                    connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        with database.engine() as engine, engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
