"""The chart's Helm release on the suite's node: install, upgrade, rollback, each waited on with ``kubectl rollout
status``; a ``services.kubernetes.ClusterRollout``, so UPG-06's steps drive it as they drive a configured cluster.

Each install or upgrade writes the chart that goes with its release (``ChartValues.of_release``) into a directory
of its own and hands that to ``helm``: an operator moves chart and image together (upstream versions them
together), so an upgrade takes the new chart's values, not ``--reuse-values`` of the old one. The plan's ``--set
strategy…`` flags are passed as the plan writes them (this chart reads them).

The install is not ``--wait``: Helm waits for the resources before it runs the ``post-install`` hook (the migration
Job) and the pods are Ready only after it, so ``kubectl rollout status`` waits instead (measured in
tests/integration/test_cluster_helm_install.py).

``state_directory`` gives the node a short directory of its own: containerd's socket paths must fit 107 bytes, which
a scenario's sandbox path does not promise.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from upgrade_suite.base.waiting import bounded_run
from upgrade_suite.cluster import host
from upgrade_suite.cluster.chart import NODE_PORT, ChartValues, write_chart
from upgrade_suite.cluster.node import Node
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.kubernetes import (
    PLAN_FLAGS,
    downgrade_in_pod,
    events_command,
    execute,
    rollout_status,
    state_command,
)


@contextmanager
def state_directory() -> Iterator[Path]:
    """A node's state directory, removed afterwards unless something is still mounted below it (then it is the
    evidence of a teardown that failed, and removing under a mount would reach into what is mounted)."""
    state = Path(tempfile.mkdtemp(prefix="upgk8s-"))
    try:
        yield state
    finally:
        if not host.mounts_under(state):
            shutil.rmtree(state, ignore_errors=True)


class NodeRelease:
    """The Helm release ``name`` of the suite's chart on ``node``; ``values_of`` gives the values of a release's
    chart (its image already loaded into the node)."""

    def __init__(
        self, node: Node, workdir: Path, token: str, values_of: Callable[[Release], ChartValues], name: str = "suite"
    ) -> None:
        self.node = node
        self.workdir = workdir
        self.token = token
        self.values_of = values_of
        self.name = name
        self.charts = 0

    @property
    def url(self) -> str:
        return f"http://{self.node.node_ip}:{NODE_PORT}"

    @property
    def deployment(self) -> str:
        return f"{self.name}-mcpgateway"

    def image_label(self, release: Release) -> str:
        return self.values_of(release).image.rpartition(":")[2]

    def install(self, release: Release, timeout_s: int) -> str:
        """``helm install`` of ``release``'s chart (its migration Job, a post-install hook), then the rollout."""
        return self._execute(self.install_commands(release, timeout_s), timeout_s)

    def install_commands(self, release: Release, timeout_s: int) -> list[list[str]]:
        install = [self._bin("helm"), "install", self.name, str(self._chart(release))]
        return [install, rollout_status(self._kubectl(), self.deployment, timeout_s)]

    def upgrade(self, release: Release, timeout_s: int, job: Release | None) -> str:
        """``helm upgrade`` to ``release``'s chart with the plan's flags (the Job first, a pre-upgrade hook): the Job
        of ``job``'s image (``release``'s, unless an operator left the value behind), or none."""
        values = self.values_of(release)
        if job is None:
            values = replace(values, migration_enabled=False)
        elif job is not release:
            values = replace(values, migration_image=self.values_of(job).image)
        return self._execute(self.upgrade_commands(release, values, timeout_s), timeout_s)

    def upgrade_commands(self, release: Release, values: ChartValues, timeout_s: int) -> list[list[str]]:
        upgrade = [self._bin("helm"), "upgrade", self.name, str(self._chart(release, values)), *PLAN_FLAGS]
        return [upgrade, rollout_status(self._kubectl(), self.deployment, timeout_s)]

    def rollback(self, target: Release, downgrade_to: str | None, timeout_s: int) -> str:
        """``helm rollback`` to the previous revision (no hook runs), after the new release's downgrade if asked."""
        downgrade = [downgrade_in_pod(self._kubectl(), self.deployment, downgrade_to)] if downgrade_to else []
        rollback = [self._bin("helm"), "rollback", self.name]
        return self._execute(
            [*downgrade, rollback, rollout_status(self._kubectl(), self.deployment, timeout_s)], timeout_s
        )

    def events(self) -> str:
        return bounded_run(events_command(self._kubectl()), "kubectl get events", 60, self.node.environment()).stdout

    def state(self) -> str:
        command = state_command(self._kubectl())
        return bounded_run(command, "kubectl get deployments,pods", 60, self.node.environment()).stdout

    def _chart(self, release: Release, values: ChartValues | None = None) -> Path:
        self.charts += 1
        directory = self.workdir / f"chart-{self.charts}-{release.spec.alias}"
        return write_chart(directory, values or self.values_of(release))

    def _execute(self, commands: list[list[str]], timeout_s: int) -> str:
        """The commands' transcript; when one fails, what the migration Job's pods said is added to the evidence
        (the node and its logs are gone once the scenario ends)."""
        try:
            return execute(commands, timeout_s, self.node.environment())
        except AssertionError as failed:
            logs = [*self._kubectl(), "logs", "--selector", f"job-name={self.name}-migration", "--tail=40", "--prefix"]
            said = bounded_run(logs, "kubectl logs of the migration Job", 60, self.node.environment())
            failed.args = (f"{failed.args[0]}\n\nthe migration Job's pods said:\n{said.stdout}{said.stderr}",)
            raise

    def _kubectl(self) -> list[str]:
        return [self._bin("kubectl")]

    def _bin(self, tool: str) -> str:
        return str(self.node.layout.bin / tool)
