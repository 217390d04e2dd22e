"""Locks on PostgreSQL during an upgrade: a long reader the suite holds, and who waits for whom.

``ReaderHolding``: a long read transaction on every table, held while the new release's migration runs beside the
old release's traffic; ``LockSampler`` reads, on one autocommit connection, who waits on which lock and behind
whom (``pg_locks`` with ``pg_blocking_pids``), and who waits on a session of another database (two deployments on
one server).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, create_engine, text

from upgrade_suite.services.database import Database, PostgresDatabase
from upgrade_suite.services.faults import FaultUnavailable


class ReaderHolding:
    """A long read transaction, as a report or a forgotten ``psql`` session holds one: every table of ``database``
    read once (ACCESS SHARE on each), then the transaction left open until ``release()`` or the block's end. DDL on
    any of those tables waits for it, and so does every later reader queued behind that DDL."""

    def __init__(self, database: Database) -> None:
        if not isinstance(database, PostgresDatabase):
            raise FaultUnavailable("a lock a reader holds is judged on PostgreSQL (SQLite has one writer, no queue)")
        self.database: PostgresDatabase = database
        self.pid = 0
        self.tables: list[str] = []
        self._engine = create_engine(database.sqlalchemy_url())
        self._connection: Connection | None = None

    def __enter__(self) -> ReaderHolding:
        connection = self._engine.connect()
        self._connection = connection
        self.pid = int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar() or 0)
        self.tables = list(
            connection.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version' "
                "ORDER BY tablename"
            ).scalars()
        )
        for table in self.tables:
            connection.exec_driver_sql(f'SELECT 1 FROM "{table}" LIMIT 1').all()
        return self

    def release(self) -> None:
        """End the reader's transaction (idempotent): what the DBA does once they find it."""
        if self._connection is not None:
            self._connection.rollback()
            self._connection.close()
            self._connection = None

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._engine.dispose()


@dataclass(frozen=True)
class Waiting:
    """A session of the database waiting for a lock: what it wants, on what, and who holds it up."""

    pid: int
    relation: str
    mode: str
    blocked_by: tuple[int, ...]
    query: str


class LockSampler:
    """One autocommit connection to the server, read again and again while an upgrade runs: each read is a
    transaction of its own (``pg_stat_activity`` is a snapshot inside one), and the polling loop opens no new
    backend per sample. ``pg_locks`` is the server's, so one connection sees every database on it."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database
        self._engine = create_engine(database.sqlalchemy_url(), isolation_level="AUTOCOMMIT")
        self._connection: Connection | None = None

    def __enter__(self) -> LockSampler:
        self._connection = self._engine.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._engine.dispose()

    def _rows(self, query: str, parameters: dict[str, object]) -> list[tuple[Any, ...]]:
        assert self._connection is not None, "a LockSampler reads inside its with block"
        return [tuple(row) for row in self._connection.execute(text(query), parameters)]

    def waiting(self) -> list[Waiting]:
        """Every session of the database waiting for a relation lock, with ``pg_blocking_pids``."""
        rows = self._rows(
            "SELECT l.pid, l.relation::regclass::text, l.mode, pg_blocking_pids(l.pid), a.query "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE NOT l.granted AND l.relation IS NOT NULL AND a.datname = :name",
            {"name": self.database.name},
        )
        return [
            Waiting(pid, relation, mode, tuple(blocked), " ".join(query.split())[:160])
            for pid, relation, mode, blocked, query in rows
        ]

    def across(self, names: Sequence[str]) -> list[str]:
        """Sessions of the databases ``names`` waiting for a lock a session of another database holds, each as
        "<waiter db> waits for <mode> on <what>, held by <holder db>" (two deployments on one server)."""
        rows = self._rows(
            "SELECT wa.datname, l.mode, l.locktype, "
            "coalesce(l.relation::text, l.classid::regclass::text || ' ' || l.objid::text, ''), ba.datname "
            "FROM pg_locks l JOIN pg_stat_activity wa ON wa.pid = l.pid "
            "CROSS JOIN LATERAL unnest(pg_blocking_pids(l.pid)) AS b(pid) "
            "JOIN pg_stat_activity ba ON ba.pid = b.pid "
            "WHERE NOT l.granted AND wa.datname = ANY(:names) AND ba.datname IS DISTINCT FROM wa.datname",
            {"names": list(names)},
        )
        return [
            f"{waiter} waits for {mode} on {kind} {what}, held by {holder}" for waiter, mode, kind, what, holder in rows
        ]
