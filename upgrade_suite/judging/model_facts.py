"""What a release's own SQLAlchemy models expect of its database (``probes/models.py``, read in its venv).

The third side of a schema difference: the upgraded database and a fresh install may disagree, and only the
release's models say which of them its code relies on (a Python-side default the ORM always writes, a column it
maps, a unique constraint it declares) and whether it has SQLite enforce foreign keys at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from upgrade_suite.base.probe_runner import Timeout, run_probe
from upgrade_suite.probes import PROBES
from upgrade_suite.releases.specs import Release


@dataclass(frozen=True)
class ModelFacts:
    """A release's mapped tables (``tables``: as the probe writes them) and its SQLite foreign-key enforcement."""

    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    sqlite_foreign_keys: bool | None = None

    def column(self, table: str, column: str) -> dict[str, Any] | None:
        """The model's facts of ``table.column``; None when no model maps it."""
        return self.tables.get(table, {}).get("columns", {}).get(column)

    def maps(self, table: str, column: str | None = None) -> bool:
        return table in self.tables and (column is None or self.column(table, column) is not None)

    def writes_itself(self, table: str, column: str) -> bool:
        """Whether the ORM gives ``column`` a value on every insert (a Python-side default): the database
        default is then never what the release stores."""
        facts = self.column(table, column)
        return bool(facts and facts["python_default"])

    @classmethod
    def load(cls, path: Path) -> ModelFacts:
        data = json.loads(path.read_text())
        return cls(data["tables"], data["sqlite_foreign_keys"])


def read_models(release: Release, environment: dict[str, str], workdir: Path, out: Path, timeout: float) -> ModelFacts:
    """Run ``probes/models.py`` in ``release``'s venv (``environment`` names a SQLite database for the foreign-key
    fact) and keep its answer in ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    run_probe(
        "reading the SQLAlchemy models",
        release.spec.label,
        release.python,
        PROBES / "models.py",
        [str(out)],
        environment=environment,
        cwd=workdir,
        timeout=Timeout(timeout, "migration_timeout"),
    ).require(produced=out)
    return ModelFacts.load(out)
