"""Database faults the suite injects into an upgrade, each a context manager that undoes itself.

``ReadOnly``: the scenario's database refuses writes. PostgreSQL: ``default_transaction_read_only`` on the
database (what a standby promoted late, a DBA's freeze or a full-disk guard gives every new session). SQLite: its
directory bind-mounted read-only over itself (root writes through any file mode, so only a read-only mount stops
it, as a read-only volume does in a pod); the mount is the suite's and is removed on undo, on scenario end and by
``leftovers`` after a crash. Where the machine refuses the mount (no privilege), the injector says so in one line
(``FaultUnavailable``) and the scenario is reported skipped with that reason, never passed.

``EncodedLogin``: the releases reach PostgreSQL as a role whose password holds every character a URL must
percent-encode (``@ : / % ? # & =``), with that password really checked: the embedded server's ``pg_hba.conf``
gets a scram-sha-256 line for that role alone (first, so it wins over the server's trust lines), and a wrong
password is shown refused before the scenario goes on. Only the suite's own server is changed; given a server
(``-D postgres_url``), the scenario is skipped saying so. Undone at the end: the line removed, the role's objects
handed back to the admin, the role dropped.

``SmallFilesystem``: a SQLite database on a size-limited tmpfs of its own that fills while a revision rewrites a
table, then grown (a bigger volume) for the retry.
"""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.services.database import Database, PostgresDatabase, SqliteDatabase


class FaultUnavailable(SuiteError):
    """The machine cannot inject this fault here (a permission, a missing tool): a skip with its reason."""


class FaultMissed(SuiteError):
    """A fault that could not be injected where it had to land: the scenario is inconclusive, not judged."""


def _mount(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *arguments], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)


def mounts_under(root: Path) -> list[Path]:
    """Mount points at or below ``root`` (a run's or a scenario's directory), deepest last, from the kernel's table."""
    prefix = str(root.resolve())
    points = [
        Path(line.split()[1].replace("\\040", " ")) for line in Path("/proc/self/mounts").read_text().splitlines()
    ]
    return [point for point in points if str(point) == prefix or str(point).startswith(prefix + "/")]


