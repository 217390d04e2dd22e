"""Slower, proven: the release's own queries, planned on the upgraded database and on a fresh install.

The triage can only say that an index exists on one side ("slower"); whether any query the release runs would use
it, only the release's queries can say. The target release logs every statement it runs when started with
``SQLALCHEMY_ECHO`` (its db.py reads it, GA and 1.1.0 alike); the workload's gateway on the upgraded database is
started so, and each distinct statement is planned on both databases. The plan is asked for without values, as
the release prepares it: SQLite's ``EXPLAIN QUERY PLAN`` with its parameters unbound (SQLite plans at prepare
time, from the indexes it has, not from the data), PostgreSQL's ``EXPLAIN (GENERIC_PLAN)`` (PostgreSQL 16) with
sequential scans discouraged, so a small table still shows whether an index *could* serve it. A table read by a
full scan on the upgraded database that a fresh install reads by an index is a slower query, named with the index
it lost; the reverse is listed too. Slower is counted and shown, never red by itself.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Engine

#: The environment that makes the release log its statements (stdout, SQLAlchemy's own format).
ECHO = {"SQLALCHEMY_ECHO": "true"}
#: A line SQLAlchemy's echo starts a record with: its time, level and logger, then the message.
_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ INFO sqlalchemy\.engine\.Engine (.*)$")
#: Any line that starts a log record of its own (so it ends the statement before it).
_NEW_RECORD = re.compile(r"^(\d{4}-\d\d-\d\d[ T]\d\d:\d\d|\{|INFO|WARNING|ERROR|DEBUG|\[)")
#: The statements worth planning: reads and the writes that find their rows by a condition.
_PLANNED = re.compile(r"^\s*(SELECT|WITH|UPDATE|DELETE)\b", re.IGNORECASE)
#: Every statement that reads or writes rows (what names a table the release uses).
_EVERY = re.compile(r"^\s*(SELECT|WITH|UPDATE|DELETE|INSERT)\b", re.IGNORECASE)
#: A step of SQLite's plan: a table (or an index) read whole, or a lookup.
_SQLITE_STEP = re.compile(r"^(SCAN|SEARCH) (\w+)")
#: A node of PostgreSQL's plan that reads a table, and the table.
_POSTGRES_NODE = re.compile(
    r"(Seq Scan|Index Only Scan|Index Scan|Bitmap Heap Scan|Bitmap Index Scan)(?: using \w+)? on (\w+)"
)
#: How much of a statement the evidence shows.
SHOWN = 240


def statements(log: str, every: bool = False) -> list[str]:
    """The distinct statements the release logged (``SQLALCHEMY_ECHO``), in the order first run: those worth planning,
    or ``every`` one that reads or writes rows (inserts too)."""
    kept = _EVERY if every else _PLANNED
    found: dict[str, None] = {}
    current: list[str] | None = None
    for line in [*log.splitlines(), "2000-01-01 00:00:00,0 INFO end"]:
        record = _RECORD.match(line)
        if record or _NEW_RECORD.match(line):
            if current is not None:
                statement = "\n".join(current).strip()
                if kept.match(statement):
                    found.setdefault(statement)
            current = [record.group(1)] if record else None
        elif current is not None:
            current.append(line)
    return list(found)


def naming(ran: list[str], table: str, column: str = "") -> int:
    """How many statements of ``ran`` name ``table`` (and ``column``) as words: whether the release's work met what
    a database lacks. A quoted name counts; a name inside a longer word does not."""
    words = [re.compile(rf"(?<![\w]){re.escape(name)}(?![\w])") for name in (table, column) if name]
    return sum(all(word.search(statement) for word in words) for statement in ran)


def explain(engine: Engine, statement: str) -> str:
    """The plan ``engine``'s database makes for ``statement`` as the release prepares it (no values bound), one
    line a step; or why it has none (a statement this database cannot plan, e.g. a table it lacks)."""
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                rows = connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}", (None,) * statement.count("?")
                ).all()
                return "\n".join(str(row[-1]) for row in rows)
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # within the transaction the block ends
            numbered = _numbered(statement)
            rows = connection.exec_driver_sql(f"EXPLAIN (GENERIC_PLAN) {numbered}").all()
            return "\n".join(str(row[0]).strip() for row in rows)
    except Exception as error:  # noqa: BLE001 - a plan that cannot be made is an outcome, shown as such
        return f"no plan: {str(error).splitlines()[0][:160]}"


def _numbered(statement: str) -> str:
    """A psycopg statement (``%(name)s`` placeholders) with PostgreSQL's ``$n`` ones, as EXPLAIN GENERIC_PLAN takes."""
    names: dict[str, int] = {}
    numbered = re.sub(r"%\((\w+)\)s", lambda m: f"${names.setdefault(m.group(1), len(names) + 1)}", statement)
    return numbered.replace("%%", "%")


def scanned(plan: str) -> frozenset[str]:
    """The tables a plan reads whole: SQLite's ``SCAN t`` (the table, or all of an index; a lookup is ``SEARCH``),
    PostgreSQL's ``Seq Scan on t`` and an index scan on ``t`` with no ``Index Cond`` (all of the index, in order)."""
    lines = plan.splitlines()
    whole: set[str] = set()
    for at, line in enumerate(lines):
        step = _SQLITE_STEP.match(line.strip())
        if step and step.group(1) == "SCAN" and step.group(2) != "CONSTANT":
            whole.add(step.group(2))
        node = _POSTGRES_NODE.search(line)
        if node and node.group(1) != "Bitmap Heap Scan" and (node.group(1) == "Seq Scan" or not _looks_up(lines, at)):
            whole.add(node.group(2))
    return frozenset(whole)


