"""Schema parity: a migrated database against a fresh install of the same release.

Both schemas are read with SQLAlchemy's inspector and flattened into ``key -> description``
(tables, columns with normalised type, nullability and default, primary keys, indexes, unique
and foreign keys), so the diff is a list of plain lines a DBA can read. What each difference does
to users is ``triage``'s question; which of them a person accepted, each with a reason of its own, is
the baseline file per (from, to, engine) read here and judged in ``drift`` (``make baseline`` writes it;
a test run never does). A local build is judged by its base release's file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.probe_runner import Timeout, run_probe
from upgrade_suite.judging.problems import Problem
from upgrade_suite.releases.specs import Release, public_version
from upgrade_suite.services.database import Database

BASELINES = Path(__file__).with_name("baselines")

#: The kinds of schema difference (a ``Problem``'s kind; its key is the schema object, e.g. ``index t(c)``).
MIGRATED_ONLY = "only in the migrated database"
FRESH_ONLY = "only in a fresh install"
DIFFERS = "differs from a fresh install"
#: A declared drift entry that no longer occurs.
DRIFT_GONE = "declared drift no longer seen"


def describe(engine: Engine) -> dict[str, str]:
    """The schema as ``key -> description`` lines (alembic_version is bookkeeping, left out)."""
    inspector = inspect(engine)
    items: dict[str, str] = {}
    for table in sorted(t for t in inspector.get_table_names() if t != "alembic_version"):
        items[f"table {table}"] = "present"
        for column in inspector.get_columns(table):
            default = _normal_default(column.get("default"))
            items[f"column {table}.{column['name']}"] = (
                f"{_normal_type(column['type'])}"
                f"{'' if column['nullable'] else ' NOT NULL'}"
                f"{f' DEFAULT {default}' if default else ''}"
            )
        pk = inspector.get_pk_constraint(table).get("constrained_columns") or []
        items[f"primary key {table}"] = f"({', '.join(pk)})"
        for index in inspector.get_indexes(table):
            columns = ", ".join(str(c) for c in index["column_names"])
            items[f"index {table}({columns})"] = "unique" if index.get("unique") else "non-unique"
        for unique in inspector.get_unique_constraints(table):
            items[f"unique {table}({', '.join(unique['column_names'])})"] = "present"
        for fk in inspector.get_foreign_keys(table):
            ondelete = (fk.get("options") or {}).get("ondelete")
            target = f"{fk['referred_table']}({', '.join(fk['referred_columns'])})"
            items[f"foreign key {table}({', '.join(fk['constrained_columns'])})"] = target + (
                f" ON DELETE {ondelete.upper()}" if ondelete else ""
            )
    return items


def _normal_type(type_: object) -> str:
    text = str(type_).upper()
    text = re.sub(r"\s+", " ", text)
    return {"DATETIME": "TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP", "CHARACTER VARYING": "VARCHAR"}.get(
        text, text
    )


def _normal_default(default: object) -> str:
    """``'x'::character varying`` and ``'x'`` are the same default; so are ``(0)`` and ``0``."""
    if default is None:
        return ""
    text = re.sub(r"::[a-z ]+(\[\])?", "", str(default)).strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text


@dataclass
class SchemaDiff:
    """How a migrated schema differs from a fresh one: one ``Problem`` per schema object (kind, object key)."""

    title: str
    differences: list[Problem] = field(default_factory=list)
    #: Both schemas compared (key -> description): what the differences' consequences are judged on (``triage``).
    migrated: dict[str, str] = field(default_factory=dict)
    fresh: dict[str, str] = field(default_factory=dict)

    @property
    def lines(self) -> list[str]:
        """The differences as a reader (and a drift baseline file) writes them."""
        return [difference.text for difference in self.differences]

    @property
    def ok(self) -> bool:
        return not self.differences

    def findings(self) -> list[Problem]:
        return list(self.differences)

    def problems(self) -> list[str]:
        return self.lines

    def render(self) -> str:
        head = f"{self.title}: {'identical' if self.ok else f'{len(self.lines)} difference(s)'}"
        return "\n".join([head, *(f"  {line}" for line in self.lines)])


def compare(migrated: dict[str, str], fresh: dict[str, str], title: str) -> SchemaDiff:
    """Every key present on one side only, or described differently."""
    result = SchemaDiff(title, migrated=migrated, fresh=fresh)
    for key in sorted(set(migrated) | set(fresh)):
        if key not in fresh:
            found = Problem(MIGRATED_ONLY, (key,), f"{key}: only in the migrated database ({migrated[key]})")
        elif key not in migrated:
            found = Problem(FRESH_ONLY, (key,), f"{key}: only in a fresh install ({fresh[key]})")
        elif migrated[key] != fresh[key]:
            found = Problem(DIFFERS, (key,), f"{key}: migrated {migrated[key]} | fresh {fresh[key]}")
        else:
            continue
        result.differences.append(found)
    return result


def difference(line: str) -> Problem:
    """The schema difference a line in ``compare``'s words names (a baseline entry, a declared defect's list)."""
    key, _, rest = line.partition(": ")
    kinds = {
        "only in the migrated database": MIGRATED_ONLY,
        "only in a fresh install": FRESH_ONLY,
        "migrated ": DIFFERS,
    }
    kind = next((k for start, k in kinds.items() if rest.startswith(start)), None)
    if kind is None or not key:
        raise SuiteError(f"not a schema difference as the suite writes one: {line[:120]}")
    return Problem(kind, (key,), line)


#: Between a baseline entry's difference and the reason a person gave for accepting it.
REASON_MARK = "  # reason: "


@dataclass(frozen=True)
class Baseline:
    """Which declared-drift file judges an upgrade ``old_version -> new_version`` on ``engine``, and why that one.

    Files are named by the public versions of both ends: a local build (``1.0.0+local``) is a rebuild
    of its base release, judged against that release's declared drift, so only what the build
    changed shows (looked up by its own version, it found no file and reported all of GA's drift).
    """

    old_version: str
    new_version: str
    engine: str
    root: Path = BASELINES

    @property
    def old(self) -> str:
        return public_version(self.old_version)

    @property
    def new(self) -> str:
        return public_version(self.new_version)

    @property
    def path(self) -> Path:
        return self.root / f"schema-drift-{self.old}-to-{self.new}-{self.engine}.txt"

    @property
    def pair(self) -> str:
        return f"{self.old} → {self.new} on {self.engine}"

    @property
    def why(self) -> str:
        """``1.0.0+local judged as 1.0.0`` for each end that is a local build; empty for two releases."""
        return ", ".join(
            f"{v} judged as {public_version(v)}" for v in (self.old_version, self.new_version) if v != public_version(v)
        )

    @property
    def record_command(self) -> str:
        return f"make baseline FROM={self.old} TO={self.new} DB={self.engine}"


@dataclass(frozen=True)
class DriftEntry:
    """One declared difference and the reason a person accepted it: no entry exists without one."""

    line: str
    reason: str

    def render(self) -> str:
        return f"{self.line}{REASON_MARK}{self.reason}"


def read_baseline(path: Path) -> list[DriftEntry]:
    """The entries of a baseline file; an entry without a reason, or a reason given to several entries, is refused,
    naming the file and line.

    A line nobody gave a reason for (hand-edited, or written by a tool) would hide drift no one accepted, and one
    reason stamped over many lines says nobody looked at each (a foreign key's ON DELETE was once signed away
    among 195 lines under one sentence), so the file is rejected rather than half-trusted.
    """
    entries: list[DriftEntry] = []
    first_with: dict[str, int] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        line, mark, reason = raw.partition(REASON_MARK)
        if not mark or not reason.strip() or not line.strip():
            raise SuiteError(
                f"{path}:{number}: a baseline entry without a reason (write '<difference>{REASON_MARK}<why>', or "
                f"re-record it with make baseline): {raw[:120]}"
            )
        if reason.strip() in first_with:
            raise SuiteError(
                f"{path}:{number}: the same reason as line {first_with[reason.strip()]}: each accepted difference "
                f"needs a reason written for it, after its consequence was probed: {line[:120]}"
            )
        first_with[reason.strip()] = number
        entries.append(DriftEntry(line, reason.strip()))
    return entries


def format_baseline(entries: list[DriftEntry], header: list[str]) -> str:
    """A baseline file's text, ``# `` header lines then one entry per line: exactly what ``read_baseline`` reads
    back."""
    for entry in entries:
        if not entry.reason.strip() or "\n" in entry.reason or REASON_MARK in entry.line:
            raise SuiteError(
                f"a baseline entry needs a one-line reason and a difference without {REASON_MARK.strip()!r}: "
                f"{entry.line[:120]}"
            )
    shared = [entry.line for entry in entries if sum(e.reason.strip() == entry.reason.strip() for e in entries) > 1]
    if shared:
        raise SuiteError(
            f"one reason given to {len(shared)} differences (each needs a reason written for it): {shared[0][:120]}"
        )
    return "".join(f"# {text}\n" for text in header) + "".join(
        entry.render() + "\n" for entry in sorted(entries, key=lambda e: e.line)
    )


def bootstrap_fresh(release: Release, environment: dict[str, str], workdir: Path, timeout: float) -> str:
    """A fresh install of ``release`` into the (empty) database of ``environment``: its own bootstrap_db.

    That is what the gateway runs at start on an empty database (create_all, then stamp head),
    without paying for a server start.
    """
    run = run_probe(
        "bootstrap_db",
        release.spec.label,
        release.python,
        "mcpgateway.bootstrap_db",
        [],
        environment=environment,
        cwd=workdir,
        timeout=Timeout(timeout, "migration_timeout"),
    )
    return run.require().stdout


def fresh_install(
    release: Release, database: Database, environment: dict[str, str], workdir: Path, timeout: float
) -> dict[str, str]:
    """The schema a fresh install of ``release`` creates in the empty ``database`` (``environment`` points at it).

    One function for the scenarios' parity checks and for recording a baseline, so a baseline is
    measured exactly as it is later judged.
    """
    bootstrap_fresh(release, environment, workdir, timeout)
    with database.engine() as engine:
        return describe(engine)


def parity(database: Database, fresh: dict[str, str], release: Release) -> SchemaDiff:
    """``database``'s schema against ``fresh``, the schema of a fresh install of ``release``."""
    with database.engine() as engine:
        migrated = describe(engine)
    return compare(
        migrated, fresh, f"Schema of this database vs a fresh {release.spec.label} install ({database.label})"
    )


def count_nulls(database: Database, columns: list[tuple[str, str]]) -> dict[str, int]:
    """How many rows of ``database`` hold NULL in each ``(table, column)`` (``table.column`` -> count): the data
    behind a NOT NULL only a fresh install has (names come from the database's own inspector)."""
    with database.engine() as engine, engine.connect() as connection:
        return {
            f"{table}.{column}": connection.execute(
                text(f'SELECT count(*) FROM "{table}" WHERE "{column}" IS NULL')
            ).scalar_one()
            for table, column in columns
        }
