"""A gateway as a container of its release's image (``-D driver=docker``), behind the process driver's interface.

The container gets the process driver's environment (same secrets, same database URL) plus
``HOST``/``PORT`` (upstream's image binds to them) and one gunicorn worker (the process driver
runs one uvicorn process, so both drivers are timed on the same work). It uses the host network
and the host user (see ``engine``), so the port, the database and the MCP fixture are where the
process driver finds them. Its output is copied to ``log_path`` whenever the log is read and on
stop, before the container is removed: the log outlives the container, as evidence.
"""

from __future__ import annotations

import time
from pathlib import Path

from .engine import DockerEngine, bind_mounts, container_environment
from .gateway import Gateway, GatewaySecrets, gateway_environment
from .releases import Release


class DockerGateway(Gateway):
    """A gateway container; a context manager that owns it from ``docker run`` to removal."""

    driver = "docker"

    def __init__(
        self, engine: DockerEngine, image: str, release: Release, database_url: str, workdir: Path, name: str,
        secrets_: GatewaySecrets, start_timeout: float, stop_timeout: float,
    ) -> None:
        super().__init__(release, workdir, name, start_timeout, stop_timeout)
        self.image = image
        self._engine = engine
        self._env = {**container_environment(gateway_environment(release, database_url, secrets_, workdir)), "GUNICORN_WORKERS": "1"}
        self._mounts = bind_mounts(database_url)
        self._container = None
        self.container_id: str | None = None

    def _launch(self) -> None:
        environment = {**self._env, "HOST": "127.0.0.1", "PORT": str(self.port)}
        self._started_at = time.monotonic()
        self._container = self._engine.client.containers.run(**self._engine.run_kwargs(self.image, None, environment, self._mounts, f"gateway {self.name}"))
        self.container_id = self._container.short_id
        self._save_log()

    def _exit_status(self) -> int | None:
        assert self._container is not None
        self._container.reload()
        if self._container.status in {"exited", "dead"}:
            return int(self._container.attrs["State"]["ExitCode"])
        return None

    def _save_log(self) -> None:
        if self._container is None:
            return
        output = self._container.logs(stdout=True, stderr=True).decode(errors="replace")
        header = f"# suite: docker run --network host {self.image} (container {self.container_id}, HOST=127.0.0.1 PORT={self.port})\n"
        self.log_path.write_text(header + output)

    def log_text(self) -> str:
        self._save_log()
        return super().log_text()

    def stop(self) -> None:
        """``docker stop`` (SIGTERM, SIGKILL after ``gateway_stop_timeout``), keep the log, remove the container. Idempotent."""
        container = self._container
        if container is None:
            return
        try:
            container.stop(timeout=int(self._stop_timeout))
            self._save_log()
        finally:
            self._container = None
            container.remove(force=True, v=True)
