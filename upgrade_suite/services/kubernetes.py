"""UPG-06 on a real cluster: the plan's ``helm upgrade`` with a surge-one rolling strategy, then
``kubectl rollout status``.

Selected with ``-D kube_context=…`` (plus ``kube_url``, the gateway Service as clients reach it, and
``kube_token``, an admin token of that deployment). Without a context the scenario is skipped and
says why; with one, the same prober and verdicts as the local rollout judge the cluster's rollout.

The upstream chart (charts/mcp-stack) sets no Deployment strategy (Kubernetes' default 25%/25%),
so the plan's ``--set strategy…`` flags alone would change nothing: the strategy is patched onto the
Deployment first, and the flags are passed too for charts that do read them.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from upgrade_suite.base.config import RolloutSettings
from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.waiting import bounded_run
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.migrations import ALEMBIC_IN_IMAGE

#: The plan's rolling strategy: never below the desired count, one extra pod at a time.
STRATEGY = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}


def image_tag(version: str) -> str:
    """The upstream image tag of a PyPI version (1.0.0rc1 is published as 1.0.0-RC-1)."""
    match = re.fullmatch(r"(\d+\.\d+\.\d+)rc(\d+)", version)
    return f"{match[1]}-RC-{match[2]}" if match else version


def unavailable_reason(settings: RolloutSettings) -> str | None:
    """Why the Helm path is skipped here (no cluster was given), or None when one was."""
    if not settings.kube_context and not settings.own_node:
        return (
            "no Kubernetes cluster configured: run with -D cluster=node (the suite's own node, built from source; "
            "root and make cluster-setup), or -D kube_context=<context> -D kube_url=<service URL> -D "
            "kube_token=<admin token> for yours"
        )
    return None


def require_tools() -> None:
    """A cluster was given: helm and kubectl must be there, or the run stops before any work."""
    for tool in ("helm", "kubectl"):
        if shutil.which(tool) is None:
            raise SuiteError(
                f"{tool} is not installed and -D kube_context asks for the Helm rolling upgrade: install {tool}, or "
                "drop kube_context"
            )


#: The plan's ``--set strategy…`` flags of ``helm upgrade``.
PLAN_FLAGS = (
    "--set",
    "strategy.type=RollingUpdate",
    "--set",
    "strategy.rollingUpdate.maxUnavailable=0",
    "--set",
    "strategy.rollingUpdate.maxSurge=1",
)


class ClusterRollout(Protocol):
    """A Helm release of the gateway on a cluster, as UPG-06's steps drive it: where clients reach it, and the
    upgrade and rollback, each waited on with ``kubectl rollout status``; each returns its commands' transcript."""

    @property
    def url(self) -> str: ...

    @property
    def token(self) -> str: ...

    def image_label(self, release: Release) -> str: ...

    def upgrade(self, release: Release, timeout_s: int, job: Release | None) -> str: ...

    def rollback(self, target: Release, downgrade_to: str | None, timeout_s: int) -> str: ...

    def events(self) -> str: ...

    def state(self) -> str: ...

    @property
    def deployment(self) -> str: ...


class RolloutStalled(AssertionError):
    """``kubectl rollout status`` gave up (the progress deadline, or its own timeout): the commands before it ran;
    what the cluster is left with is for the Thens to judge, as an operator would look."""


def rollout_status(kubectl: list[str], deployment: str, timeout_s: int) -> list[str]:
    """``kubectl rollout status`` of the gateway Deployment, watched until done or ``timeout_s``."""
    return [*kubectl, "rollout", "status", f"deployment/{deployment}", "--watch", f"--timeout={timeout_s}s"]


def downgrade_in_pod(kubectl: list[str], deployment: str, head: str) -> list[str]:
    """The running (new) release's Alembic downgrade to ``head``, inside one of its pods: they hold the database
    URL and the new scripts, the downgrade's only source."""
    return [
        *kubectl,
        "exec",
        f"deployment/{deployment}",
        "--",
        "sh",
        "-c",
        ALEMBIC_IN_IMAGE,
        "alembic",
        "downgrade",
        head,
    ]


