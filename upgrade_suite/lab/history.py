"""What a scenario has done so far, and the guards that say which step is missing.

Every verb that changes the story (the release it started from, the data it seeded, the backup,
the upgrade, a rollback, a step's result for a later Then) writes it here; a verb that needs it
asks with ``need_*()``. A missing fact is a mistake in the scenario's step order, so the guards
raise ``SuiteError`` (reported as broken, naming the step that should have run), never an
AssertionError (which the summary files as a product failure, and ``python -O`` removes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..auth import AuthObservation
from ..carryover import CarriedStart, CarryOver, SettingsModel
from ..chain import Outcome, WalkStep
from ..database import Backup
from ..dataset import SeedManifest
from ..errors import SuiteError
from ..migrations import AlembicRun
from ..releases import Release
from ..snapshots import Snapshot

#: A database's schema and data, for comparing two ways of reaching the same revision.
State = tuple[dict[str, str], Snapshot]


def _missing(what: str, step: str) -> SuiteError:
    return SuiteError(f"the scenario has no {what} yet: a step that {step} must come first")


@dataclass
class History:
    """The facts of one scenario, in the order they usually happen."""

    previous: Release | None = None  # the release the scenario started from (stopped before the upgrade)
    manifest: SeedManifest | None = None  # what was seeded
    before_api: Snapshot | None = None  # what the old release showed through its API
    before_sql: Snapshot | None = None  # what it left in the database
    backup: Backup | None = None  # the pre-upgrade backup
    upgraded_to: Release | None = None  # the release whose upgrade the scenario performed
    rolled_back_by_restore: bool = False  # the upgrade was undone by restoring the backup
    migrated: State | None = None  # the backup migrated once, uninterrupted: the reference state
    made_after_upgrade: dict[str, list[str]] = field(default_factory=dict)
    answered: tuple[Any, AuthObservation] | None = None  # (the gateway asked, what it answered)
    rerun: tuple[AlembicRun, State] | None = None  # the migration run again, and the state before it
    outcomes: list[Outcome] | None = None  # UPG-07: each interrupted revision and its retry
    walk: tuple[list[WalkStep], int] | None = None  # the revision walk, and how many steps it should have
    old_on_new: tuple[str, list[str]] | None = None  # an old release on the upgraded database: outcome, log lines
    carried: CarriedStart | None = None  # a start with the old deployment's settings
    settings_comparison: tuple[CarryOver, SettingsModel, Path] | None = None

    def upgrade_to(self, release: Release) -> None:
        """The scenario performs (or is about to perform) the upgrade to ``release``."""
        self.upgraded_to = release

    def newest(self, running: Release | None) -> Release:
        """The newest release whose migrations the data went through: what the declared transformations end at.

        The upgrade's target, unless a restore of the backup undid it; else the running release;
        else the release the scenario started from.
        """
        if self.upgraded_to is not None and not self.rolled_back_by_restore:
            return self.upgraded_to
        if running is not None:
            return running
        return self.need_previous()

    def need_previous(self) -> Release:
        if self.previous is None:
            raise _missing("old release", "starts one (Given a running <release> gateway ...)")
        return self.previous

    def need_manifest(self) -> SeedManifest:
        if self.manifest is None:
            raise _missing("seeded data", "seeds a gateway (Given a running <release> gateway with data ...)")
        return self.manifest

    def need_before_api(self) -> Snapshot:
        if self.before_api is None:
            raise _missing("API snapshot of the old release", "seeds a gateway (Given a running <release> gateway with data ...)")
        return self.before_api

    def need_before_sql(self) -> Snapshot:
        if self.before_sql is None:
            raise _missing("SQL snapshot of the old data", "stops the old release and backs it up")
        return self.before_sql

    def need_backup(self) -> Backup:
        if self.backup is None:
            raise _missing("pre-upgrade backup", "stops the old release and backs it up")
        return self.backup

    def need_upgraded_to(self) -> Release:
        if self.upgraded_to is None:
            raise _missing("upgrade", "performs the upgrade (When I perform the upgrade to <release> ...)")
        return self.upgraded_to

    def need_migrated(self) -> State:
        if self.migrated is None:
            raise _missing("uninterrupted upgrade to compare with", "migrates a copy of the backup cleanly")
        return self.migrated

    def need_rerun(self) -> tuple[AlembicRun, State]:
        if self.rerun is None:
            raise _missing("second migration run", "runs the migration again (When I run the migration again)")
        return self.rerun

    def need_outcomes(self) -> list[Outcome]:
        if self.outcomes is None:
            raise _missing("interrupted upgrades", "interrupts each revision in turn")
        return self.outcomes

    def need_walk(self) -> tuple[list[WalkStep], int]:
        if self.walk is None:
            raise _missing("revision walk", "walks the migrations up and down")
        return self.walk

    def need_old_on_new(self) -> tuple[str, list[str]]:
        if self.old_on_new is None:
            raise _missing("start of an old release on the upgraded database", "starts it there")
        return self.old_on_new

    def need_carried(self) -> CarriedStart:
        if self.carried is None:
            raise _missing("start with the old settings", "starts the new release with the old settings")
        return self.carried

    def need_settings_comparison(self) -> tuple[CarryOver, SettingsModel, Path]:
        if self.settings_comparison is None:
            raise _missing("settings comparison", "compares both releases' settings models")
        return self.settings_comparison
