"""Start-up: does the new release come up within its budget of the old one, on the same data, in this scenario?"""

from __future__ import annotations

from upgrade_suite.judging.checks import Checklist
from upgrade_suite.judging.start_budget import BUDGET, starts_within_budget
from upgrade_suite.lab import phases
from upgrade_suite.lab.core import Core
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.startup import StartTimeline

#: At most this many starts of each release are measured for one judgement (the scenario's own and two repeats).
ATTEMPTS = 3


class StartUp:
    """The start-up budget check, built on the core's verbs."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.history = core.history

    def reference_start(self) -> StartTimeline:
        """The old release started on a copy of the pre-upgrade backup (its own data, at its own head), then stopped.

        Measured in the scenario that measured the new release, so both starts share the machine's load.
        """
        previous = self.history.need_previous()
        return self._start_on_backup(previous, "reference-start", phases.reference_start(previous.spec.alias))

    def repeat_upgraded_start(self) -> StartTimeline:
        """The new release's start measured again as the procedure made it: on a copy of the pre-upgrade backup,
        migrated first by ``alembic upgrade head`` when the procedure did (untimed), else migrating as it starts."""
        release = self.history.need_upgraded_to()
        phase = phases.repeated_start(release.spec.alias)
        return self._start_on_backup(release, "repeated-start", phase, self.history.migrated_before_start)

    def _start_on_backup(self, release: Release, name: str, phase: str, migrate_first: bool = False) -> StartTimeline:
        """One timed start of ``release`` on a scratch copy of the pre-upgrade backup (``name``), stopped after."""
        backup = self.history.need_backup()
        with self.core.scratch_database(name) as copy:
            copy.restore(backup)
            if migrate_first:
                title = f"alembic upgrade head ({release.spec.label}) before its start is measured again"
                self.core.migrate(
                    release, copy, ("upgrade", "head"), phases.repeated_migration(release.spec.alias), title
                )
            gateway = self.core.gateway(release, copy)
            try:
                with self.core.timings.phase(phase):
                    gateway.start()
            finally:
                gateway.stop()
        return gateway.timelines[-1]

    def within_budget(self) -> Checklist:
        """The running (upgraded) release's start against the old release's start on the same data; while the
        fastest of each is over budget, both are measured again (up to ``ATTEMPTS`` pairs, the load of a shared
        machine being what a second pair can change), and the fastest of each judged."""
        running = self.core.need_current()
        self.history.need_upgraded_to()
        news, olds = [running.gateway.timelines[-1]], [self.reference_start()]
        while len(news) < ATTEMPTS and BUDGET.exceeded(olds, news):
            news.append(self.repeat_upgraded_start())
            olds.append(self.reference_start())
        return starts_within_budget(olds, news, BUDGET)
