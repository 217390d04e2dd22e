"""Data-fidelity snapshots and the diff that names exactly what an upgrade lost or changed.

Two views of the same data, in one shape (group -> row key -> field -> value):
- through the API, what a user sees: ids, names and key fields of each entity kind;
- through SQL, every table: primary keys and every column's value.
The diff compares the fields both sides share (columns both versions have), so a column the new
release adds is not a "change", but a value that moved in a shared column is. Transformations
the new release makes on purpose are declared (see ``expectations``) and shown, never hidden.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, inspect, text

from upgrade_suite.client.api import KINDS, GatewayApi
from upgrade_suite.judging.problems import Problem
from upgrade_suite.judging.transformations import Change, Expectation, ExpectedLoss

Rows = dict[str, dict[str, Any]]

#: The API fields that identify what a user sees of each kind (camelCase and snake_case both read).
API_FIELDS: dict[str, tuple[str, ...]] = {
    "gateways": ("name", "url", "transport", "visibility", "ownerEmail", "enabled"),
    "teams": ("name", "slug", "description", "visibility", "is_personal"),
    "tools": (
        "name",
        "originalName",
        "url",
        "description",
        "integrationType",
        "requestType",
        "gatewayId",
        "teamId",
        "visibility",
        "ownerEmail",
        "enabled",
    ),
    "servers": (
        "name",
        "description",
        "associatedTools",
        "associatedResources",
        "associatedPrompts",
        "visibility",
        "ownerEmail",
        "enabled",
    ),
    "resources": ("uri", "name", "mimeType", "visibility", "ownerEmail", "enabled"),
    "prompts": ("name", "originalName", "description", "template", "visibility", "ownerEmail", "enabled"),
}


@dataclass
class Snapshot:
    """Rows per group (SQL table or API kind), each row a mapping of field to a comparable value."""

    source: str  # "sql" or "api"
    groups: dict[str, Rows]
    fields: dict[str, list[str]]
    keys: dict[str, list[str]] = field(default_factory=dict)  # SQL: each table's primary key columns

    def counts(self) -> dict[str, int]:
        return {group: len(rows) for group, rows in sorted(self.groups.items())}

    def to_json(self) -> str:
        return json.dumps(
            {"source": self.source, "counts": self.counts(), "groups": self.groups},
            indent=1,
            sort_keys=True,
            default=str,
        )

    def row_checksums(self) -> dict[str, dict[str, str]]:
        """Group -> key -> sha256 of the row, for a compact evidence file on large datasets."""
        return {
            group: {
                key: hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()[:16]
                for key, row in rows.items()
            }
            for group, rows in self.groups.items()
        }


def restricted(snapshot: Snapshot, to: Snapshot) -> Snapshot:
    """Only the rows whose keys ``to`` has: the user's data, not rows a migration generated with new ids."""
    groups = {
        group: {key: row for key, row in rows.items() if key in to.groups.get(group, {})}
        for group, rows in snapshot.groups.items()
    }
    return Snapshot(snapshot.source, groups, snapshot.fields, snapshot.keys)


def sql_snapshot(engine: Engine, skip: Iterable[str] = ("alembic_version",)) -> Snapshot:
    """Every table of the database: rows keyed by primary key, every column normalised."""
    inspector = inspect(engine)
    groups: dict[str, Rows] = {}
    fields: dict[str, list[str]] = {}
    keys: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for table in sorted(set(inspector.get_table_names()) - set(skip)):
            primary_key = inspector.get_pk_constraint(table).get("constrained_columns") or []
            result = connection.execute(text(f'SELECT * FROM "{table}"'))
            columns = list(result.keys())
            fields[table] = columns
            keys[table] = primary_key
            groups[table] = _keyed((dict(zip(columns, map(_normal, row))) for row in result), primary_key)
    return Snapshot("sql", groups, fields, keys)


