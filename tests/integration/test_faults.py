"""Faults the harness must survive with nothing left behind: each injected for real, then the machine inspected."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from upgrade_suite.base.config import SuiteConfig
from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.sandbox import MARKER, port_is_listening
from upgrade_suite.releases.pypi import PyPIReleases
from upgrade_suite.releases.specs import resolve
from upgrade_suite.releases.venvs import ReleaseCache
from upgrade_suite.services import gateway as gateway_module
from upgrade_suite.services import leftovers
from upgrade_suite.services.database import PostgresServer
from upgrade_suite.services.gateway import GatewaySecrets, ProcessGateway

from conftest import run_behave

pytestmark = pytest.mark.integration

TAMPER = Path(__file__).parent / "tamper"


@pytest.fixture(scope="module")
def ga():
    config = SuiteConfig.from_userdata({})
    return ReleaseCache(config.cache_dir, 900).provision(
        resolve("GA", config.releases["GA"], PyPIReleases(config.cache_dir))
    )


def gateway(ga, tmp_path: Path, url: str = "", start_timeout: float = 120) -> ProcessGateway:
    return ProcessGateway(
        ga, url or f"sqlite:///{tmp_path}/gw.db", tmp_path / "gw", "gw", GatewaySecrets(), start_timeout, 10
    )


def test_a_taken_port_is_retried_on_another_and_left_to_its_owner(ga, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken])
        real_free_port = gateway_module.free_port
        monkeypatch.setattr(gateway_module, "free_port", lambda: next(ports, None) or real_free_port())
        with gateway(ga, tmp_path) as running:
            assert running.port != taken
            assert "address already in use" in running.log_text().lower()
        assert port_is_listening(taken), "the port's owner keeps it"
        assert not port_is_listening(running.port)


def test_a_gateway_that_dies_at_start_fails_at_once_with_its_log(ga, tmp_path: Path):
    started = time.monotonic()
    with pytest.raises(SuiteError, match="exited with status"):
        with gateway(ga, tmp_path, url="bogus://nowhere"):
            pass
    assert time.monotonic() - started < 60, "a dead gateway must not cost the whole start timeout"


def test_a_gateway_that_hangs_at_start_is_stopped_at_the_timeout(ga, tmp_path: Path):
    """GA on an unreachable database keeps retrying for minutes instead of exiting: the timeout ends it."""
    instance = gateway(ga, tmp_path, url="postgresql+psycopg://nobody@127.0.0.1:1/none", start_timeout=3)
    with pytest.raises(SuiteError, match="timed out after 3 s waiting for GA .*gateway_start_timeout"):
        with instance:
            pass
    assert instance.pid is None and not port_is_listening(instance.port)


def test_a_gateway_killed_mid_scenario_turns_it_red_and_leaves_nothing(workdir: Path, no_leftovers):
    run = run_behave(workdir, str(TAMPER / "features" / "faults.feature"))
    assert run.returncode != 0
    assert "0 scenarios passed, 1 failed" in run.output, run.failures()
    assert "KILLED gateway" in run.output


def test_a_foreign_postgres_database_is_never_dropped():
    with PostgresServer() as server:
        with server._admin() as engine, engine.connect() as connection:
            connection.exec_driver_sql('CREATE DATABASE "not_ours"')
        with pytest.raises(SuiteError, match="refusing to drop PostgreSQL database not_ours"):
            server.drop_database("not_ours")
        with pytest.raises(SuiteError, match="refusing to copy PostgreSQL database not_ours"):
            server.create_database(template="not_ours")
        assert not server.is_ours("not_ours")


def test_a_crashed_runs_processes_are_killed_and_its_evidence_kept(tmp_path: Path):
    run = tmp_path / "work" / "run-crashed"
    (run / "sandbox").mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (run / MARKER).write_text(f"pid={dead.pid}\n")
    orphan = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(300)"], cwd=run / "sandbox", start_new_session=True
    )
    try:
        report = leftovers.clean(tmp_path / "work", scratch_root=tmp_path)
        orphan.wait(timeout=10)
        assert report.runs == [run] and any(str(orphan.pid) in line for line in report.killed)
        assert (run / "sandbox").exists(), "the crashed run's sandboxes are its evidence"
        assert leftovers.clean(tmp_path / "work", scratch_root=tmp_path).killed == []
    finally:
        if orphan.poll() is None:
            os.kill(orphan.pid, signal.SIGKILL)
