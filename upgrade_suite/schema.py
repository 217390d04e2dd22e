"""Schema parity: a migrated database against a fresh install of the same release.

Both schemas are read with SQLAlchemy's inspector and flattened into ``key -> description``
(tables, columns with normalised type, nullability and default, primary keys, indexes, unique
and foreign keys), so the diff is a list of plain lines a DBA can read. A release's known drift
is declared as an exact baseline file per (from, to, engine): lines beyond it fail, and so do
baseline lines that no longer occur (the baseline must be kept true).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, inspect

from .database import Database
from .errors import SuiteError
from .releases import Release

BASELINES = Path(__file__).with_name("baselines")


def describe(engine: Engine) -> dict[str, str]:
    """The schema as ``key -> description`` lines (alembic_version is bookkeeping, left out)."""
    inspector = inspect(engine)
    items: dict[str, str] = {}
    for table in sorted(t for t in inspector.get_table_names() if t != "alembic_version"):
        items[f"table {table}"] = "present"
        for column in inspector.get_columns(table):
            default = _normal_default(column.get("default"))
            items[f"column {table}.{column['name']}"] = (
                f"{_normal_type(column['type'])}{'' if column['nullable'] else ' NOT NULL'}{f' DEFAULT {default}' if default else ''}"
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
            items[f"foreign key {table}({', '.join(fk['constrained_columns'])})"] = target + (f" ON DELETE {ondelete.upper()}" if ondelete else "")
    return items


def _normal_type(type_: object) -> str:
    text = str(type_).upper()
    text = re.sub(r"\s+", " ", text)
    return {"DATETIME": "TIMESTAMP", "TIMESTAMP WITHOUT TIME ZONE": "TIMESTAMP", "CHARACTER VARYING": "VARCHAR"}.get(text, text)


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
    """How a migrated schema differs from a fresh one, line by line."""

    title: str
    lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.lines

    def problems(self) -> list[str]:
        return list(self.lines)

    def render(self) -> str:
        head = f"{self.title}: {'identical' if self.ok else f'{len(self.lines)} difference(s)'}"
        return "\n".join([head, *(f"  {line}" for line in self.lines)])


def compare(migrated: dict[str, str], fresh: dict[str, str], title: str) -> SchemaDiff:
    """Every key present on one side only, or described differently."""
    result = SchemaDiff(title)
    for key in sorted(set(migrated) | set(fresh)):
        if key not in fresh:
            result.lines.append(f"{key}: only in the migrated database ({migrated[key]})")
        elif key not in migrated:
            result.lines.append(f"{key}: only in a fresh install ({fresh[key]})")
        elif migrated[key] != fresh[key]:
            result.lines.append(f"{key}: migrated {migrated[key]} | fresh {fresh[key]}")
    return result


@dataclass
class DriftVerdict:
    """A schema diff judged against the declared baseline of known drift."""

    diff: SchemaDiff
    baseline_file: Path
    known: list[str]
    new: list[str]
    gone: list[str]

    @property
    def ok(self) -> bool:
        return not self.new and not self.gone

    def problems(self) -> list[str]:
        return [f"new drift: {line}" for line in self.new] + [f"declared drift no longer seen (update {self.baseline_file.name}): {line}" for line in self.gone]

    def render(self) -> str:
        out = [f"Baseline {self.baseline_file.name}: {len(self.known)} known difference(s) seen, {len(self.new)} new, {len(self.gone)} no longer seen"]
        out += [f"  NEW  {line}" for line in self.new] + [f"  GONE {line}" for line in self.gone]
        out += [f"  known {line}" for line in self.known]
        return "\n".join(out)


def baseline_path(old: Release, new: Release, engine_name: str) -> Path:
    return BASELINES / f"schema-drift-{old.version}-to-{new.version}-{engine_name}.txt"


def judge(diff: SchemaDiff, baseline: Path) -> DriftVerdict:
    """Compare the diff with the baseline exactly (a missing baseline declares no drift)."""
    declared = [line for line in baseline.read_text().splitlines() if line and not line.startswith("#")] if baseline.exists() else []
    actual = set(diff.lines)
    return DriftVerdict(diff, baseline, sorted(actual & set(declared)), sorted(actual - set(declared)), sorted(set(declared) - actual))


def bootstrap_fresh(release: Release, environment: dict[str, str], workdir: Path, timeout: float) -> str:
    """A fresh install of ``release`` into the (empty) database of ``environment``: its own bootstrap_db.

    That is what the gateway runs at start on an empty database (create_all, then stamp head),
    without paying for a server start.
    """
    result = subprocess.run(
        [str(release.python), "-m", "mcpgateway.bootstrap_db"], cwd=workdir, env=environment, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        raise SuiteError(f"{release.spec.label} bootstrap_db failed: {result.stdout.strip().splitlines()[-1:]}")
    return result.stdout


def fresh_install(release: Release, database: Database, environment: dict[str, str], workdir: Path, timeout: float) -> dict[str, str]:
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
    return compare(migrated, fresh, f"Schema of this database vs a fresh {release.spec.label} install ({database.label})")
