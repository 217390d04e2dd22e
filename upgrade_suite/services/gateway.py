"""One running gateway: started from a release's venv on a free loopback port, judged ready, stopped.

The process driver (the default) runs ``<venv>/bin/mcpgateway`` in its own session, from a
directory without a ``.env`` (settings would read it), with a sandboxed environment: only what
the suite sets reaches the gateway. Readiness is judged on the body of /health (it answers 200
while unhealthy) and on /ready. Stop is SIGTERM to the whole process group, then SIGKILL.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from upgrade_suite.base.errors import ReleaseExited, SuiteError
from upgrade_suite.base.sandbox import free_port
from upgrade_suite.base.waiting import wait_until
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.startup import HEALTHY, Poll, StartTimeline

#: Lines of a gateway log that mean its own migration or bootstrap did not succeed.
#: A gateway's own migration failing, as each release logs it ("Database migration failed" from 1.1.0 on).
MIGRATION_FAILURE = re.compile(
    r"Migration/Bootstrap failed|Database migration failed|Can't locate revision|alembic\.util\.exc\.CommandError"
)
#: The database's own words in a failure SQLAlchemy wraps: ``(sqlite3.OperationalError) table x already exists``.
_DATABASE_ERROR = re.compile(r"\((?:sqlite3|psycopg[\w.]*|psycopg2[\w.]*)\.\w+\) ([^\n\\\[]+)")


def migration_error(log: str) -> str | None:
    """What a log's first migration failure says: the database's own error when it names one, else the phrase."""
    failure = MIGRATION_FAILURE.search(log)
    if failure is None:
        return None
    cause = _DATABASE_ERROR.search(log, failure.start())
    return cause.group(1).strip() if cause else failure.group(0)


_ADDRESS_IN_USE = re.compile(r"address already in use", re.IGNORECASE)


@dataclass(frozen=True)
class GatewaySecrets:
    """Credentials shared by every gateway of a run: the same secrets survive the upgrade, as in production."""

    admin_email: str = "admin@example.com"
    admin_password: str = field(default_factory=lambda: f"Upg!{secrets.token_hex(8)}#9A")
    jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    encryption_secret: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    #: Releases from 1.1.0 refuse to start when a user password is shorter than 12 characters (GA's default is 8).
    default_user_password: str = field(default_factory=lambda: f"Usr!{secrets.token_hex(8)}#7b")


def gateway_environment(release: Release, database_url: str, secrets_: GatewaySecrets, home: Path) -> dict[str, str]:
    """The whole environment a gateway (or its Alembic) sees: nothing leaks in from the user's shell."""
    return {
        "PATH": f"{release.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "DATABASE_URL": database_url,
        "JWT_SECRET_KEY": secrets_.jwt_secret,
        "AUTH_ENCRYPTION_SECRET": secrets_.encryption_secret,
        "BASIC_AUTH_USER": "admin",
        "BASIC_AUTH_PASSWORD": secrets_.admin_password,
        "PLATFORM_ADMIN_EMAIL": secrets_.admin_email,
        "PLATFORM_ADMIN_PASSWORD": secrets_.admin_password,
        "DEFAULT_USER_PASSWORD": secrets_.default_user_password,
        "AUTH_REQUIRED": "true",
        "EMAIL_AUTH_ENABLED": "true",
        "MCPGATEWAY_UI_ENABLED": "false",
        "MCPGATEWAY_ADMIN_API_ENABLED": "false",
        # RC1 and GA refuse loopback URLs for tools and federated gateways without this; the
        # suite's MCP server fixture lives on loopback.
        "SSRF_ALLOW_LOCALHOST": "true",
        "LOG_LEVEL": "INFO",
        # Its log reaches the file line by line: block-buffered, 1.1.0's two-revision upgrade was
        # over before the suite saw "Running upgrade", so a kill "at a revision" came too late.
        "PYTHONUNBUFFERED": "1",
    }


