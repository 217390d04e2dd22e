"""Ctrl-C and SIGTERM in the middle of a scenario: the run ends and nothing of it keeps running."""

import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from upgrade_suite.base.sandbox import port_is_listening

from conftest import (
    ROOT,
    balancer_sockets,
    behave_command,
    behave_env,
    embedded_postgres,
    labelled_containers,
    listening_gateway_port,
    suite_processes,
)

pytestmark = pytest.mark.integration


def interrupt_when_ga_listens(
    workdir: Path, args: tuple[str, ...], sig: signal.Signals, port_pattern: str, running: Callable[[], bool]
) -> tuple[int, int, str]:
    """Run behave, wait until its first GA gateway listens, check ``running()``, send ``sig``; its exit status, that
    port, the output."""
    process = subprocess.Popen(
        behave_command(*args),
        cwd=workdir,
        env=behave_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        port = listening_gateway_port(workdir, process, port_pattern)
        assert running()
        process.send_signal(sig)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, port, output


@pytest.mark.parametrize(
    ("sig", "driver"),
    [
        pytest.param(signal.SIGINT, "process", id="ctrl-c"),
        pytest.param(signal.SIGTERM, "process", id="sigterm"),
        pytest.param(signal.SIGINT, "docker", id="ctrl-c-docker", marks=pytest.mark.extended),  # a Docker engine
    ],
)
def test_interrupted_run_leaves_nothing_running(
    workdir: Path, sig: signal.Signals, driver: str, request: pytest.FixtureRequest
):
    docker = request.getfixturevalue("docker_client") if driver == "docker" else None
    returncode, port, output = interrupt_when_ga_listens(
        workdir,
        (
            str(ROOT / "features" / "upgrade.feature"),
            "--tags=@UPG-02 and @sqlite and not @current",
            "-D",
            f"driver={driver}",
        ),
        sig,
        # The first log line names the port: "--port N" for a process, "PORT=N" for a container.
        r"(?:--port |PORT=)(\d+)",
        lambda: bool(labelled_containers(docker) if docker else suite_processes(workdir)),
    )
    assert returncode != 0, output
    assert not suite_processes(workdir), output[-3000:]
    assert not (docker and labelled_containers(docker)), output[-3000:]
    assert not port_is_listening(port)


def test_ctrl_c_during_a_rollout_stops_replicas_balancer_and_prober(workdir: Path):
    """Interrupted while RC1 and GA replicas serve behind HAProxy under the prober's load."""
    returncode, port, output = interrupt_when_ga_listens(
        workdir,
        (str(ROOT / "features" / "rolling.feature"), "--tags=@upgrade and not @current"),
        signal.SIGINT,
        r"--port (\d+)",
        lambda: any("haproxy" in p for p in suite_processes(workdir)),
    )
    assert returncode != 0, output
    assert not suite_processes(workdir), output[-3000:]
    assert not port_is_listening(port)
    assert not embedded_postgres(workdir) and not balancer_sockets(workdir)
