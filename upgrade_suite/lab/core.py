"""The core of a scenario: its sandbox, ExitStack, evidence, timings, releases, database and gateways.

Every resource a scenario starts is entered on one ExitStack, released in reverse order even when
a step fails. The verbs here are the operator's procedure (start, stop, back up, migrate, upgrade,
roll back); the parts (parity, experiments, hazards, rolling) are built from these verbs only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from upgrade_suite.base.errors import ReleaseExited, SuiteError
from upgrade_suite.base.sandbox import Sandbox
from upgrade_suite.client.api import GatewayApi
from upgrade_suite.client.dataset import Dataset, create_marked, populate, seed
from upgrade_suite.client.serving import JUDGED_WAIT, wait_serving
from upgrade_suite.judging.at_scale import API_SAMPLE, at_scale, profile
from upgrade_suite.judging.carryover import STARTED
from upgrade_suite.judging.evidence import CheckFailed, Evidence, Timings
from upgrade_suite.judging.problems import Problem
from upgrade_suite.judging.rows import compare_rows, counted, row_check
from upgrade_suite.judging.schema import bootstrap_fresh, describe
from upgrade_suite.judging.snapshots import api_snapshot, sql_snapshot
from upgrade_suite.lab import phases
from upgrade_suite.lab.history import History, State, need
from upgrade_suite.lab.run import SuiteRun
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.database import Database
from upgrade_suite.services.gateway import Gateway, gateway_environment
from upgrade_suite.services.migrations import AlembicRun, Migrations

T = TypeVar("T")


@dataclass
class Running:
    """A started gateway with an API client authenticated as the admin."""

    release: Release
    gateway: Gateway
    api: GatewayApi


class Core:
    """One scenario's resources and the procedure's verbs."""

    def __init__(self, run: SuiteRun, name: str) -> None:
        self.run = run
        self.config = run.config
        self.sandbox = Sandbox.create(run.work_root, name)
        self.evidence = Evidence(self.sandbox.path / "evidence")
        self.timings = Timings()
        self.history = History()
        self._stack = ExitStack()
        self.database: Database | None = None
        self.current: Running | None = None
        self.gateway_logs: list[Path] = []
        self.gateways: list[tuple[Gateway, str]] = []  # every gateway of the scenario, with its database's engine
        self.releases: dict[str, Release] = {}
        self.started: list[Running] = []  # every gateway started with its admin client: what their answers cost
        run.open_scenarios.append(self)

    # -- guards ----------------------------------------------------------------------------
    def need_database(self) -> Database:
        return need(self.database, "database", "creates one (... on <database>)")

    def need_current(self) -> Running:
        return need(self.current, "running gateway", "starts one")

    # -- resources -------------------------------------------------------------------------
    def own(self, resource: AbstractContextManager[T]) -> T:
        """Enter ``resource`` on the scenario's stack: released with the scenario, in reverse order."""
        return self._stack.enter_context(resource)

    def release(self, alias: str) -> Release:
        """The release behind an alias; its provisioning (install or cache hit) is timed once per scenario."""
        alias = self.run.alias(alias)
        if alias not in self.releases:
            with self.timings.phase(phases.provision(alias)):
                self.releases[alias] = self.run.release(alias)
            if self.run.docker is not None:
                with self.timings.phase(phases.image(alias)):
                    self.run.image(self.releases[alias])
        return self.releases[alias]

    def new_database(self, engine: str) -> Database:
        """A fresh, empty, suite-owned database of the named engine; it becomes the scenario's database."""
        self.database = self.own(self.run.database(engine, self.sandbox.subdir("database")))
        return self.database

    @contextmanager
    def scratch_database(self, name: str) -> Iterator[Database]:
        """A throw-away database of the scenario's engine, released as soon as the block ends."""
        engine = self.need_database().engine_name
        with self.run.database(engine, self.sandbox.subdir(f"scratch/{name}")) as database:
            yield database

    def environment(self, release: Release, database: Database | None = None) -> dict[str, str]:
        """What a gateway or tool of ``release`` sees, pointed at ``database`` (the scenario's by default)."""
        database = database or self.need_database()
        return gateway_environment(release, database.url_for(release), self.run.secrets, self.sandbox.path)

    def gateway(
        self, release: Release, database: Database | None = None, carried: dict[str, str] | None = None
    ) -> Gateway:
        """A (not yet started) gateway of ``release`` on ``database`` (the scenario's by default), stopped with it.

        ``carried``: settings kept from an older deployment, passed in its environment.
        """
        database = database or self.database
        if database is None:
            raise SuiteError("a gateway needs a database first")
        name = f"{len(self.gateway_logs) + 1:02d}-{release.spec.alias}-{release.version}".replace(".", "_")
        gateway = self.run.gateway(release, database.url_for(release), self.sandbox.subdir(name), name, carried)
        self.gateway_logs.append(gateway.log_path)
        self.gateways.append((gateway, database.engine_name))
        self._stack.callback(gateway.stop)
        return gateway

    def connect(self, release: Release, gateway: Gateway) -> Running:
        """An admin API client of a started gateway, closed with the scenario."""
        with self.timings.phase(phases.mint_token(release.spec.alias)):
            token = self.run.token(release, self.environment(release))
        self.started.append(Running(release, gateway, self.own(self.run.api(release, gateway.url, token))))
        return self.started[-1]

    # -- the procedure ---------------------------------------------------------------------
    def start(self, alias: str) -> Running:
        """Start a gateway of ``alias`` on the scenario's database and authenticate to it."""
        release = self.release(alias)
        gateway = self.gateway(release)
        with self.timings.phase(phases.start(release.spec.alias)):
            gateway.start()
        self.current = self.connect(release, gateway)
        wait_serving(self.current.api, gateway, JUDGED_WAIT, required=False)  # one read, unless it refuses
        return self.current

    def attempt_start(self, gateway: Gateway, phase: str) -> str:
        """Start a gateway whose refusal is a finding, not a suite error; what it did, in words."""
        try:
            with self.timings.phase(phase):
                gateway.start()
            return STARTED
        except SuiteError as error:
            return "refused to run (exited)" if isinstance(error, ReleaseExited) else "never reported healthy"

    def stop(self) -> Release:
        """Stop the current gateway (graceful, then forced); returns the release that was running."""
        if self.current is None:
            raise SuiteError("no gateway is running")
        running, self.current = self.current, None
        with self.timings.phase(phases.stop(running.release.spec.alias)):
            running.api.close()
            running.gateway.stop()
        return running.release

    def close(self) -> None:
        """Release everything the scenario owns, in reverse order (idempotent)."""
        self.current = None
        self._stack.close()
        if self in self.run.open_scenarios:
            self.run.open_scenarios.remove(self)

    def running_with_data(self, alias: str, engine: str, dataset: Dataset) -> None:
        """Given a running <alias> gateway with data on <engine>: a copy of the run's seeded fixture.

        The scenario starts where an operator's upgrade starts: the old release has served the
        data and been stopped. What it served (API snapshot) and left (SQL snapshot) come with it.
        """
        release = self.release(alias)
        if engine == "postgresql" and not self.run.has_postgres:
            with self.timings.phase(phases.START_POSTGRES):
                self.run.postgres()
        first = not self.run.has_seeded(release, engine, dataset)
        fixture = self.run.seeded(alias, engine, dataset)
        if first:
            self.timings.add(phases.seeded_fixture(release.spec.alias), fixture.seconds)
        database = self.new_database(engine)
        with self.timings.phase(phases.COPY_SEEDED):
            database.copy_from(fixture.database)
        self.history.previous, self.history.manifest, self.history.before_api = (
            release,
            fixture.manifest,
            fixture.api_snapshot,
        )
        self.gateway_logs.append(fixture.log)
        self._attach_seed()

    def _attach_seed(self) -> None:
        manifest = self.history.need_manifest()
        self.evidence.attach(
            "Seeded objects", {"counts": manifest.counts, "ids": manifest.ids, "tools": manifest.tool_names}, "json"
        )
        if manifest.credentials_answered is not None and self.history.previous is not None:
            self.evidence.attach(
                f"Credentials as {self.history.previous.spec.label} answered them",
                manifest.credentials_answered.render(),
                "json",
            )

    def running_populated(self, alias: str, engine: str, dataset: Dataset, scale: int) -> None:
        """Given a running <alias> gateway on a fully populated <engine> database (~``scale`` rows)."""
        self.new_database(engine)
        release = self.release(alias)
        with self.timings.phase(phases.bootstrap_schema(release.spec.alias)):
            bootstrap_fresh(release, self.environment(release), self.sandbox.path, self.config.timeouts.migration)
        self.history.at_scale = at_scale(scale)
        with self.timings.phase(phases.populate(scale)):
            report = populate(
                release,
                self.environment(release),
                self.sandbox.path,
                scale,
                self.config.timeouts.migration,
                profile(scale),
            )
        self.evidence.attach(f"Populated at scale {scale} through {release.spec.label}'s models", report, "json")
        running = self.start(alias)
        with self.timings.phase(phases.SEED):
            self.history.manifest = seed(
                running.api, self.run.mcp_server().url, dataset, self.run.secrets.admin_password
            )
        with self.timings.phase(phases.SNAPSHOT_API):
            self.history.before_api = api_snapshot(running.api, API_SAMPLE if self.history.at_scale else None)
        self._attach_seed()

    def stop_and_back_up(self) -> None:
        """Stop the running (old) release and record the data as it is: the start of every experiment."""
        database = self.need_database()
        if self.current is not None:
            self.history.previous = self.stop()
        with self.timings.phase(phases.BACK_UP):
            self.history.backup = database.backup("pre-upgrade")
        if self.history.at_scale:  # every row stays in the database: counted, and copied to compare against
            with self.timings.phase(phases.COPY_FOR_COMPARISON):
                counts = counted(database)
                check = row_check(database)  # a copy no connection holds open (PostgreSQL's TEMPLATE needs that)
                self._stack.callback(check.discard)  # a scenario that fails before comparing leaves no copy
                self.history.rows_before = (counts, check)
            return
        with self.timings.phase(phases.SNAPSHOT_SQL), database.engine() as engine:
            self.history.before_sql = sql_snapshot(engine)

    def upgrade(self, target: str, with_alembic: bool) -> None:
        """When I perform the upgrade to <target>: stop, back up, [alembic upgrade head], start."""
        self.need_database()
        self.stop_and_back_up()
        release = self.release(target)
        self.history.upgrade_to(release)
        self.history.migrated_before_start = with_alembic
        if with_alembic:
            self.alembic_upgrade(release)
            if self.history.rows_before is not None:  # at scale: the rows as the migration left them, before it runs
                with self.timings.phase(phases.COMPARE_IN_DATABASE):
                    self.history.rows_compared = compare_rows(
                        *self.history.rows_before, self.history.need_previous().version, release.version
                    )
        self.start(target)

    def migrations(self, release: Release, database: Database | None = None) -> Migrations:
        """``release``'s Alembic pointed at ``database`` (the scenario's by default)."""
        return self.run.migrations(release, self.environment(release, database), self.sandbox.path)

    def migrate(
        self, release: Release, database: Database | None, arguments: tuple[str, ...], phase: str, title: str
    ) -> AlembicRun:
        """An Alembic step of a procedure: timed as ``phase``, attached as ``title``; a failed run fails the step
        with a structured problem, the command and the exception class that ended it (``migration failed | upgrade
        head | psycopg.errors.DeadlockDetected``), so a known defect can name how a migration fails."""
        with self.timings.phase(phase):
            run = self.migrations(release, database).run(*arguments)
        self.evidence.attach(title, run.render())
        if not run.ok:
            failed = f"{title} failed with exit {run.exit_code}"
            raise CheckFailed(
                failed, [Problem("migration failed", (" ".join(arguments), run.cause), failed)], [run.error]
            )
        return run

    def alembic_upgrade(self, release: Release) -> AlembicRun:
        """The procedure's migration: ``release``'s ``alembic upgrade head`` on the scenario's database."""
        return self.migrate(
            release,
            None,
            ("upgrade", "head"),
            phases.alembic_upgrade(release.spec.alias),
            f"alembic upgrade head ({release.spec.label})",
        )

    @staticmethod
    def state(database: Database) -> State:
        """Schema and data of a database, for comparing two ways of reaching the same revision."""
        with database.engine() as engine:
            return describe(engine), sql_snapshot(engine)

    def clean_upgrade(self, target: Release) -> State:
        """The pre-upgrade backup migrated once, uninterrupted: the state every other path must reach."""
        backup = self.history.need_backup()
        with self.scratch_database("clean") as copy:
            copy.restore(backup)
            self.migrate(
                target,
                copy,
                ("upgrade", "head"),
                phases.clean_upgrade(target.spec.alias),
                f"Clean alembic upgrade head ({target.spec.label})",
            )
            self.history.migrated = self.state(copy)
        return self.history.migrated

    # -- UPG-04: rollback ------------------------------------------------------------------
    def create_after_upgrade(self) -> None:
        """Objects made on the new release (what a rollback does to them is part of the verdict)."""
        current = self.need_current()
        alias = current.release.spec.alias
        with self.timings.phase(phases.create_objects(alias)):
            self.history.made_after_upgrade = create_marked(current.api, f"made on {alias}")
        self.evidence.attach(f"Objects created on {alias}", self.history.made_after_upgrade, "json")

    def rollback(self, target: str, by_restore: bool) -> None:
        """Stop the new release, take the database back (downgrade or restore), start ``target``."""
        database, backup = self.need_database(), self.history.need_backup()
        newer = self.stop()
        release = self.release(target)
        if by_restore:
            with self.timings.phase(phases.RESTORE_BACKUP):
                database.restore(backup)
        else:
            self.migrate(
                newer,
                None,
                ("downgrade", release.head),
                phases.alembic_downgrade(release.head, newer.spec.alias),
                f"alembic downgrade {release.head} ({newer.spec.label})",
            )
        self.history.rolled_back_by_restore = by_restore
        self.history.upgrade_to(newer)
        self.start(target)

    def attach_logs(self) -> None:
        """Attach every gateway log of the scenario (called for failed scenarios)."""
        for log in self.gateway_logs:
            self.evidence.attach_file(f"Gateway log {log.stem}", log)
