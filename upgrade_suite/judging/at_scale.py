"""UPG-03 above 100k rows: the checks that stay linear and cheap at a million rows, declared in one place.

At the fixture's few hundred rows the scenario compares every row in Python (both snapshots, field by
field) and pages every object through the API. At a million rows that costs more than the migration
it judges, so above ``IN_DATABASE_ABOVE`` rows:

- the rows are spread as a gateway that has served for years holds them (the ``production`` profile:
  mostly metrics, auth events and token usage, a few percent objects), as ``make scale`` measures;
- SQL still checks every row, inside the database (``rows.py``: SQLite EXCEPT against a copy,
  PostgreSQL md5 sums per chunk against a template copy), each table a named check;
- the API is sampled: the snapshots before and after compare the first ``API_SAMPLE`` objects each kind
  lists (every release lists newest first, by creation time then id, so both read the same objects),
  and paging follows the cursor through the first ``PAGED_SAMPLE`` objects of each kind, every one a
  stored row and none listed twice. The checks say how many of how many they read.

The SQL comparison judges the rows as the migration left them: right after ``alembic upgrade head``, before the
new release starts. Once it runs, a release from RC1 rolls a week of raw metrics up into hourly rows and deletes
the raw ones (``METRICS_DELETE_RAW_AFTER_ROLLUP``, on by default), at a million rows minutes after it starts:
compared beside it, the verdict would depend on which finished first. (Compared in a thread on a copy while
the new release started, measured on 2 cores, the scenario took longer: both wanted the same cores.)
"""

from __future__ import annotations

from upgrade_suite.judging.checks import Checklist
from upgrade_suite.judging.rows import RowComparison

#: Rows (the scenario's ``-D scale=``) above which the checks move into the database and the API is sampled.
IN_DATABASE_ABOVE = 100_000

#: Objects of each kind in the API snapshots above that size: one page, what a user sees first.
API_SAMPLE = 100

#: Objects of each kind paged through with the API's cursor above that size (ten pages of 100).
PAGED_SAMPLE = 1_000


def at_scale(scale: int) -> bool:
    return scale > IN_DATABASE_ABOVE


def profile(scale: int) -> str:
    """How the populate probe spreads ``scale`` rows: as the fixture (every kind well represented) or production."""
    return "production" if at_scale(scale) else "fixture"


def rows_verdict(comparison: RowComparison, as_migrated: bool = False) -> Checklist:
    """The in-database comparison as one check per table, and one per declared transformation it applied.

    ``as_migrated``: it compared the rows right after the migration, before the new release started; the title says so.
    """
    when = ", as the migration left them" if as_migrated else ""
    result = Checklist(f"Every row compared in the database{when} ({comparison.unit} that differ per table)")
    for table, rows in sorted(comparison.compared.items()):
        differing = comparison.differing.get(table, 0)
        result.check(
            f"{table}: {rows} rows",
            not differing,
            f"{differing} {comparison.unit} differ" if differing else "unchanged",
            ("rows differ", "sql", table),
        )
    for table in sorted(set(comparison.differing) - set(comparison.compared)):  # gone, or no column left
        result.check(
            f"{table}: gone", False, f"{comparison.differing[table]} {comparison.unit}", ("table lost", "sql", table)
        )
    for column, (rows, reason) in sorted(comparison.transformed.items()):
        result.check(f"{column}: {rows} values moved by a declared transformation", True, reason)
    return result