class Gateway:
    """What every driver shares: readiness judged on /health and /ready, the log, one retry on a taken port.

    A driver supplies ``_launch`` (start it on ``self.port``, set ``self._started_at``),
    ``_exit_status`` (None while it runs) and ``stop`` (graceful, then forced; idempotent).
    """

    driver = ""

    def __init__(self, release: Release, workdir: Path, name: str, start_timeout: float, stop_timeout: float) -> None:
        self.release = release
        self.name = name
        self.workdir = workdir
        self.log_path = workdir / f"{name}.log"
        self._start_timeout = start_timeout
        self._stop_timeout = stop_timeout
        self._started_at = 0.0
        self.port = 0
        #: One timeline per launch (a restarted gateway, a retried port): time to healthy and ready, poll by poll.
        self.timelines: list[StartTimeline] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return None

    @property
    def launched_at(self) -> float:
        """``time.monotonic()`` at the latest launch: the origin of its timeline."""
        return self._started_at

    def __enter__(self) -> Gateway:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Launch and wait until ready; a port taken between choosing and binding gets one retry."""
        for attempt in range(2):
            self.launch()
            try:
                self._wait_ready()
                return
            except SuiteError:
                self.stop()
                if attempt == 0 and _ADDRESS_IN_USE.search(self.log_text()):
                    continue
                raise

    def launch(self) -> None:
        """Start it on a free port without waiting: a pod's container, whose probes decide when it is ready."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.timelines.append(StartTimeline(self.release.spec.label))
        self._launch()

    def exit_status(self) -> int | None:
        """Its exit status once it has exited by itself (None while it runs)."""
        return self._exit_status()

    def poll_ready(self) -> bool:
        """One readiness probe of a launched gateway (kept in its timeline); raises if it has exited."""
        return self._is_ready()

    def run_module(self, arguments: tuple[str, ...], timeout: float) -> tuple[int, str]:
        """``python <arguments>`` beside the running gateway, with its environment: an exec probe. (exit, output)"""
        raise NotImplementedError

    def _launch(self) -> None:
        raise NotImplementedError

    def _exit_status(self) -> int | None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def kill(self) -> None:
        """Kill it at once, without a graceful stop (a node failure)."""
        raise NotImplementedError

    def _wait_ready(self) -> None:
        wait_until(
            self._is_ready,
            self._start_timeout,
            f"{self.release.spec.label} gateway to report /health 'healthy' and /ready 'ready' "
            f"(gateway_start_timeout; log: {self.log_path})",
        )

    def _is_ready(self) -> bool:
        """One poll of a starting gateway, kept in its timeline: healthy by /health's body, and ready."""
        status = self._exit_status()
        if status is not None:
            raise ReleaseExited(
                f"{self.release.spec.label} gateway exited with status {status} while starting: "
                f"{self.log_tail(3)} (log: {self.log_path})"
            )
        health, ready = _status(f"{self.url}/health"), _status(f"{self.url}/ready") == "ready"
        self.timelines[-1].polls.append(Poll(time.monotonic() - self._started_at, health, ready))
        return health == HEALTHY and ready

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_since_launch(self) -> str:
        """The log of the latest launch only (a restarted gateway appends to its log)."""
        text = self.log_text()
        return text[text.rfind("# suite: ") :] if "# suite: " in text else text

    def log_tail(self, lines: int) -> str:
        return " | ".join(self.log_text().strip().splitlines()[-lines:])

    def migration_failures(self) -> list[str]:
        """Log lines saying the gateway's own migration failed: a gateway can look healthy without its schema."""
        return [line for line in self.log_text().splitlines() if MIGRATION_FAILURE.search(line)]


class ProcessGateway(Gateway):
    """A gateway as a local process; a context manager that owns the process from start to stop."""

    driver = "process"

    def __init__(
        self,
        release: Release,
        database_url: str,
        workdir: Path,
        name: str,
        secrets_: GatewaySecrets,
        start_timeout: float,
        stop_timeout: float,
        carried: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(release, workdir, name, start_timeout, stop_timeout)
        # ``carried``: settings an operator kept from an older deployment; the suite's own win.
        self._env = {**(carried or {}), **gateway_environment(release, database_url, secrets_, workdir)}
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def _launch(self) -> None:
        command = [str(self.release.bin("mcpgateway")), "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            log.write(f"# suite: {' '.join(command)}\n".encode())
            log.flush()
            self._started_at = time.monotonic()
            self._process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def _exit_status(self) -> int | None:
        assert self._process is not None
        return self._process.poll()

    def run_module(self, arguments: tuple[str, ...], timeout: float) -> tuple[int, str]:
        command = [str(self.release.bin("python")), *arguments]
        try:
            result = subprocess.run(
                command,
                cwd=self.workdir,
                env=self._env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                timeout=timeout,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired:
            return -1, f"timed out after {timeout:g} s"
        return result.returncode, result.stdout

    def stop(self) -> None:
        """SIGTERM the process group, wait ``gateway_stop_timeout``, then SIGKILL it. Idempotent."""
        process, self._process = self._process, None
        if process is None:
            return
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=self._stop_timeout)
        except subprocess.TimeoutExpired:
            pass
        _signal_group(process, signal.SIGKILL)  # reap stragglers of the group even after a clean exit
        process.wait()

    def kill(self) -> None:
        """SIGKILL the process group now, as a node failure would; the start waiting on it then fails."""
        process = self._process  # the starting thread may clear it meanwhile
        if process is not None:
            _signal_group(process, signal.SIGKILL)


def _status(url: str) -> str:
    """The ``status`` of a JSON answer from ``url`` ("" without one): /health answers 200 while unhealthy."""
    try:
        body = httpx.get(url, timeout=2.0).json()
    except (httpx.HTTPError, ValueError):
        return ""
    return str(body.get("status", "")) if isinstance(body, dict) else ""


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
