"""The docker driver's pure parts: what a container is given, image tags, the no-engine error."""

from pathlib import Path

import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.releases.images import upstream_tag
from upgrade_suite.services.engine import bind_mounts, connect, container_environment


def test_sqlite_file_directory_is_mounted_at_the_same_path(tmp_path: Path):
    mounts = bind_mounts(f"sqlite:///{tmp_path}/database/gateway.db")
    assert mounts == {str(tmp_path / "database"): {"bind": str(tmp_path / "database"), "mode": "rw"}}


def test_postgres_socket_directory_is_mounted_and_tcp_needs_nothing(tmp_path: Path):
    socket_url = "postgresql+psycopg://postgres:@/upgsuite_1?host=/tmp/upgpg-x/data"
    assert list(bind_mounts(socket_url)) == ["/tmp/upgpg-x/data"]
    assert bind_mounts("postgresql://u:p@127.0.0.1:5432/db") == {}


def test_container_keeps_the_gateway_environment_with_its_own_path_and_home():
    environment = {
        "PATH": "/venv/bin:/usr/bin",
        "DATABASE_URL": "sqlite:////x.db",
        "HOME": "/work/reports/work/run-1/a-long-sandbox",
    }
    assert container_environment(environment) == {"DATABASE_URL": "sqlite:////x.db", "HOME": "/tmp"}


@pytest.mark.parametrize(
    ("version", "tag"),
    [
        ("1.0.0rc1", "1.0.0-RC-1"),
        ("1.0.0", "1.0.0"),
        ("0.9.0", "0.9.0"),
        ("1.0.0b2", "1.0.0-BETA-2"),
        ("1.0.7", "1.0.7"),
    ],
)
def test_upstream_image_tags(version: str, tag: str):
    assert upstream_tag(version) == tag


def test_no_engine_is_one_line_naming_the_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/missing.sock")
    with pytest.raises(SuiteError) as error:
        connect(timeout=5)
    assert "no Docker engine answers" in str(error.value) and "make docker-setup" in str(error.value)
    assert "\n" not in str(error.value)
