"""A real load balancer in front of gateway replicas: HAProxy in the foreground, driven by its runtime API.

HAProxy is what a Kubernetes Service plus readiness probes stand for in a local rollout: it checks
each replica's /ready (the upstream chart's readiness probe), sends a request only to a replica in
state ``ready`` whose check passes, and ``drain`` stops new requests to a replica while the ones in
flight finish. Replicas come and go at run time, so the backend has a fixed number of slots, all in
maintenance until a replica is put in one (``set server … addr``; no reload, no dropped connection).
Every response carries ``X-Served-By: <slot>`` so the prober can tell which replica answered, and
HAProxy logs when it sent each request to which slot: the balancer's own record for the checks.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.sandbox import MARKER, free_port
from upgrade_suite.base.waiting import stop_process, wait_until

BACKEND = "gateways"

_CONFIG = """\
global
    stats socket {socket} mode 600 level admin
    maxconn 4096
    log stdout format raw local0 info

defaults
    mode http
    log global
    # One line per request: connection accept time (epoch s.ms), timers Th/Ti/TR/Tw/Tc (ms: handshake,
    # keep-alive idle, request headers, queue, connect), slot, status: the balancer's own record of
    # when it sent which request to which replica.
    log-format "dispatch %Ts.%ms %Th %Ti %TR %Tw %Tc %s %ST"
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout queue 10s

frontend gateway
    bind 127.0.0.1:{port}
    default_backend {backend}

