"""What breaks, not what differs: every schema difference triaged by its consequence for the release's users.

A schema diff of an upgraded database against a fresh install lists structure (420 lines for GA -> 1.1.0 on
SQLite); a release manager can sign a consequence, not a list. Each difference is put in one class, worst first:

- **breaks**: the release's code needs what the upgraded database lacks (a table or column its models map);
- **behaves differently**: a unique, foreign key, ON DELETE, NOT NULL, default or type that can change the
  outcome of the same operation (stays a claim until a probe runs the operation on both databases);
- **slower**: an index the upgraded database lacks (its queries scan where a fresh install seeks);
- **no effect here**: the same thing spelled another way, or what the engine or the release's code ignores.

Every rule is written once below with its reason and unit-tested both ways (``tests/unit/test_triage.py``): a
wrong "no effect" rule hides a defect, so anything no rule recognises is "behaves differently". The release's
own models (``model_facts``) are the third side: which columns it maps, which it always writes itself, and
whether it has SQLite enforce foreign keys at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from upgrade_suite.judging.model_facts import ModelFacts
from upgrade_suite.judging.problems import Problem
from upgrade_suite.judging.schema import FRESH_ONLY, MIGRATED_ONLY, SchemaDiff

BREAKS, BEHAVES, SLOWER, NO_EFFECT = "breaks", "behaves differently", "slower", "no effect here"
#: Worst first: a line with several consequences takes the worst.
CLASSES = (BREAKS, BEHAVES, SLOWER, NO_EFFECT)

_KEY = re.compile(r"^(table|column|primary key|index|unique|foreign key) ([^(.]+)(?:\.(.+)|\((.*)\))?$")
_COLUMN = re.compile(r"^(?P<type>.+?)(?P<not_null> NOT NULL)?(?: DEFAULT (?P<default>.*))?$")


@dataclass(frozen=True)
class Consequence:
    """One schema difference, its class, the rule that put it there and what it means, in a sentence."""

    difference: Problem
    klass: str
    rule: str
    says: str


@dataclass(frozen=True)
class Sides:
    """What a rule may read: both schemas (key -> description), the engine, the target release's models."""

    migrated: dict[str, str]
    fresh: dict[str, str]
    engine: str
    model: ModelFacts | None = None
    #: Rows of the upgraded database holding NULL, per ``table.column`` that only it lets be NULL (``null_questions``):
    #: a probe of its data, asked by the lab.
    nulls: dict[str, int] = field(default_factory=dict)

    def side(self, name: str) -> dict[str, str]:
        return self.migrated if name == "migrated" else self.fresh

    @property
    def foreign_keys_enforced(self) -> bool:
        """PostgreSQL always; SQLite only where the release turns them on (unknown: assumed on)."""
        if self.engine != "sqlite" or self.model is None or self.model.sqlite_foreign_keys is None:
            return True
        return self.model.sqlite_foreign_keys


@dataclass
class Triage:
    """The consequences of a schema diff, class by class."""

    title: str
    consequences: list[Consequence] = field(default_factory=list)

    def of(self, klass: str) -> list[Consequence]:
        return [c for c in self.consequences if c.klass == klass]

    def counts(self) -> str:
        return ", ".join(f"{len(self.of(k))} {k}" for k in CLASSES if self.of(k)) or "no difference"

    def render(self) -> str:
        out = [f"{self.title}: {self.counts()}"]
        for klass in CLASSES:
            if self.of(klass):
                out.append(f"{klass.upper()} ({len(self.of(klass))})")
                for consequence in self.of(klass):
                    out += [f"  {consequence.difference.text}", f"    -> {consequence.says} [{consequence.rule}]"]
        return "\n".join(out)


def parse_key(key: str) -> tuple[str, str, str]:
    """``column t.c`` -> (column, t, c); ``index t(a, b)`` -> (index, t, "a, b"); ``table t`` -> (table, t, "")."""
    match = _KEY.match(key)
    if not match:
        return ("", "", "")
    return match.group(1), match.group(2).strip(), match.group(3) or match.group(4) or ""


