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

from upgrade_suite.reporting.runs import load_runs
from upgrade_suite.services.faults import mounts_under

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

    @property
    def results(self) -> Path:
        """The Allure results of the run's last behave run (reports/runs/<id>/allure-results)."""
        return results_of(self.reports)

    def verdicts(self, key: str = "scenario") -> dict[str, tuple[str, list[str]]]:
        """Each scenario's verdict and the known defects declared for it, from reports/timings.jsonl; by its name in
        the feature (``scenario``) or as the report titles it, with its versions (``title``)."""
        records = [json.loads(line) for line in (self.reports / "timings.jsonl").read_text().splitlines()]
        return {r[key]: (r["verdict"], r["known_defects"]) for r in records}

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


def results_of(reports: Path) -> Path:
    """The Allure results the last finished run in ``reports`` wrote (each run keeps its own)."""
    runs = load_runs(reports)
    assert runs, f"no finished run in {reports / 'runs'}"
    return runs[-1].results


def behave_command(*args: str) -> list[str]:
    return [str(BEHAVE), *args]


def gate_command(*args: str) -> list[str]:
    """behave judged as ``make upgrade`` judges it: known defects must match their declarations exactly."""
    return [sys.executable, "-m", "upgrade_suite.reporting.gate", *args]


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

    ``gate``: through the gate (``python -m upgrade_suite.reporting.gate``), whose exit status is the verdict of
    ``make upgrade``.
    ``timeout`` bounds the runs together. When the runs end early (a timeout, the test's own timeout, Ctrl-C), every
    run still going is stopped as a user's SIGTERM stops it (the scenario's teardown runs), its whole session killed
    if that does not end it: before, only the run being waited on was killed and the others went on into the next
    tests.
    """
    processes = {}
    try:
        for workdir, args in runs.items():
            prepare_workdir(workdir)
            processes[workdir] = background(
                (gate_command if gate else behave_command)(*args),
                workdir,
                workdir / "behave-output.txt",
                env,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        for process in processes.values():
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
    finally:
        for process in processes.values():
            stop(process)
    return [
        BehaveRun(process.returncode, (workdir / "behave-output.txt").read_text(), workdir)
        for workdir, process in processes.items()
    ]


def stop(process: subprocess.Popen[str]) -> None:
    """A program started in its own session, if still running: SIGTERM (its own clean-up), and its session killed
    when it has not ended 60 s later. What a clean stop leaves behind stays for ``no_leftovers`` to report."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


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
    from upgrade_suite.base.sandbox import port_is_listening

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
    """A Docker engine set up as a user would (``make docker-setup``, begun by the early machine job when one runs);
    a dockerd either started is stopped after."""
    from upgrade_suite.services.engine import connect

    job = early("machine-tools")
    before = job.finished("docker") if job is not None else ""
    script = ["sh", str(ROOT / "tools" / "docker-engine.sh")]
    setup = subprocess.run([*script, "up"], capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    try:
        yield connect()
    finally:
        if "started (pid" in before + setup.stdout:
            subprocess.run([*script, "down"], capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def allure() -> Path:
    """Allure 3's command line, installed by the early machine job when it was missing."""
    job = early("machine-tools")
    if job is not None:
        job.finished("allure")
    assert ALLURE.exists(), f"no {ALLURE}: make report-tools installs it (npm)"
    return ALLURE


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, installed by the early machine job when it was missing (``make chromium``); found as the
    report finds it (``browser.chromium_path``: a one-line error naming what to install)."""
    from upgrade_suite.reporting.browser import chromium_path

    job = early("machine-tools")
    if job is not None:
        job.finished("chromium")
    return chromium_path()


def labelled_containers(client) -> list[str]:
    """Every container carrying the suite's label, whichever run made it."""
    from upgrade_suite.services.engine import LABEL

    return [f"{c.short_id} {c.labels}" for c in client.containers.list(all=True, filters={"label": LABEL})]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return prepare_workdir(tmp_path / "run")


@pytest.fixture
def no_leftovers(workdir: Path):
    """After the test: no process of the run, no embedded PostgreSQL or balancer socket it made, nothing mounted
    under it (a fault scenario's read-only database)."""
    yield
    assert not suite_processes(workdir)
    assert not embedded_postgres(workdir)
    assert not balancer_sockets(workdir)
    assert not mounts_under(workdir)


#: The test that proves the last-resort interpreter route (CPython built from Debian source, minutes of work).
DEBIAN_BUILD_TEST = "tests/integration/test_interpreter_provisioning.py::test_release_1_1_0_runs_on_python_built"
#: Tests that read pages back in Chromium, and the one that needs a Docker engine and the images' Debian base.
CHROMIUM_TESTS = ("tests/integration/test_sign_off_report.py", "tests/integration/test_matrix_page.py")
DOCKER_TESTS = (
    "tests/integration/test_docker_driver.py",
    "tests/integration/test_interrupts.py::test_interrupted_run_leaves_nothing_running[ctrl-c-docker]",
)
#: The test that makes the sign-off report, with Allure 3 (npm, into .tools: ``make report-tools``'s).
REPORT_TESTS = ("tests/integration/test_sign_off_report.py",)
ALLURE = ROOT / ".tools" / "node_modules" / ".bin" / "allure"
#: The images' Debian base, made by the machine job (``GatewayImages.base``): what a docker run starts from.
_BASE = (
    "from upgrade_suite.base.config import SuiteConfig; from upgrade_suite.services.engine import connect; "
    "from upgrade_suite.releases.images import GatewayImages; "
    "GatewayImages(connect(), SuiteConfig.from_userdata({}).cache_dir, 900).base('bookworm')"
)
_EARLY: dict[str, EarlyJob] = {}


@dataclass
class EarlyJob:
    """Set-up that selected tests need, started at collection in the background and waited for by them."""

    process: subprocess.Popen[str]
    log: Path

    def finished(self, part: str, timeout: float = 900) -> str:
        """Wait for the job; ``part``'s own status line must say exit 0. Returns the job's output."""
        self.process.wait(timeout=timeout)
        output = self.log.read_text()
        assert f"early: {part} exit 0" in output, output[-3000:]
        return output

    def stop(self) -> None:
        stop(self.process)


def early(name: str) -> EarlyJob | None:
    return _EARLY.get(name)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start now, in the background, the slow set-up that selected tests need later.

    - the Debian CPython build (niced 19): the integration tests before its test leave part of the two cores idle
      (gateways starting, probes waiting); the build fills those gaps instead of taking minutes of its own when the
      test's turn comes, and the test finds it built or waits on the build's lock for the rest;
    - the machine's tools (Allure 3 by npm; Debian's chromium; docker.io, dockerd and the images' Debian base by
      debootstrap), one after the other (apt's locks), mostly downloads and unpacking: minutes that before came ahead
      of the first test (Allure, chromium) or inside the docker test (the base), now beside the CPU-bound tests. The
      tests that need them wait on the job and check their part's status line.
    """
    from upgrade_suite.base.config import SuiteConfig

    if session.config.option.collectonly:
        return
    selected = [item.nodeid for item in session.items]
    cache = SuiteConfig.from_userdata({}).cache_dir
    cache.mkdir(parents=True, exist_ok=True)
    if any(nodeid.startswith(DEBIAN_BUILD_TEST) for nodeid in selected):
        script = (
            "import sys; from pathlib import Path; from upgrade_suite.releases import debian_python as d; "
            "cache = Path(sys.argv[1]); d.build(d.plan(cache, '3.13', 900), cache, 900)"
        )
        command = ["nice", "-n", "19", sys.executable, "-c", script, str(cache)]
        _EARLY["debian-python"] = EarlyJob(
            background(command, ROOT, cache / "early-build.log", start_new_session=True), cache / "early-build.log"
        )
    parts = []
    if any(nodeid.startswith(REPORT_TESTS) for nodeid in selected):
        parts.append(f'make -s {ALLURE.relative_to(ROOT)}; echo "early: allure exit $?"')
    if any(nodeid.startswith(CHROMIUM_TESTS) for nodeid in selected):
        parts.append('make -s chromium; echo "early: chromium exit $?"')
    if any(nodeid.startswith(DOCKER_TESTS) for nodeid in selected):
        parts.append(f'sh tools/docker-engine.sh up && {sys.executable} -c "{_BASE}"; echo "early: docker exit $?"')
    if parts:
        log = cache / "early-machine-tools.log"
        job = background(["sh", "-c", "\n".join(parts)], ROOT, log, start_new_session=True)
        _EARLY["machine-tools"] = EarlyJob(job, log)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Early jobs still running when the session ends (interrupted, or their tests deselected by -x) are stopped:
    the build takes SIGTERM as an interrupt and leaves nothing half-built; a dockerd the machine job started is
    stopped too (``down`` stops only a dockerd ``up`` started, and does nothing the second time)."""
    for job in _EARLY.values():
        job.stop()
    tools = _EARLY.get("machine-tools")
    if tools is not None and "started (pid" in tools.log.read_text():
        subprocess.run(["sh", str(ROOT / "tools" / "docker-engine.sh"), "down"], capture_output=True, timeout=120)
