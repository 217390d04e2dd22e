"""One measured point: an old release's database of N rows migrated to a new release, every revision timed.

The database is made as a deployment of the old release would have left it: its own ``bootstrap_db``, then N rows
through its own models (the production profile: mostly metrics and audit rows). The new release's
``alembic upgrade head`` then runs with its output stamped per revision and, on PostgreSQL, its locks sampled.
Every row of the old release's tables is then compared in the database (``rows``): a migration that loses or
alters rows at scale is a failed point, not a timing.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from upgrade_suite.client.dataset import populate
from upgrade_suite.judging.evidence import Stopwatch
from upgrade_suite.judging.rows import compare_rows, counted, row_check
from upgrade_suite.judging.schema import bootstrap_fresh
from upgrade_suite.lab.run import SuiteRun
from upgrade_suite.scale.locks import APPLICATION, LockHold, LockSampler, holds
from upgrade_suite.services.database import PostgresDatabase
from upgrade_suite.services.gateway import gateway_environment
from upgrade_suite.services.migrations import RevisionTime


@dataclass
class Point:
    """What one size cost, and whether the data came through."""

    engine: str
    old: str
    new: str
    rows: int  # asked for
    seeded: dict[str, int]  # rows per table, as the populate probe made them
    seconds: dict[str, float]  # bootstrap, populate, count, copy, migrate, compare
    revisions: list[RevisionTime]
    locks: list[LockHold] = field(default_factory=list)
    changed: dict[str, int] = field(default_factory=dict)  # table -> old rows (SQLite) or chunks (PostgreSQL) differing
    changed_unit: str = "rows"
    transformed: dict[str, tuple[int, str]] = field(default_factory=dict)  # declared moves seen: "table.column"
    problem: str = ""  # why the point failed (Alembic's error, the sampler's), "" when it did not

    @property
    def failed(self) -> bool:
        return bool(self.problem or self.changed)

    @property
    def total_rows(self) -> int:
        return sum(self.seeded.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "old": self.old,
            "new": self.new,
            "rows": self.rows,
            "total_rows": self.total_rows,
            "seeded": self.seeded,
            "seconds": self.seconds,
            "revisions": [vars(step) | {"revision": step.revision} for step in self.revisions],
            "locks": [vars(hold) for hold in self.locks],
            "changed": self.changed,
            "changed_unit": self.changed_unit,
            "transformed": {column: list(seen) for column, seen in self.transformed.items()},
            "problem": self.problem,
        }


def measure(run: SuiteRun, old: str, new: str, engine: str, rows: int, workdir: Path) -> Point:
    """Seed ``old`` at ``rows`` on a new database of ``engine``, migrate it with ``new``, and say what it cost."""
    before_release, after_release = run.release(old), run.release(new)
    timeout = run.config.timeouts.migration
    seconds: dict[str, float] = {}
    timed = Stopwatch(seconds)

    with run.database(engine, workdir) as database:
        old_env = gateway_environment(before_release, database.url_for(before_release), run.secrets, workdir)
        timed("bootstrap", lambda: bootstrap_fresh(before_release, old_env, workdir, timeout))
        report = timed("populate", lambda: populate(before_release, old_env, workdir, rows, timeout * 4, "production"))
        before = timed("count", lambda: counted(database))
        check = timed("copy", lambda: row_check(database))
        new_env = gateway_environment(after_release, database.url_for(after_release), run.secrets, workdir)
        migrations = run.migrations(after_release, {**new_env, "PGAPPNAME": APPLICATION}, workdir)
        sampler = (
            LockSampler(database.server.url(database.name, "postgresql").render_as_string(False))
            if isinstance(database, PostgresDatabase)
            else None
        )
        with sampler or nullcontext():
            migrated = timed("migrate", migrations.upgrade)
        compared = timed("compare", lambda: compare_rows(before, check, before_release.version, after_release.version))
    point = Point(
        engine,
        before_release.spec.label,
        after_release.spec.label,
        rows,
        report["counts"],
        seconds,
        list(migrated.revisions),
    )
    if sampler is not None:
        point.locks = holds(sampler.rounds, migrated.revisions, migrated.started, set(before))
        point.problem = sampler.error
    if not migrated.ok:
        point.problem = f"alembic upgrade head exited {migrated.exit_code}: {migrated.error}"
    point.changed, point.changed_unit, point.transformed = compared.differing, compared.unit, compared.transformed
    return point
