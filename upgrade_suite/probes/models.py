"""Runs INSIDE a release's venv (not the suite's): what its own SQLAlchemy models expect of the database.

A schema difference matters by what the release's code does with it: a column whose model gives a value on
every insert (a Python-side default) never meets the database default, one with only a server default does;
a mapped column missing breaks every read of its table. The models say which. Output (JSON, to the path in
argv[1]), per mapped table:

- ``columns``: name -> type, nullable, ``python_default`` (the ORM writes a value itself), ``server_default``
  (the DDL default, or null), ``primary_key``;
- ``unique``: the column lists of its unique constraints and unique indexes;
- ``foreign_keys``: "column, column" -> referred table(columns) and ON DELETE;
- ``indexes``: the column lists of its indexes.

And ``sqlite_foreign_keys``: whether a connection of the release's own engine enforces foreign keys on SQLite
(``PRAGMA foreign_keys``), read on the SQLite database DATABASE_URL names; null for another engine. A foreign
key difference on SQLite changes nothing where the release leaves enforcement off.

Written to a file, not stdout, because importing the gateway logs to stdout.
"""

import json
import sys

from mcpgateway import db


def columns_of(names):
    return ", ".join(str(name) for name in names)


def table_facts(table):
    unique = [columns_of(c.name for c in constraint.columns) for constraint in table.constraints if _unique(constraint)]
    unique += [columns_of(c.name for c in index.columns) for index in table.indexes if index.unique]
    return {
        "columns": {
            column.name: {
                "type": str(column.type),
                "nullable": bool(column.nullable),
                "python_default": column.default is not None,
                "server_default": None if column.server_default is None else str(column.server_default.arg),
                "primary_key": bool(column.primary_key),
            }
            for column in table.columns
        },
        "unique": sorted(set(unique)),
        "foreign_keys": {
            columns_of(element.parent.name for element in fk.elements): {
                "target": f"{fk.referred_table.name}({columns_of(e.column.name for e in fk.elements)})",
                "ondelete": (fk.ondelete or "").upper(),
            }
            for fk in table.foreign_key_constraints
        },
        "indexes": sorted(columns_of(c.name for c in index.columns) for index in table.indexes),
    }


def _unique(constraint):
    return type(constraint).__name__ == "UniqueConstraint"


def sqlite_foreign_keys():
    if db.engine.dialect.name != "sqlite":
        return None
    with db.engine.connect() as connection:
        return bool(connection.exec_driver_sql("PRAGMA foreign_keys").scalar())


def main(out):
    facts = {
        "tables": {name: table_facts(table) for name, table in sorted(db.Base.metadata.tables.items())},
        "sqlite_foreign_keys": sqlite_foreign_keys(),
    }
    with open(out, "w") as handle:
        json.dump(facts, handle, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
