"""What the tests of the suite's node share: the host prepared and the node built as ``make cluster-setup`` does, a
release with its gateway image, and the run's embedded PostgreSQL for pods to reach."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from upgrade_suite.base.config import SuiteConfig
from upgrade_suite.cluster.build import ensure_built
from upgrade_suite.releases.images import GatewayImages
from upgrade_suite.releases.pypi import PyPIReleases
from upgrade_suite.releases.specs import Release, resolve
from upgrade_suite.releases.venvs import ReleaseCache
from upgrade_suite.services.database import PostgresDatabase, PostgresServer

from conftest import ROOT


def node_binaries() -> Path:
    """The node's binaries, on a host with the packages a fresh machine lacks (``tools/cluster-host.sh``)."""
    subprocess.run(["sh", str(ROOT / "tools" / "cluster-host.sh")], check=True)
    return ensure_built()


def release_image(docker_client: object, alias: str) -> tuple[Release, str]:
    """``alias`` provisioned, and the tag of its gateway image built by the docker driver."""
    config = SuiteConfig.from_userdata({})
    release = ReleaseCache(config.cache_dir, 900).provision(
        resolve(alias, config.releases[alias], PyPIReleases(config.cache_dir))
    )
    return release, GatewayImages(docker_client, config.cache_dir, 900).image_for(release)


@contextmanager
def embedded_postgres(release: Release) -> Iterator[str]:
    """A database of the embedded PostgreSQL for ``release``: its URL (a unix socket the pods get mounted)."""
    with PostgresServer() as server, tempfile.TemporaryDirectory(prefix="upgk8s-pg-") as dumps:
        with PostgresDatabase(server, Path(dumps)) as database:
            yield database.url_for(release)
