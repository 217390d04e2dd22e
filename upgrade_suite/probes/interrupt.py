"""Runs INSIDE a release's venv: ``alembic upgrade head`` that kills itself at an exact point of one revision.

argv: alembic.ini, revision, point ("start": as the revision starts, before any of its statements;
"inside": right after the revision's first statement that changes the database has executed; the
reads a migration starts with (GA's inspect before they alter) are not a partial application). SIGKILL is what a node
failure or an OOM kill does: no cleanup, no rollback by the process itself. Killing from inside the
process makes the point exact; a kill sent from outside lands wherever the race puts it (measured:
under load, SQLite results then changed from run to run).
"""

import logging
import os
import signal
import sys

import alembic.runtime.migration as migration
from alembic import command
from alembic.config import Config
from sqlalchemy import event
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


@event.listens_for(Engine, "after_cursor_execute")
def _after_statement(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001 - SQLAlchemy's signature
    text = " ".join(statement.split())
    if inside["revision"] == revision and not text.upper().startswith(READS) and "alembic_version" not in text:
        die(f"inside revision {revision}, after its first change: {text[:120]}")


migration.log = _StepLog(migration.log, {})
command.upgrade(Config(ini), "head")
print(f"# suite: revision {revision} was never run", flush=True)