backend {backend}
    balance roundrobin
    option httpchk GET /ready
    http-check expect status 200
    timeout check {check_timeout_ms}ms
    default-server inter {check_ms}ms fastinter {check_ms}ms downinter {check_ms}ms rise 1 fall {fall}
    http-response set-header X-Served-By %[srv_name]
{servers}
"""


_DISPATCH = re.compile(r"^dispatch (\d+)\.(\d{3}) ((?:-?\d+ ){5})(\S+) (-?\d+)$", re.MULTILINE)


@dataclass(frozen=True)
class Dispatch:
    """One request as HAProxy logged it: when it was sent on to which slot (``time.monotonic()`` clock)."""

    at: float
    slot: str  # "<NOSRV>" when no replica could take it
    status: int


def parse_dispatches(log: str, wall_minus_monotonic: float) -> list[Dispatch]:
    """Requests from HAProxy's log, sent on at accept + handshake + idle + headers + queue + connect.

    A keep-alive connection's accept time is that of its first request: without the idle time a
    later request would look older than it is (measured: 0.65 s "before" a replica was ready).
    A timer of -1 did not happen.
    """
    out = []
    for seconds, millis, timers, slot, status in _DISPATCH.findall(log):
        wall = int(seconds) + int(millis) / 1000 + sum(max(0, int(t)) for t in timers.split()) / 1000
        out.append(Dispatch(wall - wall_minus_monotonic, slot, int(status)))
    return out


@dataclass(frozen=True)
class SlotState:
    """One backend slot as HAProxy sees it right now."""

    name: str
    status: str  # UP, DOWN, MAINT, DRAIN, "no check"…
    sessions: int  # requests in flight to this slot (current sessions)
    served: int  # requests it answered in total
    check: str  # result of the last health check: L7OK when /ready answered 200

    @property
    def checked_up(self) -> bool:
        return self.status == "UP" and self.check == "L7OK"


class HAProxyBalancer:
    """HAProxy on a free loopback port with ``slots`` empty backend slots; a context manager.

    The check mirrors the upstream chart's readiness probe where it matters for a verdict: a check may
    take up to ``timeoutSeconds`` (70 s) and a replica leaves after ``failureThreshold`` (8) failed checks
    in a row (measured: with HAProxy's default check timeout, the interval, every RC1 replica's /ready
    took longer than 250 ms under the migration's load and all three were taken out: 503s that no
    cluster with the chart's probe would produce). Only the period is shorter than the chart's 15 s,
    so a ready replica is admitted within ``check_interval``: a stricter balancer, not a laxer one.
    """

    def __init__(
        self,
        workdir: Path,
        slots: int,
        start_timeout: float,
        check_interval: float = 0.5,
        check_timeout: float = 70.0,
        failure_threshold: int = 8,
    ) -> None:
        self.workdir = workdir
        self.slots = [f"slot{i}" for i in range(1, slots + 1)]
        self.socket_path = Path("/nonexistent")  # set on entry: a short path (a unix socket path has at most 107 bytes)
        self.config_path = workdir / "haproxy.cfg"
        self.log_path = workdir / "haproxy.log"
        self._start_timeout = start_timeout
        self._check_ms = max(50, int(check_interval * 1000))
        self._check_timeout_s = check_timeout
        self._fall = failure_threshold
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def render_config(self) -> str:
        """The configuration file: every slot starts in maintenance on a placeholder address."""
        servers = "\n".join(f"    server {slot} 127.0.0.1:1 check disabled" for slot in self.slots)
        return _CONFIG.format(
            socket=self.socket_path,
            port=self.port,
            backend=BACKEND,
            check_ms=self._check_ms,
            check_timeout_ms=int(self._check_timeout_s * 1000),
            fall=self._fall,
            servers=servers,
        )

    def __enter__(self) -> HAProxyBalancer:
        binary = shutil.which("haproxy")
        if binary is None:
            raise SuiteError("haproxy is not installed: the rolling upgrade needs it (apt-get install haproxy)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.socket_path = Path(tempfile.mkdtemp(prefix="upghap-")) / "admin.sock"
        (self.socket_path.parent / MARKER).write_text(f"pid={os.getpid()}\ncwd={os.getcwd()}\n")  # whose run it is
        self.port = free_port()
        self.config_path.write_text(self.render_config())
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [binary, "-db", "-f", str(self.config_path)],
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            wait_until(self._answers, self._start_timeout, f"HAProxy to open its runtime API (log: {self.log_path})")
        except BaseException:
            self.__exit__()
            raise
        return self

    def _answers(self) -> bool:
        assert self._process is not None
        if self._process.poll() is not None:
            raise SuiteError(
                f"haproxy exited with status {self._process.returncode}: {self.log_path.read_text()[-400:]}"
            )
        try:
            return "Name:" in self.command("show info")
        except OSError:
            return False

    def __exit__(self, *exc: object) -> None:
        process, self._process = self._process, None
        stop_process(process, grace=10)
        if self.socket_path.parent.name.startswith("upghap-"):
            shutil.rmtree(self.socket_path.parent, ignore_errors=True)

    def command(self, line: str) -> str:
        """One runtime API command over the admin socket; HAProxy closes the socket after answering."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(5)
            connection.connect(str(self.socket_path))
            connection.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")

    def _set(self, slot: str, setting: str) -> None:
        answer = self.command(f"set server {BACKEND}/{slot} {setting}").strip()
        if answer and not answer.startswith("IP changed") and "no need to change" not in answer:
            raise SuiteError(f"HAProxy refused 'set server {BACKEND}/{slot} {setting}': {answer}")

    def admit(self, slot: str, port: int, timeout: float) -> float:
        """Point ``slot`` at a replica on ``port`` and let traffic in; wait until HAProxy's own check passed.

        HAProxy counts a slot leaving maintenance as UP before its first check (measured: "UP 1/2",
        then DOWN when nothing listens), so only a replica already answering /ready is admitted;
        the wait is for HAProxy's own check to confirm it. Returns the moment (``time.monotonic()``) HAProxy
        first reported the slot UP.
        """
        self._set(slot, f"addr 127.0.0.1 port {port}")
        self._set(slot, "state ready")
        wait_until(
            lambda: self.state(slot).checked_up, timeout, f"HAProxy's /ready check of {slot} (port {port}) to pass"
        )
        return time.monotonic()

    def drain(self, slot: str) -> float:
        """No new requests to ``slot`` from now on. Returns the moment the drain was in effect."""
        self._set(slot, "state drain")
        return time.monotonic()

    def wait_idle(self, slot: str, timeout: float) -> float:
        """Wait until no request is in flight on ``slot``. Returns the seconds waited."""
        started = time.monotonic()
        wait_until(
            lambda: self.state(slot).sessions == 0, timeout, f"requests in flight on {slot} to finish (drain_timeout)"
        )
        return time.monotonic() - started

    def retire(self, slot: str) -> None:
        """Put ``slot`` back in maintenance (its replica is gone)."""
        self._set(slot, "state maint")

    def dispatches(self) -> list[Dispatch]:
        """Every request HAProxy has logged so far, on the suite's monotonic clock."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return parse_dispatches(text, time.time() - time.monotonic())

    def state(self, slot: str) -> SlotState:
        return self.states()[slot]

    def states(self) -> dict[str, SlotState]:
        """Every slot's status, in-flight and total requests, from ``show stat``."""
        text = self.command("show stat").lstrip("# ")
        rows = csv.DictReader(io.StringIO(text))
        return {
            row["svname"]: SlotState(
                row["svname"], row["status"], int(row["scur"] or 0), int(row["stot"] or 0), row["check_status"]
            )
            for row in rows
            if row["pxname"] == BACKEND and row["svname"] in self.slots
        }
