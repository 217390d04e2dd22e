"""A Helm chart the suite writes from the upstream chart's facts (``services/chart.py``), for a node given no chart.

The upstream chart (charts/mcp-stack) brings PostgreSQL, Redis, PgBouncer, nginx and more, each from a registry;
none is served here. What UPG-06 judges is the gateway's part, and that part is reproduced with the upstream names,
so the same ``helm upgrade --set mcpContextForge.image.tag=…`` and ``kubectl rollout status
deployment/<release>-mcpgateway`` drive either chart (``services/kubernetes.py``):

- the Deployment ``<release>-mcpgateway``: ``replicaCount`` pods of ``mcpContextForge.image`` with
  ``MCPGATEWAY_SKIP_MIGRATIONS=true``, the startup probe ``python3 -m mcpgateway.utils.check_schema_at_head`` and
  the readiness probe ``GET /ready`` at the chart's own timings (``STARTUP``, ``READINESS``), no ``strategy`` unless
  one is set (Kubernetes' default, as upstream), the progress deadline;
- the Job ``<release>-migration`` of ``migration.image`` (a value of its own, as upstream: the skew the issue names),
  ``python3 -m mcpgateway.bootstrap_db``, a ``post-install,pre-upgrade`` hook deleted before the next one;
- a NodePort Service in front of the pods.

Two differences from upstream, both declared: pods resolve names with the node's resolver (``dnsPolicy: Default``),
since the suite's node runs no cluster DNS and the pods need none (their database is a unix socket); and
``preStopSeconds`` (``-D pre_stop_s``, none by default as upstream) gives pods the preStop sleep an operator may add
so that the Service stops sending to a pod before it stops listening.

The database is given, outside the cluster (``database_url``), as upstream's ``postgres.external``; its settings
reach the pods as plain values where upstream reads a Secret, since this chart lives only in the run's sandbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from upgrade_suite.releases.specs import Release
from upgrade_suite.services.chart import (
    CHART,
    CHART_1_0_0,
    DB_ISREADY,
    MIGRATION_JOB,
    POD_ENVIRONMENT,
    PROGRESS_DEADLINE_S,
    READINESS,
    REPLICA_COUNT,
    SCHEMA_AT_HEAD,
    STARTUP,
    STARTUP_1_0_0,
    ProbeSpec,
    missing_mechanisms,
)

#: The gateway's port in its pods (the chart's ``mcpContextForge.containerPort``).
PORT = 4444
#: Where the Service answers on the node.
NODE_PORT = 30444

CHART_YAML = """apiVersion: v2
name: mcp-stack
description: The gateway's part of charts/mcp-stack 1.0.8, written by the upgrade suite from its facts
type: application
version: 1.0.8-suite
"""

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-mcpgateway
  labels: {app: {{ .Release.Name }}-mcpgateway}
spec:
  replicas: {{ .Values.replicaCount }}
  progressDeadlineSeconds: {{ .Values.progressDeadlineSeconds }}
  {{- with .Values.strategy }}
  strategy: {{- toYaml . | nindent 4 }}
  {{- end }}
  selector: {matchLabels: {app: {{ .Release.Name }}-mcpgateway}}
  template:
    metadata: {labels: {app: {{ .Release.Name }}-mcpgateway}}
    spec:
      automountServiceAccountToken: false
      containers:
        - name: mcp-context-forge
          image: "{{ .Values.mcpContextForge.image.repository }}:{{ .Values.mcpContextForge.image.tag }}"
          imagePullPolicy: {{ .Values.mcpContextForge.image.pullPolicy }}
          env:
            {{- range $name, $value := merge (dict) .Values.mcpContextForge.podEnv .Values.mcpContextForge.env }}
            - {name: {{ $name }}, value: {{ $value | quote }}}
            {{- end }}
          ports: [{containerPort: {{ .Values.port }}}]
          startupProbe:
            exec: {command: {{ toJson .Values.probes.startup.command }}}
            {{- include "probe-timing" .Values.probes.startup | nindent 12 }}
          readinessProbe:
            httpGet: {path: /ready, port: {{ .Values.port }}}
            {{- include "probe-timing" .Values.probes.readiness | nindent 12 }}
          {{- if .Values.preStopSeconds }}
          lifecycle: {preStop: {sleep: {seconds: {{ .Values.preStopSeconds }}}}}
          {{- end }}
          volumeMounts: {{- include "host-mounts" .Values.hostPaths | nindent 12 }}
      dnsPolicy: Default
      volumes: {{- include "host-volumes" .Values.hostPaths | nindent 8 }}
"""

JOB = """{{- if .Values.migration.enabled }}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-migration
  annotations:
    "helm.sh/hook": post-install,pre-upgrade
    "helm.sh/hook-delete-policy": before-hook-creation
spec:
  backoffLimit: {{ .Values.migration.backoffLimit }}
  activeDeadlineSeconds: {{ .Values.migration.activeDeadlineSeconds }}
  template:
    spec:
      automountServiceAccountToken: false
      restartPolicy: Never
      dnsPolicy: Default
      containers:
        - name: migration
          image: "{{ .Values.migration.image.repository }}:{{ .Values.migration.image.tag }}"
          imagePullPolicy: {{ .Values.migration.image.pullPolicy }}
          command: {{ toJson .Values.migration.command }}
          env:
            {{- range $name, $value := .Values.mcpContextForge.env }}
            - {name: {{ $name }}, value: {{ $value | quote }}}
            {{- end }}
          volumeMounts: {{- include "host-mounts" .Values.hostPaths | nindent 12 }}
      volumes: {{- include "host-volumes" .Values.hostPaths | nindent 8 }}
{{- end }}
"""

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-mcpgateway
spec:
  type: NodePort
  selector: {app: {{ .Release.Name }}-mcpgateway}
  ports: [{port: 80, targetPort: {{ .Values.port }}, nodePort: {{ .Values.nodePort }}}]
