"""Configuration: aliases, overrides and every bad -D value rejected with one line."""

from pathlib import Path

import pytest

from upgrade_suite.base.config import DEFAULT_RELEASES, SuiteConfig, canonical_alias
from upgrade_suite.base.errors import SuiteError


def test_defaults_are_the_plan_versions_and_todays():
    config = SuiteConfig.from_userdata({}, environ={"HOME": "/tmp"})
    assert config.releases == {"RC1": "1.0.0rc1", "GA": "1.0.0", "0.9.x": "0.9.0", "1.0.x": "1.0.9", "latest": "latest"}
    assert config.driver == "process" and config.keep == "on-failure"


def test_docker_driver_is_a_choice():
    assert SuiteConfig.from_userdata({"driver": "docker"}, environ={}).driver == "docker"


def test_alias_override_any_case():
    config = SuiteConfig.from_userdata({"ga": "1.0.7", "Rc1": "dist/x.whl"}, environ={})
    assert config.spec_for("GA") == "1.0.7"
    assert config.spec_for("rc1") == "dist/x.whl"
    assert config.spec_for("0.9.X") == DEFAULT_RELEASES["0.9.x"]


def test_resolved_at_and_timeouts():
    config = SuiteConfig.from_userdata({"ga_resolved_at": "2026-05-20", "gateway_start_timeout": "45"}, environ={})
    assert config.resolved_at == {"GA": "2026-05-20T00:00:00Z"}
    assert config.timeouts.gateway_start == 45.0


def test_cache_dir_from_environment(tmp_path: Path):
    assert SuiteConfig.from_userdata({}, environ={"UPGRADE_SUITE_CACHE": str(tmp_path)}).cache_dir == tmp_path


def test_foreign_userdata_is_left_alone():
    SuiteConfig.from_userdata({"AllureFormatter.issue_pattern": "x"}, environ={})


@pytest.mark.parametrize(
    ("userdata", "message"),
    [
        ({"gaa": "1.0.0"}, "-D gaa=... is not a setting of this suite"),
        ({"ga": " "}, "-D ga= is empty"),
        ({"driver": "kubernetes"}, "-D driver=kubernetes is not a driver: use one of process, docker"),
        ({"keep": "sometimes"}, "-D keep=sometimes is not a choice"),
        ({"start_timeout": "5"}, "is not a timeout of this suite"),
        ({"gateway_start_timeout": "soon"}, "is not a number of seconds"),
        ({"gateway_start_timeout": "-1"}, "must be a positive number"),
        ({"ga_resolved_at": "May 20"}, "is not a date"),
        ({"beta_resolved_at": "2026-01-01"}, "unknown release alias 'beta'"),
    ],
)
def test_bad_values_fail_with_one_line(userdata, message):
    with pytest.raises(SuiteError) as error:
        SuiteConfig.from_userdata(userdata, environ={})
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_unknown_alias_names_the_known_ones():
    with pytest.raises(SuiteError, match="use one of RC1, GA, 0.9.x"):
        canonical_alias("GA2")


def test_scale_and_postgres_url():
    config = SuiteConfig.from_userdata(
        {"scale": "100000", "postgres_url": "postgres://u:p@db:5432/postgres"}, environ={}
    )
    assert config.scale == 100000
    assert config.postgres_url == "postgresql://u:p@db:5432/postgres"


@pytest.mark.parametrize(
    ("userdata", "message"),
    [
        ({"scale": "lots"}, "is not a positive number of rows"),
        ({"postgres_url": "mysql://x"}, "is not a PostgreSQL URL"),
        ({"postgres_url": "postgresql://u@db/precious"}, "names the database 'precious': the suite makes"),
    ],
)
def test_bad_scale_and_url(userdata, message):
    with pytest.raises(SuiteError, match=message):
        SuiteConfig.from_userdata(userdata, environ={})


def test_python_must_exist_and_run(tmp_path: Path):
    import sys

    assert SuiteConfig.from_userdata({"python": sys.executable}, environ={}).python == Path(sys.executable).absolute()
    assert SuiteConfig.from_userdata({}, environ={}).python is None
    with pytest.raises(SuiteError, match="no such interpreter"):
        SuiteConfig.from_userdata({"python": str(tmp_path / "python3.13")}, environ={})
    broken = tmp_path / "python3.13"
    broken.write_text("#!/bin/sh\nexit 127\n")
    broken.chmod(0o755)
    with pytest.raises(SuiteError, match="does not run as a Python interpreter"):
        SuiteConfig.from_userdata({"python": str(broken)}, environ={})


def test_the_aliases_a_selection_names_are_read_from_its_steps():
    from upgrade_suite.base.config import aliases_named

    steps = [
        "a running GA gateway with data on SQLite",
        "the database is migrated to latest's head exactly once",
        "I perform the upgrade to 1.0.x with Alembic before starting it",
        "an empty SQLite database",
    ]
    assert aliases_named(steps) == {"GA", "latest", "1.0.x"}
    assert aliases_named(["the newest release, GAS, 21.0.x and RC12 are not aliases"]) == set()


def test_matrix_settings_default_to_every_release_once_and_refuse_a_bad_shard_or_flag():
    matrix = SuiteConfig.from_userdata({}).matrix
    assert (matrix.first, matrix.last, matrix.fresh, matrix.shard) == ("0.9.0", "latest", False, (1, 1))
    given = SuiteConfig.from_userdata({"matrix_from": "1.0.9", "matrix_fresh": "true", "shard": "2/3"}).matrix
    assert (given.first, given.fresh, given.shard) == ("1.0.9", True, (2, 3))
    with pytest.raises(SuiteError, match="I/N"):
        SuiteConfig.from_userdata({"shard": "4/3"})
    with pytest.raises(SuiteError, match="true or false"):
        SuiteConfig.from_userdata({"matrix_fresh": "yes"})
