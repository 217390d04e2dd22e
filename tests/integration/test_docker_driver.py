"""The docker driver end to end: engine set up from nothing, a real upgrade in containers, nothing left.

The engine comes from ``make docker-setup`` (apt's docker.io, dockerd started by hand); a dockerd the
fixture started is stopped at the end, one it found is left alone. The first scenario builds the
Debian base and the RC1 and GA images (about 2 minutes cold, cached by dockerd afterwards).
"""

import json
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT, behave_command, behave_env, run_behave, suite_processes
from upgrade_suite import leftovers
from upgrade_suite.engine import LABEL, PID_LABEL, connect
from upgrade_suite.images import BASE_IMAGE
from upgrade_suite.sandbox import port_is_listening

pytestmark = pytest.mark.integration

SETUP = ["sh", str(ROOT / "tools" / "docker-engine.sh")]


@pytest.fixture(scope="module")
def docker_client() -> Iterator[object]:
    setup = subprocess.run([*SETUP, "up"], capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    try:
        yield connect()
    finally:
        if "started" in setup.stdout:
            subprocess.run([*SETUP, "down"], capture_output=True, timeout=120)


def labelled(client) -> list[str]:
    return [f"{c.short_id} {c.labels}" for c in client.containers.list(all=True, filters={"label": LABEL})]


def test_upgrade_with_alembic_runs_in_containers_and_leaves_none(docker_client, workdir: Path):
    before = labelled(docker_client)
    run = run_behave(
        workdir, str(ROOT / "features" / "upgrade.feature"), "--tags=@UPG-01 and @sqlite", "--name=with Alembic before starting it",
        "-D", "driver=docker",
    )
    assert run.returncode == 0, run.output[-3000:]
    assert "1 scenario passed, 0 failed" in run.output
    phases = [p["phase"] for line in (run.reports / "timings.jsonl").read_text().splitlines() for p in json.loads(line)["phases"]]
    assert {"image of RC1", "image of GA", "alembic upgrade head (GA)", "start GA"} <= set(phases)
    evidence = "".join(p.read_text(errors="replace") for p in (run.reports / "allure-results").glob("*-attachment*"))
    assert "# suite: one-off container of gateway-upgrade-suite/mcp-context-forge:1.0.0-" in evidence  # Alembic ran in GA's image
    assert labelled(docker_client) == before
    assert not suite_processes(workdir)


def test_interrupted_docker_run_leaves_no_container(docker_client, workdir: Path):
    process = subprocess.Popen(
        behave_command(str(ROOT / "features" / "upgrade.feature"), "--tags=@UPG-02 and @sqlite", "-D", "driver=docker"),
        cwd=workdir, env=behave_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
    )
    try:
        port = _listening_container_port(workdir, process)
        assert labelled(docker_client)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode != 0, output
    assert not labelled(docker_client), output[-3000:]
    assert not port_is_listening(port)


def _listening_container_port(workdir: Path, process: subprocess.Popen, timeout: float = 300) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "behave ended before a gateway container started"
        for log in (workdir / "reports" / "work").glob("run-*/*/??-GA-*/*.log"):
            match = re.search(r"PORT=(\d+)", log.read_text(errors="replace"))
            if match and port_is_listening(int(match.group(1))):
                return int(match.group(1))
        time.sleep(0.2)
    raise AssertionError("no gateway container started")


def test_containers_of_a_crashed_run_are_removed_by_the_next(docker_client, tmp_path: Path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    orphan = docker_client.containers.run(
        BASE_IMAGE, ["sleep", "300"], detach=True, labels={LABEL: "run-crashed", PID_LABEL: str(gone.pid), f"{LABEL}.role": "gateway 01-GA"},
    )
    alive = docker_client.containers.run(BASE_IMAGE, ["sleep", "300"], detach=True, labels={LABEL: "run-alive", PID_LABEL: "1"})
    try:
        report = leftovers.clean(tmp_path / "work", tmp_path, docker=docker_client)
        assert any(orphan.short_id in line for line in report.lines()), report.lines()
        assert [c.id for c in docker_client.containers.list(all=True, filters={"label": f"{LABEL}=run-crashed"})] == []
        assert docker_client.containers.get(alive.id)  # a live run's containers are not touched
    finally:
        alive.remove(force=True)
