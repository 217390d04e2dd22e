"""A ``row_probes.RowOperation`` done on one database, inside a transaction that is always rolled back.

The write needs a row the table accepts apart from the probed column: every column that is NOT NULL and has no
database default gets a value of its type, and a reference gets a row of the table it refers to (an existing one,
or one made the same way, in the same transaction). Nothing is committed, so the scenario's database and the
run's fresh fixture are left as they were. SQLite is opened as the release opens it: with foreign keys on only if
the release turns them on (``ModelFacts.sqlite_foreign_keys``), or a reference the release never has checked
would be judged as if it were.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, and_, delete, func, null, select, true
from sqlalchemy import types as sqltypes
from sqlalchemy.exc import DBAPIError

from upgrade_suite.judging.row_probes import DELETE_REFERENCED, DUPLICATE, LEAVE_UNSET, Ended, RowOperation

#: How much of the database's message an outcome shows.
SHOWN = 160
#: How deep references are followed to make a row (a table that refers to itself, or a cycle, ends there).
DEPTH = 4


class Unbuildable(Exception):
    """The row around the probed value could not be made: the write proves nothing."""


def write(engine: Engine, operation: RowOperation, foreign_keys: bool) -> Ended:
    """Do ``operation`` on ``engine``'s database and say what it did; nothing is kept."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":  # a pragma outside the transaction, or SQLite ignores it
            connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
            connection.commit()
        transaction = connection.begin()
        try:
            return _do(connection, operation)
        except Unbuildable as error:
            return Ended("not done", str(error))
        finally:
            transaction.rollback()


def _do(connection: Connection, operation: RowOperation) -> Ended:
    """Make what the write needs, then the write itself: the last statement of the transaction, so a refusal (which
    PostgreSQL answers by aborting the transaction) ends it with nothing else to undo but the rollback."""
    table = Table(operation.table, MetaData(), autoload_with=connection)
    column = operation.columns[0]
    if operation.kind == DELETE_REFERENCED:
        return _delete_referenced(connection, table, column)
    # A NULL as SQL's NULL: a JSON column would store None as the JSON text 'null'.
    given: dict[str, Any] = {column: null() if operation.value is None else operation.value}
    if operation.kind == DUPLICATE:
        first = _row(connection, table, {})
        given = {name: first[name] for name in operation.columns}
    values = _values(connection, table, {} if operation.kind == LEAVE_UNSET else given, (column,), DEPTH)
    refused = _refused(connection, lambda: _store(connection, table, column, values))
    if refused is not None or operation.kind != LEAVE_UNSET:
        return refused or Ended("stored")
    found = [table.c[name] == value for name, value in values.items() if _comparable(table.c[name])]
    stored = connection.execute(select(table.c[column]).where(and_(true(), *found))).scalar()
    return Ended(f"stored, {column} = {_shown(stored)}")


def _store(connection: Connection, table: Table, column: str, values: dict[str, Any]) -> None:
    """Insert the row; where the probed value is a reference, the row it names first (holding that very value), or
    the write would be refused for naming nothing, whatever the difference does."""
    foreign = next((fk for fk in table.foreign_keys if fk.parent.name == column), None)
    value = values.get(column)
    if foreign is not None and isinstance(value, str):
        parent = foreign.column.table
        connection.execute(parent.insert().values(_values(connection, parent, {foreign.column.name: value}, (), DEPTH)))
    connection.execute(table.insert().values(values))


def _delete_referenced(connection: Connection, table: Table, column: str) -> Ended:
    """Make a referenced row and a row referring to it, delete the first, and read what became of the second."""
    foreign = next((fk for fk in table.foreign_keys if fk.parent.name == column), None)
    if foreign is None:  # this side has no such reference: nothing guards the row, it keeps whatever it names
        _row(connection, table, {column: f"gone-{uuid.uuid4().hex[:8]}"})
        return Ended(f"done, the {table.name} row left naming nothing")
    parent = foreign.column.table
    referred = _row(connection, parent, {})[foreign.column.name]
    child = _row(connection, table, {column: referred})
    refused = _refused(connection, lambda: connection.execute(delete(parent).where(foreign.column == referred)))
    if refused is not None:
        return refused
    found = [table.c[name] == value for name, value in child.items() if name != column and _comparable(table.c[name])]
    left = connection.execute(select(table.c[column]).where(and_(true(), *found))).all()
    if not left:
        return Ended(f"done, the {table.name} row deleted with it")
    return Ended(
        f"done, the {table.name} row's {column} set to NULL"
        if left[0][0] is None
        else f"done, the {table.name} row left naming nothing"
    )


