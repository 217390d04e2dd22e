"""Runs INSIDE a release's venv: Alembic steps one revision at a time, in one process.

argv: alembic.ini, a JSON list of ["up"|"down", revision], an output file (JSON lines, one per
step, written as it goes so a crash still leaves the steps before it). Stops at the first failure.
"""

import json
import sys
import time

from alembic import command
from alembic.config import Config

ini, steps, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
config = Config(ini)
with open(out, "w") as report:
    for direction, target in steps:
        started = time.monotonic()
        try:
            (command.upgrade if direction == "up" else command.downgrade)(config, target)
            ok, error = True, ""
        except Exception as exc:  # the finding: report it, stop walking
            ok, error = False, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        report.write(
            json.dumps(
                {
                    "direction": direction,
                    "target": target,
                    "ok": ok,
                    "error": error,
                    "seconds": round(time.monotonic() - started, 3),
                }
            )
            + "\n"
        )
        report.flush()
        if not ok:
            break