def state_command(kubectl: list[str]) -> list[str]:
    """The Deployments and pods of the namespace, as JSON (``judging.cluster_state`` reads it)."""
    return [*kubectl, "get", "deployments,pods", "-o", "json"]


def events_command(kubectl: list[str]) -> list[str]:
    """Every event of the namespace, as JSON (``kube_events.timeline`` reads it)."""
    return [*kubectl, "get", "events", "-o", "json"]


def execute(commands: list[list[str]], timeout_s: int, env: Mapping[str, str] | None = None) -> str:
    """Run commands in order; a failing one stops the rollout and its output is the evidence."""
    transcript = []
    for command in commands:
        result = bounded_run(command, f"'{' '.join(command[:3])} …'", timeout_s + 30, env)
        transcript.append(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}(exit {result.returncode})")
        if result.returncode != 0:
            failed = RolloutStalled if {"rollout", "status"} <= set(command) else AssertionError
            raise failed(
                f"'{' '.join(command[:3])} …' failed with exit {result.returncode}:\n" + "\n\n".join(transcript)
            )
    return "\n\n".join(transcript)


@dataclass(frozen=True)
class HelmRollout:
    """The configured cluster's Helm release: the plan's commands, built from the settings."""

    settings: RolloutSettings

    @property
    def deployment(self) -> str:
        return f"{self.settings.helm_release}-mcpgateway"

    @property
    def url(self) -> str:
        return str(self.settings.kube_url)

    @property
    def token(self) -> str:
        return str(self.settings.kube_token)

    def _kubectl(self, *args: str) -> list[str]:
        return [
            "kubectl",
            "--context",
            str(self.settings.kube_context),
            "--namespace",
            self.settings.kube_namespace,
            *args,
        ]

    def image_label(self, release: Release) -> str:
        return image_tag(release.version)

    def current_image(self) -> list[str]:
        return self._kubectl(
            "get", "deployment", self.deployment, "-o", "jsonpath={.spec.template.spec.containers[0].image}"
        )

    def commands(self, version: str, timeout_s: int, job_version: str | None = "") -> list[list[str]]:
        """Patch the strategy, upgrade the release to ``version``'s image, wait for the rollout. The migration Job
        runs ``job_version``'s image (``version``'s when empty: the chart says they should match), or is left out
        (None)."""
        s = self.settings
        patch = json.dumps({"spec": {"strategy": STRATEGY}})
        return [
            self._kubectl("patch", "deployment", self.deployment, "--type", "merge", "-p", patch),
            [
                "helm",
                "upgrade",
                s.helm_release,
                s.helm_chart,
                "--kube-context",
                str(s.kube_context),
                "--namespace",
                s.kube_namespace,
                "--reuse-values",
                "--set",
                f"mcpContextForge.image.tag={image_tag(version)}",
                "--set",
                "migration.enabled=false"
                if job_version is None
                else f"migration.image.tag={image_tag(job_version or version)}",
                *PLAN_FLAGS,
            ],
            rollout_status(self._kubectl(), self.deployment, timeout_s),
        ]

    def rollback_commands(self, downgrade_to: str | None, timeout_s: int) -> list[list[str]]:
        """``helm rollback`` to the previous revision and wait; ``downgrade_to``: the new release's downgrade first."""
        s = self.settings
        downgrade = [downgrade_in_pod(self._kubectl(), self.deployment, downgrade_to)] if downgrade_to else []
        rollback = [
            "helm",
            "rollback",
            s.helm_release,
            "--kube-context",
            str(s.kube_context),
            "--namespace",
            s.kube_namespace,
        ]
        return [*downgrade, rollback, rollout_status(self._kubectl(), self.deployment, timeout_s)]

    def upgrade(self, release: Release, timeout_s: int, job: Release | None) -> str:
        return execute(self.commands(release.version, timeout_s, job.version if job else None), timeout_s)

    def rollback(self, target: Release, downgrade_to: str | None, timeout_s: int) -> str:
        return execute(self.rollback_commands(downgrade_to, timeout_s), timeout_s)

    def events(self) -> str:
        return bounded_run(events_command(self._kubectl()), "kubectl get events", 60).stdout

    def state(self) -> str:
        return bounded_run(state_command(self._kubectl()), "kubectl get deployments,pods", 60).stdout
