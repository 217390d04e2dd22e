"""Differences planted in a copy of a real fresh GA database are each named by their consequence.

GA (1.0.0) is installed and bootstraps a fresh SQLite database; a copy gets four planted differences, as an
upgrade might leave them: a unique index GA does not have, an index of GA's dropped, a column GA's models map
dropped, and the ON DELETE CASCADE of ``tools(gateway_id)`` removed (the table rebuilt, as SQLite alters a
foreign key). The triage, with GA's own models read in its venv, must put each in its class: a wrong
"no effect here" rule would hide them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from upgrade_suite.base.config import SuiteConfig
from upgrade_suite.judging.model_facts import read_models
from upgrade_suite.judging.schema import bootstrap_fresh, compare, describe
from upgrade_suite.judging.triage import BEHAVES, BREAKS, SLOWER, triage
from upgrade_suite.releases.interpreters import Interpreters
from upgrade_suite.releases.pypi import PyPIReleases
from upgrade_suite.releases.specs import assign_interpreter, resolve
from upgrade_suite.releases.venvs import ReleaseCache
from upgrade_suite.services.database import SqliteDatabase
from upgrade_suite.services.gateway import GatewaySecrets, gateway_environment

pytestmark = pytest.mark.integration


def _plant(path: Path) -> None:
    """The four differences, in SQL an old migration could have run."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute("CREATE UNIQUE INDEX planted_unique_display ON tools (display_name)")
        index = connection.execute(
            "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='tools' AND sql LIKE '%created_at%id%'"
        ).fetchone()[0]
        connection.execute(f"DROP INDEX {index}")
        connection.execute("ALTER TABLE tools DROP COLUMN title")
        # SQLite alters a foreign key by rebuilding the table (https://sqlite.org/lang_altertable.html, 7)
        table = connection.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name='tools'").fetchone()[0]
        indexes = [
            row[0]
            for row in connection.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name='tools' AND type='index' AND sql IS NOT NULL"
            )
        ]
        cascade = "REFERENCES gateways (id) ON DELETE CASCADE"
        assert cascade in table, table
        connection.execute(
            table.replace(cascade, "REFERENCES gateways (id)").replace(
                "CREATE TABLE tools", "CREATE TABLE tools_new", 1
            )
        )
        connection.execute("INSERT INTO tools_new SELECT * FROM tools")
        connection.execute("DROP TABLE tools")
        connection.execute("ALTER TABLE tools_new RENAME TO tools")
        for sql in indexes:
            connection.execute(sql)


def test_planted_differences_are_each_named_by_their_consequence(tmp_path: Path):
    config = SuiteConfig.from_userdata({})
    interpreters = Interpreters(config.cache_dir, 900)
    spec = assign_interpreter(resolve("GA", "1.0.0", PyPIReleases(config.cache_dir)), interpreters)
    ga = ReleaseCache(config.cache_dir, 900, interpreters).provision(spec)
    with SqliteDatabase(tmp_path / "fresh") as fresh, SqliteDatabase(tmp_path / "planted") as planted:
        environment = gateway_environment(ga, fresh.url_for(ga), GatewaySecrets(), tmp_path)
        bootstrap_fresh(ga, environment, tmp_path, 600)
        planted.copy_from(fresh)
        _plant(planted.path)
        models = read_models(ga, environment, tmp_path, tmp_path / "models.json", 600)
        with fresh.engine() as engine:
            fresh_schema = describe(engine)
        with planted.engine() as engine:
            planted_schema = describe(engine)
    consequences = triage(compare(planted_schema, fresh_schema, "planted"), "sqlite", models).consequences
    classes = {c.difference.keys[0]: (c.klass, c.says) for c in consequences}
    assert classes["index tools(display_name)"][0] == BEHAVES
    assert classes["index tools(created_at, id)"][0] == SLOWER
    assert classes["column tools.title"] == (
        BREAKS,
        "the release maps tools.title: every query of tools fails on the upgraded database",
    )
    klass, says = classes["foreign key tools(gateway_id)"]
    assert klass == BEHAVES and "on the upgraded database it is refused while they exist" in says
    assert says.endswith("(the release's models declare gateways(id) ON DELETE CASCADE: a fresh install matches)")
    assert len(consequences) == 4, [c.difference.text for c in consequences]
