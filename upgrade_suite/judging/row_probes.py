"""Proven in SQL: the differences on tables no user operation reaches, each turned into the write it may change.

The workload (``client/workload.py``) proves a difference through the release's API, as a user meets it. Some
tables only something outside the suite writes: an A2A agent's answers, an identity provider's callback, a cache
backend or a feature the workload does not turn on (``UNREACHED``, each with why). For their "behaves
differently" lines the issue's rule applies: "in SQL where nothing else reaches it". Each such line gives one write
built from the difference itself (``row_operations``): a value one character over the tighter length, a NULL where
one side says NOT NULL, a row that leaves a column unset where the defaults differ, the deletion of a referenced
row where a foreign key or its ON DELETE differs, a second row of the same values where a unique exists on one
side. The lab runs each on both databases in a transaction it rolls back (``row_writes``) and this module says, in
a sentence, what each side did. A write that ends differently is a finding; one that ends the same is evidence
that the line changes nothing for that write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from upgrade_suite.judging.model_facts import ModelFacts
from upgrade_suite.judging.operations import BothSides
from upgrade_suite.judging.problems import FindingsVerdict, Problem
from upgrade_suite.judging.schema import SchemaDiff
from upgrade_suite.judging.sides import BEHAVES, Consequence, parse_key, read_column

#: A problem's kind: a write in SQL ended differently on the upgraded database than on a fresh install.
WRITE_DIFFERS = "write ends differently on the upgraded database"

#: What no operation of the workload writes, and why (a table, or ``table(column)`` for one column of it): only
#: these lines are probed in SQL; every other table's lines wait for an operation through the API.
UNREACHED: dict[str, str] = {
    "a2a_tasks": "written from what an A2A agent answers when called; the workload calls no A2A agent",
    "server_task_mappings": "maps a server's task to an A2A agent's task, written when an agent is called",
    "mcp_sessions": "the session registry writes it only with a database cache, which the suite's gateways do not use",
    "mcp_messages": "the session registry writes it only with a database cache, which the suite's gateways do not use",
    "pending_user_approvals": "only an identity provider's callback writes it (a sign-in awaiting approval)",
    "sso_auth_sessions(user_email)": "only an identity provider's callback sets a sign-in's user",
    "audit_trails": "written only with the audit trail turned on, which the workload does not do",
    "toolops_test_cases": "the ToolOps feature's test cases, a feature the workload does not use",
}

#: The kinds of write.
STORE, LEAVE_UNSET, DELETE_REFERENCED, DUPLICATE = "store", "leave unset", "delete referenced", "duplicate"


@dataclass(frozen=True)
class RowOperation:
    """One write built from one schema difference (``key``) on ``table``."""

    key: str
    kind: str
    table: str
    columns: tuple[str, ...]
    value: str | None = None  # what STORE writes into the column (None: NULL)
    what: str = ""  # the write, as a sentence's subject
    declared: str = ""  # what the release's models declare for it, where they map it: the side its code expects

    @property
    def reason(self) -> str:
        """Why the write is done in SQL: what would write it otherwise."""
        return UNREACHED.get(f"{self.table}({', '.join(self.columns)})") or UNREACHED[self.table]


def unreached(key: str) -> bool:
    """Whether the schema object ``key`` is on a table (or a column) no operation of the workload writes."""
    _, table, columns = parse_key(key)
    return table in UNREACHED or f"{table}({columns})" in UNREACHED


def row_operations(
    diff: SchemaDiff, consequences: list[Consequence], model: ModelFacts | None = None
) -> list[RowOperation]:
    """A write for each "behaves differently" line on an unreached table, as many as the line differs in (a length
    and a default are two), but none the release's ``model`` never makes (leaving unset, or NULL, a column its ORM
    always fills); a line whose difference no write shows (a type) gets none and stays a claim."""
    built: list[RowOperation] = []
    for consequence in consequences:
        key = consequence.difference.keys[0]
        if consequence.klass == BEHAVES and unreached(key):
            written = _built(key, diff.migrated.get(key), diff.fresh.get(key))
            built += [_with_model(operation, model) for operation in written if _makes(operation, model)]
    return built


def _makes(operation: RowOperation, model: ModelFacts | None) -> bool:
    """Whether the release can make this write: a column its ORM fills on every insert is never unset or NULL."""
    unset_or_null = operation.kind == LEAVE_UNSET or (operation.kind == STORE and operation.value is None)
    return not (unset_or_null and model is not None and model.writes_itself(operation.table, operation.columns[0]))


def _with_model(operation: RowOperation, model: ModelFacts | None) -> RowOperation:
    """The operation with what the release's models declare for its column or reference."""
    if model is None or not model.maps(operation.table):
        return operation
    column = operation.columns[0]
    if operation.kind == DELETE_REFERENCED:
        reference = model.tables[operation.table]["foreign_keys"].get(column)
        declared = f"a reference to {reference['target']}" if reference else "no such reference"
    else:
        facts = model.column(operation.table, column)
        if facts is None:
            return operation
        declared = facts["type"] + ("" if facts["nullable"] else " NOT NULL")
        declared += " (its ORM fills it on insert)" if facts["python_default"] else ""
    return replace(operation, declared=f"the release's models declare {operation.table}.{column} {declared}")


