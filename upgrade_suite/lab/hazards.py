"""Hazards of upgrade day: gateways started at once (and one killed while it migrates), an old release on an
upgraded database, the credentials users hold, and the settings an old deployment carries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.client.auth import AuthObservation, Credentials, observe
from upgrade_suite.judging.carryover import (
    MODE,
    STARTED,
    CarriedStart,
    CarryOver,
    SettingsModel,
    compare_settings,
    save_for_runbook,
)
from upgrade_suite.lab import phases
from upgrade_suite.lab.core import Core, Running
from upgrade_suite.services.chain import chain
from upgrade_suite.services.faults import FaultMissed
from upgrade_suite.services.gateway import Gateway
from upgrade_suite.services.replicas import KilledReplica, start_killing_the_migrator

#: The fault as the record (reports/timings.jsonl) names it: each attempt, where it aimed, whether it landed.
REPLICA_KILLED = "migrating replica killed"
#: How often a kill that came too late is tried again, each time on the restored backup and a revision earlier.
KILL_ATTEMPTS = 3


class Hazards:
    """The hazards' verbs, built on the core's; the gateways started at once are kept here for the Thens."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.history = core.history
        self.together: list[Running] = []
        self.together_gateways: list[Gateway] = []
        self.together_outcomes: list[str] = []
        self.killed: KilledReplica | None = None

    def upgrade_by_starting_together(self, alias: str, count: int) -> list[Running]:
        """The old release stopped and backed up, then ``count`` ``alias`` gateways started at once (they migrate)."""
        self.core.stop_and_back_up()
        self.history.upgrade_to(self.core.release(alias))
        return self.start_together(alias, count)

    def start_together(self, alias: str, count: int) -> list[Running]:
        """Start ``count`` gateways of ``alias`` at the same moment on the scenario's database."""
        core = self.core
        if core.current is not None:
            core.stop()
        release = core.release(alias)
        gateways = [core.gateway(release) for _ in range(count)]
        with core.timings.phase(phases.start_together(count, release.spec.alias)), ThreadPoolExecutor(count) as pool:
            list(pool.map(Gateway.start, gateways))
        self.together = [core.connect(release, gateway) for gateway in gateways]
        core.current = self.together[0]
        return self.together

    def start_together_killing_the_migrator(self, alias: str, count: int) -> KilledReplica | None:
        """Start ``count`` gateways of ``alias`` at once; SIGKILL the one migrating half-way through the chain.

        A kill that lands after the head is stamped is no fault (measured: 1.0.9 -> 1.1.0 on SQLite has two short
        revisions): the gateways are stopped, the backup restored and the kill aimed a revision earlier, up to
        ``KILL_ATTEMPTS`` times; then the scenario is inconclusive (``FaultMissed``), never a verdict."""
        core = self.core
        database, previous, backup = core.need_database(), self.history.need_previous(), self.history.need_backup()
        release = core.release(alias)
        self.history.upgrade_to(release)
        revisions = chain(release, previous.head)
        aim = (len(revisions) - 1) // 2
        for attempt in range(1, KILL_ATTEMPTS + 1):
            self.together_gateways = [core.gateway(release) for _ in range(count)]
            with core.timings.phase(phases.start_together_killing(count, release.spec.alias)):
                self.killed, self.together_outcomes = start_killing_the_migrator(
                    self.together_gateways,
                    revisions[aim],
                    lambda gateway: core.attempt_start(gateway, phases.start_one_of(count, release.spec.alias)),
                    database.alembic_revisions,
                    core.config.timeouts.gateway_start,
                )
            core.evidence.attach(
                f"Gateway killed while it migrated (attempt {attempt})",
                self.killed.render() if self.killed else "no gateway reached the revision: none killed",
            )
            landed = self.killed is not None and not self.killed.missed(release.head)
            self.history.faults.append(
                {"fault": REPLICA_KILLED, "attempt": attempt, "revision": revisions[aim], "landed": landed}
            )
            if self.killed is None or landed:
                return self.killed
            for gateway in self.together_gateways:
                gateway.stop()
            database.restore(backup)
            aim = max(0, aim - 1)
        raise FaultMissed(
            f"the kill missed its window {KILL_ATTEMPTS} times (the head was stamped first, last aimed at revision "
            f"{revisions[aim]}): inconclusive, not a verdict on {release.spec.label}"
        )

    def restart_killed(self) -> str:
        """Start the killed gateway again, as an orchestrator restarts a failed pod; connect to every ready one."""
        core = self.core
        restart = "not restarted: no gateway was killed"
        if self.killed is not None:
            victim = self.together_gateways[self.killed.index - 1]
            restart = core.attempt_start(victim, phases.restart_killed(victim.release.spec.alias))
            self.together_outcomes[self.killed.index - 1] = restart
        self.together = [
            core.connect(g.release, g)
            for g, outcome in zip(self.together_gateways, self.together_outcomes)
            if outcome == STARTED
        ]
        core.current = self.together[0] if self.together else None
        return restart

    def logs_after_kill(self) -> list[str]:
        """Each gateway's log after the kill: the survivors' whole logs, the restarted gateway's second launch."""
        killed = self.killed.index if self.killed else 0
        return [
            g.log_since_launch() if index == killed else g.log_text()
            for index, g in enumerate(self.together_gateways, 1)
        ]

    def start_on_newer_database(self, alias: str) -> tuple[str, list[str]]:
        """Start ``alias`` on the (newer) database without a downgrade; what does it do, and what did it log?"""
        core = self.core
        if core.current is not None:
            core.stop()
        release = core.release(alias)
        gateway = core.gateway(release)
        self.history.old_on_new = (
            core.attempt_start(gateway, phases.start_on_newer_database(release.spec.alias)),
            gateway.migration_failures(),
        )
        return self.history.old_on_new

    def credentials_answers(self) -> tuple[Credentials, AuthObservation]:
        """What users held before, and what the running release answers to it (asked once per gateway)."""
        current, manifest = self.core.need_current(), self.history.need_manifest()
        if manifest.credentials is None:
            raise SuiteError(
                "the seeded data holds no credentials: the scenario must start from a gateway whose users hold "
                "passwords and tokens"
            )
        answered = self.history.answered
        if answered is None or answered[0] is not current:
            with self.core.timings.phase(phases.present_credentials(current.release.spec.alias)):
                seen = observe(current.api, manifest.credentials)
            self.core.evidence.attach(
                f"Credentials as {current.release.spec.label} answered them", seen.render(), "json"
            )
            self.history.answered = (current, seen)
            return manifest.credentials, seen
        return manifest.credentials, answered[1]

    def settings_carry_over(self, old_alias: str, new_alias: str) -> tuple[CarryOver, SettingsModel, Path]:
        """Both releases' settings models compared; attached, and saved where the runbook finds it."""
        core = self.core
        old, new = core.release(old_alias), core.release(new_alias)
        with core.timings.phase(phases.READ_SETTINGS):
            old_settings, new_settings = core.run.settings(old, old), core.run.settings(new, old)
        carry_over = compare_settings(old_settings, new_settings)
        core.evidence.attach(f"Settings {new.spec.alias} renamed, dropped or refuses", carry_over.render())
        core.evidence.attach(f"Environment with every setting of {old.spec.label}", old_settings.environment, "json")
        self.history.settings_comparison = (
            carry_over,
            old_settings,
            save_for_runbook(core.config.reports_dir, carry_over),
        )
        return self.history.settings_comparison

    def start_with_old_settings(self, alias: str, except_refused: bool, mode: str | None = None) -> CarriedStart:
        """Start ``alias`` with every setting the old release reads in its environment, and again without them.

        The second start runs on a copy of the same pre-upgrade data, so the only difference
        between the two startup logs is the old configuration. ``except_refused``: leave out
        the settings the new release's models refuse (what an operator does who read the report).
        ``mode``: the deployment mode both starts run in (``ENVIRONMENT``, e.g. production, where a release
        validates more at start), which both releases must read.
        """
        core = self.core
        core.need_database()
        core.stop_and_back_up()
        previous, backup = self.history.need_previous(), self.history.need_backup()
        new = core.release(alias)
        self.history.upgrade_to(new)
        carry_over, old_settings, _ = self.settings_carry_over(previous.spec.alias, alias)
        carried = {
            name: text
            for name, text in old_settings.environment.items()
            if not (except_refused and name in carry_over.refused)
        }
        in_mode = {} if mode is None else {MODE: mode}
        if mode is not None and (MODE not in old_settings.variables or MODE in carry_over.no_longer_read):
            raise SuiteError(
                f"{previous.spec.label} and {new.spec.label} do not both read {MODE}: no {mode} mode to carry over"
            )
        carried |= in_mode
        gateway = core.gateway(new, carried=carried)
        outcome = core.attempt_start(gateway, phases.start_with_settings(new.spec.alias, previous.spec.alias))
        with core.scratch_database("without-old-settings") as copy:
            copy.restore(backup)
            plain = core.gateway(new, copy, in_mode)
            plain_outcome = core.attempt_start(plain, phases.start_without_settings(new.spec.alias))
            plain.stop()
        if outcome == STARTED:
            core.current = core.connect(new, gateway)
        self.history.carried = CarriedStart(
            carry_over, carried, outcome, plain_outcome, gateway.log_text(), plain.log_text(), mode
        )
        return self.history.carried
