"""Every row of the old release's tables, compared before and after the migration inside the database.

At a million rows the suite's snapshot diff (every row into Python, field by field) costs more than the migration,
so at scale the database compares itself, over the columns a table has both before and after (a column the
migration added or dropped is not data that could be lost), the after side cast to the column's old type:

- SQLite: the database is copied (its backup API) before; after, the copy is attached and
  ``SELECT .. EXCEPT SELECT ..`` counts the old rows that are no longer there unchanged;
- PostgreSQL: a copy is made as ``CREATE DATABASE .. TEMPLATE`` before; per table, 16 chunks (by a hash of the
  row) are each summarised by an md5 of their rows' md5s in either database, and a chunk whose sums differ names
  the table as changed.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass, field

import psycopg

from ..database import Database, PostgresDatabase, SqliteDatabase

CHUNKS = 16


@dataclass
class RowComparison:
    """What the database found: per table, how many old rows (SQLite) or chunks (PostgreSQL) differ."""

    unit: str  # "rows" or "chunks"
    differing: dict[str, int] = field(default_factory=dict)
    compared: dict[str, int] = field(default_factory=dict)  # table -> rows compared (its rows before)

    @property
    def ok(self) -> bool:
        return not self.differing


class SqliteRows:
    """Before: a copy of the file. After: the copy attached, each table's old rows EXCEPT the new ones."""

    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database
        self.copy = database.backup("before-migration").path

    def compare(self, counts: dict[str, int]) -> RowComparison:
        result = RowComparison("rows")
        with closing(sqlite3.connect(self.database.path)) as db:
            db.execute("ATTACH DATABASE ? AS before", (str(self.copy),))
            for table, rows in counts.items():
                shared = [c for c in _sqlite_columns(db, "before", table) if c in _sqlite_columns(db, "main", table)]
                if not shared:  # the table is gone, or has none of its columns left: its rows with it
                    if rows:
                        result.differing[table] = rows
                    continue
                columns = ", ".join(f'"{c}"' for c in shared)
                query = (
                    f'SELECT count(*) FROM (SELECT {columns} FROM before."{table}" '
                    f'EXCEPT SELECT {columns} FROM main."{table}")'
                )
                if missing := db.execute(query).fetchone()[0]:
                    result.differing[table] = missing
                result.compared[table] = rows
        self.copy.unlink(missing_ok=True)
        return result


def _sqlite_columns(db: sqlite3.Connection, schema: str, table: str) -> list[str]:
    return [row[1] for row in db.execute(f'PRAGMA {schema}.table_info("{table}")')]


class PostgresRows:
    """Before: a template copy of the database. After: per table and chunk, md5 sums in both compared."""

    def __init__(self, database: PostgresDatabase) -> None:
        self.database = database
        self.copy = database.server.create_database(template=database.name)

    def _url(self, name: str) -> str:
        return self.database.server.url(name, "postgresql").render_as_string(hide_password=False)

    def compare(self, counts: dict[str, int]) -> RowComparison:
        result = RowComparison("chunks")
        try:
            with (
                psycopg.connect(self._url(self.copy)) as before,
                psycopg.connect(self._url(self.database.name)) as after,
            ):
                for table, rows in counts.items():
                    old, new = _pg_columns(before, table), _pg_columns(after, table)
                    shared = [(name, kind) for name, kind in old if name in dict(new)]
                    if not shared:
                        if rows:
                            result.differing[table] = CHUNKS
                        continue
                    plain = ", ".join(f'"{name}"::text' for name, _ in shared)
                    cast = ", ".join(f'CAST("{name}" AS {kind})::text' for name, kind in shared)
                    differing = sum(
                        a != b for a, b in zip(_sums(before, table, plain), _sums(after, table, cast), strict=True)
                    )
                    if differing:
                        result.differing[table] = differing
                    result.compared[table] = rows
        finally:
            self.database.server.drop_database(self.copy)
        return result


def _pg_columns(db: psycopg.Connection, table: str) -> list[tuple[str, str]]:
    """(name, type as written) of a public table's columns, in order."""
    return db.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        (table,),
    ).fetchall()


def _sums(db: psycopg.Connection, table: str, columns: str) -> list[str]:
    """One md5 per chunk of the table's rows (rows as text over ``columns``), order-free within a chunk."""
    rows = f'SELECT md5(ROW({columns})::text) AS h FROM public."{table}"'
    found: dict[int, str] = dict(
        db.execute(
            f"SELECT abs(hashtext(h)) % {CHUNKS}, md5(string_agg(h, '' ORDER BY h)) FROM ({rows}) r GROUP BY 1"
        ).fetchall()
    )
    return [found.get(chunk, "") for chunk in range(CHUNKS)]


def row_check(database: Database) -> SqliteRows | PostgresRows:
    """Takes the before-side now (call it just before the migration); ``compare`` after it."""
    if isinstance(database, SqliteDatabase):
        return SqliteRows(database)
    if isinstance(database, PostgresDatabase):
        return PostgresRows(database)
    raise TypeError(f"no in-database row comparison for {type(database).__name__}")
