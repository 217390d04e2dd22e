"""Suite-owned databases: a fresh one per scenario, a URL for the gateway, backup and restore.

The SQLite backend keeps its file in the scenario sandbox. Backends share one small surface
(``url_for``, ``engine``, ``backup``, ``restore``, ``alembic_revisions``) so the steps never care
which engine is underneath.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, inspect, text

from .releases import Release


@dataclass(frozen=True)
class Backup:
    """A point-in-time copy of a database, with what it took to make it."""

    path: Path
    seconds: float

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size


class SqliteDatabase:
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

    def url_for(self, release: Release | None = None) -> str:
        """The DATABASE_URL a gateway of ``release`` is given (the same for every SQLite release)."""
        return f"sqlite:///{self.path}"

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        """A short-lived SQLAlchemy engine for the suite's own reads (snapshots, revision checks)."""
        engine = create_engine(f"sqlite:///{self.path}")
        try:
            yield engine
        finally:
            engine.dispose()

    def alembic_revisions(self) -> list[str]:
        """The revisions stamped in ``alembic_version`` (empty when the table does not exist)."""
        with self.engine() as engine:
            if "alembic_version" not in inspect(engine).get_table_names():
                return []
            with engine.connect() as connection:
                return sorted(row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version")))

    def backup(self, name: str) -> Backup:
        """A consistent copy via SQLite's online backup API (safe even while a gateway has it open)."""
        target = self.directory / f"{name}.db"
        started = time.monotonic()
        _sqlite_copy(self.path, target)
        return Backup(target, time.monotonic() - started)

    def restore(self, backup: Backup) -> None:
        """Put a backup back in place of the live database (the gateway must be stopped)."""
        _sqlite_copy(backup.path, self.path)


def _sqlite_copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