def _looks_up(lines: list[str], at: int) -> bool:
    """Whether the PostgreSQL scan node on line ``at`` finds its rows by a condition (its details, up to the next
    node, hold an ``Index Cond``)."""
    for detail in lines[at + 1 :]:
        if "->" in detail or _POSTGRES_NODE.search(detail):
            return False
        if "Index Cond:" in detail:
            return True
    return False


def indexes(plan: str) -> frozenset[str]:
    """The indexes a plan uses, by name."""
    return frozenset(
        re.findall(r"(?:USING (?:COVERING )?INDEX|Index (?:Only )?Scan using|Bitmap Index Scan on) (\w+)", plan)
    )


@dataclass(frozen=True)
class PlannedQuery:
    """One statement the release ran, planned on both databases."""

    statement: str
    upgraded: str
    fresh: str

    @property
    def lost(self) -> frozenset[str]:
        """Tables scanned whole on the upgraded database that a fresh install reads by an index."""
        return scanned(self.upgraded) - scanned(self.fresh) if not self.unplanned else frozenset()

    @property
    def gained(self) -> frozenset[str]:
        """Tables the upgraded database reads by an index that a fresh install scans whole."""
        return scanned(self.fresh) - scanned(self.upgraded) if not self.unplanned else frozenset()

    @property
    def unplanned(self) -> bool:
        return self.upgraded.startswith("no plan") or self.fresh.startswith("no plan")

    def render(self) -> str:
        shown = " ".join(self.statement.split())[:SHOWN]
        return f"  {shown}\n    upgraded: {' | '.join(self.upgraded.splitlines())}\n    fresh:    " + " | ".join(
            self.fresh.splitlines()
        )


@dataclass(frozen=True)
class QueryPlans:
    """The release's statements (``target``) planned on both databases, with each database's indexes by name in the
    triage's words (``index tools(team_id)``): a query is slower where the fresh install's plan uses an index the
    upgraded database lacks (no index on the same columns) and the upgraded one reads a table whole. A plan that
    differs with the same indexes on both sides is the planner's choice on a small table, counted apart."""

    target: str
    queries: list[PlannedQuery]
    upgraded_indexes: dict[str, str] = field(default_factory=dict)
    fresh_indexes: dict[str, str] = field(default_factory=dict)

    @property
    def slower(self) -> list[PlannedQuery]:
        return [q for q in self.queries if q.lost and self._lacking(q.fresh, self.fresh_indexes, self.upgraded_indexes)]

    @property
    def faster(self) -> list[PlannedQuery]:
        return [
            q for q in self.queries if q.gained and self._lacking(q.upgraded, self.upgraded_indexes, self.fresh_indexes)
        ]

    @property
    def replanned(self) -> list[PlannedQuery]:
        """Queries whose whole reads differ though both databases have the indexes either plan uses."""
        return [q for q in self.queries if (q.lost or q.gained) and q not in self.slower and q not in self.faster]

    @staticmethod
    def _lacking(plan: str, here: dict[str, str], there: dict[str, str]) -> list[str]:
        """The indexes ``plan`` uses (named as ``here`` has them) of which ``there`` has none on the same columns."""
        return sorted(
            here.get(name, f"index {name}")
            for name in indexes(plan)
            if name not in there and here.get(name, name) not in there.values()
        )

    def lost_indexes(self) -> Counter[str]:
        """Each index a fresh install's plan used that the upgraded database lacks: how many slower queries used it."""
        return Counter(
            words
            for query in self.slower
            for words in self._lacking(query.fresh, self.fresh_indexes, self.upgraded_indexes)
        )

    def summary(self) -> str:
        if not self.queries:
            return f"not measured: {self.target} logged no statement (SQLALCHEMY_ECHO)"
        lost = ", ".join(f"{name} ({count})" for name, count in self.lost_indexes().most_common())
        only_fresh = set(self.fresh_indexes.values()) - set(self.upgraded_indexes.values())
        used = (
            f"; they use {len(self.lost_indexes())} of the {len(only_fresh)} indexes only a fresh install has"
            if only_fresh
            else ""
        )
        unplanned = sum(query.unplanned for query in self.queries)
        return (
            f"{len(self.queries)} distinct statements {self.target} ran in the workload: {len(self.slower)} read a "
            "table whole on the upgraded database that a fresh install reads by an index the upgraded one lacks"
            + (f" (the indexes lost: {lost})" if lost else "")
            + used
            + f"; {len(self.faster)} the other way round"
            + (f"; {len(self.replanned)} planned otherwise with the same indexes on both" if self.replanned else "")
            + (f"; {unplanned} could not be planned on one side" if unplanned else "")
        )

    def render(self) -> str:
        lines = [self.summary()]
        for title, listed in (
            ("Slower on the upgraded database:", self.slower),
            ("Slower on a fresh install:", self.faster),
            ("Planned otherwise, the same indexes on both:", self.replanned),
        ):
            if listed:
                lines += [title, *(query.render() for query in listed)]
        return "\n".join(lines)