def api_snapshot(
    api: GatewayApi,
    limit: int | None = None,
    sampled: Snapshot | None = None,
    hidden: Callable[[str, dict[str, Any]], bool] | None = None,
) -> Snapshot:
    """What a user sees through the API: each kind's objects by id, with their key fields.

    ``limit``: at scale, the first ``limit`` objects each kind lists (a declared sample); ``sampled``: the
    sample taken before the upgrade. When this listing filled its window, an object of the sample it did
    not reach may lie beyond it (a release that orders its lists otherwise) and is read by id, a kind that
    can be; a listing shorter than its window is complete, and what it lacks is not served. ``hidden(kind,
    row)``: objects the release declares it no longer shows this viewer, not read (each would be refused).
    """
    groups: dict[str, Rows] = {}
    for kind in KINDS:
        listed = api.list(kind, limit)
        rows = groups[kind] = {str(item["id"]): _fields(kind, item) for item in listed}
        window_full = limit is not None and len(listed) >= limit
        if sampled is not None and window_full and kind != "prompts":  # GET /prompts/{id} renders: not a read
            unread = sampled.groups.get(kind, {}).keys() - rows.keys()
            for key in sorted(k for k in unread if not (hidden and hidden(kind, sampled.groups[kind][k]))):
                response = api.read(kind, key)
                if response.status_code == 200:
                    rows[key] = _fields(kind, response.json())
    return Snapshot("api", groups, {kind: list(names) for kind, names in API_FIELDS.items()})


def _fields(kind: str, item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _normal(_read(item, name)) for name in API_FIELDS[kind]}


def _read(item: Mapping[str, Any], name: str) -> Any:
    """A field by its camelCase or snake_case name; lists of references compared as sorted sets."""
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name)
    value = item.get(name, item.get(snake))
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return sorted(value)
    return value


def _keyed(rows: Iterable[dict[str, Any]], primary_key: list[str]) -> Rows:
    """Key rows by primary key; tables without one are keyed by content (duplicates numbered)."""
    keyed: Rows = {}
    for row in rows:
        if primary_key:
            key = ",".join(f"{c}={row[c]}" for c in primary_key)
        else:
            key = "row#" + hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest()[:12]
            base, n = key, 1
            while key in keyed:
                n += 1
                key = f"{base}.{n}"
        keyed[key] = row
    return keyed


