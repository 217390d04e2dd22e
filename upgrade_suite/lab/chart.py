"""The Helm chart's rollout on this machine: migration Job, schema-gated pods, ``helm rollback``.

Replicas are pods as the chart makes them (``pods.Pod``: SKIP_MIGRATIONS, the startup probe
``check_schema_at_head``, readiness), behind the same HAProxy, prober and verdicts as UPG-06's rollout:

- ``helm upgrade``: the migration Job (the new release's ``bootstrap_db``) while the old pods serve, then
  the Deployment's default RollingUpdate (maxSurge 1, maxUnavailable 0 with 2 replicas);
- ``helm rollback``: the Deployment rolled back to the old release's pods, no Job (the upgrade guide's
  procedure); or, the route that can work, the new release's Alembic downgrade to the old head as a Job first.

A new pod that never becomes Ready stalls the rollout at the progress deadline, the old pods keep
serving, and the Thens judge what an operator would see.
"""

from __future__ import annotations

import time

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.client.dataset import Dataset
from upgrade_suite.judging.checks import Checklist
from upgrade_suite.lab import phases
from upgrade_suite.lab.core import Core
from upgrade_suite.lab.history import need
from upgrade_suite.lab.rolling import Rolling
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.chart import (
    DECLARED_VALUES,
    POD_ENVIRONMENT,
    REPLICA_COUNT,
    ChartTiming,
    default_strategy,
    missing_mechanisms,
)
from upgrade_suite.services.gateway import Gateway
from upgrade_suite.services.pods import Pod


