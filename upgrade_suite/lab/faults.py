"""Upgrades under the database's faults and in production set-ups: the new release started on a read-only database,
then again once it is writable (the operator's whole recovery), timed; the migration behind a long reader while the
old release serves; the migration on a SQLite disk that fills; a deployment that reaches PostgreSQL with a password
a URL must percent-encode; two deployments on one server upgraded at the same moment."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor

from upgrade_suite.client.dataset import Dataset
from upgrade_suite.client.prober import Prober
from upgrade_suite.judging.fault_checks import (
    DISK_FILLED,
    READ_ONLY_DATABASE,
    FaultedMigration,
    FaultedStart,
    LockWait,
    TwoDeployments,
    last_revision,
    naming_read_only,
)
from upgrade_suite.judging.rows import counted
from upgrade_suite.lab import phases
from upgrade_suite.lab.core import Core
from upgrade_suite.lab.history import need
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.database import PostgresDatabase
from upgrade_suite.services.faults import (
    ENCODED_PASSWORD,
    EncodedLogin,
    FaultMissed,
    FaultUnavailable,
    ReadOnly,
    SmallFilesystem,
)
from upgrade_suite.services.gateway import migration_error
from upgrade_suite.services.locks import LockSampler, ReaderHolding, Waiting
from upgrade_suite.services.migrations import AlembicRun

#: How long the reader keeps the migration waiting once the wait is seen: long enough for the old release's reads
#: to queue behind it at the prober's rate, short beside a real report query.
READER_HOLD_S = 10.0
#: The filesystem of the filling-disk fault: this much bigger than the database (less than any table a revision
#: rewrites needs, more than a revision that only adds a column), then grown to ``GROWN_FS_BYTES`` for the retry.
SMALL_FS_SLACK = 64 * 1024
GROWN_FS_BYTES = 256 * 1024 * 1024


class Faults:
    """The fault verbs, built on the core's; the injected fault and what the release did are kept for the Thens."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.history = core.history
        self.read_only: ReadOnly | None = None
        self.faulted: FaultedStart | None = None
        self.lock_wait: LockWait | None = None
        self.small_fs: SmallFilesystem | None = None
        self.faulted_migration: FaultedMigration | None = None
        self.retry: AlembicRun | None = None
        self.two_deployments: TwoDeployments | None = None

    def _upgrading(self, alias: str) -> Release:
        """The start of every fault's When: the old release stopped and backed up, the upgrade to ``alias`` begun."""
        self.core.stop_and_back_up()
        release = self.core.release(alias)
        self.history.upgrade_to(release)
        return release

    def start_on_read_only(self, alias: str) -> FaultedStart:
        """The old release stopped and backed up, the database made read-only, ``alias`` started on it."""
        core = self.core
        database = core.need_database()
        release = self._upgrading(alias)
        self.read_only = core.own(ReadOnly(database))
        gateway = core.gateway(release)
        started = time.monotonic()
        outcome = core.attempt_start(gateway, phases.start_faulted(release.spec.alias, "read-only"))
        seconds = time.monotonic() - started
        gateway.stop()
        log = gateway.log_text()
        self.faulted = FaultedStart(
            release.spec.label,
            outcome,
            seconds,
            migration_error(log),
            self.read_only.alembic_revisions(),
            naming_read_only(log),
        )
        core.evidence.attach(f"{release.spec.label} started on the read-only database", self.faulted.render())
        self.history.faults.append({"fault": READ_ONLY_DATABASE, "failed_after_s": round(seconds, 2)})
        return self.faulted

    def writable_and_start_again(self, alias: str) -> float:
        """The fault undone and ``alias`` started again, as the operator retries: the seconds the retry took."""
        need(self.read_only, "read-only database", "starts the release on a read-only database").undo()
        started = time.monotonic()
        self.core.start(alias)
        recovery_s = time.monotonic() - started
        self.history.faults[-1]["recovery_s"] = round(recovery_s, 2)
        self.core.evidence.attach("Time to recover (writable again, then the same start)", f"{recovery_s:.1f} s")
        return recovery_s

    def running_with_encoded_login(self, alias: str) -> None:
        """``alias`` with data on PostgreSQL, started on it as a role whose password needs percent-encoding."""
        core = self.core
        core.running_with_data(alias, "postgresql", Dataset())
        login = core.own(EncodedLogin(core.need_database()))
        userinfo = core.need_database().url_for(core.release(alias)).split("://", 1)[1].split("@", 1)[0]
        core.evidence.attach(
            "The login the releases use",
            f"role {login.role}, password {ENCODED_PASSWORD!r}, in the URL as {userinfo!r}; a wrong password is "
            f"refused: {login.refused}",
        )
        core.start(alias)

    def migrate_behind_a_reader(self, alias: str) -> LockWait:
        """The old release serving, a long reader holding every table, and ``alias``'s ``alembic upgrade head`` run
        beside them: watched until it waits behind the reader, kept waiting ``READER_HOLD_S``, then the reader
        lets go; the old release's reads are recorded throughout. Then the new release starts on the result.
        A migration that never waits (it needs no lock the reader holds) leaves the scenario inconclusive."""
        core = self.core
        database, previous = core.need_database(), self.history.need_previous()
        release = self._upgrading(alias)
        old = core.start(previous.spec.alias)  # the old release serves while the new one migrates, as in a roll
        token = core.run.token(previous, core.environment(previous))
        t = core.config.timeouts
        reader = core.own(ReaderHolding(database))
        prober = core.own(Prober(old.gateway.url, token, core.config.rollout.probe_rate, t.migration, t.request))
        migrations = core.migrations(release, database)
        with core.timings.phase(phases.migrate_behind_reader(release.spec.alias)), ThreadPoolExecutor(1) as pool:
            started = time.monotonic()
            running = pool.submit(migrations.upgrade, "head")
            with LockSampler(reader.database) as sampler:
                seen, queued, waited_at = self._watch(sampler, reader.pid, running, started + t.migration)
            gave_up = running.done()
            reader.release()
            run = running.result(timeout=t.migration)
        released = time.monotonic()
        prober.stop()
        core.evidence.attach(f"alembic upgrade head beside a long reader ({release.spec.label})", run.render())
        if seen is None:
            raise FaultMissed(f"{release.spec.label}'s migration took no lock the reader held: nothing waited")
        window = [r for r in prober.records if waited_at <= r.sent_at <= released]
        self.lock_wait = LockWait(
            seen.relation,
            seen.mode,
            reader.pid in seen.blocked_by,
            released - waited_at,
            gave_up,
            run.ok,
            run.seconds,
            len(queued),
            len(window),
            sum(1 for r in window if r.error or r.status >= 500),
            max((r.latency_ms / 1000 for r in window), default=0.0),
        )
        core.evidence.attach("The migration behind a long reader", self.lock_wait.render())
        core.stop()
        core.start(alias)
        return self.lock_wait

    @staticmethod
    def _watch(
        sampler: LockSampler, reader: int, running: Future[AlembicRun], deadline: float
    ) -> tuple[Waiting | None, set[int], float]:
        """Poll the locks until the migration waits behind ``reader``, then for ``READER_HOLD_S`` more: its wait,
        the sessions queued behind it, and when the wait was first seen."""
        seen: Waiting | None = None
        queued: set[int] = set()
        waited_at = 0.0
        while not running.done() and time.monotonic() < deadline:
            sessions = sampler.waiting()
            if seen is None:
                seen = next((w for w in sessions if reader in w.blocked_by), None)
                waited_at = time.monotonic() if seen else 0.0
            else:
                queued |= {w.pid for w in sessions if seen.pid in w.blocked_by}
                if time.monotonic() - waited_at >= READER_HOLD_S:
                    break
            time.sleep(0.1)
        return seen, queued, waited_at

    def migrate_on_a_filling_disk(self, alias: str) -> FaultedMigration:
        """The old release stopped and backed up, its SQLite database moved onto a filesystem ``SMALL_FS_SLACK``
        bytes bigger than itself, and ``alias``'s ``alembic upgrade head`` run there until the disk fills. A
        migration that fits (it rewrites nothing big enough) leaves the scenario inconclusive."""
        core = self.core
        database = core.need_database()
        release = self._upgrading(alias)
        self.small_fs = core.own(SmallFilesystem(database, SMALL_FS_SLACK))
        with core.timings.phase(phases.migrate_faulted(release.spec.alias, "a filesystem that fills")):
            run = core.migrations(release, database).upgrade("head")
        core.evidence.attach(f"alembic upgrade head on a filesystem of {self.small_fs.size} bytes", run.render())
        if run.ok:
            raise FaultMissed(
                f"{release.spec.label}'s migration fit in {SMALL_FS_SLACK} bytes more than the database: nothing filled"
            )
        self.faulted_migration = FaultedMigration(
            release.spec.label,
            run.exit_code,
            run.seconds,
            run.error,
            database.alembic_revisions(),
            last_revision(run.output),
        )
        core.evidence.attach("Where the disk filled", self.faulted_migration.render())
        self.history.faults.append({"fault": DISK_FILLED, "failed_after_s": round(run.seconds, 2)})
        return self.faulted_migration

    def grow_and_migrate_again(self, alias: str) -> float:
        """The filesystem given room, the same ``alembic upgrade head`` again, then the new release started: the
        seconds the retry took. A retry that fails is the finding (left for the Thens to judge)."""
        core = self.core
        small = need(self.small_fs, "small filesystem", "migrates on a filesystem that fills")
        small.grow(GROWN_FS_BYTES)
        release = core.release(alias)
        started = time.monotonic()
        with core.timings.phase(phases.alembic_upgrade_again(release.spec.alias)):
            self.retry = core.migrations(release, core.need_database()).upgrade("head")
        recovery_s = time.monotonic() - started
        self.history.faults[-1]["recovery_s"] = round(recovery_s, 2)
        core.evidence.attach(f"alembic upgrade head again, with room ({release.spec.label})", self.retry.render())
        if self.retry.ok:
            core.start(alias)
        return recovery_s

    def upgrade_two_deployments(self, alias: str) -> TwoDeployments:
        """A second deployment of the same release on another database of the same server (a copy of this one),
        both upgraded to ``alias`` at the same moment with their own ``alembic upgrade head``; the server's locks
        sampled throughout for a session of one waiting on the other. Then this deployment's new release starts."""
        core = self.core
        database = core.need_database()
        if not isinstance(database, PostgresDatabase):
            raise FaultUnavailable("two deployments on one server are judged on PostgreSQL")
        release = self._upgrading(alias)
        with core.scratch_database("second-deployment") as other:
            assert isinstance(other, PostgresDatabase)
            other.copy_from(database)
            waits: set[str] = set()
            with (
                core.timings.phase(phases.upgrade_two_at_once(release.spec.alias)),
                LockSampler(database) as sampler,
                ThreadPoolExecutor(2) as pool,
            ):
                runs = [pool.submit(core.migrations(release, db).upgrade, "head") for db in (database, other)]
                while not all(run.done() for run in runs):
                    waits |= set(sampler.across([database.name, other.name]))
                    time.sleep(0.05)
            first, second = (run.result() for run in runs)
            same = counted(other) == counted(database)
        for run, which in ((first, "this deployment"), (second, "the second deployment")):
            core.evidence.attach(f"alembic upgrade head of {which} ({release.spec.label})", run.render())
        self.two_deployments = TwoDeployments(
            release.spec.label, (first.seconds, second.seconds), (first.ok, second.ok), tuple(sorted(waits)), same
        )
        core.evidence.attach("Two deployments upgraded at once", self.two_deployments.render())
        if first.ok:
            core.start(alias)
        return self.two_deployments
