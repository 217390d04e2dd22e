"""Every row of the old release's tables, compared before and after the migration inside the database.

At a million rows the suite's snapshot diff (every row into Python, field by field) costs more than the migration,
so at scale the database compares itself, over the columns a table has both before and after (a column the
migration added or dropped is not data that could be lost), the after side cast to the column's old type:

- SQLite: the database is copied (its backup API) before; after, the copy is attached and
  ``SELECT .. EXCEPT SELECT ..`` counts the old rows that are no longer there unchanged;
- PostgreSQL: a copy is made as ``CREATE DATABASE .. TEMPLATE`` before; per table, 16 chunks (by a hash of the
  row) are each summarised by an md5 of their rows' md5s in either database, and a chunk whose sums differ names
  the table as changed.

A column the pair's declared transformations name (``expectations.py``: 1.1.0 prefixes a federated resource's
name) is left out of that comparison and checked against its declared rule instead, on the rows whose value
moved only (found by the old primary key): a moved value the rule does not explain counts as a difference.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import Connection, inspect, text

from upgrade_suite.judging.expectations import expected_transformations
from upgrade_suite.judging.transformations import RULES, Expectation
from upgrade_suite.services.database import Database, PostgresDatabase, SqliteDatabase

CHUNKS = 16


@dataclass
class RowComparison:
    """What the database found: per table, how many old rows (SQLite) or chunks (PostgreSQL) differ."""

    unit: str  # "rows" or "chunks"
    differing: dict[str, int] = field(default_factory=dict)
    compared: dict[str, int] = field(default_factory=dict)  # table -> rows compared (its rows before)
    transformed: dict[str, tuple[int, str]] = field(default_factory=dict)  # "table.column" -> (rows, reason)

    @property
    def ok(self) -> bool:
        return not self.differing

    def differ(self, table: str, count: int) -> None:
        if count:
            self.differing[table] = self.differing.get(table, 0) + count

    def judge_declared(
        self, table: str, column: str, moved: Sequence[tuple[Any, Any]], rules: list[Expectation]
    ) -> None:
        """The moved values of a declared column: each must follow a declared rule, or it is a difference."""
        wrong = sum(not any(RULES[rule.rule](before, after) for rule in rules) for before, after in moved)
        self.differ(table, wrong)
        if len(moved) > wrong:
            self.transformed[f"{table}.{column}"] = (len(moved) - wrong, "; ".join(rule.reason for rule in rules))


def row_counts(connection: Connection) -> dict[str, int]:
    """Rows per table, counted by the database (Alembic's own ``alembic_version`` aside)."""
    quote = connection.dialect.identifier_preparer.quote
    tables = [name for name in inspect(connection).get_table_names() if name != "alembic_version"]
    return {name: connection.execute(text(f"SELECT count(*) FROM {quote(name)}")).scalar_one() for name in tables}


def counted(database: Database) -> dict[str, int]:
    """Rows per table of the suite's database, counted by the database."""
    with database.engine() as engine, engine.connect() as connection:
        return row_counts(connection)


def compare_rows(counts: dict[str, int], check: RowCheck, old: str, new: str) -> RowComparison:
    """Every old row (``counts``, ``check``: taken before the migration) against the database now, each column a
    declared transformation of ``old`` to ``new`` names held to its rule."""
    return check.compare(counts, [e for e in expected_transformations(old, new) if isinstance(e, Expectation)])


def declared_columns(expectations: Sequence[Expectation], table: str) -> dict[str, list[Expectation]]:
    """The columns of ``table`` a declared SQL transformation names, with their declarations."""
    found: dict[str, list[Expectation]] = {}
    for expectation in expectations:
        if expectation.source == "sql" and table in expectation.groups:
            found.setdefault(expectation.field, []).append(expectation)
    return found


class SqliteRows:
    """Before: a copy of the file. After: the copy attached, each table's old rows EXCEPT the new ones."""

    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database
        self.copy = database.backup("before-migration").path

    def compare(self, counts: dict[str, int], expectations: Sequence[Expectation] = ()) -> RowComparison:
        result = RowComparison("rows")
        with closing(sqlite3.connect(self.database.path)) as db:
            db.execute("ATTACH DATABASE ? AS before", (str(self.copy),))
            for table, rows in counts.items():
                after = _sqlite_columns(db, "main", table)
                key = " AND ".join(f'b."{c}" IS a."{c}"' for c in _sqlite_key(db, table))
                # Without a primary key a moved value cannot be paired with its old one: compared exactly instead.
                declared = {c: r for c, r in declared_columns(expectations, table).items() if c in after and key}
                shared = [c for c in _sqlite_columns(db, "before", table) if c in after and c not in declared]
                if not shared:  # the table is gone, or has none of its columns left: its rows with it
                    result.differ(table, rows)
                    continue
                for column, rules in declared.items():
                    moved = db.execute(
                        f'SELECT b."{column}", a."{column}" FROM before."{table}" b JOIN main."{table}" a ON {key} '
                        f'WHERE b."{column}" IS NOT a."{column}"'
                    ).fetchall()
                    result.judge_declared(table, column, moved, rules)
                columns = ", ".join(f'"{c}"' for c in shared)
                query = (
                    f'SELECT count(*) FROM (SELECT {columns} FROM before."{table}" '
                    f'EXCEPT SELECT {columns} FROM main."{table}")'
                )
                result.differ(table, db.execute(query).fetchone()[0])
                result.compared[table] = rows
        self.discard()
        return result

    def discard(self) -> None:
        """Remove the copy (idempotent: after a comparison, or when the scenario ends without one)."""
        self.copy.unlink(missing_ok=True)


def _sqlite_columns(db: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [row[1] for row in db.execute(f'PRAGMA {schema}.table_info("{table}")')]


def _sqlite_key(db: sqlite3.Connection, table: str) -> list[str]:
    """The old table's primary key columns (what finds a row again after the migration)."""
    info = sorted(db.execute(f'PRAGMA before.table_info("{table}")'), key=lambda row: row[5])
    return [row[1] for row in info if row[5]]


class PostgresRows:
    """Before: a template copy of the database. After: per table and chunk, md5 sums in both compared."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database
        self.copy = database.server.create_database(template=database.name)

    def _url(self, name: str) -> str:
        return self.database.server.url(name, "postgresql").render_as_string(hide_password=False)

    def compare(self, counts: dict[str, int], expectations: Sequence[Expectation] = ()) -> RowComparison:
        result = RowComparison("chunks")
        try:
            with (
                psycopg.connect(self._url(self.copy)) as before,
                psycopg.connect(self._url(self.database.name)) as after,
            ):
                for table, rows in counts.items():
                    old, new = dict(_pg_columns(before, table)), dict(_pg_columns(after, table))
                    declared = {c: r for c, r in declared_columns(expectations, table).items() if c in old and c in new}
                    key = _pg_key(before, table) if declared else ""
                    if not key:  # no primary key to pair a moved value with its old one: compared exactly, as SQLite's
                        declared = {}
                    for column, rules in declared.items():
                        was, now = _pg_values(before, table, key, column), _pg_values(after, table, key, column)
                        moved = [(value, now[key]) for key, value in was.items() if key in now and now[key] != value]
                        result.judge_declared(table, column, moved, rules)
                    shared = [(name, kind) for name, kind in old.items() if name in new and name not in declared]
                    if not shared:
                        result.differ(table, CHUNKS if rows else 0)
                        continue
                    plain = ", ".join(f'"{name}"::text' for name, _ in shared)
                    cast = ", ".join(f'CAST("{name}" AS {kind})::text' for name, kind in shared)
                    sums = zip(_sums(before, table, plain), _sums(after, table, cast), strict=True)
                    result.differ(table, sum(a != b for a, b in sums))
                    result.compared[table] = rows
        finally:
            self.discard()
        return result

    def discard(self) -> None:
        """Drop the copy (idempotent: after a comparison, or when the scenario ends without one)."""
        if self.copy:
            self.database.server.drop_database(self.copy)
            self.copy = ""


def _pg_columns(db: psycopg.Connection, table: str) -> list[tuple[str, str]]:
    """(name, type as written) of a public table's columns, in order."""
    return db.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        (table,),
    ).fetchall()


def _pg_key(db: psycopg.Connection, table: str) -> str:
    """The old table's primary key columns, quoted and comma separated ("" without one)."""
    found = db.execute(
        "SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY array_position(i.indkey, a.attnum)) "
        "FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = %s::regclass AND i.indisprimary",
        (f'public."{table}"',),
    ).fetchone()
    return str(found[0]) if found and found[0] else ""


def _pg_values(db: psycopg.Connection, table: str, key: str, column: str) -> dict[str, Any]:
    """One column of a table as text, by the row's primary key as text (a declared column of a small table)."""
    return dict(db.execute(f'SELECT ROW({key})::text, "{column}"::text FROM public."{table}"').fetchall())


def _sums(db: psycopg.Connection, table: str, columns: str) -> list[str]:
    """One md5 per chunk of the table's rows (rows as text over ``columns``), order-free within a chunk."""
    rows = f'SELECT md5(ROW({columns})::text) AS h FROM public."{table}"'
    found: dict[int, str] = dict(
        db.execute(
            f"SELECT abs(hashtext(h)) % {CHUNKS}, md5(string_agg(h, '' ORDER BY h)) FROM ({rows}) r GROUP BY 1"
        ).fetchall()
    )
    return [found.get(chunk, "") for chunk in range(CHUNKS)]


#: The before-side of an in-database comparison, whichever the engine.
RowCheck = SqliteRows | PostgresRows


def row_check(database: Database) -> RowCheck:
    """Takes the before-side now (call it just before the migration); ``compare`` after it."""
    if isinstance(database, SqliteDatabase):
        return SqliteRows(database)
    if isinstance(database, PostgresDatabase):
        return PostgresRows(database)
    raise TypeError(f"no in-database row comparison for {type(database).__name__}")