def _normal(value: Any) -> Any:
    """A JSON-comparable form of a database or API value (bytes by hash, times as ISO text)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()[:16]
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.loads(json.dumps(value, sort_keys=True, default=str))
    return value


@dataclass
class SnapshotDiff:
    """What the upgrade did to the data; empty ``problems`` means nothing was lost or changed."""

    source: str
    lost_groups: list[str] = field(default_factory=list)
    lost_rows: list[tuple[str, str]] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    expected: list[Change] = field(default_factory=list)
    hidden_rows: list[tuple[str, str, str]] = field(default_factory=list)
    added_rows: dict[str, int] = field(default_factory=dict)
    fields_not_compared: dict[str, list[str]] = field(default_factory=dict)
    rekeyed: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    rows_compared: int = 0
    #: (group, key) -> the row's natural identity (``name=team_admin``) for the rows named in problems.
    identities: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.lost_groups or self.lost_rows or self.changed)

    def findings(self) -> list[Problem]:
        """Each lost table, lost row or unexpected change, keyed by source, table (or kind), row and field."""
        source, who = self.source, self.identities.get
        found = [
            Problem("table lost", (source, g), f"{source}: {g} is gone with all its rows") for g in self.lost_groups
        ]
        found += [
            Problem("row lost", (source, g, who((g, k), k)), f"{source}: {g} row [{k}] was lost")
            for g, k in self.lost_rows
        ]
        found += [
            Problem(
                "value changed", (source, c.group, who((c.group, c.key), c.key), c.field), f"{source}: {c.render()}"
            )
            for c in self.changed
        ]
        return found

    def problems(self, limit: int = 20) -> list[str]:
        """One line per lost table, lost row or unexpected change, naming table (or kind) and row."""
        lines = [str(problem) for problem in self.findings()]
        return lines[:limit] + ([f"... and {len(lines) - limit} more"] if len(lines) > limit else [])

    def render(self) -> str:
        """The readable evidence: verdict, problems, declared transformations, what was not compared."""
        verdict = "nothing lost or changed" if self.ok else f"{len(self.problems(limit=10**9))} problem(s)"
        out = [f"{self.source.upper()} snapshot diff: {self.rows_compared} rows compared, {verdict}"]
        out += [f"  PROBLEM {line}" for line in self.problems(limit=200)]
        if self.hidden_rows:
            out.append(f"Rows no longer shown, as declared ({len(self.hidden_rows)}):")
            out += [f"  {group} [{key}]  [expected: {reason}]" for group, key, reason in self.hidden_rows[:200]]
        if self.expected:
            out.append(f"Declared transformations seen ({len(self.expected)}):")
            out += [f"  {change.render()}" for change in self.expected[:200]]
        if self.added_rows:
            out.append(
                "Rows added by the new release: " + ", ".join(f"{g}+{n}" for g, n in sorted(self.added_rows.items()))
            )
        if self.rekeyed:
            out.append("Primary keys the new release changed (rows matched by the old key, which it keeps):")
            out += [
                f"  {group}: ({', '.join(old)}) -> ({', '.join(new)})"
                for group, (old, new) in sorted(self.rekeyed.items())
            ]
        if self.fields_not_compared:
            out.append("Fields present on one side only (not compared):")
            out += [f"  {group}: {', '.join(names)}" for group, names in sorted(self.fields_not_compared.items())]
        return "\n".join(out)


def diff(
    before: Snapshot, after: Snapshot, expectations: Iterable[Expectation | ExpectedLoss] = (), viewer: str = ""
) -> SnapshotDiff:
    """Compare two snapshots of the same data over the fields both sides share.

    ``viewer`` is who looked (the admin, for API snapshots): a declared loss never hides their own rows.
    """
    losses = [e for e in expectations if isinstance(e, ExpectedLoss)]
    changes = [e for e in expectations if isinstance(e, Expectation)]
    result = SnapshotDiff(before.source)
    for group, rows in sorted(before.groups.items()):
        if group not in after.groups:
            if rows:
                result.lost_groups.append(group)
            continue
        after_rows = after.groups[group]
        old_key, new_key = before.keys.get(group, []), after.keys.get(group, [])
        if old_key and new_key and old_key != new_key and set(old_key) <= set(after.fields[group]):
            # e.g. 1.1.0 gives email_users a surrogate id: the same users, found by their email.
            after_rows = _keyed(after_rows.values(), old_key)
            result.rekeyed[group] = (old_key, new_key)
        shared = [name for name in before.fields[group] if name in after.fields[group]]
        one_sided = sorted(set(before.fields[group]) ^ set(after.fields[group]))
        if one_sided:
            result.fields_not_compared[group] = one_sided
        for key, row in rows.items():
            if key not in after_rows:
                reason = next((e.reason for e in losses if e.explains(before.source, group, row, viewer)), "")
                if reason:
                    result.hidden_rows.append((group, key, reason))
                else:
                    result.lost_rows.append((group, key))
                    result.identities[(group, key)] = _identity(row, key)
                continue
            result.rows_compared += 1
            for name in shared:
                if row.get(name) != after_rows[key].get(name):
                    change = Change(group, key, name, row.get(name), after_rows[key].get(name))
                    reason = next((e.reason for e in changes if e.explains(before.source, change)), "")
                    if reason:
                        result.expected.append(Change(group, key, name, change.before, change.after, reason))
                    else:
                        result.changed.append(change)
                        result.identities[(group, key)] = _identity(row, key)
        added = len(set(after_rows) - set(rows))
        if added:
            result.added_rows[group] = added
    return result


#: Columns (and API fields) that name a row the same way in every run; ids are random per seeded run.
_NATURAL_KEYS = ("name", "email", "slug", "uri")


def _identity(row: dict[str, Any], key: str) -> str:
    """How a problem names a row: by its first natural key (``name=team_admin``), else by its primary key."""
    natural = next((name for name in _NATURAL_KEYS if row.get(name) not in (None, "")), None)
    return f"{natural}={row[natural]}" if natural else key