"""

HELPERS = """{{- define "host-mounts" -}}
{{- range . }}
- {name: {{ .name }}, mountPath: {{ .path }}}
{{- end }}
{{- end }}
{{- define "host-volumes" -}}
{{- range . }}
- {name: {{ .name }}, hostPath: {path: {{ .path }}, type: Directory}}
{{- end }}
{{- end }}
{{- define "probe-timing" -}}
initialDelaySeconds: {{ .initialDelaySeconds }}
periodSeconds: {{ .periodSeconds }}
timeoutSeconds: {{ .timeoutSeconds }}
failureThreshold: {{ .failureThreshold }}
{{- end }}
"""


@dataclass(frozen=True)
class ChartValues:
    """What an install sets: the two images (the gateway's and the migration Job's), the gateway's environment
    (its database included), host directories the pods need (a database's socket), and the chart's timings."""

    image: str  # repository:tag of the gateway
    environment: dict[str, str]
    migration_image: str = ""  # the gateway's unless set: upstream keeps them as two values
    host_paths: tuple[str, ...] = ()
    replicas: int = REPLICA_COUNT
    startup: ProbeSpec = STARTUP
    readiness: ProbeSpec = READINESS
    progress_deadline_s: float = PROGRESS_DEADLINE_S
    strategy: dict[str, object] = field(default_factory=dict)  # none: Kubernetes' default, as upstream
    startup_command: tuple[str, ...] = ("python3", *SCHEMA_AT_HEAD)
    pod_environment: dict[str, str] = field(default_factory=lambda: dict(POD_ENVIRONMENT))
    chart: str = CHART  # the upstream chart version whose facts these are
    pre_stop_s: int = 0  # none, as upstream: an operator's preStop sleep before a pod is stopped
    migration_enabled: bool = True  # false: the Job is left out (``migration.enabled``)

    @classmethod
    def of_release(
        cls,
        release: Release,
        image: str,
        environment: dict[str, str],
        host_paths: tuple[str, ...] = (),
        pre_stop_s: int = 0,
    ) -> ChartValues:
        """The values of the chart that goes with ``release``: 1.0.8's schema gate from 1.0.7 on (it ships the
        chart's two mechanisms), 1.0.0's before (RC1, GA: pods migrate at start, the startup probe asks only whether
        the database answers)."""
        if not missing_mechanisms(release):
            return cls(image, environment, host_paths=host_paths, pre_stop_s=pre_stop_s)
        return cls(
            image,
            environment,
            host_paths=host_paths,
            pre_stop_s=pre_stop_s,
            startup=STARTUP_1_0_0,
            startup_command=("python3", *DB_ISREADY),
            pod_environment={},
            chart=CHART_1_0_0,
        )

    def render(self) -> dict[str, object]:
        """values.yaml's content."""
        return {
            "upstreamChart": self.chart,
            "replicaCount": self.replicas,
            "port": PORT,
            "nodePort": NODE_PORT,
            "progressDeadlineSeconds": round(self.progress_deadline_s),
            "preStopSeconds": self.pre_stop_s,
            "strategy": self.strategy,
            "mcpContextForge": {
                "image": _image(self.image),
                "env": self.environment,
                "podEnv": self.pod_environment,
            },
            "migration": {
                "enabled": self.migration_enabled,
                "image": _image(self.migration_image or self.image),
                "command": ["python3", *MIGRATION_JOB],
                "backoffLimit": 0,
                "activeDeadlineSeconds": 600,
            },
            "probes": {
                "startup": {"command": list(self.startup_command), **_timing(self.startup)},
                "readiness": _timing(self.readiness),
            },
            "hostPaths": [{"name": f"host-{index}", "path": path} for index, path in enumerate(self.host_paths)],
        }


def write_chart(directory: Path, values: ChartValues) -> Path:
    """The chart in ``directory`` (created), its values the install's; returns the directory."""
    templates = directory / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    (directory / "Chart.yaml").write_text(CHART_YAML)
    (directory / "values.yaml").write_text(json.dumps(values.render(), indent=1) + "\n")  # JSON is YAML
    for name, text in (
        ("deployment-mcpgateway.yaml", DEPLOYMENT),
        ("job-migration.yaml", JOB),
        ("service-mcpgateway.yaml", SERVICE),
        ("_helpers.tpl", HELPERS),
    ):
        (templates / name).write_text(text)
    return directory


def _image(reference: str) -> dict[str, str]:
    repository, _, tag = reference.rpartition(":")
    return {"repository": repository, "tag": tag, "pullPolicy": "Never"}  # imported into the node, never pulled


def _timing(probe: ProbeSpec) -> dict[str, int]:
    """A probe's timing in whole seconds, as Kubernetes takes them (at least 1)."""
    return {
        "initialDelaySeconds": round(probe.initial_delay),
        "periodSeconds": max(1, round(probe.period)),
        "timeoutSeconds": max(1, round(probe.timeout)),
        "failureThreshold": probe.failure_threshold,
    }
