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
from dataclasses import dataclass

from upgrade_suite.base.config import RolloutSettings
from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.waiting import bounded_run
from upgrade_suite.services.migrations import ALEMBIC_IN_IMAGE

#: The plan's rolling strategy: never below the desired count, one extra pod at a time.
STRATEGY = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}


def image_tag(version: str) -> str:
    """The upstream image tag of a PyPI version (1.0.0rc1 is published as 1.0.0-RC-1)."""
    match = re.fullmatch(r"(\d+\.\d+\.\d+)rc(\d+)", version)
    return f"{match[1]}-RC-{match[2]}" if match else version


def unavailable_reason(settings: RolloutSettings) -> str | None:
    """Why the Helm path is skipped here (no cluster was given), or None when one was."""
    if not settings.kube_context:
        return (
            "no Kubernetes cluster configured: run with -D kube_context=<context> -D kube_url=<service URL> -D "
            "kube_token=<admin token>"
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


@dataclass(frozen=True)
class HelmRollout:
    """The commands of a Helm rolling upgrade of the gateway Deployment, built from the settings."""

    settings: RolloutSettings

    @property
    def deployment(self) -> str:
        return f"{self.settings.helm_release}-mcpgateway"

    def _kubectl(self, *args: str) -> list[str]:
        return [
            "kubectl",
            "--context",
            str(self.settings.kube_context),
            "--namespace",
            self.settings.kube_namespace,
            *args,
        ]

    def current_image(self) -> list[str]:
        return self._kubectl(
            "get", "deployment", self.deployment, "-o", "jsonpath={.spec.template.spec.containers[0].image}"
        )

    def commands(self, version: str, timeout_s: int) -> list[list[str]]:
        """Patch the strategy, upgrade the release to ``version``'s image, wait for the rollout."""
        s = self.settings
        return [
            self._kubectl(
                "patch",
                "deployment",
                self.deployment,
                "--type",
                "merge",
                "-p",
                json.dumps({"spec": {"strategy": STRATEGY}}),
            ),
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
                "strategy.type=RollingUpdate",
                "--set",
                "strategy.rollingUpdate.maxUnavailable=0",
                "--set",
                "strategy.rollingUpdate.maxSurge=1",
            ],
            self._kubectl("rollout", "status", f"deployment/{self.deployment}", "--watch", f"--timeout={timeout_s}s"),
        ]

    def rollback_commands(self, downgrade_to: str | None, timeout_s: int) -> list[list[str]]:
        """``helm rollback`` to the previous revision and wait; ``downgrade_to``: first the running (new) release's
        Alembic downgrade to that head, inside one of its pods (they hold the database URL and the new scripts)."""
        s = self.settings
        downgrade = [
            self._kubectl(
                "exec",
                f"deployment/{self.deployment}",
                "--",
                "sh",
                "-c",
                ALEMBIC_IN_IMAGE,
                "alembic",
                "downgrade",
                head,
            )
            for head in ([downgrade_to] if downgrade_to else [])
        ]
        return [
            *downgrade,
            [
                "helm",
                "rollback",
                s.helm_release,
                "--kube-context",
                str(s.kube_context),
                "--namespace",
                s.kube_namespace,
            ],
            self._kubectl("rollout", "status", f"deployment/{self.deployment}", "--watch", f"--timeout={timeout_s}s"),
        ]

    def run(self, version: str, timeout_s: int) -> str:
        """The upgrade's commands in order (see ``execute``)."""
        return self.execute(self.commands(version, timeout_s), timeout_s)

    def execute(self, commands: list[list[str]], timeout_s: int) -> str:
        """Run commands in order; a failing one stops the rollout and its output is the evidence."""
        transcript = []
        for command in commands:
            result = bounded_run(command, f"'{' '.join(command[:3])} …'", timeout_s + 30)
            transcript.append(f"$ {' '.join(command)}\n{result.stdout}{result.stderr}(exit {result.returncode})")
            if result.returncode != 0:
                raise AssertionError(
                    f"'{' '.join(command[:3])} …' failed with exit {result.returncode}:\n" + "\n\n".join(transcript)
                )
        return "\n\n".join(transcript)
