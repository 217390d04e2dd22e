"""A gateway as a container of its release's image (``-D driver=docker``), behind the process driver's interface.

The container gets the process driver's environment (same secrets, same database URL) plus
``HOST``/``PORT`` (upstream's image binds to them) and one gunicorn worker (the process driver
runs one uvicorn process, so both drivers are timed on the same work). It uses the host network
and the host user (see ``engine``), so the port, the database and the MCP fixture are where the
process driver finds them. Its output streams into ``log_path`` while it runs (a thread follows
``docker logs``), as a process's does: the log is current when read and outlives the container.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from upgrade_suite.releases.specs import Release
from upgrade_suite.services.engine import DockerEngine, bind_mounts, container_environment
from upgrade_suite.services.gateway import Gateway, GatewaySecrets, gateway_environment

if TYPE_CHECKING:
    from docker.models.containers import Container


class DockerGateway(Gateway):
    """A gateway container; a context manager that owns it from ``docker run`` to removal."""

    driver = "docker"

    def __init__(
        self,
        engine: DockerEngine,
        image: str,
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
        self.image = image
        self._engine = engine
        own = container_environment(gateway_environment(release, database_url, secrets_, workdir))
        self._env = {
            **(carried or {}),
            **own,
            "GUNICORN_WORKERS": "1",
        }  # carried: settings kept from an older deployment
        self._mounts = bind_mounts(database_url)
        self._container: Container | None = None
        self._follower: threading.Thread | None = None
        self.container_id: str | None = None

    def _launch(self) -> None:
        environment = {**self._env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        with self.log_path.open("a") as log:
            log.write(f"# suite: docker run --network host {self.image} (HOST=127.0.0.1 PORT={self.port})\n")
        self._started_at = time.monotonic()
        self._container = self._engine.client.containers.run(
            **self._engine.run_kwargs(self.image, None, environment, self._mounts, f"gateway {self.name}")
        )
        self.container_id = self._container.short_id
        self._follower = threading.Thread(
            target=_follow, args=(self._container, self.log_path), name=f"logs {self.name}", daemon=True
        )
        self._follower.start()

    def _exit_status(self) -> int | None:
        assert self._container is not None
        self._container.reload()
        if self._container.status in {"exited", "dead"}:
            self._finish_log(5)  # the log is complete before anyone reads why it exited
            return int(self._container.attrs["State"]["ExitCode"])
        return None

    def run_module(self, arguments: tuple[str, ...], timeout: float) -> tuple[int, str]:
        """``docker exec <container> python <arguments>``, as the kubelet runs an exec probe.

        The Docker API has no timeout for an exec; the probe's own command exits (it opens one connection)."""
        if self._container is None:
            return -1, "no container"
        exit_code, output = self._container.exec_run(["python", *arguments], demux=False)
        return int(exit_code), output.decode(errors="replace") if output else ""

    def stop(self) -> None:
        """``docker stop`` (SIGTERM, SIGKILL after ``gateway_stop_timeout``), finish the log, remove the container.
        Idempotent."""
        container, self._container = self._container, None
        if container is None:
            return
        try:
            container.stop(timeout=int(self._stop_timeout))
            self._finish_log(10)
        finally:
            container.remove(force=True, v=True)

    def kill(self) -> None:
        """SIGKILL the container now, as a node failure would; the start waiting on it then fails."""
        container = self._container  # the starting thread may clear it meanwhile
        if container is not None:
            container.kill()

    def _finish_log(self, timeout: float) -> None:
        if self._follower is not None:
            self._follower.join(timeout)


def _follow(container: Any, log_path: Path) -> None:
    """Append the container's output to ``log_path`` until it ends (``docker logs --follow``)."""
    with log_path.open("ab") as log:
        try:
            for chunk in container.logs(stdout=True, stderr=True, stream=True, follow=True):
                log.write(chunk)
                log.flush()
        except Exception as error:  # the engine went away: say so in the log rather than die silently
            log.write(f"# suite: log stream ended: {error}\n".encode())
