"""The docker driver end to end: engine set up from nothing, a real upgrade in containers, nothing left.

The engine comes from the ``docker_client`` fixture (conftest: ``make docker-setup``'s script). The
first scenario builds the Debian base and the RC1 and GA images (about 2 minutes cold, then cached).
"""

import json
import subprocess
import time
from pathlib import Path

import pytest

from upgrade_suite.base.config import SuiteConfig
from upgrade_suite.base.errors import SuiteError
from upgrade_suite.releases.images import GatewayImages, base_image
from upgrade_suite.releases.pypi import PyPIReleases
from upgrade_suite.releases.specs import resolve
from upgrade_suite.releases.venvs import ReleaseCache
from upgrade_suite.services import leftovers
from upgrade_suite.services.docker_driver import DockerGateway
from upgrade_suite.services.engine import LABEL, PID_LABEL, DockerEngine
from upgrade_suite.services.gateway import GatewaySecrets

from conftest import ROOT, labelled_containers, run_behave, suite_processes

#: Needs a Docker engine set up on the machine (docker.io, dockerd, a debootstrapped base): make test-extended.
pytestmark = [pytest.mark.integration, pytest.mark.extended]


def test_upgrade_with_alembic_runs_in_containers_and_leaves_none(docker_client, workdir: Path):
    run = run_behave(
        workdir,
        str(ROOT / "features" / "upgrade.feature"),
        "--tags=@UPG-01 and @sqlite and not @current",
        "--name=with Alembic before starting it",
        "-D",
        "driver=docker",
        gate=True,
    )
    # In containers as in processes: RC1 -> GA is the known defect of its schema's consequences, exactly.
    assert run.returncode == 0, run.failures()
    assert "0 scenarios passed, 1 failed" in run.output, run.failures()
    assert "gate: passed, 1 scenarios (1 known defects, each exactly as declared)" in run.output, run.failures()
    phases = [
        p["phase"]
        for line in (run.reports / "timings.jsonl").read_text().splitlines()
        for p in json.loads(line)["phases"]
    ]
    assert {"image of RC1", "image of GA", "alembic upgrade head (GA)", "start GA"} <= set(phases)
    evidence = "".join(p.read_text(errors="replace") for p in run.results.glob("*-attachment*"))
    assert (
        "# suite: one-off container of gateway-upgrade-suite/mcp-context-forge:1.0.0-" in evidence
    )  # Alembic ran in GA's image
    assert labelled_containers(docker_client) == []
    assert not suite_processes(workdir)


def test_containers_of_a_crashed_run_are_removed_by_the_next(docker_client, tmp_path: Path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    orphan = docker_client.containers.run(
        base_image("bookworm"),
        ["sleep", "300"],
        detach=True,
        labels={LABEL: "run-crashed", PID_LABEL: str(gone.pid), f"{LABEL}.role": "gateway 01-GA"},
    )
    alive = docker_client.containers.run(
        base_image("bookworm"), ["sleep", "300"], detach=True, labels={LABEL: "run-alive", PID_LABEL: "1"}
    )
    try:
        report = leftovers.clean(tmp_path / "work", tmp_path, docker=docker_client)
        assert any(orphan.short_id in line for line in report.lines()), report.lines()
        assert [c.id for c in docker_client.containers.list(all=True, filters={"label": f"{LABEL}=run-crashed"})] == []
        assert docker_client.containers.get(alive.id)  # a live run's containers are not touched
    finally:
        alive.remove(force=True)


def test_a_gateway_container_that_dies_at_start_fails_at_once_with_its_log(docker_client, tmp_path: Path):
    config = SuiteConfig.from_userdata({})
    ga = ReleaseCache(config.cache_dir, 900).provision(
        resolve("GA", config.releases["GA"], PyPIReleases(config.cache_dir))
    )
    engine = DockerEngine("run-test-dies-at-start", 60)
    image = GatewayImages(engine.client, config.cache_dir, 900).image_for(ga)
    gateway = DockerGateway(engine, image, ga, "bogus://nowhere", tmp_path / "gw", "gw", GatewaySecrets(), 120, 10)
    started = time.monotonic()
    with pytest.raises(SuiteError, match="exited with status") as error:
        with gateway:
            pass
    assert time.monotonic() - started < 60, "a dead container must not cost the whole start timeout"
    assert "bogus" in gateway.log_text(), error.value  # the container's output outlives it
    assert labelled_containers(docker_client) == []
