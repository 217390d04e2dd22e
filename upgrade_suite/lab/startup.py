"""Start-up: does the new release come up within its budget of the old one, on the same data, in this scenario?"""

from __future__ import annotations

from upgrade_suite.judging.checks import Checklist
from upgrade_suite.judging.start_budget import BUDGET, starts_within_budget
from upgrade_suite.lab import phases
from upgrade_suite.lab.core import Core
from upgrade_suite.services.startup import StartTimeline


class StartUp:
    """The start-up budget check, built on the core's verbs."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.history = core.history

    def reference_start(self) -> StartTimeline:
        """The old release started on a copy of the pre-upgrade backup (its own data, at its own head), then stopped.

        Measured in the scenario that measured the new release, so both starts share the machine's load.
        """
        previous, backup = self.history.need_previous(), self.history.need_backup()
        with self.core.scratch_database("reference-start") as copy:
            copy.restore(backup)
            gateway = self.core.gateway(previous, copy)
            try:
                with self.core.timings.phase(phases.reference_start(previous.spec.alias)):
                    gateway.start()
            finally:
                gateway.stop()
        return gateway.timelines[-1]

    def within_budget(self) -> Checklist:
        """The running (upgraded) release's start on the migrated database against the old release's start."""
        running = self.core.need_current()
        self.history.need_upgraded_to()
        new = running.gateway.timelines[-1]
        return starts_within_budget(self.reference_start(), new, BUDGET)
