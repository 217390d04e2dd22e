"""The Docker engine behind the docker driver: one connection per run, a label on everything, cleanup.

Every container the suite creates carries ``gateway-upgrade-suite=<run id>`` and the pid of the
run, so the run removes its own at the end (green, red or interrupted) and the next run removes
those of a run that crashed. Containers use the host's network: the gateway binds the loopback
port the suite chose, exactly like a process, and reaches what the process driver reaches on
loopback (the MCP server fixture federated by the seeded data, a ``-D postgres_url`` on
localhost). The database is reachable at the same paths as on the host: the SQLite file's
directory and the embedded PostgreSQL's socket directory are bind-mounted where they live.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from upgrade_suite.base.errors import SuiteError

LABEL = "gateway-upgrade-suite"
PID_LABEL = "gateway-upgrade-suite.pid"
SOCKET = "unix:///var/run/docker.sock"
#: Host paths of gateway_environment the container replaces: the image has its own venv on PATH, and
#: a short HOME (gunicorn puts its control socket under it; a sandbox path exceeds AF_UNIX's 108 bytes).
_CONTAINER_OVERRIDES = {"PATH": None, "HOME": "/tmp"}


def unreachable_message(reason: str) -> str:
    return (
        f"no Docker engine answers at {os.environ.get('DOCKER_HOST', SOCKET)} ({reason}): start one with `make "
        "docker-setup` (installs docker.io, starts dockerd), or use -D driver=process"
    )


def connect(timeout: float = 60.0):
    """A client of the local engine, or a one-line error naming how to start one."""
    try:
        import docker
        import docker.errors
    except ImportError:
        raise SuiteError("the docker driver needs the docker package: run make bootstrap") from None
    try:
        client = docker.from_env(timeout=int(timeout))
        client.ping()
    except docker.errors.DockerException as error:
        raise SuiteError(unreachable_message(str(error).splitlines()[0][:120])) from None
    return client


def container_environment(environment: dict[str, str]) -> dict[str, str]:
    """The process driver's environment with the container's own PATH and HOME."""
    merged = {**environment, **_CONTAINER_OVERRIDES}
    return {key: value for key, value in merged.items() if value is not None}


def bind_mounts(database_url: str) -> dict[str, dict[str, str]]:
    """Host directories a container needs at the same path: the SQLite file's, or PostgreSQL's socket directory."""
    paths: list[Path] = []
    parts = urlsplit(database_url)
    if parts.scheme.startswith("sqlite") and parts.path.startswith("//"):
        paths.append(Path(parts.path[1:]).parent)  # sqlite:////abs/path/gateway.db
    for host in parse_qs(parts.query).get("host", []):
        if host.startswith("/"):
            paths.append(Path(host))  # PostgreSQL over a unix socket directory
    return {str(path.resolve()): {"bind": str(path.resolve()), "mode": "rw"} for path in paths}


class DockerEngine:
    """The run's engine: a client, the run's labels, one-off containers, and removal of the run's containers."""

    def __init__(self, run_id: str, timeout: float) -> None:
        self.run_id = run_id
        self.client = connect(timeout)

    def labels(self, role: str) -> dict[str, str]:
        return {LABEL: self.run_id, PID_LABEL: str(os.getpid()), f"{LABEL}.role": role}

    def run_kwargs(
        self,
        image: str,
        command: list[str] | None,
        environment: dict[str, str],
        mounts: dict[str, dict[str, str]],
        role: str,
    ) -> dict:
        """What every suite container is created with: host network, the host user, labels, no restart."""
        return dict(
            image=image,
            command=command,
            environment=environment,
            volumes=mounts,
            network_mode="host",
            user=f"{os.getuid()}:{os.getgid()}",
            labels=self.labels(role),
            detach=True,
            stdin_open=False,
        )

    def run_once(
        self,
        image: str,
        command: list[str],
        environment: dict[str, str],
        mounts: dict[str, dict[str, str]],
        role: str,
        timeout: float,
        what: str,
    ) -> tuple[int, str]:
        """Run a command in a new container of ``image`` to its end (like a Job's pod): its exit status and output.

        The container is removed whatever happens, a timeout or an interrupt included.
        """
        import requests.exceptions

        container = self.client.containers.run(**self.run_kwargs(image, command, environment, mounts, role))
        try:
            try:
                status = container.wait(timeout=timeout)
            except (requests.exceptions.ConnectionError, requests.exceptions.ReadTimeout):
                raise SuiteError(f"{what} did not finish within migration_timeout={timeout:.0f} s") from None
            output = container.logs(stdout=True, stderr=True).decode(errors="replace")
            return int(status.get("StatusCode", -1)), output
        finally:
            container.remove(force=True, v=True)

    def remove_run(self) -> list[str]:
        """Remove every container of this run (normally none are left: each owner removes its own)."""
        return remove_labelled(self.client, f"{LABEL}={self.run_id}")


def remove_labelled(
    client: Any, label: str, keep: Callable[[dict[str, str]], bool] = lambda labels: False
) -> list[str]:
    """Remove the suite's containers matching ``label`` (``key`` or ``key=value``), except those ``keep`` spares."""
    removed = []
    for container in client.containers.list(all=True, filters={"label": label}):
        if keep(container.labels):
            continue
        container.remove(force=True, v=True)
        removed.append(f"{container.short_id} ({container.labels.get(LABEL)}, {container.labels.get(f'{LABEL}.role')})")
    return removed
