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

from collections.abc import Callable
from dataclasses import dataclass, field

from upgrade_suite.judging.column_rules import column_change
from upgrade_suite.judging.model_facts import ModelFacts
from upgrade_suite.judging.problems import Problem
from upgrade_suite.judging.schema import FRESH_ONLY, MIGRATED_ONLY, SchemaDiff
from upgrade_suite.judging.sides import (
    BEHAVES,
    BREAKS,
    CLASSES,
    NAMES,
    NO_EFFECT,
    SLOWER,
    Consequence,
    Sides,
    parse_key,
    read_column,
    where,
)

__all__ = ["BEHAVES", "BREAKS", "CLASSES", "NO_EFFECT", "SLOWER", "Consequence", "Triage", "null_questions", "triage"]


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


# -- the rules: (difference, sides) -> (class, sentence), or None when the rule does not apply ------------------
Rule = Callable[[Problem, Sides], "tuple[str, str] | None"]


def part_of_missing_table(difference: Problem, sides: Sides) -> tuple[str, str] | None:
    """A column, key or index of a table one side lacks altogether follows from that table's own line."""
    kind, table, _ = parse_key(difference.keys[0])
    if kind == "table" or difference.kind not in (MIGRATED_ONLY, FRESH_ONLY):
        return None
    present, missing = where(difference)
    if f"table {table}" in sides.side(present) and f"table {table}" not in sides.side(missing):
        return NO_EFFECT, f"part of table {table}, which {NAMES[missing]} lacks (see that table's line)"
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
    described = read_column(sides.migrated[difference.keys[0]])
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
        present, _ = where(difference)
        if f"unique {table}({columns})" in sides.side(present) and difference.text.endswith("(unique)"):
            return NO_EFFECT, (
                f"the index that backs the unique constraint on {table}({columns}) on {NAMES[present]} (PostgreSQL "
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
            f"a second {table} row with the same ({columns}) is refused on {NAMES[on]} and stored on "
            f"{NAMES[other]}{model}"
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
            migrated, fresh = (
                read_column(diff.migrated[difference.keys[0]]),
                read_column(diff.fresh[difference.keys[0]]),
            )
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


# -- the facts the key rules read --------------------------------------------------------------------------------


def _declared_fk(sides: Sides, table: str, columns: str) -> str:
    """Which side matches what the release's models declare for this reference (the side its code expects)."""
    if sides.model is None or not sides.model.maps(table):
        return ""
    declared = sides.model.tables[table]["foreign_keys"].get(columns)
    if declared is None:
        return " (the release's models declare no such reference)"
    spelled = declared["target"] + (f" ON DELETE {declared['ondelete']}" if declared["ondelete"] else "")
    matching = [
        NAMES[name]
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
