"""Migration experiments (UPG-07, the revision walk): interrupted upgrades, retries, and every revision up and down."""

from __future__ import annotations

import json
from collections.abc import Callable

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.judging.fault_checks import CONNECTION_ENDED, SERVER_STOPPED
from upgrade_suite.lab import phases
from upgrade_suite.lab.core import Core
from upgrade_suite.lab.parity import compare_states
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.chain import STRUCK, Outcome, chain, interrupted_upgrade, walk
from upgrade_suite.services.database import Database, PostgresDatabase
from upgrade_suite.services.faults import FaultMissed, FaultUnavailable
from upgrade_suite.services.migrations import AlembicRun


class Experiments:
    """What the plan does to a migration besides running it once, built on the core's verbs."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.history = core.history

    def interrupt_and_retry(
        self,
        target: Release,
        database: Database,
        revision: str,
        point: str,
        environment: dict[str, str] | None = None,
        recover: Callable[[], object] | None = None,
    ) -> Outcome:
        """Interrupt ``target``'s upgrade of ``database`` at ``point`` of ``revision`` (killed as it starts or inside
        it, its connection ended or its server stopped inside it), ``recover`` what the fault stopped, then retry."""
        migrated = self.history.need_migrated()
        migrations = self.core.migrations(target, database)
        killed = interrupted_upgrade(migrations, revision, point, environment)
        if recover is not None:  # the server the fault stopped, started again before anyone looks
            recover()
        left_at = database.alembic_revisions()
        retry = migrations.upgrade("head")
        at_head = database.alembic_revisions() == [target.head]
        problems: list[str] = []
        if retry.ok:
            running = self.core.current.release if self.core.current else None
            schema, data, counts = compare_states(
                self.history, running, migrated, self.core.state(database), f"interrupted at {revision} vs clean"
            )
            problems = schema.lines + data.problems() + counts.problems()
        kill_line = next((line for line in killed.output.splitlines() if line.startswith(STRUCK)), "")
        return Outcome(revision, kill_line, left_at, retry, at_head, problems, killed)

    def interrupt_each_revision(self, alias: str, point: str) -> list[Outcome]:
        """UPG-07 (b): for every revision of the chain, a fresh copy interrupted at ``point`` of it and retried."""
        previous, backup = self.history.need_previous(), self.history.need_backup()
        if point == "terminate" and self.core.need_database().engine_name != "postgresql":
            raise SuiteError("the database ends a migration's connection only on PostgreSQL: run this on PostgreSQL")
        target = self.core.release(alias)
        self.history.upgrade_to(target)
        self.core.clean_upgrade(target)
        outcomes = []
        revisions = chain(target, previous.head)
        with self.core.timings.phase(phases.interrupt_each(point, len(revisions))):
            for index, revision in enumerate(revisions, 1):
                with self.core.scratch_database(f"interrupt-{index:02d}") as copy:
                    copy.restore(backup)
                    outcomes.append(self.interrupt_and_retry(target, copy, revision, point))
        self.history.outcomes = outcomes
        if point == "terminate":
            self.history.faults += [_fault_record(CONNECTION_ENDED, o, o.retry.seconds) for o in outcomes if o.killed]
        return outcomes

    def crash_mid_migration(self, alias: str) -> Outcome:
        """The embedded PostgreSQL stopped with ``-m immediate`` inside the middle revision of ``alias``'s upgrade
        that changes the data (an earlier one when the middle changes nothing), started again, and the upgrade
        retried: one outcome, judged like UPG-07's, with the time to recover in the record."""
        previous, backup = self.history.need_previous(), self.history.need_backup()
        database = self.core.need_database()
        if not isinstance(database, PostgresDatabase) or not database.server.embedded:
            raise FaultUnavailable(
                "the server is stopped mid-migration only when it is the suite's embedded PostgreSQL"
            )
        server = database.server
        target = self.core.release(alias)
        self.history.upgrade_to(target)
        self.core.clean_upgrade(target)
        revisions = chain(target, previous.head)
        recovered: list[float] = []
        for revision in reversed(revisions[: len(revisions) // 2 + 1]):
            with self.core.timings.phase(phases.crash_and_retry(revision)):
                outcome = self.interrupt_and_retry(
                    target,
                    database,
                    revision,
                    "crash",
                    {"UPGRADE_SUITE_CRASH": json.dumps(server.crash_command())},
                    lambda: recovered.append(server.recover()),
                )
            if outcome.killed:
                break
            database.restore(backup)  # the revision changed nothing: nothing was cut; aim earlier
        else:
            raise FaultMissed(f"no revision of {target.spec.label}'s upgrade up to the middle changed the data")
        self.history.outcomes = [outcome]
        self.history.faults.append(_fault_record(SERVER_STOPPED, outcome, recovered[-1] + outcome.retry.seconds))
        return outcome

    def partially_apply(self, alias: str) -> AlembicRun:
        """The plan's UPG-07 set-up: ``alias``'s upgrade killed half-way through its chain, on the real database."""
        previous, database = self.history.need_previous(), self.core.need_database()
        target = self.core.release(alias)
        self.history.upgrade_to(target)
        self.core.clean_upgrade(target)
        revisions = chain(target, previous.head)
        run = interrupted_upgrade(self.core.migrations(target, database), revisions[len(revisions) // 2], "inside")
        self.core.evidence.attach(f"Interrupted alembic upgrade head ({target.spec.label})", run.render())
        if "SIGKILL" not in run.output:
            raise AssertionError(
                f"the upgrade finished before it could be interrupted at {revisions[len(revisions) // 2]}"
            )
        return run

    def migrate_again(self) -> AlembicRun:
        """Stop the gateway if one runs, and run the newer release's ``alembic upgrade head`` once more.

        Keeps the run and the database's state just before it (to show nothing changed) in the history.
        """
        database, target = self.core.need_database(), self.history.need_upgraded_to()
        if self.core.current is not None:
            self.core.stop()
        before = self.core.state(database)
        with self.core.timings.phase(phases.alembic_upgrade_again(target.spec.alias)):
            run = self.core.migrations(target, database).upgrade("head")
        self.core.evidence.attach(f"alembic upgrade head, again ({target.spec.label})", run.render())
        self.history.rerun = (run, before)
        return run

    def walk_revisions(self, alias: str) -> None:
        """Every revision up one at a time, then back down one at a time, on the data; kept in the history."""
        previous, database = self.history.need_previous(), self.core.need_database()
        target = self.core.release(alias)
        revisions = chain(target, previous.head)
        steps = (
            [("up", r) for r in revisions] + [("down", r) for r in reversed(revisions[:-1])] + [("down", previous.head)]
        )
        migrations = self.core.migrations(target, database)
        with self.core.timings.phase(phases.walk(len(revisions))):
            walked = walk(
                target, migrations.environment, self.core.sandbox.path, steps, self.core.config.timeouts.migration
            )
        self.history.walk = (walked, 2 * len(revisions))


def _fault_record(kind: str, outcome: Outcome, recovery_s: float) -> dict[str, object]:
    """What the run's record keeps of one database fault that struck: where, how long the migration took to fail,
    and how long the recovery took (the runbook's "After a database fault")."""
    failed_after = outcome.interrupted.seconds if outcome.interrupted is not None else 0.0
    return {
        "fault": kind,
        "revision": outcome.revision,
        "failed_after_s": round(failed_after, 2),
        "recovery_s": round(recovery_s, 2),
    }