def unbuilt(consequences: list[Consequence], built: list[RowOperation]) -> list[str]:
    """The unreached "behaves differently" lines none of the ``built`` writes was made for: still claims."""
    done = {operation.key for operation in built}
    return [
        c.difference.text
        for c in consequences
        if c.klass == BEHAVES and unreached(c.difference.keys[0]) and c.difference.keys[0] not in done
    ]


def _built(key: str, migrated: str | None, fresh: str | None) -> list[RowOperation]:
    kind, table, columns = parse_key(key)
    named = tuple(column.strip() for column in columns.split(","))
    if kind == "column" and migrated and fresh:
        return _column_writes(key, table, columns, read_column(migrated), read_column(fresh))
    if kind == "foreign key" and len(named) == 1:
        return [
            RowOperation(
                key, DELETE_REFERENCED, table, named, what=f"deleting the row {_a(table)} row's {columns} refers to"
            )
        ]
    if kind == "unique" or (kind == "index" and "unique" in (migrated or "", fresh or "")):
        return [
            RowOperation(key, DUPLICATE, table, named, what=f"storing a second {table} row of the same ({columns})")
        ]
    return []


def _column_writes(
    key: str, table: str, column: str, migrated: dict[str, str], fresh: dict[str, str]
) -> list[RowOperation]:
    writes = []
    limits = [_length(side["type"]) for side in (migrated, fresh)]
    bounded = [limit for limit in limits if limit is not None]
    if limits[0] != limits[1] and bounded:
        over = min(bounded) + 1
        writes.append(
            RowOperation(
                key,
                STORE,
                table,
                (column,),
                "x" * over,
                f"storing {_a(table)} row whose {column} has {over} characters",
            )
        )
    if bool(migrated["not_null"]) != bool(fresh["not_null"]):
        writes.append(
            RowOperation(key, STORE, table, (column,), None, f"storing {_a(table)} row whose {column} is NULL")
        )
    if migrated["default"] != fresh["default"]:
        writes.append(
            RowOperation(key, LEAVE_UNSET, table, (column,), what=f"storing {_a(table)} row that leaves {column} unset")
        )
    return writes


def _a(table: str) -> str:
    """``table`` with its article, as a sentence reads it ("an a2a_tasks row")."""
    return f"{'an' if table[0] in 'aeiou' else 'a'} {table}"


def _length(spelled: str) -> int | None:
    """The length limit of ``VARCHAR(n)``; None where the type sets none."""
    found = re.search(r"\((\d+)\)\s*$", spelled)
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class Ended:
    """What a write did on one database: ``result`` is compared (``"stored, state = 'submitted'"``, ``"refused"``),
    ``message`` (the database's own words) is only shown."""

    result: str
    message: str = ""

    def __str__(self) -> str:
        return self.result + (f" ({self.message})" if self.message else "")


@dataclass(frozen=True)
class WriteProbe(BothSides):
    """One write on both databases and what each did."""

    kind = WRITE_DIFFERS
    operation: RowOperation
    target: str  # the release, as reports name it
    upgraded: Ended
    fresh: Ended

    @property
    def same(self) -> bool:
        return self.upgraded.result == self.fresh.result

    def sentence(self) -> str:
        what = self.operation.what
        if self.same:
            return f"no difference: {what} is {self.upgraded.result} on the upgraded database and on a fresh install"
        return (
            f"on the upgraded database, {what} is {self.upgraded}; on a fresh {self.target} install it is {self.fresh}"
        )

    @property
    def subject(self) -> str:
        return self.operation.what

    def render(self) -> str:
        return "\n".join(
            [
                self.sentence(),
                f"  upgraded database: {self.upgraded}",
                f"  fresh install:     {self.fresh}",
                f"  schema object: {self.operation.key}"
                + (f"; {self.operation.declared}" if self.operation.declared else ""),
                f"  done in SQL: {self.operation.reason}",
            ]
        )


@dataclass(frozen=True)
class WriteProbes(FindingsVerdict):
    """Every unreached line's writes, judged together; the lines no write shows listed as claims."""

    target: str
    probes: list[WriteProbe]
    claims: list[str]

    @property
    def title(self) -> str:
        if not self.probes:
            target = self.target
            return f"The tables no user operation reaches differ from a fresh {target} install in nothing a write shows"
        differ = sum(not probe.same for probe in self.probes)
        return (
            f"Writes in SQL to the tables no user operation reaches end as on a fresh {self.target} install "
            f"({differ} of {len(self.probes)} end differently)"
        )

    def findings(self) -> list[Problem]:
        return [problem for probe in self.probes for problem in probe.findings()]

    def render(self) -> str:
        out = [self.title, *(probe.render() for probe in self.probes)]
        out += [f"no write shows it, still a claim: {claim}" for claim in self.claims]
        return "\n\n".join(out)
