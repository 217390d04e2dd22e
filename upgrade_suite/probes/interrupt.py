"""Runs INSIDE a release's venv: ``alembic upgrade head`` interrupted at an exact point of one revision.

argv: alembic.ini, revision, point ("start": as the revision starts, before any of its statements;
"inside": right after the revision's first statement that changes the database has executed; the
reads a migration starts with (GA's inspect before they alter) are not a partial application;
"terminate": at the same point as "inside", the database ends the migration's connection instead; "crash": at
that point the whole server stops with ``pg_ctl stop -m immediate``, the command the suite gives in
``UPGRADE_SUITE_CRASH`` (a JSON list), as a power cut or an OOM-killed postmaster does).

"start" and "inside" SIGKILL the process: what a node failure or an OOM kill does, no cleanup, no rollback by
the process itself. "terminate" is the database's fault (a failover, an idle-in-transaction killer, a DBA): a
second connection runs ``pg_terminate_backend`` on the migration's own backend (its pid read from the migration's
connection, so no other session can be hit), waits until the server has ended it, and lets Alembic go on into
the dead connection, as a real cut does. Injecting from inside the process makes the point exact; a fault sent
from outside lands wherever the race puts it (measured: under load, SQLite results then changed from run to run).
"""

import json
import logging
import os
import signal
import subprocess
import sys
import time

import alembic.runtime.migration as migration
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

ini, revision, point = sys.argv[1], sys.argv[2], sys.argv[3]
inside = {"revision": None}


def die(reason: str) -> None:
    print(f"# suite: SIGKILL {reason}", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


class _StepLog(logging.LoggerAdapter):
    """Alembic logs "Running upgrade <from> -> <to>" as each revision starts: the hook for "start"."""

    def info(self, msg, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003 - logging's signature
        super().info(msg, *args, **kwargs)
        step = str(args[0]) if args else ""
        if msg.startswith("Running"):
            print(f"Running {step.split(',')[0]}", flush=True)
            inside["revision"] = (
                revision if f"-> {revision}" in step else None
            )  # a revision that changed nothing is left behind
            if inside["revision"] and point == "start":
                die(f"as revision {revision} starts, before any of its statements")


READS = ("SELECT", "PRAGMA", "SHOW", "WITH")


def terminate(conn, cursor, reason: str) -> None:  # noqa: ANN001 - SQLAlchemy's objects
    """End the migration's backend from a second connection, once; wait until the server has ended it."""
    inside["revision"] = "terminated"
    own = cursor.connection.cursor()
    own.execute("SELECT pg_backend_pid()")
    pid = own.fetchone()[0]
    killer = create_engine(conn.engine.url, isolation_level="AUTOCOMMIT")  # pg_stat_activity fresh at each read
    with killer.connect() as other:
        ended = other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        started = time.monotonic()
        while (
            time.monotonic() - started < 10
            and other.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).scalar()
        ):
            time.sleep(0.01)
        gone = time.monotonic() - started
    killer.dispose()
    print(
        f"# suite: TERMINATED backend {pid} (the migration's own connection) {reason}; pg_terminate_backend -> "
        f"{ended}; gone from pg_stat_activity after {gone:.2f} s",
        flush=True,
    )


def crash(reason: str) -> None:
    """Stop the whole server at once (no checkpoint, every backend cut), once; the migration goes on into it."""
    inside["revision"] = "crashed"
    stopped = subprocess.run(json.loads(os.environ["UPGRADE_SUITE_CRASH"]), capture_output=True, text=True, timeout=60)
    print(
        f"# suite: CRASHED the server {reason}; pg_ctl stop -m immediate -> {stopped.returncode == 0} "
        f"{stopped.stderr.strip()[-200:]}",
        flush=True,
    )


@event.listens_for(Engine, "after_cursor_execute")
def _after_statement(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001 - SQLAlchemy's signature
    line = " ".join(statement.split())
    if inside["revision"] == revision and not line.upper().startswith(READS) and "alembic_version" not in line:
        where = f"inside revision {revision}, after its first change: {line[:120]}"
        if point == "terminate":
            terminate(conn, cursor, where)
        elif point == "crash":
            crash(where)
        else:
            die(where)


migration.log = _StepLog(migration.log, {})
command.upgrade(Config(ini), "head")
print(f"# suite: revision {revision} was never run", flush=True)
