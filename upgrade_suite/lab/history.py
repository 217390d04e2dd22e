"""What a scenario has done so far, and the guards that say which step is missing.

Every verb that changes the story (the release it started from, the data it seeded, the backup,
the upgrade, a rollback, a step's result for a later Then) writes it here; a verb that needs it
asks with ``need_*()``. A missing fact is a mistake in the scenario's step order, so the guards
raise ``SuiteError`` (reported as broken, naming the step that should have run), never an
AssertionError (which the summary files as a product failure, and ``python -O`` removes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.client.auth import AuthObservation
from upgrade_suite.client.dataset import SeedManifest
from upgrade_suite.judging.carryover import CarriedStart, CarryOver, SettingsModel
from upgrade_suite.judging.rows import RowCheck, RowComparison
from upgrade_suite.judging.snapshots import Snapshot
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.chain import Outcome, WalkStep
from upgrade_suite.services.database import Backup
from upgrade_suite.services.migrations import AlembicRun

#: A database's schema and data, for comparing two ways of reaching the same revision.
State = tuple[dict[str, str], Snapshot]
T = TypeVar("T")


def need(fact: T | None, what: str, step: str) -> T:
    """``fact``, or a SuiteError naming what is missing and the step that records it (a broken scenario)."""
    if fact is None:
        raise SuiteError(f"the scenario has no {what} yet: a step that {step} must come first")
    return fact


class _Guard(Generic[T]):
    """A ``need_<fact>()`` method of History, declared in one line: which field, what it is, which step records it."""

    def __init__(self, fact: str, what: str, step: str) -> None:
        self.fact, self.what, self.step = fact, what, step

    def __get__(self, history: History | None, owner: type | None = None) -> Callable[[], T]:
        return lambda: need(getattr(history, self.fact), self.what, self.step)


@dataclass
class History:
    """The facts of one scenario, in the order they usually happen."""

    previous: Release | None = None  # the release the scenario started from (stopped before the upgrade)
    manifest: SeedManifest | None = None  # what was seeded
    before_api: Snapshot | None = None  # what the old release showed through its API
    before_sql: Snapshot | None = None  # what it left in the database
    backup: Backup | None = None  # the pre-upgrade backup
    upgraded_to: Release | None = None  # the release whose upgrade the scenario performed
    migrated_before_start: bool = False  # the upgrade ran ``alembic upgrade head`` before starting the new release
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
    at_scale: bool = False  # populated above IN_DATABASE_ABOVE rows: rows compared in the database, API sampled
    rows_before: tuple[dict[str, int], RowCheck] | None = None  # at scale: counts and the before-side copy
    rows_compared: RowComparison | None = None  # at scale: the rows as the migration left them, compared
    #: What the upgrade changes for users, in sentences: the triage's claims ("claimed: ...") and what operations
    #: proved ("proven: ..."); the runbook lists them per release pair.
    consequences: list[str] = field(default_factory=list)
    faults: list[dict[str, object]] = field(default_factory=list)  # each fault met: kind, seconds to fail, to recover

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

    # The guards: need_<fact>() is the fact, or a SuiteError naming what is missing and the step that records it.
    need_previous = _Guard[Release]("previous", "old release", "starts one (Given a running <release> gateway ...)")
    need_manifest = _Guard[SeedManifest](
        "manifest", "seeded data", "seeds a gateway (Given a running <release> gateway with data ...)"
    )
    need_before_api = _Guard[Snapshot](
        "before_api",
        "API snapshot of the old release",
        "seeds a gateway (Given a running <release> gateway with data ...)",
    )
    need_before_sql = _Guard[Snapshot](
        "before_sql", "SQL snapshot of the old data", "stops the old release and backs it up"
    )
    need_backup = _Guard[Backup]("backup", "pre-upgrade backup", "stops the old release and backs it up")
    need_upgraded_to = _Guard[Release](
        "upgraded_to", "upgrade", "performs the upgrade (When I perform the upgrade to <release> ...)"
    )
    need_migrated = _Guard[State](
        "migrated", "uninterrupted upgrade to compare with", "migrates a copy of the backup cleanly"
    )
    need_rerun = _Guard[tuple[AlembicRun, State]](
        "rerun", "second migration run", "runs the migration again (When I run the migration again)"
    )
    need_outcomes = _Guard[list[Outcome]]("outcomes", "interrupted upgrades", "interrupts each revision in turn")
    need_walk = _Guard[tuple[list[WalkStep], int]]("walk", "revision walk", "walks the migrations up and down")
    need_old_on_new = _Guard[tuple[str, list[str]]](
        "old_on_new", "start of an old release on the upgraded database", "starts it there"
    )
    need_carried = _Guard[CarriedStart](
        "carried", "start with the old settings", "starts the new release with the old settings"
    )
    need_settings_comparison = _Guard[tuple[CarryOver, SettingsModel, Path]](
        "settings_comparison", "settings comparison", "compares both releases' settings models"
    )
