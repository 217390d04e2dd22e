"""The rule for a column described differently on the two sides: its type, its NOT NULL and its default, each
judged on its own and the worst taken (with their reasons; ``tests/unit/test_triage.py`` tests them both ways)."""

from __future__ import annotations

import re

from upgrade_suite.judging.model_facts import ModelFacts
from upgrade_suite.judging.problems import Problem
from upgrade_suite.judging.schema import FRESH_ONLY, MIGRATED_ONLY
from upgrade_suite.judging.sides import BEHAVES, CLASSES, NO_EFFECT, Sides, parse_key, read_column


def column_change(difference: Problem, sides: Sides) -> tuple[str, str] | None:
    """A column described differently: type, NOT NULL and default judged one by one, the worst taken."""
    kind, table, column = parse_key(difference.keys[0])
    if kind != "column" or difference.kind in (MIGRATED_ONLY, FRESH_ONLY):
        return None
    migrated, fresh = read_column(sides.migrated[difference.keys[0]]), read_column(sides.fresh[difference.keys[0]])
    found = [
        judged
        for judged in (
            _type_change(migrated["type"], fresh["type"], sides.engine),
            _null_change(migrated["not_null"], fresh["not_null"], table, column, sides),
            _default_change(migrated, fresh, table, column, sides.model),
        )
        if judged is not None
    ]
    if not found:
        return NO_EFFECT, "the same column written another way"
    worst = min((klass for klass, _ in found), key=CLASSES.index)
    return worst, "; ".join(says for klass, says in found if klass == worst)


def _affinity(declared: str) -> str:
    """SQLite's type affinity of a declared type (https://sqlite.org/datatype3.html, 3.1): what it stores."""
    upper = declared.upper()
    if "INT" in upper:
        return "INTEGER"
    if any(word in upper for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in upper or not upper:
        return "BLOB"
    if any(word in upper for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


def _type_change(migrated: str, fresh: str, engine: str) -> tuple[str, str] | None:
    if migrated == fresh:
        return None
    if engine == "sqlite":
        if _affinity(migrated) == _affinity(fresh):
            return NO_EFFECT, f"{migrated} and {fresh} store alike in SQLite (both {_affinity(fresh)} affinity)"
        return (
            BEHAVES,
            f"SQLite stores a value as {_affinity(migrated)} here and as {_affinity(fresh)} on a fresh install",
        )
    bare = {re.sub(r"\(\d+\)$", "", t) for t in (migrated, fresh)}
    if bare <= {"VARCHAR", "TEXT"} and "(" not in migrated + fresh:
        return NO_EFFECT, "VARCHAR without a length and TEXT are the same type in PostgreSQL"
    if len(bare) == 1:
        limit = {"upgraded": _length(migrated), "fresh": _length(fresh)}
        tighter = "upgraded" if limit["upgraded"] < limit["fresh"] else "fresh"
        where, other = ("the upgraded database", "a fresh install")[:: 1 if tighter == "upgraded" else -1]
        return BEHAVES, f"a value over {limit[tighter]} characters is refused on {where} and stored on {other}"
    return BEHAVES, f"the column is {migrated} here and {fresh} on a fresh install: some values fit one side only"


def _length(spelled: str) -> int | float:
    """The length limit of ``VARCHAR(n)``; none is no limit."""
    found = re.search(r"\((\d+)\)$", spelled)
    return int(found.group(1)) if found else float("inf")


def _null_change(migrated: str, fresh: str, table: str, column: str, sides: Sides) -> tuple[str, str] | None:
    """NOT NULL on one side. Refused only on the upgraded database: no effect where the release never writes a NULL
    (its model gives a value on every insert and declares the column NOT NULL). Allowed only there: the old release's
    NULLs may already be in it, so it stays a difference unless a count of its rows shows none, and the release's
    model rules out writing one."""
    if bool(migrated) == bool(fresh):
        return None
    facts = sides.model.column(table, column) if sides.model is not None else None
    never_writes_null = facts is not None and facts["python_default"] and not facts["nullable"]
    if migrated and never_writes_null:
        return NO_EFFECT, (
            f"the release writes {table}.{column} itself and its model declares it NOT NULL: it never stores a NULL, "
            "so the upgraded database's NOT NULL refuses nothing it writes"
        )
    if migrated:
        return BEHAVES, f"a NULL {table}.{column} is refused on the upgraded database and stored on a fresh install"
    held = sides.nulls.get(f"{table}.{column}")
    if never_writes_null and held == 0:
        return NO_EFFECT, (
            f"probed: no row of the upgraded database holds a NULL {table}.{column}, and the release writes it itself "
            "on every insert (its model: NOT NULL with a default), so none will"
        )
    holding = f" ({held} row(s) of it do now)" if held else ""
    return BEHAVES, (
        f"a NULL {table}.{column} is stored on the upgraded database{holding} and refused on a fresh install"
    )


#: A PostgreSQL default that takes the next value of a sequence: ``nextval('<name>'[::regclass])``.
_NEXTVAL = re.compile(r"nextval\('([^']+)'(?:::regclass)?\)")


def _default_change(
    migrated: dict[str, str], fresh: dict[str, str], table: str, column: str, model: ModelFacts | None
) -> tuple[str, str] | None:
    if migrated["default"] == fresh["default"]:
        return None
    sequences = [_NEXTVAL.fullmatch(side["default"]) for side in (migrated, fresh)]
    if sequences[0] and sequences[1] and sequences[0].group(1) == f"{table}_{column}_seq":
        return NO_EFFECT, (
            f"both take {table}.{column} from a sequence of their own, named {sequences[0].group(1)} and "
            f"{sequences[1].group(1)}: the upgraded database's is the one PostgreSQL made for this very column, so "
            "the table was not rebuilt by a copy that could leave its sequence behind the ids it holds"
        )
    if model is not None and model.writes_itself(table, column):
        return NO_EFFECT, f"the release writes {table}.{column} itself on every insert: no database default is used"
    here = migrated["default"] or ("nothing: the insert is refused (NOT NULL)" if migrated["not_null"] else "NULL")
    return BEHAVES, (
        f"an insert that leaves {table}.{column} unset stores {here} on the upgraded database, "
        f"{fresh['default'] or 'NULL'} on a fresh install"
    )
