"""make scale on the real releases, small: GA -> latest on PostgreSQL, every revision timed, locks sampled, rows kept.

The sizes that matter (100k, 1M) run in ``make scale``, not here; this proves the path end to end and that the
PostgreSQL row comparison it rests on can fail.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from upgrade_suite.judging.rows import row_check
from upgrade_suite.judging.transformations import Expectation
from upgrade_suite.services.database import PostgresDatabase, PostgresServer

from conftest import ROOT, behave_env, run_behave_parallel

pytestmark = pytest.mark.integration


def test_postgres_row_comparison_names_a_lost_row_and_an_altered_value_not_an_added_column(tmp_path: Path):
    with PostgresServer() as server, PostgresDatabase(server, tmp_path) as database:
        url = server.url(database.name, "postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url) as db:
            db.execute("CREATE TABLE tools (id int PRIMARY KEY, name varchar(20), spec json)")
            db.execute("CREATE TABLE metrics (id int PRIMARY KEY, seconds float)")
            db.execute("INSERT INTO tools SELECT n, 'tool-' || n, '{\"a\": 1}' FROM generate_series(1, 500) n")
            db.execute("INSERT INTO metrics SELECT n, n / 10.0 FROM generate_series(1, 500) n")
        check = row_check(database)
        with psycopg.connect(url) as db:  # what a migration might do
            db.execute("ALTER TABLE tools ALTER COLUMN name TYPE text")  # a wider type: the same data
            db.execute("ALTER TABLE metrics ADD COLUMN tier text DEFAULT 'raw'")  # a new column: not data lost
            db.execute("DELETE FROM tools WHERE id = 7")
            db.execute("UPDATE metrics SET seconds = 99 WHERE id = 9")
            db.execute("UPDATE tools SET name = 'gw-' || name WHERE id = 3")  # a declared transformation
        prefixed = Expectation("sql", ("tools",), "name", "gains a prefix (keeps the old value at its end)", "why")
        copy = check.copy
        result = check.compare({"tools": 500, "metrics": 500}, [prefixed])
        assert set(result.differing) == {"tools", "metrics"} and result.unit == "chunks", result
        assert result.transformed == {"tools.name": (1, "why")}, result
        assert all(1 <= chunks <= 2 for chunks in result.differing.values()), result  # one row: its chunk(s) only
        assert copy and copy != database.name and not check.copy
        with psycopg.connect(server.url("postgres", "postgresql").render_as_string(False)) as db:
            names = {row[0] for row in db.execute("SELECT datname FROM pg_database")}
        assert copy not in names, "the before-copy is dropped once compared"


def test_make_scale_times_every_revision_samples_locks_and_keeps_every_row(tmp_path: Path):
    out = tmp_path / "reports" / "scale"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "upgrade_suite.scale",
            "--rows",
            "1000",
            "--engines",
            "postgresql",
            "--pairs",
            "GA:latest",
        ]
        + ["--out", str(out)],
        cwd=tmp_path,
        env=behave_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (point,) = json.loads((out / "scale.json").read_text())
    assert point["engine"] == "postgresql" and point["old"].startswith("GA") and point["new"].startswith("latest")
    assert point["total_rows"] >= 1000 and point["changed"] == {} and not point["problem"], point
    assert "resources.name" in point["transformed"], "1.1.0's declared prefix on federated resources was checked"
    assert len(point["revisions"]) > 10 and all(r["seconds"] >= 0 for r in point["revisions"])
    assert point["locks"], "GA -> latest alters GA's tables: its migration holds locks that block them"
    assert all(hold["revision"] for hold in point["locks"])
    assert "## GA (1.0.0) -> latest (1.1.0) on postgresql: seconds per revision" in (out / "scale.md").read_text()
    assert (out / "scale.png").read_bytes().startswith(b"\x89PNG")
    assert not list((tmp_path / "reports" / "work").glob("*/*")), "a passing point keeps no work directory"


#: Just above the size where the checks move into the database and the API is sampled (IN_DATABASE_ABOVE).
AT_SCALE = "150000"


def test_upg03_at_scale_compares_every_row_in_the_database_and_still_names_a_lost_one(workdir: Path, no_leftovers):
    upgrade, tampered = run_behave_parallel(
        {
            workdir / "upgrade": (
                str(ROOT / "features" / "upgrade.feature"),
                "--tags=@UPG-03 and @postgres and not @current",
                "-D",
                f"scale={AT_SCALE}",
            ),
            workdir / "tampered": (
                str(Path(__file__).parent / "tamper" / "features" / "scale.feature"),
                "-D",
                f"scale={AT_SCALE}",
            ),
        },
        timeout=600,
    )
    assert upgrade.returncode == 0, upgrade.failures()
    assert "1 scenario passed" in upgrade.output
    allure = "\n".join(path.read_text() for path in upgrade.results.glob("*-attachment*"))
    assert "tool_metrics: " in allure and "Every row compared in the database" in allure
    assert "the first 1000 of each kind, a declared sample" in allure
    assert tampered.returncode != 0
    assert "TAMPERED tool_metrics deleted id=" in tampered.output
    assert re.search(r"tool_metrics: \d+ rows: [12] chunks differ", tampered.output), tampered.failures()
