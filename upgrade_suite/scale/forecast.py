"""The runbook's "how long will my migration take": the measured fits read against an operator's row counts.

``make runbook ROWS=<read-only database URL>`` counts the rows of the operator's own database (every table, by
``SELECT count(*)``, in a read-only transaction or a read-only SQLite file: nothing is written) and reads the
expected migration time and the longest blocking lock off ``make scale``'s fits for that engine. The measured
points are always shown beside the prediction; beyond the largest measured size it is an extrapolation, and says so.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.judging.rows import row_counts
from upgrade_suite.scale.fit import Fit

SCALE_FILE = Path("scale") / "scale.json"


def count_rows(url: str) -> tuple[str, int]:
    """(engine, total rows) of the database at ``url``, read without writing anything."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or not Path(parsed.database).exists():
            raise SuiteError(f"ROWS={url}: no SQLite database file there")
        engine = create_engine(f"sqlite:///file:{parsed.database}?mode=ro&uri=true")
    elif backend == "postgresql":
        engine = create_engine(parsed, connect_args={"options": "-c default_transaction_read_only=on"})
    else:
        raise SuiteError(f"ROWS={parsed.render_as_string()}: a sqlite:/// or postgresql:// URL")
    try:
        with engine.connect() as connection:
            total = sum(row_counts(connection).values())
    except Exception as error:  # any driver's failure to reach or read it: one line, the URL without its password
        raise SuiteError(
            f"ROWS={parsed.render_as_string()}: cannot count its rows: {str(error).splitlines()[0]}"
        ) from None
    finally:
        engine.dispose()
    return ("postgresql" if backend == "postgresql" else "sqlite"), total


def load(reports: Path) -> list[dict[str, Any]]:
    """make scale's points, or none when it has not run."""
    path = reports / SCALE_FILE
    return json.loads(path.read_text()) if path.exists() else []


def section(points: Sequence[dict[str, Any]], counted: tuple[str, int] | None = None) -> list[str]:
    """Markdown: per pair and engine, measured migration times by size, the fit, and the operator's prediction."""
    if not points:
        return []
    out = ["## How long the migration takes, by database size (make scale)", ""]
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for point in points:
        if not point["problem"] and not point["changed"]:
            groups.setdefault((point["engine"], point["old"], point["new"]), []).append(point)
    for (engine, old, new), members in groups.items():
        whole = Fit.of([(p["total_rows"], p["seconds"]["migrate"]) for p in members])
        largest = max(members, key=lambda p: p["total_rows"])
        lock = _read_lock(largest)
        out += [
            f"### {old} -> {new} on {engine}",
            "",
            "| rows | alembic upgrade head | longest lock blocking reads |",
            "|---|---|---|",
        ]
        for point in sorted(members, key=lambda p: p["total_rows"]):
            held = _read_lock(point)
            shown = f"{held['table']} {held['seconds']:.2f} s ({held['revision']})" if held else "-"
            out.append(f"| {point['total_rows']:,} | {point['seconds']['migrate']:.1f} s | {shown} |")
        out += ["", f"Fitted: {whole.fixed:.1f} s + {whole.per_row * 1e6:.2f} s per million rows."]
        if counted and counted[0] == engine:
            rows = counted[1]
            beyond = " (beyond the largest measured size: an extrapolation)" if rows > largest["total_rows"] else ""
            out.append(f"**Your database: {rows:,} rows: expect about {whole.predict(rows):.0f} s{beyond}.**")
            if lock:
                share = lock["seconds"] / largest["seconds"]["migrate"]
                out.append(
                    f"The longest lock blocking the old release's reads was {lock['table']} ({lock['revision']}), "
                    f"{share:.0%} of the migration at {largest['total_rows']:,} rows: about "
                    f"{share * whole.predict(rows):.0f} s at yours."
                )
        out.append("")
    return out + AFTER_THE_START


#: What the new release does to a large database once it runs (measured 2026-12-03, GA on 1M rows; docs/scale.md).
AFTER_THE_START = [
    "### After the migration: the new release's first start",
    "",
    "From RC1, a starting release rolls raw metrics (tool, resource, prompt and server metrics) up into hourly rows "
    "and deletes the raw rows of every hour that ended more than an hour ago (`METRICS_DELETE_RAW_AFTER_ROLLUP`, on "
    "by default; set it to `false` before the first start to keep them). On PostgreSQL, with a million rows and a "
    "week of metrics, GA's rollup of 168 hours had not finished 4 minutes after it started, and its first API "
    "answers were slow (0.2-0.3 s a call, up to 4.7 s): plan the first minutes as a warm-up. On SQLite the rollup "
    "holds the file's write lock: GA's first write after the start failed with 500 (`database is locked`).",
    "",
]


def _read_lock(point: dict[str, Any]) -> dict[str, Any] | None:
    """A point's longest hold of a lock that blocked the old release's reads (holds are longest first)."""
    return next((hold for hold in point["locks"] if hold["blocks"] == "reads and writes"), None)