class Chart:
    """The chart's verbs; the rollout, the prober and their record are UPG-06's (``Rolling``)."""

    def __init__(self, core: Core, rolling: Rolling) -> None:
        self.core = core
        self.rolling = rolling
        self.timing = ChartTiming(core.config.rollout.chart_time_scale)
        self.pods: list[Pod] = []
        self.target: Release | None = None  # the release the latest roll went to

    def release(self, alias: str) -> Release:
        """A release the chart can roll: it must ship both of the chart's mechanisms (RC1 and GA do not)."""
        release = self.core.release(alias)
        missing = missing_mechanisms(release)
        if missing:
            raise SuiteError(
                f"{release.spec.label} lacks {' and '.join(missing)}, which the chart's pods use: the chart rollout "
                "is for releases from 1.0.7 (use the UPG-06 rollout for older ones)"
            )
        return release

    def deploy(self, alias: str, engine: str, dataset: Dataset) -> None:
        """Given <alias> deployed by the Helm chart with data: its pods, gated by their probes, behind the balancer."""
        self.release(alias)
        count = self.core.config.rollout.replicas or REPLICA_COUNT
        self.core.evidence.attach(
            "Chart timing and values",
            {**self.timing.render(), "replicas": count, "pod_environment": {**POD_ENVIRONMENT, **DECLARED_VALUES}},
            "json",
        )
        self.rolling.replicas_with_data(alias, engine, count, dataset, self._start_pod, generations=3)

    def _start_pod(self, release: Release) -> Gateway:
        """One pod of ``release``: returns once Ready; NotReady at the progress deadline."""
        core = self.core
        gateway = core.gateway(release, carried={**DECLARED_VALUES, **POD_ENVIRONMENT})
        rollout = self.rolling.rollout
        pod = Pod(gateway.name, gateway, self.timing, rollout.event if rollout else lambda text: None)
        self.pods.append(pod)
        pod.run_until_ready(time.monotonic() + self.timing.progress_deadline)
        return gateway

    def upgrade(self, alias: str, skip_job: bool = False, done: bool = True, job_alias: str = "") -> None:
        """When the Helm release is upgraded to <alias>: the migration Job, then the roll; probed throughout.

        ``skip_job``: the negative control, pods of a release whose migration nobody ran. ``job_alias``: the Job's
        image left at that release's. ``done=False``: the upgrade is what the scenario starts from (a rollback
        follows): the prober goes on, the upgrade must finish.
        """
        core, rolling = self.core, self.rolling
        job = None if skip_job else core.release(job_alias or alias)
        if rolling.kubernetes is not None:
            rolling.helm_upgrade(alias, done, job)
            return
        rollout, release = rolling.need_rollout(), self.release(alias)
        rolling.need_prober()
        core.history.upgrade_to(release)
        self.target, started = release, time.monotonic()
        with core.timings.phase(phases.chart_upgrade(release.spec.alias)):
            if job is None:
                rollout.event(f"migration Job of {release.spec.alias} skipped (negative control)")
            else:
                rollout.job(f"migration Job ({job.spec.alias} bootstrap_db)", lambda: self._migration_job(job))
            rollout.roll_update(release, *default_strategy(rolling.count))
        if done:
            self._finish(started, release)
            return
        self._record(release)
        finished = self.finished()
        self.core.evidence.require(f"Upgrade to {release.spec.alias} before the rollback", finished)

    def _migration_job(self, release: Release) -> None:
        core = self.core
        with core.timings.phase(phases.migration_job(release.spec.alias)):
            run = core.migrations(release).bootstrap()
        core.evidence.attach(f"Migration Job: {run.command} ({release.spec.label})", run.render())
        if not run.ok:
            raise AssertionError(f"the migration Job failed with exit {run.exit_code}: {run.error}")

    def roll_back(self, alias: str, downgrade_first: bool) -> None:
        """When the Helm release is rolled back to <alias>: ``helm rollback`` alone, or after a downgrade Job."""
        core, rolling = self.core, self.rolling
        if rolling.kubernetes is not None:
            release = core.release(alias)
            rolling.helm_rollback(release, release.head if downgrade_first else None)
            return
        rollout, release, newer = rolling.need_rollout(), self.release(alias), core.need_current().release
        rolling.need_prober()
        self.target, started = release, time.monotonic()
        with core.timings.phase(
            phases.chart_rollback(
                release.spec.alias, "downgrade Job first" if downgrade_first else "helm rollback alone"
            )
        ):
            if downgrade_first:
                rollout.job(
                    f"downgrade Job ({newer.spec.alias} alembic downgrade {release.head})",
                    lambda: core.migrate(
                        newer,
                        None,
                        ("downgrade", release.head),
                        phases.alembic_downgrade(release.head, newer.spec.alias),
                        f"Downgrade Job: alembic downgrade {release.head} ({newer.spec.label})",
                    ),
                )
            rollout.roll_update(release, *default_strategy(rolling.count))
        self._finish(started, release)

    def _finish(self, started: float, release: Release) -> None:
        """Stop probing and attach its record (from ``started``, the roll the Thens judge), then the pods."""
        rollout = self.rolling.need_rollout()
        self.rolling.finish_probing(started, rollout.events, rollout.versions())
        self._record(release)

    def _record(self, release: Release) -> None:
        """Attach the pods' record; the scenario's current gateway is one the Deployment now serves from."""
        core, rollout = self.core, self.rolling.need_rollout()
        core.evidence.attach("Pods: probes, exits, restarts", [pod.as_dict() for pod in self.pods], "json")
        live = [slot for slot in rollout.live() if slot.release is release]
        if not rollout.stalled and live:
            core.current = core.connect(release, live[-1].gateway)

    def finished(self) -> Checklist:
        """The rollout finished: no stall, every replica wanted is a Ready pod of the target release."""
        if self.rolling.kubernetes is not None:
            return self.rolling.finished_on_cluster()
        rollout = self.rolling.need_rollout()
        target = need(self.target, "Helm upgrade or rollback", "rolls the Helm release")
        result = Checklist("The rollout finished with every replica Ready")
        result.check(
            "the rollout did not stall",
            not rollout.stalled,
            rollout.stalled or "every new pod became Ready",
            ("rollout stalled", "a new pod never became Ready"),
        )
        ready = [slot for slot in rollout.live() if slot.release is target]
        result.check(
            f"{self.rolling.count} Ready pods of {target.spec.alias}",
            len(ready) == self.rolling.count,
            f"{len(ready)} Ready, live: " + ", ".join(f"{s.name}={s.release.spec.alias}" for s in rollout.live()),
            ("replicas not Ready", "target release"),
        )
        return result
