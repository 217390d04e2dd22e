"""Ctrl-C and SIGTERM in the middle of a scenario: the run ends and nothing of it keeps running."""

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT, balancer_sockets, behave_command, behave_env, embedded_postgres, suite_processes
from upgrade_suite.sandbox import port_is_listening

pytestmark = pytest.mark.integration


def _listening_gateway_port(workdir: Path, process: subprocess.Popen, timeout: float = 300) -> int:
    """The port of the first GA gateway of the run once it listens (for a rollout: once the roll began)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "behave ended before a gateway started"
        for log in (workdir / "reports" / "work").glob("run-*/*/??-GA-*/*.log"):
            match = re.search(r"--port (\d+)", log.read_text(errors="replace"))
            if match and port_is_listening(int(match.group(1))):
                return int(match.group(1))
        time.sleep(0.2)
    raise AssertionError("no gateway started")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupted_run_leaves_nothing_running(workdir: Path, sig: signal.Signals):
    process = subprocess.Popen(
        behave_command(str(ROOT / "features" / "upgrade.feature"), "--tags=@UPG-02"),
        cwd=workdir, env=behave_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
    )
    try:
        port = _listening_gateway_port(workdir, process)
        assert suite_processes(workdir)
        process.send_signal(sig)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode != 0, output
    assert not suite_processes(workdir), output[-3000:]
    assert not port_is_listening(port)


def test_ctrl_c_during_a_rollout_stops_replicas_balancer_and_prober(workdir: Path):
    """Interrupted while RC1 and GA replicas serve behind HAProxy under the prober's load."""
    process = subprocess.Popen(
        behave_command(str(ROOT / "features" / "rolling.feature"), "--tags=@upgrade"),
        cwd=workdir, env=behave_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
    )
    try:
        port = _listening_gateway_port(workdir, process)
        assert any("haproxy" in p for p in suite_processes(workdir))
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode != 0, output
    assert not suite_processes(workdir), output[-3000:]
    assert not port_is_listening(port)
    assert not embedded_postgres(workdir) and not balancer_sockets(workdir)
