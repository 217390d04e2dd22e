"""The typed words of the Gherkin: release aliases, databases and upgrade procedures.

One wording per meaning; a word outside these lists is an undefined step, not a silent default.
"""

from __future__ import annotations

from parse_type import TypeBuilder

from .config import DEFAULT_RELEASES

#: How the database reaches the new release's schema: the plan's explicit Alembic run before the
#: new release starts, or the new release migrating the old database by itself on start.
PROCEDURES = {
    "with Alembic before starting it": True,
    "by starting it on the old database": False,
}

DATABASE_WORDS = {"SQLite": "sqlite", "PostgreSQL": "postgresql"}

PARAMETER_TYPES = {
    "Release": TypeBuilder.make_choice(list(DEFAULT_RELEASES)),
    "Database": TypeBuilder.make_enum(DATABASE_WORDS),
    "Procedure": TypeBuilder.make_enum(PROCEDURES),
}