def _where(difference: Problem) -> tuple[str, str]:
    """(the side it exists on, the side it is missing from) for a one-sided difference."""
    return ("migrated", "fresh") if difference.kind == MIGRATED_ONLY else ("fresh", "migrated")


_NAMES = {"migrated": "the upgraded database", "fresh": "a fresh install"}

# -- the rules: (difference, sides) -> (class, sentence), or None when the rule does not apply ------------------
Rule = Callable[[Problem, Sides], "tuple[str, str] | None"]


def part_of_missing_table(difference: Problem, sides: Sides) -> tuple[str, str] | None:
    """A column, key or index of a table one side lacks altogether follows from that table's own line."""
    kind, table, _ = parse_key(difference.keys[0])
    if kind == "table" or difference.kind not in (MIGRATED_ONLY, FRESH_ONLY):
        return None
    present, missing = _where(difference)
    if f"table {table}" in sides.side(present) and f"table {table}" not in sides.side(missing):
        return NO_EFFECT, f"part of table {table}, which {_NAMES[missing]} lacks (see that table's line)"
    return None


def missing_table(difference: Problem, sides: Sides) -> tuple[str, str] | None:
    """A table the models map and the upgraded database lacks: every query of it fails."""
    kind, table, _ = parse_key(difference.keys[0])
    if kind != "table":
        return None
    mapped = sides.model is None or sides.model.maps(table)
    if difference.kind == FRESH_ONLY:
        if mapped:
            return BREAKS, f"the release maps {table}: every read or write of it fails on the upgraded database"
        return NO_EFFECT, f"no model of the release maps {table}: it neither reads nor writes it"
    references = [k for k in sides.migrated if k.startswith(f"foreign key {table}(")]
    if references and sides.foreign_keys_enforced:
        return BEHAVES, (
            f"a table only the upgraded database keeps, with foreign keys ({len(references)}): deleting a row it "
            "references may be refused or cascade there, not on a fresh install"
        )
    return NO_EFFECT, "a table only the upgraded database keeps; no model of the release maps it"


def missing_column(difference: Problem, sides: Sides) -> tuple[str, str] | None:
    """A column on one side only: the models decide whether its absence breaks the release."""
    kind, table, column = parse_key(difference.keys[0])
    if kind != "column" or difference.kind not in (MIGRATED_ONLY, FRESH_ONLY):
        return None
    mapped = sides.model is None or sides.model.maps(table, column)
    if difference.kind == FRESH_ONLY:
        if mapped:
            return BREAKS, f"the release maps {table}.{column}: every query of {table} fails on the upgraded database"
        return NO_EFFECT, f"no model maps {table}.{column}: the release neither reads nor writes it"
    described = _column(sides.migrated[difference.keys[0]])
    if mapped:
        return NO_EFFECT, f"the release maps {table}.{column}; a fresh install lacks it (a fresh-install defect)"
    if described["not_null"] and not described["default"]:
        return BREAKS, (
            f"the release inserts {table} rows without {column} (no model maps it), which the upgraded database "
            "refuses: NOT NULL and no default"
        )
    return NO_EFFECT, "a leftover column no model maps, nullable or defaulted: inserts without it succeed"