def _refused(connection: Connection, action: Callable[[], object]) -> Ended | None:
    """None if ``action`` went through; "refused" with the database's own words if not."""
    try:
        action()
    except DBAPIError as error:
        return Ended("refused", " ".join(str(error.orig).split())[:SHOWN])
    return None


def _row(
    connection: Connection, table: Table, given: dict[str, Any], depth: int = DEPTH, why: str = "to write against"
) -> dict[str, Any]:
    """A row of ``table`` made for the probe (``why``: what it is for, said if the table refuses it); its values
    (what a reference or a duplicate needs)."""
    values = _values(connection, table, given, (), depth)
    try:
        connection.execute(table.insert().values(values))
    except DBAPIError as error:
        raise Unbuildable(f"a {table.name} row {why} was refused: {str(error.orig)[:SHOWN]}") from error
    return values


def _values(
    connection: Connection, table: Table, given: dict[str, Any], omitted: tuple[str, ...], depth: int
) -> dict[str, Any]:
    """The values a row of ``table`` needs: ``given``, then a value for each NOT NULL column without a default."""
    values = dict(given)
    for column in table.columns:
        if column.name in values or column.name in omitted or not _needed(column):
            continue
        if column.foreign_keys and depth:
            target = next(iter(column.foreign_keys)).column
            existing = connection.execute(select(target).limit(1)).scalar()
            values[column.name] = existing if existing is not None else _made(connection, target.table, target, depth)
        else:
            values[column.name] = _typed(connection, column)
    return values


def _made(connection: Connection, table: Table, column: Any, depth: int) -> Any:
    """A new row of ``table`` for a reference to name: its ``column`` (the engine's number, where it gave one)."""
    values = _row(connection, table, {}, depth - 1, "to refer to")
    return values.get(column.name) if column.name in values else connection.execute(select(func.max(column))).scalar()


def _needed(column: Any) -> bool:
    """Whether an insert must give ``column`` a value: a key the engine does not number (SQLite reflects a text key
    as nullable), or NOT NULL without a database default."""
    if column.primary_key:
        return not (isinstance(column.type, sqltypes.Integer) and column.autoincrement)
    return not (column.nullable or column.server_default is not None or column.computed is not None)


def _typed(connection: Connection, column: Any) -> Any:
    """A value of ``column``'s type; unique where a text may be a key."""
    kind = column.type
    if isinstance(kind, sqltypes.Enum) and kind.enums:
        return kind.enums[0]
    if isinstance(kind, sqltypes.Boolean):
        return False
    if isinstance(kind, sqltypes.Integer):
        highest = connection.execute(select(func.max(column))).scalar() if column.primary_key else 0
        return (highest or 0) + 1
    if isinstance(kind, sqltypes.Numeric | sqltypes.Float):
        return 0
    if isinstance(kind, sqltypes.DateTime):
        return datetime.now(timezone.utc)
    if isinstance(kind, sqltypes.Date):
        return date.today()
    if isinstance(kind, sqltypes.JSON):
        return {}
    length = getattr(kind, "length", None) or 32
    return uuid.uuid4().hex[:length]


def _comparable(column: Any) -> bool:
    """Columns a row can be found by (JSON is not compared by ``=`` on PostgreSQL, times may be rounded)."""
    return not isinstance(column.type, sqltypes.JSON | sqltypes.DateTime)


def _shown(value: Any) -> str:
    """A stored value as the outcome compares it: times as "a time", since two runs never store the same one."""
    if value is None:
        return "NULL"
    if isinstance(value, datetime | date):
        return "a time"
    return repr(value)
