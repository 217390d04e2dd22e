"""Suite-owned databases: a fresh one per scenario, a URL for the gateway, backup and restore.

SQLite keeps its file in the scenario sandbox. PostgreSQL gets a new database per scenario on a
server the run owns (embedded ``pgserver``) or one the user names (``-D postgres_url=``); the
database carries the suite's mark and is dropped at the end, and the suite refuses to drop or
reuse one without the mark. Backends share one small surface (``url_for``, ``engine``,
``backup``, ``restore``, ``alembic_revisions``) so the steps never care which engine is underneath.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shlex
import shutil
import sqlite3
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Self, cast

from sqlalchemy import Engine, create_engine, inspect, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.sandbox import MARKER
from upgrade_suite.base.waiting import bounded_run
from upgrade_suite.releases.specs import Release

if TYPE_CHECKING:
    import pgserver  # imported for real only when an embedded server starts (_start_embedded)

#: Written as the COMMENT of every PostgreSQL database the suite creates; nothing else is dropped.
PG_MARK = "created by gateway-upgrade-suite"


@dataclass(frozen=True)
class Backup:
    """A point-in-time copy of a database, with what it took to make it."""

    path: Path
    seconds: float

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size


class Database(Protocol):
    """What a scenario needs of a database, whatever the engine."""

    engine_name: str
    label: str

    @property
    def description(self) -> str:
        """Engine and server version, for the report's environment block."""
        ...

    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...
    def url_for(self, release: Release | None = None) -> str: ...
    def engine(self) -> contextlib.AbstractContextManager[Engine]: ...
    def alembic_revisions(self) -> list[str]: ...
    def backup(self, name: str) -> Backup: ...
    def restore(self, backup: Backup) -> None: ...
    # A copy of another database of the same engine (a SqliteDatabase copies a SqliteDatabase).
    def copy_from(self, source: Self) -> None: ...


