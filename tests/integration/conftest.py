"""Helpers for tests that run the real suite (real releases, real gateways) as a user would.

Each run happens in its own temporary working directory holding a copy of behave.ini, so its
reports, sandboxes and processes are its own and can be inspected afterwards.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BEHAVE = Path(sys.executable).parent / "behave"


@dataclass
class BehaveRun:
    returncode: int
    output: str
    workdir: Path

    @property
    def reports(self) -> Path:
        return self.workdir / "reports"

    def verdicts(self) -> dict[str, tuple[str, list[str]]]:
        """Each scenario's verdict and the known defects declared for it, from reports/timings.jsonl."""
        records = [json.loads(line) for line in (self.reports / "timings.jsonl").read_text().splitlines()]
        return {r["scenario"]: (r["verdict"], r["known_defects"]) for r in records}

    def failures(self, context: int = 40) -> str:
        """Each failed or errored step with the lines behave printed after it (its error), then the output's tail.

        An assertion message that showed only the tail lost the error of a step that failed early in a
        long run (CI once printed nothing but the summary of a failed rollback scenario).
        """
        lines = self.output.splitlines()
        blocks = [
            "\n".join(lines[i : i + context])
            for i, line in enumerate(lines)
            if re.search(r"\.\.\. (failed|error|undefined)\b", line)
        ]
        return "\n----\n".join([*blocks, "\n".join(lines[-30:])])


def behave_command(*args: str) -> list[str]:
    return [str(BEHAVE), *args]


def gate_command(*args: str) -> list[str]:
    """behave judged as ``make upgrade`` judges it: known defects must match their declarations exactly."""
    return [sys.executable, "-m", "upgrade_suite.gate", *args]


def behave_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}


def prepare_workdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "behave.ini", path / "behave.ini")
    return path


def run_behave(
    workdir: Path, *args: str, timeout: float = 900, env: dict[str, str] | None = None, gate: bool = False
) -> BehaveRun:
    return run_behave_parallel({workdir: args}, timeout, env, gate)[0]


def run_behave_parallel(
    runs: dict[Path, tuple[str, ...]], timeout: float = 900, env: dict[str, str] | None = None, gate: bool = False
) -> list[BehaveRun]:
    """Several behave runs at once, each in its own working directory (measured: 1.7x faster on 2 cores).

    ``gate``: through the gate (``python -m upgrade_suite.gate``), whose exit status is the verdict of ``make upgrade``.
    """
    processes = {}
    for workdir, args in runs.items():
        prepare_workdir(workdir)
        processes[workdir] = background(
            (gate_command if gate else behave_command)(*args), workdir, workdir / "behave-output.txt", env
        )
    results = []
    for workdir, process in processes.items():
        try:
            process.wait(timeout=timeout)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        results.append(BehaveRun(process.returncode, (workdir / "behave-output.txt").read_text(), workdir))
    return results


def background(
    command: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None, **options: object
) -> subprocess.Popen[str]:
    """A program a test starts and waits for later: its output (stdout and stderr) into ``log``, no stdin."""
    with log.open("w") as output:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env or behave_env(),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            **options,
        )


def suite_processes(root: Path) -> list[str]:
    """Processes whose working directory lies under ``root``: every gateway and fixture of a run does."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = os.readlink(proc / "cwd")
            if cwd.startswith(str(root)):
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{proc.name}: {command[:120]}")
        except OSError:
            continue
    return found


def embedded_postgres(root: Path) -> set[str]:
    """Data directories of embedded PostgreSQL servers started by runs under ``root``, and their postgres processes.

    A server's marker names the working directory of the run that started it, so other suite runs
    on the same machine (another checkout, another CI job) are not mistaken for this test's leftovers.
    """
    dirs = {str(p) for p in Path("/tmp").glob("upgpg-*") if f"cwd={root}" in _read(p / ".gateway-upgrade-suite")}
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "postgres" in command and any(d in command for d in dirs):
            dirs.add(f"process {proc.name}: {command[:80]}")
    return dirs


def balancer_sockets(root: Path) -> set[Path]:
    """HAProxy admin-socket directories of runs under ``root`` (removed when their balancer stops)."""
    return {p for p in Path("/tmp").glob("upghap-*") if f"cwd={root}" in _read(p / ".gateway-upgrade-suite")}


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def listening_gateway_port(workdir: Path, process: subprocess.Popen, port_pattern: str, timeout: float = 300) -> int:
    """The port of the run's first GA gateway once it listens (for a rollout: once the roll began; its log's first
    line names the port)."""
    from upgrade_suite.sandbox import port_is_listening

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "behave ended before a gateway started"
        for log in (workdir / "reports" / "work").glob("run-*/*/??-GA-*/*.log"):
            match = re.search(port_pattern, log.read_text(errors="replace"))
            if match and port_is_listening(int(match.group(1))):
                return int(match.group(1))
        time.sleep(0.2)
    raise AssertionError("no gateway started")


@pytest.fixture(scope="session")
def docker_client() -> Iterator[object]:
    """A Docker engine set up as a user would (``make docker-setup``); a dockerd it started is stopped after."""
    from upgrade_suite.engine import connect

    script = ["sh", str(ROOT / "tools" / "docker-engine.sh")]
    setup = subprocess.run([*script, "up"], capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    try:
        yield connect()
    finally:
        if "started" in setup.stdout:
            subprocess.run([*script, "down"], capture_output=True, timeout=120)


def labelled_containers(client) -> list[str]:
    """Every container carrying the suite's label, whichever run made it."""
    from upgrade_suite.engine import LABEL

    return [f"{c.short_id} {c.labels}" for c in client.containers.list(all=True, filters={"label": LABEL})]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return prepare_workdir(tmp_path / "run")


@pytest.fixture
def no_leftovers(workdir: Path):
    """After the test: no process of the run, no embedded PostgreSQL or balancer socket it made."""
    yield
    assert not suite_processes(workdir)
    assert not embedded_postgres(workdir)
    assert not balancer_sockets(workdir)


#: The test that proves the last-resort interpreter route (CPython built from Debian source, minutes of work).
DEBIAN_BUILD_TEST = "tests/integration/test_interpreter_provisioning.py::test_release_1_1_0_runs_on_python_built"
_EARLY_BUILD: list[subprocess.Popen[str]] = []


def pytest_collection_finish(session: pytest.Session) -> None:
    """When that test is selected, start its build now, in the background at the lowest priority.

    The integration tests before it leave part of the two cores idle (gateways starting, probes waiting); the
    build (niced 19) fills those gaps instead of taking minutes of its own when the test's turn comes. The test
    then finds it built, or waits on the build's lock for the rest. Its output goes to the cache's build log.
    """
    if not any(item.nodeid.startswith(DEBIAN_BUILD_TEST) for item in session.items):
        return
    from upgrade_suite.config import SuiteConfig

    cache = SuiteConfig.from_userdata({}).cache_dir
    cache.mkdir(parents=True, exist_ok=True)
    script = (
        "import sys; from pathlib import Path; from upgrade_suite import debian_python as d; "
        "cache = Path(sys.argv[1]); d.build(d.plan(cache, '3.13', 900), cache, 900)"
    )
    _EARLY_BUILD.append(
        background(
            ["nice", "-n", "19", sys.executable, "-c", script, str(cache)],
            ROOT,
            cache / "early-build.log",
            start_new_session=True,
        )
    )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An early build still running when the session ends (interrupted, or the test deselected by -x) is stopped:
    the build takes SIGTERM as an interrupt and leaves nothing half-built."""
    for process in _EARLY_BUILD:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()