def uniqueness(difference: Problem, sides: Sides) -> tuple[str, str] | None:
    """Unique constraints and indexes: what matters is whether the same rows are refused, and whether a lookup
    by those columns finds an index."""
    kind, table, columns = parse_key(difference.keys[0])
    if kind not in ("unique", "index"):
        return None
    if kind == "index" and difference.kind in (MIGRATED_ONLY, FRESH_ONLY):
        present, _ = _where(difference)
        if f"unique {table}({columns})" in sides.side(present) and difference.text.endswith("(unique)"):
            return NO_EFFECT, (
                f"the index that backs the unique constraint on {table}({columns}) on {_NAMES[present]} (PostgreSQL "
                "reports both): that constraint's own line says what it does"
            )
    unique = {name: _unique(sides.side(name), table, columns) for name in ("migrated", "fresh")}
    indexed = {name: _indexed(sides.side(name), table, columns) for name in ("migrated", "fresh")}
    if unique["migrated"] != unique["fresh"]:
        on = "migrated" if unique["migrated"] else "fresh"
        other = "fresh" if on == "migrated" else "migrated"
        declared = sides.model is not None and columns in sides.model.tables.get(table, {}).get("unique", [])
        model = (
            "" if sides.model is None else f" (the release's models {'declare' if declared else 'do not declare'} it)"
        )
        return BEHAVES, (
            f"a second {table} row with the same ({columns}) is refused on {_NAMES[on]} and stored on "
            f"{_NAMES[other]}{model}"
        )
    if indexed["migrated"] != indexed["fresh"]:
        if indexed["fresh"]:
            return SLOWER, f"a lookup of {table} by ({columns}) has an index on a fresh install only: a full scan here"
        return NO_EFFECT, f"an index of {table}({columns}) only the upgraded database keeps: reads are no slower"
    return NO_EFFECT, (
        f"({columns}) of {table} is {'unique' if unique['fresh'] else 'indexed'} on both sides, by a unique "
        "constraint on one and a unique index on the other: the same rows are refused, lookups use an index"
    )


def foreign_key(difference: Problem, sides: Sides) -> tuple[str, str] | None:
    """A reference, or its ON DELETE, on one side only: deleting the referred row ends differently."""
    kind, table, columns = parse_key(difference.keys[0])
    if kind != "foreign key":
        return None
    if not sides.foreign_keys_enforced:
        return NO_EFFECT, "the release runs SQLite with foreign keys off: no reference is checked or cascaded"
    key = difference.keys[0]
    effects = {name: _on_delete(sides.side(name).get(key), table, columns) for name in ("migrated", "fresh")}
    target = (sides.migrated.get(key) or sides.fresh.get(key) or "").split("(")[0]
    return BEHAVES, (
        f"deleting a row of {target} that rows of {table} reference: on the upgraded database it "
        f"{effects['migrated']}; on a fresh install it {effects['fresh']}" + _declared_fk(sides, table, columns)
    )


def column_change(difference: Problem, sides: Sides) -> tuple[str, str] | None:
    """A column described differently: type, NOT NULL and default judged one by one, the worst taken."""
    kind, table, column = parse_key(difference.keys[0])
    if kind != "column" or difference.kind in (MIGRATED_ONLY, FRESH_ONLY):
        return None
    migrated, fresh = _column(sides.migrated[difference.keys[0]]), _column(sides.fresh[difference.keys[0]])
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


#: In order: the first rule that applies decides.
RULES: list[tuple[str, Rule]] = [
    ("part of a missing table", part_of_missing_table),
    ("table", missing_table),
    ("column on one side", missing_column),
    ("uniqueness and index", uniqueness),
    ("foreign key", foreign_key),
    ("column changed", column_change),
]


def null_questions(diff: SchemaDiff) -> list[tuple[str, str]]:
    """(table, column) of each column a fresh install declares NOT NULL and the upgraded database does not: whether
    the upgraded one holds NULLs there is a fact of its data, for the lab to count (``Sides.nulls``)."""
    asked = []
    for difference in diff.differences:
        kind, table, column = parse_key(difference.keys[0])
        if kind == "column" and difference.kind not in (MIGRATED_ONLY, FRESH_ONLY):
            migrated, fresh = _column(diff.migrated[difference.keys[0]]), _column(diff.fresh[difference.keys[0]])
            if fresh["not_null"] and not migrated["not_null"]:
                asked.append((table, column))
    return asked


#: How the sentences name the two sides: the database judged and the one it is judged against.
UPGRADE_SIDES = ("the upgraded database", "a fresh install")