def stamped_revisions(engine: Engine) -> list[str]:
    """The revisions in ``alembic_version`` (empty when the table does not exist)."""
    if "alembic_version" not in inspect(engine).get_table_names():
        return []
    with engine.connect() as connection:
        return sorted(row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version")))


class _Reads:
    """The suite's own reads of a backend's database (snapshots, revision checks)."""

    def sqlalchemy_url(self) -> str | URL:
        raise NotImplementedError

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        """A short-lived SQLAlchemy engine, disposed after the block."""
        engine = create_engine(self.sqlalchemy_url())
        try:
            yield engine
        finally:
            engine.dispose()

    def alembic_revisions(self) -> list[str]:
        with self.engine() as engine:
            return stamped_revisions(engine)


class SqliteDatabase(_Reads):
    """A SQLite file inside a sandbox directory; only ever a file this object created."""

    engine_name = "sqlite"
    label = "SQLite"

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.path = directory / "gateway.db"

    def __enter__(self) -> SqliteDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        """Nothing to stop: the file stays with the sandbox (kept as evidence when a scenario fails)."""

    @property
    def description(self) -> str:
        """The SQLite library every release uses (their venvs are built on the suite's interpreter)."""
        return f"SQLite {sqlite3.sqlite_version}"

    def url_for(self, release: Release | None = None) -> str:
        """The DATABASE_URL a gateway of ``release`` is given (the same for every SQLite release)."""
        return f"sqlite:///{self.path}"

    def sqlalchemy_url(self) -> str | URL:
        return f"sqlite:///{self.path}"

    def backup(self, name: str) -> Backup:
        """A consistent copy via SQLite's online backup API (safe even while a gateway has it open)."""
        target = self.directory / f"{name}.db"
        started = time.monotonic()
        _sqlite_copy(self.path, target)
        return Backup(target, time.monotonic() - started)

    def restore(self, backup: Backup) -> None:
        """Put a backup back in place of the live database (the gateway must be stopped)."""
        _sqlite_copy(backup.path, self.path)

    def copy_from(self, source: SqliteDatabase) -> None:
        """Become an exact copy of another (stopped) SQLite database: a seeded fixture's copy."""
        _sqlite_copy(source.path, self.path)


def _sqlite_copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


class PostgresServer:
    """A PostgreSQL server for the run: embedded (``pgserver``, started and stopped here) or given by URL."""

    def __init__(self, url: str | None = None) -> None:
        self._given = url
        self._embedded: pgserver.PostgresServer | None = None
        self._scratch: Path | None = None
        self.admin_url: URL | None = None
        self.version = ""

    @property
    def shown_url(self) -> str:
        """The server's URL as a user would write it, password hidden."""
        assert self.admin_url is not None
        return self.admin_url.set(drivername="postgresql").render_as_string(hide_password=True)

    @property
    def _admin_url(self) -> URL:
        """``admin_url``, set once the server is entered."""
        assert self.admin_url is not None
        return self.admin_url

    @property
    def label(self) -> str:
        return "embedded PostgreSQL (pgserver)" if self._given is None else f"PostgreSQL at {self.shown_url}"

    def __enter__(self) -> PostgresServer:
        if self._given is None:
            self._start_embedded()
        else:
            self.admin_url = make_url(self._given).set(drivername="postgresql+psycopg")
        self._check_reachable()
        return self

    def _start_embedded(self) -> None:
        # pgserver's platformdirs warns on machines without a login session; it is harmless here.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import pgserver

        # A short path: the server's unix socket lives in its data directory (108-byte limit).
        self._scratch = Path(tempfile.mkdtemp(prefix="upgpg-"))
        (self._scratch / MARKER).write_text(f"pid={os.getpid()}\ncwd={os.getcwd()}\n")  # whose run it is
        try:
            self._embedded = pgserver.get_server(self._scratch / "data", cleanup_mode="stop")
        except Exception as error:  # pgserver raises bare exceptions from initdb/pg_ctl
            shutil.rmtree(self._scratch, ignore_errors=True)
            raise SuiteError(
                f"the embedded PostgreSQL did not start ({error}); or give -D postgres_url=postgresql://user:pass@host/db"
            ) from None
        self.admin_url = make_url(self._embedded.get_uri()).set(drivername="postgresql+psycopg")

    def _check_reachable(self) -> None:
        engine = create_engine(self._admin_url, connect_args={"connect_timeout": 10})
        try:
            with engine.connect() as connection:
                self.version = cast(str, connection.exec_driver_sql("SHOW server_version").scalar())
        except OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise SuiteError(
                f"PostgreSQL at {self.shown_url} cannot be reached ({reason}): check -D postgres_url"
            ) from None
        finally:
            engine.dispose()

    def __exit__(self, *exc: object) -> None:
        if self._embedded is not None:
            self._embedded.cleanup()
            self._embedded = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    @contextmanager
    def _admin(self, database: str = "") -> Iterator[Engine]:
        """The admin's engine in autocommit, on the admin database or on ``database``."""
        engine = create_engine(
            self._admin_url.set(database=database) if database else self._admin_url, isolation_level="AUTOCOMMIT"
        )
        try:
            yield engine
        finally:
            engine.dispose()

    def _refuse_unless_ours(self, name: str, doing: str) -> None:
        """Only a database that carries the suite's mark is copied, changed or dropped."""
        if not self.is_ours(name):
            raise SuiteError(f"refusing to {doing} PostgreSQL database {name}: it does not carry the suite's mark")

    def create_database(self, template: str = "") -> str:
        """A new database marked as the suite's (empty, or a copy of a suite-owned ``template``)."""
        if template:
            self._refuse_unless_ours(template, "copy")
        name = f"upgsuite_{secrets.token_hex(6)}"
        with self._admin() as engine, engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
            connection.exec_driver_sql(f"COMMENT ON DATABASE \"{name}\" IS '{PG_MARK}'")
        return name

    def is_ours(self, name: str) -> bool:
        with self._admin() as engine, engine.connect() as connection:
            comment = connection.execute(
                text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :name"),
                {"name": name},
            ).scalar()
        return comment == PG_MARK

    def drop_database(self, name: str) -> None:
        """Drop a database the suite created (connections are cut first); refuse any other."""
        self._refuse_unless_ours(name, "drop")
        with self._admin() as engine, engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @property
    def embedded(self) -> bool:
        """Whether the suite started this server (then its configuration is the suite's to change)."""
        return self._embedded is not None

    def crash_command(self) -> list[str]:
        """The command that stops this server at once (``pg_ctl stop -m immediate``: no checkpoint, every backend
        cut), run as the user pgserver runs postgres as; only the suite's own server may be crashed."""
        if self._embedded is None:
            raise SuiteError("only the suite's embedded PostgreSQL may be stopped mid-migration, never a given server")
        stop = [self.tool("pg_ctl"), "-D", str(self._embedded.pgdata), "stop", "-m", "immediate", "-w"]
        user = self._embedded.system_user
        return ["su", user, "-s", "/bin/sh", "-c", shlex.join(stop)] if user else stop

    def recover(self) -> float:
        """Start the crashed server again (it replays its WAL); the seconds until it accepts connections."""
        if self._embedded is None:
            raise SuiteError("only the suite's embedded PostgreSQL is restarted by the suite")
        started = time.monotonic()
        self._embedded.ensure_postgres_running()
        self._check_reachable()
        return time.monotonic() - started

    def admin_sql(self, *statements: str, database: str = "") -> list[object]:
        """Statements as the server's admin, in autocommit (in ``database`` when given, a suite database only);
        each one's first value, if it returns rows."""
        if database:
            self._refuse_unless_ours(database, "change")
        with self._admin(database) as engine, engine.connect() as connection:
            results = [connection.exec_driver_sql(statement) for statement in statements]
            return [result.scalar() if result.returns_rows else None for result in results]

    def set_read_only(self, name: str, read_only: bool) -> None:
        """Make a suite database refuse writes to every new session (``default_transaction_read_only``), or undo it;
        set from the admin database, since a read-only session cannot change its own database's settings."""
        self._refuse_unless_ours(name, "change")
        setting = "SET default_transaction_read_only = on" if read_only else "RESET default_transaction_read_only"
        self.admin_sql(f'ALTER DATABASE "{name}" {setting}')

    def url(self, database: str, driver: str = "postgresql+psycopg") -> URL:
        return self._admin_url.set(database=database, drivername=driver)

    def tool(self, name: str) -> str:
        """A client program (pg_dump, pg_restore) new enough for the server: pgserver's own (PostgreSQL 16)."""
        import pgserver._commands

        return str(pgserver._commands.POSTGRES_BIN_PATH / name)


class PostgresDatabase(_Reads):
    """One suite-owned database on a PostgreSQL server; created on enter, dropped on exit."""

    engine_name = "postgresql"
    label = "PostgreSQL"

    def __init__(self, server: PostgresServer, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.server = server
        self.directory = directory
        self.name = ""
        self.login: tuple[str, str] | None = None  # who the releases connect as, when not the admin

    def __enter__(self) -> PostgresDatabase:
        self.name = self.server.create_database()
        return self

    @property
    def description(self) -> str:
        return f"PostgreSQL {self.server.version}, {self.server.label}"

    def copy_from(self, source: PostgresDatabase) -> None:
        """Become an exact copy of another suite database, via CREATE DATABASE ... TEMPLATE (no dump)."""
        previous, self.name = self.name, self.server.create_database(template=source.name)
        self.server.drop_database(previous)

    def __exit__(self, *exc: object) -> None:
        if self.name:
            self.server.drop_database(self.name)
            self.name = ""

    def url_for(self, release: Release | None = None) -> str:
        """psycopg 3 for releases that ship it (RC1, GA), plain ``postgresql://`` (psycopg2) for 0.9.0; as the
        ``login`` a scenario set (user, password), percent-encoded as a URL must carry it, else as the admin."""
        driver = "postgresql+psycopg" if release is None or release.postgres_driver == "psycopg" else "postgresql"
        url = self.server.url(self.name, driver)
        if self.login is not None:
            url = url.set(username=self.login[0], password=self.login[1])
        return url.render_as_string(hide_password=False)

    def sqlalchemy_url(self) -> str | URL:
        return self.server.url(self.name)

    def _client(self, program: str, *args: str) -> None:
        url = self.server.url(self.name, "postgresql")
        command = [self.server.tool(program), f"--dbname={url.render_as_string(hide_password=False)}", *args]
        result = bounded_run(command, f"{program} on {self.name}", 600)
        if result.returncode != 0:
            raise SuiteError(f"{program} failed: {result.stderr.strip().splitlines()[-1:]}")

    def backup(self, name: str) -> Backup:
        """``pg_dump`` in custom format: what an operator keeps before an upgrade."""
        target = self.directory / f"{name}.dump"
        started = time.monotonic()
        self._client("pg_dump", "--format=custom", "--no-owner", f"--file={target}")
        return Backup(target, time.monotonic() - started)

    def restore(self, backup: Backup) -> None:
        """The last-resort rollback: empty the database and ``pg_restore`` the dump into it."""
        with self.engine() as engine, engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        self._client("pg_restore", "--no-owner", "--exit-on-error", str(backup.path))


def new_database(engine: str, directory: Path, server: Callable[[], PostgresServer]) -> Database:
    """A new, empty, suite-owned database object of ``engine`` (enter it to create it).

    ``server`` gives the PostgreSQL server, asked only when one is needed (an embedded one starts then).
    """
    if engine == "sqlite":
        return SqliteDatabase(directory)
    if engine == "postgresql":
        return PostgresDatabase(server(), directory)
    raise SuiteError(f"database {engine!r} is not supported: use sqlite or postgresql")
