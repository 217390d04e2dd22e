"""Runs INSIDE a release's venv: ``alembic upgrade head`` that kills itself at an exact point of one revision.

argv: alembic.ini, revision, point ("start": as the revision starts, before any of its statements;
"inside": right after the revision's first SQL statement has executed). SIGKILL is what a node
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
        if msg.startswith("Running") and f"-> {revision}" in step:
            print(f"Running {step.split(',')[0]}", flush=True)
            if point == "start":
                die(f"as revision {revision} starts, before any of its statements")
            inside["revision"] = revision


@event.listens_for(Engine, "after_cursor_execute")
def _after_statement(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001 - SQLAlchemy's signature
    if inside["revision"] == revision:
        die(f"inside revision {revision}, after its first statement: {' '.join(statement.split())[:120]}")


migration.log = _StepLog(migration.log, {})
command.upgrade(Config(ini), "head")
print(f"# suite: revision {revision} was never run", flush=True)
