"""UPG-06 on the suite's own node (``-D cluster=node``): the chart's Helm release of a release with data, on a real
single-node Kubernetes the suite built from source (``cluster/``).

What an operator's cluster would hold, made here: the release's data in the run's embedded PostgreSQL (the seeded
fixture every UPG-06 scenario starts from, served and stopped by the old release, backed up), outside the cluster as
upstream's ``postgres.external`` and reached by the pods over its unix socket, mounted at the same path; the
release images the docker driver builds, saved from the Docker engine and imported into the node; the chart that
goes with each release (``ChartValues.of_release``), installed with ``helm install``. The node, its state directory
and every image are the scenario's: released with it, in reverse order.

Pods get the suite's secrets (the prober's token is minted as for every other gateway), one Gunicorn worker each
(two pods and a Job share two cores here), and the declared values of the chart's emulation (``DECLARED_VALUES``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from upgrade_suite.client.dataset import Dataset
from upgrade_suite.cluster.build import ensure_built
from upgrade_suite.cluster.chart import PORT, ChartValues
from upgrade_suite.cluster.helm import NodeRelease, state_directory
from upgrade_suite.cluster.images import Image, docker_saved
from upgrade_suite.cluster.node import Node
from upgrade_suite.cluster.upstream import TcpFront, UpstreamRelease
from upgrade_suite.lab import phases
from upgrade_suite.lab.core import Core
from upgrade_suite.releases.images import GatewayImages
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.chart import DECLARED_VALUES, REPLICA_COUNT
from upgrade_suite.services.engine import bind_mounts, connect, container_environment
from upgrade_suite.services.gateway import GatewaySecrets, gateway_environment

#: What every pod adds to the release's own environment: listen on the chart's port, one worker (see above).
POD_SETTINGS = {"HOST": "0.0.0.0", "PORT": str(PORT), "GUNICORN_WORKERS": "1", **DECLARED_VALUES}


def rollout_timeout(core: Core) -> int:
    """A rollout's bound on a cluster: every replica and the Job starting one after another, at the chart's own
    timings (the install's, an upgrade's and a rollback's alike)."""
    replicas = core.config.rollout.replicas or REPLICA_COUNT
    return int(core.config.timeouts.gateway_start * (replicas + 2))


def pod_environment(release: Release, url: str, secrets: GatewaySecrets) -> dict[str, str]:
    """What a gateway pod of ``release`` on the database at ``url`` runs with: the process driver's environment (the
    same secrets), the container's PATH and HOME, and ``POD_SETTINGS``."""
    return {**container_environment(gateway_environment(release, url, secrets, Path("/tmp"))), **POD_SETTINGS}


class OnNode:
    """The suite's node for one scenario, with the Helm release of the chart on it."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.docker: Any = None
        self.images: GatewayImages | None = None
        self.node: Node | None = None
        self.state = Path()
        self.tags: dict[str, str] = {}  # release key -> its image, loaded into the node

    def deploy(self, alias: str) -> NodeRelease:
        """Given a Kubernetes cluster running <alias> through the Helm chart: the node up, the release installed on
        the scenario's PostgreSQL with the seeded data, every replica Ready."""
        core = self.core
        core.running_with_data(alias, "postgresql", Dataset())
        core.stop_and_back_up()
        release = core.release(alias)
        binaries = ensure_built()
        self.docker = connect(core.config.timeouts.request * 2)
        self.images = GatewayImages(self.docker, core.config.cache_dir, core.config.timeouts.install)
        self.state = core.own(state_directory())
        first = self._image(release)
        with core.timings.phase(phases.START_NODE):
            self.node = core.own(Node(self.state, binaries, images=[first]))
        core.evidence.attach("The node's start (seconds to each milestone)", self.node.timeline, "json")
        token = core.run.token(release, core.environment(release))
        helm = self._release(self.node, token)
        with core.timings.phase(phases.helm_install(alias)):
            transcript = helm.install(release, rollout_timeout(core))
        core.evidence.attach("helm install and kubectl rollout status", transcript)
        return helm

    def _release(self, node: Node, token: str) -> NodeRelease:
        """The suite's chart, or with ``-D helm_chart=`` the upstream one, its pods on the scenario's database
        through a TCP front on the node's address (the chart reaches PostgreSQL over TCP only)."""
        core, workdir = self.core, self.core.sandbox.subdir("charts")
        chart = core.config.rollout.upstream_chart
        if chart is None:
            return NodeRelease(node, workdir, token, self._values)
        database = core.need_database()
        url = make_url(database.url_for(None))
        socket = Path(str(url.query["host"])) / f".s.PGSQL.{url.port or 5432}"
        front = core.own(TcpFront(str(node.node_ip), socket, core.sandbox.path / "tcp-front.log"))
        return UpstreamRelease(Path(chart), front, str(url.database), node, workdir, token, self._values)

    def _values(self, release: Release) -> ChartValues:
        """The values of ``release``'s chart on the scenario's database; its image loaded into the node first."""
        url = self.core.need_database().url_for(release)
        environment = pod_environment(release, url, self.core.run.secrets)
        return ChartValues.of_release(
            release, self._tag(release), environment, tuple(bind_mounts(url)), self.core.config.rollout.pre_stop_s
        )

    def _tag(self, release: Release) -> str:
        """``release``'s image on the node: loaded the first time a chart names it."""
        if release.spec.key not in self.tags and self.node is not None:
            self.node.load(self._image(release))
        return self.tags[release.spec.key]

    def _image(self, release: Release) -> Image:
        """``release``'s image (built the docker driver's way, once per machine), saved for the node."""
        images = self.images
        assert images is not None, "deploy() connects to the Docker engine first"
        with self.core.timings.phase(phases.image(release.spec.alias)):
            tag = images.image_for(release)
            image = docker_saved(self.docker, tag, self.state)
        self.tags[release.spec.key] = tag
        return image
