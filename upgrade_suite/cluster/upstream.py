"""The upstream chart itself on the suite's node: charts/mcp-stack of IBM/mcp-context-forge, a checkout given with
``-D helm_chart=``, installed, upgraded and rolled back as the plan's commands say.

Read at charts/mcp-stack 1.0.8 and 1.0.0 with ``helm template`` (docs/chart.md): ``GATEWAY_ONLY`` renders only the
gateway's Deployment, Service, migration Job, a ConfigMap and two Secrets (no other image; no ServiceMonitor, whose
CRD a bare cluster lacks). What the releases' pods run with goes in as the chart takes it: the keys the chart keeps
in its Secret (its own ``values.yaml`` says which) into ``mcpContextForge.secret``, the rest into
``mcpContextForge.config``, both read by the gateway and the Job; every key the suite does not set keeps the chart's
default, which is the point of running the chart as published.

Three things the chart does not offer are built, not worked around:

- **PostgreSQL over TCP.** The chart assembles ``DATABASE_URL`` from ``postgres.external.*`` and mounts no host
  path; the embedded server listens on its unix socket only. ``TcpFront`` is Debian's socat on the node's address
  (a free port), forwarding each connection to the socket: the server's own authentication applies unchanged.
- **No NodePort value.** The Service is ``type: NodePort`` by value; its port is patched to the suite's after the
  install (Helm never sets it, so upgrades keep it).
- **The image's layout.** The Job waits for the database by running a file at /app, where the upstream image keeps
  its source; the suite's images install the wheel, so ``WAIT_FOR_DB`` runs the same module by name.
- **No strategy value.** The plan's ``--set strategy…`` flags are passed as it writes them and change nothing in
  this chart; the Deployment's strategy is patched before each upgrade, as on a configured cluster.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.cluster.chart import NODE_PORT, ChartValues
from upgrade_suite.cluster.helm import NodeRelease
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.kubernetes import PLAN_FLAGS, STRATEGY, rollout_status

#: What turns off every part of the chart but the gateway (defaults on: Redis, the time server, the HPA, Ingress, a
#: ServiceMonitor) and points it at a database outside the cluster.
GATEWAY_ONLY: dict[str, Any] = {
    "redis": {"enabled": False},
    "mcpFastTimeServer": {"enabled": False},
    "postgres": {"external": {"enabled": True}},
    "mcpContextForge": {
        "hpa": {"enabled": False},
        "ingress": {"enabled": False},
        "metrics": {"serviceMonitor": {"enabled": False}},
        "service": {"type": "NodePort"},
        # the chart's default cache is Redis (its pods wait for it at start); with Redis off, the database's
        "config": {"CACHE_TYPE": "database"},
    },
}
#: The Job's wait for the database, as the chart's default says it but by module: the chart's default runs the file
#: ``/app/mcpgateway/utils/db_isready.py`` of the upstream image, which copies the source tree to /app, where the
#: suite's images install the release's wheel (the package is on the path, not at /app).
WAIT_FOR_DB = "python3 -m mcpgateway.utils.db_isready --max-tries 30 --interval 2 --timeout 5"
#: The database the embedded server makes for the suite is reached as its owner; the socket trusts it.
DATABASE_USER = "postgres"


def secret_keys(chart: Path) -> frozenset[str]:
    """The keys the chart keeps in its Secret (``mcpContextForge.secret`` of its ``values.yaml``)."""
    values = yaml.safe_load((chart / "values.yaml").read_text())
    return frozenset((values.get("mcpContextForge") or {}).get("secret") or {})


def upstream_values(
    name: str, values: ChartValues, database: tuple[str, int, str], secrets: frozenset[str]
) -> dict[str, Any]:
    """The chart's values for ``values``' images and environment on the database ``(host, port, name)``."""
    host, port, dbname = database
    repository, _, tag = values.image.rpartition(":")
    job_repository, _, job_tag = (values.migration_image or values.image).rpartition(":")
    environment = {k: v for k, v in values.environment.items() if k != "DATABASE_URL"}
    chosen: dict[str, Any] = json.loads(json.dumps(GATEWAY_ONLY))
    chosen["global"] = {"fullnameOverride": name}
    chosen["postgres"]["external"].update(
        {"host": host, "port": port, "database": dbname, "user": DATABASE_USER, "password": "trusted-socket"}
    )
    gateway = chosen["mcpContextForge"]
    gateway["replicaCount"] = values.replicas
    gateway["image"] = {"repository": repository, "tag": tag, "pullPolicy": "Never"}
    gateway["secret"] = {k: v for k, v in environment.items() if k in secrets}
    gateway["config"] |= {k: v for k, v in environment.items() if k not in secrets}
    chosen["migration"] = {
        "enabled": values.migration_enabled,
        "image": {"repository": job_repository, "tag": job_tag, "pullPolicy": "Never"},
        "command": {"waitForDb": WAIT_FOR_DB},
    }
    return chosen


class TcpFront:
    """socat on ``address`` (a free port), forwarding each connection to the unix socket ``target``; a context
    manager that stops it (and every connection it forked) on exit."""

    def __init__(self, address: str, target: Path, log: Path) -> None:
        self.address = address
        self.target = target
        self.log = log
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> TcpFront:
        if not self.target.exists():
            raise SuiteError(f"no PostgreSQL socket at {self.target} for the chart's pods to reach")
        with socket.socket() as probe:
            probe.bind((self.address, 0))
            self.port = probe.getsockname()[1]
        listen = f"TCP-LISTEN:{self.port},bind={self.address},fork,reuseaddr"
        with self.log.open("ab") as out:
            self._process = subprocess.Popen(
                ["socat", listen, f"UNIX-CONNECT:{self.target}"], stdout=out, stderr=out, start_new_session=True
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SuiteError(f"socat exited at start ({self._process.returncode}); see {self.log}")
            with socket.socket() as client:
                if client.connect_ex((self.address, self.port)) == 0:
                    return self
            time.sleep(0.1)
        raise SuiteError(f"socat did not listen on {self.address}:{self.port} within 10 s; see {self.log}")

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)  # socat and the connections it forked
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(timeout=10)


class UpstreamRelease(NodeRelease):
    """The Helm release of the upstream chart at ``chart`` on the node, its pods on the database behind ``front``."""

    def __init__(self, chart: Path, front: TcpFront, dbname: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chart = chart
        self.database = (front.address, front.port, dbname)
        self.secrets = secret_keys(chart)

    def install_commands(self, release: Release, timeout_s: int) -> list[list[str]]:
        port = json.dumps({"spec": {"ports": [{"port": 80, "nodePort": NODE_PORT}]}})
        return [
            [self._bin("helm"), "install", self.name, str(self.chart), "-f", str(self._values_file(release))],
            [*self._kubectl(), "patch", "service", self.deployment, "-p", port],
            rollout_status(self._kubectl(), self.deployment, timeout_s),
        ]

    def upgrade_commands(self, release: Release, values: ChartValues, timeout_s: int) -> list[list[str]]:
        strategy = json.dumps({"spec": {"strategy": STRATEGY}})
        helm = [self._bin("helm"), "upgrade", self.name, str(self.chart), "-f", str(self._values_file(release, values))]
        return [
            [*self._kubectl(), "patch", "deployment", self.deployment, "--type", "merge", "-p", strategy],
            [*helm, *PLAN_FLAGS],
            rollout_status(self._kubectl(), self.deployment, timeout_s),
        ]

    def _values_file(self, release: Release, values: ChartValues | None = None) -> Path:
        self.charts += 1
        path = self.workdir / f"values-{self.charts}-{release.spec.alias}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        chosen = upstream_values(self.name, values or self.values_of(release), self.database, self.secrets)
        path.write_text(json.dumps(chosen, indent=1, sort_keys=True))
        return path