def triage(
    diff: SchemaDiff,
    engine: str,
    model: ModelFacts | None = None,
    nulls: dict[str, int] | None = None,
    names: tuple[str, str] = UPGRADE_SIDES,
) -> Triage:
    """Each difference of ``diff`` with its consequence; one no rule recognises "behaves differently".

    The rules speak of an upgrade (``UPGRADE_SIDES``); ``names`` renames the sides for another comparison, e.g. a
    downgraded database against the one before the upgrade, judged with the old release's models.
    """
    sides = Sides(diff.migrated, diff.fresh, engine, model, nulls or {})
    result = Triage(f"Consequences of {len(diff.differences)} schema difference(s) ({engine})")
    for difference in diff.differences:
        for name, rule in RULES:
            judged = rule(difference, sides)
            if judged is not None:
                klass, says = judged
                break
        else:
            name, klass, says = "no rule", BEHAVES, "no rule recognises it: a behaviour difference until shown"
        for ours, theirs in zip(UPGRADE_SIDES, names, strict=True):
            says = says.replace(ours, theirs)
        result.consequences.append(Consequence(difference, klass, name, says))
    return result


# -- the facts the rules read ------------------------------------------------------------------------------------


def _column(description: str) -> dict[str, str]:
    match = _COLUMN.match(description)
    assert match is not None  # the pattern matches any text
    return {"type": match["type"], "not_null": match["not_null"] or "", "default": _literal(match["default"] or "")}


def _literal(default: str) -> str:
    """One spelling per default value: ``'0'`` and ``0``, ``now()`` and ``CURRENT_TIMESTAMP``, ``true`` and ``1``
    store the same value (SQLite's numeric affinity, PostgreSQL's casts)."""
    text = default.strip()
    if re.fullmatch(r"'-?\d+(\.\d+)?'", text):
        text = text[1:-1]
    return {"true": "1", "false": "0", "'t'": "1", "'f'": "0", "now()": "CURRENT_TIMESTAMP"}.get(text.lower(), text)


def _declared_fk(sides: Sides, table: str, columns: str) -> str:
    """Which side matches what the release's models declare for this reference (the side its code expects)."""
    if sides.model is None or not sides.model.maps(table):
        return ""
    declared = sides.model.tables[table]["foreign_keys"].get(columns)
    if declared is None:
        return " (the release's models declare no such reference)"
    spelled = declared["target"] + (f" ON DELETE {declared['ondelete']}" if declared["ondelete"] else "")
    matching = [
        _NAMES[name]
        for name in ("migrated", "fresh")
        if sides.side(name).get(f"foreign key {table}({columns})") == spelled
    ]
    return f" (the release's models declare {spelled}: {' and '.join(matching) or 'neither side'} matches)"


def _unique(schema: dict[str, str], table: str, columns: str) -> bool:
    return f"unique {table}({columns})" in schema or schema.get(f"index {table}({columns})") == "unique"


def _indexed(schema: dict[str, str], table: str, columns: str) -> bool:
    return f"unique {table}({columns})" in schema or f"index {table}({columns})" in schema


def _on_delete(description: str | None, table: str, columns: str) -> str:
    if description is None:
        return f"is allowed and leaves those rows' {columns} pointing at nothing"
    action = description.partition(" ON DELETE ")[2]
    return {
        "CASCADE": f"deletes those {table} rows",
        "SET NULL": f"empties their {columns}",
        "SET DEFAULT": f"sets their {columns} to its default",
    }.get(action, "is refused while they exist")


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


def _default_change(
    migrated: dict[str, str], fresh: dict[str, str], table: str, column: str, model: ModelFacts | None
) -> tuple[str, str] | None:
    if migrated["default"] == fresh["default"]:
        return None
    if model is not None and model.writes_itself(table, column):
        return NO_EFFECT, f"the release writes {table}.{column} itself on every insert: no database default is used"
    here = migrated["default"] or ("nothing: the insert is refused (NOT NULL)" if migrated["not_null"] else "NULL")
    return BEHAVES, (
        f"an insert that leaves {table}.{column} unset stores {here} on the upgraded database, "
        f"{fresh['default'] or 'NULL'} on a fresh install"
    )
