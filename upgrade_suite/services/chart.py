"""What the upstream Helm chart does to gateway pods, as data: the suite's chart rollout follows it exactly.

Read from charts/mcp-stack 1.0.8 in the gateway's repository (templates/deployment-mcpgateway.yaml,
templates/job-migration.yaml, values.yaml):

- the migration runs as a Job, ``python3 -m mcpgateway.bootstrap_db`` of the *new* image, a Helm hook
  (``post-install,pre-upgrade``): the old pods keep serving while it runs;
- gateway pods get ``MCPGATEWAY_SKIP_MIGRATIONS=true`` and a startup probe
  ``python3 -m mcpgateway.utils.check_schema_at_head`` (exit 0 only when the schema is at the pod's own
  head; initialDelay 10 s, period 5 s, timeout 15 s, failureThreshold 60), then readiness ``GET /ready``
  (initialDelay 30 s, period 15 s, timeout 70 s, failureThreshold 8) on port 4444;
- the Deployment sets no ``strategy``: Kubernetes' default 25 %/25 % of ``replicaCount: 2``, which rounds to
  maxSurge 1 (up) and maxUnavailable 0 (down). The plan's ``--set strategy.…`` flags change nothing here;
- ``helm rollback`` re-deploys the previous revision's pods; it runs no ``pre-upgrade`` hook, so no
  migration (and no downgrade) runs: old pods with SKIP_MIGRATIONS meet a schema at the newer head.

Kubernetes' own defaults complete the picture: a Deployment stops progressing after
``progressDeadlineSeconds`` (600 s) without a new pod becoming available, and the kubelet restarts a
crashed container after a back-off of 10 s doubling to 300 s.

A run takes seconds, not the chart's minutes: every delay, period, back-off and the progress deadline is
multiplied by one declared factor (``-D chart_time_scale``, 0.1 by default) and shown in the evidence. An
exec probe's timeout is instead multiplied by ``EXEC_TIMEOUT_FACTOR``: in a cluster each pod has its own CPU
(the chart requests 500m, limits 2), here every pod and its probes share 2 cores, and a
``check_schema_at_head`` started beside two starting gateways was measured taking over 15 s (the chart's
timeout) where it takes 4-9 s alone: a timed-out probe would be this machine's finding, not the release's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

from upgrade_suite.releases.specs import Release

CHART = "charts/mcp-stack 1.0.8"
REPLICA_COUNT = 2
#: The gateway container's environment under the chart (migration.enabled: true).
POD_ENVIRONMENT = {"MCPGATEWAY_SKIP_MIGRATIONS": "true"}
#: Declared values an operator of 1.1.0 sets (not the chart's): 1.1.0 throttles every client to 100 requests a
#: minute by default, which the prober's 50 requests a second would hit; that finding is UPG-06's GA -> latest
#: scenario's, and the chart's rollout is judged here on its own.
DECLARED_VALUES = {"RATE_LIMITING_ENABLED": "false"}
MIGRATION_JOB = ("-m", "mcpgateway.bootstrap_db")
SCHEMA_AT_HEAD = ("-m", "mcpgateway.utils.check_schema_at_head")
PROGRESS_DEADLINE_S = 600.0
BACKOFF_S, BACKOFF_CAP_S = 10.0, 300.0
DEFAULT_TIME_SCALE = 0.1
EXEC_TIMEOUT_FACTOR = 4.0


@dataclass(frozen=True)
class ProbeSpec:
    """One Kubernetes probe's timing, as the chart declares it."""

    what: str
    initial_delay: float
    period: float
    timeout: float
    failure_threshold: int

    def scaled(self, factor: float) -> ProbeSpec:
        return replace(
            self,
            initial_delay=self.initial_delay * factor,
            period=self.period * factor,
            timeout=self.timeout * EXEC_TIMEOUT_FACTOR,
        )

    def render(self) -> str:
        return (
            f"{self.what}: initialDelay {self.initial_delay:g} s, period {self.period:g} s, timeout "
            f"{self.timeout:g} s, failureThreshold {self.failure_threshold}"
        )


STARTUP = ProbeSpec("startup probe: python3 -m mcpgateway.utils.check_schema_at_head", 10, 5, 15, 60)
#: The chart of RC1 and GA (charts/mcp-stack 1.0.0): no SKIP_MIGRATIONS, pods migrate at their own start (after the
#: same Job); their startup probe asks only whether the database answers, ``python3
#: /app/mcpgateway/utils/db_isready.py --max-tries 1 --interval 1 --timeout 2``. Run here as the module: the suite's
#: images install the release's wheel, not a source tree under /app.
CHART_1_0_0 = "charts/mcp-stack 1.0.0"
DB_ISREADY = ("-m", "mcpgateway.utils.db_isready", "--max-tries", "1", "--interval", "1", "--timeout", "2")
STARTUP_1_0_0 = ProbeSpec("startup probe: python3 -m mcpgateway.utils.db_isready", 10, 5, 10, 60)
READINESS = ProbeSpec("readiness probe: GET /ready", 30, 15, 70, 8)


def default_strategy(replicas: int) -> tuple[int, int]:
    """maxSurge and maxUnavailable of a Deployment with no strategy: 25 % each, surge rounded up, the other down."""
    return max(1, math.ceil(replicas * 0.25)), math.floor(replicas * 0.25)


@dataclass(frozen=True)
class ChartTiming:
    """The chart's and Kubernetes' timing, scaled by one declared factor."""

    factor: float = DEFAULT_TIME_SCALE

    @property
    def startup(self) -> ProbeSpec:
        return STARTUP.scaled(self.factor)

    @property
    def readiness(self) -> ProbeSpec:
        return READINESS.scaled(self.factor)

    @property
    def progress_deadline(self) -> float:
        return PROGRESS_DEADLINE_S * self.factor

    def backoff(self, restarts: int) -> float:
        """The kubelet's wait before restart number ``restarts`` (1-based) of a crashed container."""
        return min(BACKOFF_S * 2 ** (restarts - 1), BACKOFF_CAP_S) * self.factor

    def render(self) -> dict[str, object]:
        """What the evidence says of the timing a rollout ran with."""
        return {
            "chart": CHART,
            "time_scale": self.factor,
            "exec_timeout_factor": EXEC_TIMEOUT_FACTOR,
            "startup": self.startup.render(),
            "readiness": self.readiness.render(),
            "progress_deadline_s": round(self.progress_deadline, 2),
            "crash_backoff_s": f"{BACKOFF_S * self.factor:g} doubling to {BACKOFF_CAP_S * self.factor:g}",
        }


def missing_mechanisms(release: Release) -> list[str]:
    """What of the chart's two mechanisms ``release`` lacks (RC1 and GA have neither); read in its installed package."""
    package = release.alembic_ini.parent
    missing = []
    if not (package / "utils" / "check_schema_at_head.py").is_file():
        missing.append("mcpgateway.utils.check_schema_at_head")
    if "MCPGATEWAY_SKIP_MIGRATIONS" not in _text(package / "bootstrap_db.py"):
        missing.append("MCPGATEWAY_SKIP_MIGRATIONS")
    return missing


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.is_file() else ""