def unmount(path: Path) -> None:
    """Remove one mount the suite made. A mount still in use (a process of the scenario holding a file) is
    detached lazily: it leaves the table at once and goes when the last file closes, so no run leaves it behind."""
    result = subprocess.run(["umount", str(path)], capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        lazy = subprocess.run(["umount", "--lazy", str(path)], capture_output=True, text=True, timeout=30)
        if lazy.returncode != 0:
            raise SuiteError(f"could not unmount {path}: {lazy.stderr.strip() or result.stderr.strip()}")


class ReadOnly:
    """``database`` read-only until ``undo()`` (idempotent) or the end of the ``with`` block."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.active = False

    def __enter__(self) -> ReadOnly:
        database = self.database
        if isinstance(database, PostgresDatabase):
            database.server.set_read_only(database.name, True)
        elif isinstance(database, SqliteDatabase):
            self._bind_read_only(database.directory)
        else:
            raise FaultUnavailable(f"no read-only injector for {database.label}")
        self.active = True
        return self

    def _bind_read_only(self, directory: Path) -> None:
        bind = _mount("--bind", str(directory), str(directory))
        if bind.returncode != 0:
            raise FaultUnavailable(
                f"the read-only SQLite database needs a bind mount, refused here: {bind.stderr.strip()}"
            )
        read_only = _mount("-o", "remount,bind,ro", str(directory))
        if read_only.returncode != 0:
            unmount(directory)
            raise FaultUnavailable(f"remounting {directory} read-only was refused: {read_only.stderr.strip()}")

    def alembic_revisions(self) -> list[str]:
        """alembic_version while the fault holds: SQLite read as immutable (a WAL database cannot even be read
        normally from a read-only directory), PostgreSQL as usual (reads are allowed)."""
        database = self.database
        if isinstance(database, SqliteDatabase) and self.active:
            with closing(sqlite3.connect(f"file:{database.path}?mode=ro&immutable=1", uri=True)) as connection:
                return sorted(row[0] for row in connection.execute("SELECT version_num FROM alembic_version"))
        return database.alembic_revisions()

    def undo(self) -> None:
        if not self.active:
            return
        self.active = False
        database = self.database
        if isinstance(database, PostgresDatabase):
            database.server.set_read_only(database.name, False)
        elif isinstance(database, SqliteDatabase):
            for point in reversed(mounts_under(database.directory)):
                unmount(point)

    def __exit__(self, *exc: object) -> None:
        self.undo()


#: Every character a URL's password must percent-encode, in one password.
ENCODED_PASSWORD = "p@ss:w/rd%?#&="


class EncodedLogin:
    """``database`` reached by the releases as a role with ``ENCODED_PASSWORD``, enforced, until the block ends."""

    def __init__(self, database: Database) -> None:
        if not isinstance(database, PostgresDatabase) or not database.server.embedded:
            raise FaultUnavailable(
                "a login with a percent-encoded password needs the suite's embedded PostgreSQL (its pg_hba.conf is the "
                "suite's to change; a given server's is not)"
            )
        self.database = database
        self.role = f"upgsuite_login_{secrets.token_hex(4)}"
        self.hba: Path | None = None
        self.refused = ""  # what the server said to a wrong password: proof that the password is checked

    def __enter__(self) -> EncodedLogin:
        server = self.database.server
        password = ENCODED_PASSWORD.replace("'", "''").replace("%", "%%")  # the driver reads % as a placeholder
        server.admin_sql(f"CREATE ROLE \"{self.role}\" LOGIN SUPERUSER PASSWORD '{password}'")
        (hba,) = server.admin_sql("SHOW hba_file")
        self.hba = Path(str(hba))
        rule = f"local all {self.role} scram-sha-256\nhost all {self.role} all scram-sha-256\n"
        self.hba.write_text(rule + self.hba.read_text())
        server.admin_sql("SELECT pg_reload_conf()")
        self.database.login = (self.role, ENCODED_PASSWORD)
        self.refused = self._wrong_password_refused()
        return self

    def _wrong_password_refused(self) -> str:
        """Connect with the password's first character dropped: the server must refuse it."""
        self.database.login = (self.role, ENCODED_PASSWORD[1:])
        engine = create_engine(self.database.url_for(None))
        try:
            with engine.connect():
                pass
        except OperationalError as error:
            return str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        finally:
            engine.dispose()
            self.database.login = (self.role, ENCODED_PASSWORD)
        raise SuiteError(f"the server let {self.role} in with a wrong password: its pg_hba.conf does not check it")

    def __exit__(self, *exc: object) -> None:
        database, server = self.database, self.database.server
        database.login = None
        if self.hba is not None:
            lines = self.hba.read_text().splitlines(keepends=True)
            self.hba.write_text("".join(line for line in lines if self.role not in line))
            server.admin_sql("SELECT pg_reload_conf()")
        server.admin_sql(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{self.role}'",
            f'REASSIGN OWNED BY "{self.role}" TO CURRENT_USER',
            f'DROP OWNED BY "{self.role}"',
            database=database.name,
        )
        server.admin_sql(f'DROP ROLE IF EXISTS "{self.role}"')


class SmallFilesystem:
    """A SQLite database moved onto a filesystem of its own, only ``slack`` bytes bigger than the database: a
    size-limited tmpfs mounted over its directory (root cannot write past a tmpfs's size), the files copied in.
    ``grow()`` gives it room (what an operator does: a bigger volume); at the end the files are copied back to the
    directory underneath, so the sandbox keeps the database as the fault left it, and the mount is removed."""

    def __init__(self, database: Database, slack: int) -> None:
        if not isinstance(database, SqliteDatabase):
            raise FaultUnavailable("a filesystem that fills is judged on SQLite (PostgreSQL's disk is the server's)")
        self.database: SqliteDatabase = database
        self.slack = slack
        self.size = 0
        self._saved: Path | None = None

    def __enter__(self) -> SmallFilesystem:
        directory = self.database.directory
        self._saved = Path(tempfile.mkdtemp(prefix="upg-small-fs-"))
        files = [p for p in directory.iterdir() if p.is_file()]
        for path in files:
            shutil.copy2(path, self._saved / path.name)
        self.size = self.database.path.stat().st_size + self.slack
        mount = _mount("-t", "tmpfs", "-o", f"size={self.size}", "upgsuite-small-fs", str(directory))
        if mount.returncode != 0:
            shutil.rmtree(self._saved, ignore_errors=True)
            raise FaultUnavailable(
                f"a size-limited tmpfs for the SQLite database was refused here: {mount.stderr.strip()}"
            )
        try:
            shutil.copy2(self._saved / self.database.path.name, self.database.path)
        except OSError as error:
            self._unmount()
            raise FaultUnavailable(
                f"the database does not fit its own filesystem of {self.size} bytes: {error}"
            ) from None
        return self

    def grow(self, size: int) -> None:
        """Give the filesystem ``size`` bytes (a bigger volume), its files as they are."""
        result = _mount("-o", f"remount,size={size}", str(self.database.directory))
        if result.returncode != 0:
            raise SuiteError(f"growing the database's filesystem was refused: {result.stderr.strip()}")
        self.size = size

    def _unmount(self) -> None:
        directory = self.database.directory
        if mounts_under(directory):
            unmount(directory)

    def __exit__(self, *exc: object) -> None:
        directory, saved = self.database.directory, self._saved
        if saved is None:
            return
        try:
            if mounts_under(directory):
                shutil.rmtree(saved)
                saved.mkdir()
                for path in directory.iterdir():
                    if path.is_file():
                        shutil.copy2(path, saved / path.name)
                self._unmount()
                for path in saved.iterdir():
                    shutil.copy2(path, directory / path.name)
        finally:
            shutil.rmtree(saved, ignore_errors=True)
            self._saved = None
