"""The run and the scenario: who owns which resources, and the verbs the Gherkin steps call.

``SuiteRun`` lives for a behave run: configuration, resolved releases, their venvs, the shared
secrets and the MCP server fixture. ``UpgradeScenario`` lives for one scenario: its sandbox, its
databases and gateways (all on one ExitStack, released in reverse order even when a step fails),
the data it seeded, the snapshots it took, its timings and evidence.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .api import GatewayApi, mint_token
from .auth import AuthObservation, Credentials, observe
from .balancer import HAProxyBalancer
from .chain import Outcome, WalkStep, chain, interrupted_upgrade, walk
from .checks import Checklist
from .carryover import STARTED, CarriedStart, CarryOver, SettingsModel, compare_settings, read_settings, save_for_runbook
from .config import SuiteConfig, canonical_alias
from .database import Backup, Database, PostgresServer, new_database
from .dataset import Dataset, SeedManifest, create_marked, populate, seed
from .errors import SuiteError
from .evidence import Evidence, Timings
from . import leftovers
from .expectations import expected_transformations
from .docker_driver import DockerGateway
from .engine import DockerEngine
from .gateway import Gateway, GatewaySecrets, ProcessGateway, gateway_environment
from .images import GatewayImages
from .mcp_fixture import McpServerFixture
from .kubernetes import HelmRollout, image_tag
from .replicas import KilledReplica, start_killing_the_migrator
from .migrations import AlembicRun, ContainerMigrations, Migrations
from .prober import Prober, Window, to_csv
from .rollout import Rollout, served_by_version
from .interpreters import Interpreters
from .releases import Release, ReleaseCache, ReleaseSpec, console, resolve_all, writable_cache
from .pypi import PyPIReleases
from .sandbox import Sandbox, remove_owned
from .schema import SchemaDiff, bootstrap_fresh, compare, describe, fresh_install, parity
from .snapshots import ExpectedLoss, Snapshot, SnapshotDiff, api_snapshot, diff, restricted, sql_snapshot
from .timeline import timeline_png

#: Seconds of traffic the prober records before the rollout (the latency baseline) and after it.
BASELINE_SECONDS, TAIL_SECONDS = 5, 2


class SuiteRun:
    """Run-wide state, created in ``before_all`` after the configuration is validated."""

    def __init__(self, config: SuiteConfig) -> None:
        self.config = config
        writable_cache(config.cache_dir)
        self.work_root = config.reports_dir / "work" / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        self.docker: DockerEngine | None = None
        if config.driver == "docker":  # no engine: fail now, with how to start one
            self.docker = DockerEngine(self.work_root.name, config.timeouts.request * 2)
            self._images = GatewayImages(self.docker.client, config.cache_dir, config.timeouts.install)
        self.image_tags: dict[str, str] = {}  # release key -> the image its gateways ran from (docker driver)
        for line in leftovers.clean(config.reports_dir / "work", docker=self.docker.client if self.docker else None).lines():
            console.print(f"[yellow]{line}[/yellow]")
        # Every release's interpreter is chosen here, before any work; a build from source waits for provisioning.
        interpreters = Interpreters(config.cache_dir, config.timeouts.install, given=config.python)
        self.specs: dict[str, ReleaseSpec] = resolve_all(config.releases, config.resolved_at, PyPIReleases(config.cache_dir, config.timeouts.request), interpreters)
        self._cache = ReleaseCache(config.cache_dir, config.timeouts.install, interpreters)
        console.print("Releases: " + ", ".join(spec.label for spec in self.specs.values()))  # latest is resolved once, here
        for spec in self.specs.values():
            if spec.interpreter is not None and spec.interpreter.kind != "suite":
                console.print(f"[dim]{spec.label} (Requires-Python {spec.requires_python}) runs on {spec.interpreter.route}[/dim]")
        self._releases: dict[str, Release] = {}
        self.secrets = GatewaySecrets()
        self.work_root.mkdir(parents=True, exist_ok=True)
        (self.work_root / ".gateway-upgrade-suite").write_text(f"pid={os.getpid()}\n")
        self._stack = ExitStack()
        self._mcp: McpServerFixture | None = None
        self._postgres: PostgresServer | None = None
        self.fresh_schemas: dict[tuple[str, str], dict[str, str]] = {}
        self._tokens: dict[str, str] = {}
        self._fixtures: dict[tuple[str, str, str], SeededFixture] = {}
        self._seed_failures: dict[tuple[str, str, str], AssertionError | SuiteError] = {}
        self._settings: dict[tuple[str, str], SettingsModel] = {}
        if config.postgres_url:
            self._postgres = self._stack.enter_context(PostgresServer(config.postgres_url))  # unreachable: fail now
        self.open_scenarios: list[UpgradeScenario] = []

    def release(self, alias: str) -> Release:
        """The provisioned release behind an alias (installed on first use, then reused)."""
        alias = canonical_alias(alias)
        if alias not in self._releases:
            self._releases[alias] = self._cache.provision(self.specs[alias])
        return self._releases[alias]

    def image(self, release: Release) -> str:
        """The container image of ``release`` (docker driver): upstream's, or built here once and cached."""
        assert self.docker is not None
        if release.spec.key not in self.image_tags:
            self.image_tags[release.spec.key] = self._images.image_for(release)
        return self.image_tags[release.spec.key]

    def gateway(self, release: Release, database_url: str, workdir: Path, name: str, carried: dict[str, str] | None = None) -> Gateway:
        """A (not yet started) gateway of ``release`` run by the configured driver: the one place that picks it."""
        timeouts = self.config.timeouts
        if self.docker is not None:
            return DockerGateway(self.docker, self.image(release), release, database_url, workdir, name, self.secrets,
                                 timeouts.gateway_start, timeouts.gateway_stop, carried)
        return ProcessGateway(release, database_url, workdir, name, self.secrets, timeouts.gateway_start, timeouts.gateway_stop, carried)

    def migrations(self, release: Release, environment: dict[str, str], workdir: Path) -> Migrations:
        """``release``'s Alembic: from its venv (process driver) or as a one-off container of its image (docker driver)."""
        if self.docker is not None:
            return ContainerMigrations(release, environment, workdir, self.config.timeouts.migration, self.docker, self.image(release))
        return Migrations(release, environment, workdir, self.config.timeouts.migration)

    def mcp_server(self, wait: bool = True) -> McpServerFixture:
        """The run's MCP server fixture, started on first use (``wait=False``: launched, maybe not up yet)."""
        if self._mcp is None:
            self._mcp = McpServerFixture(self.work_root / "mcp-server.log")
            self._stack.callback(self._mcp.__exit__)
            self._mcp.launch()
        if wait:
            self._mcp.wait()
        return self._mcp

    def token(self, release: Release, environment: dict[str, str]) -> str:
        """An admin token minted by the release's own tool, once per release per run (valid 4 h)."""
        if release.spec.key not in self._tokens:
            self._tokens[release.spec.key] = mint_token(release, environment, self.secrets.admin_email, self.secrets.jwt_secret)
        return self._tokens[release.spec.key]

    def database(self, engine: str, directory: Path) -> Database:
        """A new, empty, suite-owned database object of ``engine`` (enter it to create it)."""
        return new_database(engine, directory, self.postgres)

    def has_seeded(self, release: Release, engine: str, dataset: Dataset) -> bool:
        return (release.spec.key, engine, dataset.fingerprint) in self._fixtures

    def seeded(self, alias: str, engine: str, dataset: Dataset) -> SeededFixture:
        """The data a running ``alias`` gateway was given, as it left it on stopping: made once per run.

        A real gateway of the release is started on a fresh database, seeded through its API,
        snapshotted through its API, stopped, and snapshotted through SQL. Scenarios start from
        copies, so the start-and-seed cost is paid once per run, not per scenario.
        """
        release = self.release(alias)
        key = (release.spec.key, engine, dataset.fingerprint)
        if key in self._seed_failures:  # seeding failed earlier in this run: the same verdict, not a half-seeded copy
            raise self._seed_failures[key]
        if key not in self._fixtures:
            directory = self.work_root / "fixtures" / f"{release.spec.alias}-{engine}-{dataset.fingerprint}"  # one database per dataset
            with ExitStack() as owned:
                database = owned.enter_context(self.database(engine, directory))
                name = f"seed-{release.spec.alias}-{release.version}".replace(".", "_")
                gateway = self.gateway(release, database.url_for(release), directory, name)
                started = time.monotonic()
                self.mcp_server(wait=False)  # comes up while the gateway starts
                try:
                    with gateway:
                        token = self.token(release, gateway_environment(release, database.url_for(release), self.secrets, directory))
                        with GatewayApi(gateway.url, token, self.config.timeouts.request) as api:
                            manifest = seed(api, self.mcp_server().url, dataset, self.secrets.admin_password)
                            before_api = api_snapshot(api)
                except (AssertionError, SuiteError) as error:
                    self._seed_failures[key] = error
                    raise
                self._stack.push(owned.pop_all())  # seeded: the run owns the database from now on
            self._fixtures[key] = SeededFixture(release, database, manifest, before_api, gateway.log_path, time.monotonic() - started)
        return self._fixtures[key]

    def settings(self, release: Release, carried_from: Release) -> SettingsModel:
        """What ``release``'s settings models read, and which of ``carried_from``'s settings they refuse; once per run."""
        key = (release.spec.key, carried_from.spec.key)
        if key not in self._settings:
            carried = None if carried_from is release else self.settings(carried_from, carried_from).environment
            self._settings[key] = read_settings(release, self.config.timeouts.migration, carried)
        return self._settings[key]

    @property
    def has_postgres(self) -> bool:
        return self._postgres is not None

    def postgres(self) -> PostgresServer:
        """The run's PostgreSQL server: the one given with -D postgres_url, or an embedded one started now."""
        if self._postgres is None:
            self._postgres = self._stack.enter_context(PostgresServer())
        return self._postgres

    def close(self) -> None:
        """Close scenarios an interrupt left open, stop run-wide processes, remove an empty run dir."""
        for scenario in reversed(self.open_scenarios):
            scenario.close()
        self._stack.close()
        if self.docker is not None:  # each gateway and one-off removes its own; this catches what an interrupt cut short
            for container in self.docker.remove_run():
                console.print(f"[yellow]removed a container the run left: {container}[/yellow]")
        if self.work_root.exists():
            leftovers.mark_closed(self.work_root)
        kept = [p for p in self.work_root.iterdir() if p.name not in {".gateway-upgrade-suite", "mcp-server.log", "fixtures"}] if self.work_root.exists() else []
        if not kept:
            remove_owned(self.work_root)


@dataclass(frozen=True)
class SeededFixture:
    """A database a real gateway seeded and then stopped, with what it showed before stopping."""

    release: Release
    database: Database
    manifest: SeedManifest
    api_snapshot: Snapshot
    log: Path
    seconds: float


@dataclass
class Running:
    """A started gateway with an API client authenticated as the admin."""

    release: Release
    gateway: Gateway
    api: GatewayApi


class UpgradeScenario:
    """One scenario's resources and state; every step is a call on this object."""

    def __init__(self, run: SuiteRun, name: str) -> None:
        self.run = run
        self.config = run.config
        self.sandbox = Sandbox.create(run.work_root, name)
        self.evidence = Evidence(self.sandbox.path / "evidence")
        self.timings = Timings()
        self._stack = ExitStack()
        self.database: Database | None = None
        self.current: Running | None = None
        self.previous: Release | None = None
        self.manifest: SeedManifest | None = None
        self.before_api: Snapshot | None = None
        self.before_sql: Snapshot | None = None
        self.backup: Backup | None = None
        self.gateway_logs: list[Path] = []
        self.releases: dict[str, Release] = {}
        self.made_after_upgrade: dict[str, list[str]] = {}
        self.upgraded_to: Release | None = None
        self.migrated: tuple[dict[str, str], Snapshot] | None = None
        self.together: list[Running] = []
        self.together_gateways: list[Gateway] = []
        self.together_outcomes: list[str] = []
        self.killed: KilledReplica | None = None
        self.rolled_back_by_restore = False
        self.rollout: Rollout | None = None
        self.prober: Prober | None = None
        self.roll_window = (0.0, 0.0)
        self.during_roll: Window | None = None  # the prober's figures while the rollout ran
        self.kubernetes: HelmRollout | None = None
        self._answered: tuple[Running, AuthObservation] | None = None
        self.carried: CarriedStart | None = None
        self.settings_comparison: tuple[CarryOver, SettingsModel, Path] | None = None
        run.open_scenarios.append(self)

    # -- resources -------------------------------------------------------------------------
    def release(self, alias: str) -> Release:
        """The release behind an alias; its provisioning (install or cache hit) is timed once per scenario."""
        alias = canonical_alias(alias)
        if alias not in self.releases:
            with self.timings.phase(f"provision {alias}"):
                self.releases[alias] = self.run.release(alias)
            if self.run.docker is not None:
                with self.timings.phase(f"image of {alias}"):
                    self.run.image(self.releases[alias])
        return self.releases[alias]

    def versions(self) -> dict[str, dict[str, object]]:
        """What each release of the scenario really is: the evidence for "which versions were tested"."""
        return {
            alias: {
                "version": r.version, "spec": r.spec.requirement, "kind": r.spec.kind, "alembic_head": r.alembic_heads,
                "dependencies_as_of": r.spec.resolved_at, "python": r.info["python"], "venv": str(r.venv),
                "requires_python": r.spec.requires_python, "python_route": r.spec.interpreter.route if r.spec.interpreter else "",
                **({"python_routes_not_taken": list(r.spec.interpreter.tried)} if r.spec.interpreter and r.spec.interpreter.tried else {}),
                **({"image": self.run.image_tags[r.spec.key]} if r.spec.key in self.run.image_tags else {}),
            }
            for alias, r in self.releases.items()
        }

    def measurements(self) -> dict[str, object]:
        """What reports/timings.jsonl keeps of the scenario: what ran where, and each phase's duration."""
        database = self.database
        return {
            "releases": {alias: spec.label for alias, spec in self.run.specs.items()},
            "heads": {alias: ",".join(release.alembic_heads) for alias, release in self.releases.items()},
            "database": database.description if database else "",
            "database_urls": {alias: database.url_for(release).split("://")[0] for alias, release in self.releases.items()} if database else {},
            "driver": self.config.driver,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "phases": self.timings.as_dict(),
        }

    def new_database(self, engine: str) -> Database:
        """A fresh, empty, suite-owned database of the named engine; it becomes the scenario's database."""
        self.database = self._fresh_database(engine, "database")
        return self.database

    def _fresh_database(self, engine: str, directory: str) -> Database:
        """A fresh, empty, suite-owned database ("sqlite" or "postgresql"), released with the scenario."""
        return self._stack.enter_context(self.run.database(engine, self.sandbox.subdir(directory)))

    def environment(self, release: Release, database: Database | None = None) -> dict[str, str]:
        """What a gateway or tool of ``release`` sees, pointed at ``database`` (the scenario's by default)."""
        database = database or self.database
        assert database is not None
        return gateway_environment(release, database.url_for(release), self.run.secrets, self.sandbox.path)

    def _gateway(self, release: Release, database: Database | None = None, carried: dict[str, str] | None = None) -> Gateway:
        """A (not yet started) gateway of ``release`` on ``database`` (the scenario's by default), stopped with the scenario.

        ``carried``: settings kept from an older deployment, passed in its environment.
        """
        database = database or self.database
        if database is None:
            raise SuiteError("a gateway needs a database first")
        name = f"{len(self.gateway_logs) + 1:02d}-{release.spec.alias}-{release.version}".replace(".", "_")
        gateway = self.run.gateway(release, database.url_for(release), self.sandbox.subdir(name), name, carried)
        self.gateway_logs.append(gateway.log_path)
        self._stack.callback(gateway.stop)
        return gateway

    def _connect(self, release: Release, gateway: Gateway) -> Running:
        with self.timings.phase(f"mint token ({release.spec.alias})"):
            token = self.run.token(release, self.environment(release))
        return Running(release, gateway, self._stack.enter_context(GatewayApi(gateway.url, token, self.config.timeouts.request)))

    def start(self, alias: str) -> Running:
        """Start a gateway of ``alias`` on the scenario's database and authenticate to it."""
        release = self.release(alias)
        gateway = self._gateway(release)
        with self.timings.phase(f"start {release.spec.alias}"):
            gateway.start()
        self.current = self._connect(release, gateway)
        return self.current

    def start_together(self, alias: str, count: int) -> list[Running]:
        """Start ``count`` gateways of ``alias`` at the same moment on the scenario's database."""
        if self.current is not None:
            self.stop()
        release = self.release(alias)
        gateways = [self._gateway(release) for _ in range(count)]
        with self.timings.phase(f"start {count} {release.spec.alias} gateways at once"), ThreadPoolExecutor(count) as pool:
            list(pool.map(Gateway.start, gateways))
        self.together = [self._connect(release, gateway) for gateway in gateways]
        self.current = self.together[0]
        return self.together

    def start_together_killing_the_migrator(self, alias: str, count: int) -> KilledReplica | None:
        """Start ``count`` gateways of ``alias`` at once; SIGKILL the one migrating half-way through the chain."""
        assert self.database is not None and self.previous is not None
        release = self.upgraded_to = self.release(alias)
        revisions = chain(release, self.previous.head)
        self.together_gateways = [self._gateway(release) for _ in range(count)]
        with self.timings.phase(f"start {count} {release.spec.alias} gateways at once, kill the migrating one"):
            self.killed, self.together_outcomes = start_killing_the_migrator(
                self.together_gateways, revisions[len(revisions) // 2],
                lambda gateway: self._attempt_start(gateway, f"start one of {count} {release.spec.alias} gateways"),
                self.database.alembic_revisions, self.config.timeouts.gateway_start,
            )
        self.evidence.attach("Gateway killed while it migrated", self.killed.render() if self.killed else "no gateway reached the revision: none killed")
        return self.killed

    def restart_killed(self) -> str:
        """Start the killed gateway again, as an orchestrator restarts a failed pod; connect to every ready one."""
        restart = "not restarted: no gateway was killed"
        if self.killed is not None:
            victim = self.together_gateways[self.killed.index - 1]
            restart = self._attempt_start(victim, f"restart the killed {victim.release.spec.alias} gateway")
            self.together_outcomes[self.killed.index - 1] = restart
        self.together = [self._connect(g.release, g) for g, outcome in zip(self.together_gateways, self.together_outcomes) if outcome == STARTED]
        self.current = self.together[0] if self.together else None
        return restart

    def logs_after_kill(self) -> list[str]:
        """Each gateway's log after the kill: the survivors' whole logs, the restarted gateway's second launch."""
        killed = self.killed.index if self.killed else 0
        return [g.log_since_launch() if index == killed else g.log_text() for index, g in enumerate(self.together_gateways, 1)]

    def start_on_newer_database(self, alias: str) -> tuple[str, list[str]]:
        """Start ``alias`` on the (newer) database without a downgrade; what does it do, and what did it log?"""
        if self.current is not None:
            self.stop()
        release = self.release(alias)
        gateway = self._gateway(release)
        return self._attempt_start(gateway, f"start {release.spec.alias} on the newer database"), gateway.migration_failures()

    def _attempt_start(self, gateway: Gateway, phase: str) -> str:
        """Start a gateway whose refusal is a finding, not a suite error; what it did, in words."""
        try:
            with self.timings.phase(phase):
                gateway.start()
            return STARTED
        except SuiteError as error:
            return "refused to run (exited)" if "exited with status" in str(error) else "never reported healthy"

    def settings_carry_over(self, old_alias: str, new_alias: str) -> tuple[CarryOver, SettingsModel, Path]:
        """Both releases' settings models compared; attached, and saved where the runbook finds it."""
        old, new = self.release(old_alias), self.release(new_alias)
        with self.timings.phase("read both releases' settings models"):
            old_settings, new_settings = self.run.settings(old, old), self.run.settings(new, old)
        carry_over = compare_settings(old_settings, new_settings)
        self.evidence.attach(f"Settings {new.spec.alias} renamed, dropped or refuses", carry_over.render())
        self.evidence.attach(f"Environment with every setting of {old.spec.label}", old_settings.environment, "json")
        self.settings_comparison = (carry_over, old_settings, save_for_runbook(self.config.reports_dir, carry_over))
        return self.settings_comparison

    def start_with_old_settings(self, alias: str, except_refused: bool) -> CarriedStart:
        """Start ``alias`` with every setting the old release reads in its environment, and again without them.

        The second start runs on a copy of the same pre-upgrade data, so the only difference
        between the two startup logs is the old configuration. ``except_refused``: leave out
        the settings the new release's models refuse (what an operator does who read the report).
        """
        assert self.database is not None
        self.stop_and_back_up()
        assert self.previous is not None and self.backup is not None
        new = self.upgraded_to = self.release(alias)
        carry_over, old_settings, _ = self.settings_carry_over(self.previous.spec.alias, alias)
        carried = {name: text for name, text in old_settings.environment.items() if not (except_refused and name in carry_over.refused)}
        gateway = self._gateway(new, carried=carried)
        outcome = self._attempt_start(gateway, f"start {new.spec.alias} with {self.previous.spec.alias}'s settings")
        with self.scratch_database("without-old-settings") as copy:
            copy.restore(self.backup)
            plain = self._gateway(new, copy)
            plain_outcome = self._attempt_start(plain, f"start {new.spec.alias} without them (on a copy)")
            plain.stop()
        if outcome == STARTED:
            self.current = self._connect(new, gateway)
        self.carried = CarriedStart(carry_over, carried, outcome, plain_outcome, gateway.log_text(), plain.log_text())
        return self.carried

    def stop(self) -> Release:
        """Stop the current gateway (graceful, then forced); returns the release that was running."""
        if self.current is None:
            raise SuiteError("no gateway is running")
        running, self.current = self.current, None
        with self.timings.phase(f"stop {running.release.spec.alias}"):
            running.api.close()
            running.gateway.stop()
        return running.release

    def close(self) -> None:
        """Release everything the scenario owns, in reverse order (idempotent)."""
        self.current = None
        self._stack.close()
        if self in self.run.open_scenarios:
            self.run.open_scenarios.remove(self)

    # -- verbs of the Gherkin --------------------------------------------------------------
    def running_with_data(self, alias: str, engine: str, dataset: Dataset) -> None:
        """Given a running <alias> gateway with data on <engine>: a copy of the run's seeded fixture.

        The scenario starts where an operator's upgrade starts: the old release has served the
        data and been stopped. What it served (API snapshot) and left (SQL snapshot) come with it.
        """
        release = self.release(alias)
        if engine == "postgresql" and not self.run.has_postgres:
            with self.timings.phase("start the PostgreSQL server (once per run)"):
                self.run.postgres()
        first = not self.run.has_seeded(release, engine, dataset)
        fixture = self.run.seeded(alias, engine, dataset)
        if first:
            self.timings.add(f"start {release.spec.alias}, seed, stop (fixture, once per run)", fixture.seconds)
        self.new_database(engine)
        with self.timings.phase("copy the seeded database"):
            self.database.copy_from(fixture.database)
        self.previous, self.manifest, self.before_api = release, fixture.manifest, fixture.api_snapshot
        self.gateway_logs.append(fixture.log)
        self._attach_seed()

    def _attach_seed(self) -> None:
        assert self.manifest is not None
        self.evidence.attach("Seeded objects", {"counts": self.manifest.counts, "ids": self.manifest.ids, "tools": self.manifest.tool_names}, "json")
        if self.manifest.credentials_answered is not None and self.previous is not None:
            self.evidence.attach(f"Credentials as {self.previous.spec.label} answered them", self.manifest.credentials_answered.render(), "json")

    def credentials_answers(self) -> tuple[Credentials, AuthObservation]:
        """What users held before, and what the running release answers to it (asked once per gateway)."""
        assert self.current is not None and self.manifest is not None and self.manifest.credentials is not None
        if self._answered is None or self._answered[0] is not self.current:
            with self.timings.phase(f"present credentials to {self.current.release.spec.alias}"):
                seen = observe(self.current.api, self.manifest.credentials)
            self.evidence.attach(f"Credentials as {self.current.release.spec.label} answered them", seen.render(), "json")
            self._answered = (self.current, seen)
        return self.manifest.credentials, self._answered[1]

    def running_populated(self, alias: str, engine: str, dataset: Dataset, scale: int) -> None:
        """Given a running <alias> gateway on a fully populated <engine> database (~``scale`` rows)."""
        self.new_database(engine)
        release = self.release(alias)
        with self.timings.phase(f"bootstrap {release.spec.alias} schema"):
            bootstrap_fresh(release, self.environment(release), self.sandbox.path, self.config.timeouts.migration)
        with self.timings.phase(f"populate ~{scale} rows"):
            report = populate(release, self.environment(release), self.sandbox.path, scale, self.config.timeouts.migration)
        self.evidence.attach(f"Populated at scale {scale} through {release.spec.label}'s models", report, "json")
        running = self.start(alias)
        with self.timings.phase("seed"):
            self.manifest = seed(running.api, self.run.mcp_server().url, dataset, self.run.secrets.admin_password)
        with self.timings.phase("snapshot via API"):
            self.before_api = api_snapshot(running.api)
        self._attach_seed()

    def upgrade(self, target: str, with_alembic: bool) -> None:
        """When I perform the upgrade to <target>: stop, back up, [alembic upgrade head], start."""
        assert self.database is not None
        self.stop_and_back_up()
        release = self.release(target)
        self.upgraded_to = release
        if with_alembic:
            self.migrate(release, None, ("upgrade", "head"), f"alembic upgrade head ({release.spec.alias})", f"alembic upgrade head ({release.spec.label})")
        self.start(target)

    @contextmanager
    def scratch_database(self, name: str) -> Iterator[Database]:
        """A throw-away database of the scenario's engine, released as soon as the block ends."""
        assert self.database is not None
        with self.run.database(self.database.engine_name, self.sandbox.subdir(f"scratch/{name}")) as database:
            yield database

    def migrations(self, release: Release, database: Database | None = None) -> Migrations:
        """``release``'s Alembic pointed at ``database`` (the scenario's by default)."""
        return self.run.migrations(release, self.environment(release, database), self.sandbox.path)

    def migrate(self, release: Release, database: Database | None, arguments: tuple[str, ...], phase: str, title: str) -> AlembicRun:
        """An Alembic step of a procedure: timed as ``phase``, attached as ``title``; a failed run fails the step."""
        with self.timings.phase(phase):
            run = self.migrations(release, database).run(*arguments)
        self.evidence.attach(title, run.render())
        if not run.ok:
            raise AssertionError(f"{title} failed with exit {run.exit_code}: {run.output.strip().splitlines()[-1:]}")
        return run

    @staticmethod
    def state(database: Database) -> tuple[dict[str, str], Snapshot]:
        """Schema and data of a database, for comparing two ways of reaching the same revision."""
        with database.engine() as engine:
            return describe(engine), sql_snapshot(engine)

    def compare_states(self, reference: tuple[dict[str, str], Snapshot], candidate: tuple[dict[str, str], Snapshot], title: str) -> tuple[SchemaDiff, SnapshotDiff, Checklist]:
        """Schema (exact), every pre-existing row, and row counts per table.

        Rows a migration generates get new random ids each time, so those are compared by count.
        """
        assert self.before_sql is not None and self.previous is not None
        (ref_schema, ref_data), (schema, data) = reference, candidate
        newest = self.upgraded_to or (self.current.release if self.current else self.previous)
        expectations = [e for e in expected_transformations(self.previous.version, newest.version) if getattr(e, "rule", "") == "moves forward in time"]
        counts = Checklist(f"Row counts per table, {title}")
        for table, count in ref_data.counts().items():
            counts.check(table, data.counts().get(table) == count, f"{count} vs {data.counts().get(table)}")
        data_diff = diff(restricted(ref_data, self.before_sql), restricted(data, self.before_sql), expectations)
        return compare(ref_schema, schema, f"Schema, {title}"), data_diff, counts

    def compare_with_path_through(self, via: str) -> tuple[SchemaDiff, SnapshotDiff, Checklist]:
        """The pre-upgrade backup migrated through ``via`` first, against the direct migration.

        Both stop at the migration (no gateway start), so what differs is the migration chain:
        the schema, every pre-existing row (rows a migration generates get new random ids on each
        path, so those are compared by count per table).
        """
        assert self.database is not None and self.backup is not None and self.current and self.previous
        stops = [self.release(via), self.current.release]
        direct = self.clean_upgrade(self.current.release)
        with self.scratch_database(f"through-{stops[0].spec.alias}") as copy:
            copy.restore(self.backup)
            for release in stops:
                self.migrate(release, copy, ("upgrade", "head"), f"alembic upgrade head ({release.spec.alias}, path through {via})",
                             f"alembic upgrade head ({release.spec.label}, path through {via})")
            through = self.state(copy)
        return self.compare_states(direct, through, f"{self.previous.spec.alias} -> {stops[1].spec.alias} directly vs through {via}")

    # -- migration experiments (UPG-07, US-2, revision walk) -------------------------------
    def stop_and_back_up(self) -> None:
        """Stop the running (old) release and record the data as it is: the start of every experiment."""
        assert self.database is not None
        if self.current is not None:
            self.previous = self.stop()
        with self.timings.phase("back up database"):
            self.backup = self.database.backup("pre-upgrade")
        with self.timings.phase("snapshot via SQL"), self.database.engine() as engine:
            self.before_sql = sql_snapshot(engine)

    def clean_upgrade(self, target: Release) -> tuple[dict[str, str], Snapshot]:
        """The pre-upgrade backup migrated once, uninterrupted: the state every retry must reach."""
        assert self.backup is not None
        with self.scratch_database("clean") as copy:
            copy.restore(self.backup)
            self.migrate(target, copy, ("upgrade", "head"), f"clean alembic upgrade head ({target.spec.alias})", f"Clean alembic upgrade head ({target.spec.label})")
            self.migrated = self.state(copy)
        return self.migrated

    def interrupt_and_retry(self, target: Release, database: Database, revision: str, point: str) -> Outcome:
        """Kill ``target``'s upgrade of ``database`` at ``point`` of ``revision`` ("start" or "inside"), then retry it."""
        assert self.migrated is not None
        migrations = self.migrations(target, database)
        killed = interrupted_upgrade(migrations, revision, point)
        left_at = database.alembic_revisions()
        retry = migrations.upgrade("head")
        at_head = database.alembic_revisions() == [target.head]
        problems: list[str] = []
        if retry.ok:
            schema, data, counts = self.compare_states(self.migrated, self.state(database), f"interrupted at {revision} vs clean")
            problems = schema.lines + data.problems() + counts.problems()
        kill_line = next((line for line in killed.output.splitlines() if line.startswith("# suite: SIGKILL")), "")
        return Outcome(revision, kill_line, left_at, retry, at_head, problems)

    def interrupt_each_revision(self, alias: str, point: str) -> list[Outcome]:
        """UPG-07 (b): for every revision of the chain, a fresh copy interrupted at ``point`` of it and retried."""
        assert self.previous is not None and self.backup is not None
        target = self.release(alias)
        self.upgraded_to = target
        self.clean_upgrade(target)
        outcomes = []
        revisions = chain(target, self.previous.head)
        with self.timings.phase(f"interrupt ({point}) and retry at each of {len(revisions)} revisions"):
            for index, revision in enumerate(revisions, 1):
                with self.scratch_database(f"interrupt-{index:02d}") as copy:
                    copy.restore(self.backup)
                    outcomes.append(self.interrupt_and_retry(target, copy, revision, point))
        return outcomes

    def partially_apply(self, alias: str) -> AlembicRun:
        """The plan's UPG-07 set-up: ``alias``'s upgrade killed half-way through its chain, on the real database."""
        assert self.previous is not None and self.database is not None
        target = self.release(alias)
        self.upgraded_to = target
        self.clean_upgrade(target)
        revisions = chain(target, self.previous.head)
        run = interrupted_upgrade(self.migrations(target, self.database), revisions[len(revisions) // 2], "inside")
        self.evidence.attach(f"Interrupted alembic upgrade head ({target.spec.label})", run.render())
        if "SIGKILL" not in run.output:
            raise AssertionError(f"the upgrade finished before it could be interrupted at {revisions[len(revisions) // 2]}")
        return run

    def migrate_again(self) -> tuple[AlembicRun, tuple[dict[str, str], Snapshot]]:
        """Stop the gateway if one runs, and run the newer release's ``alembic upgrade head`` once more.

        Returns the run and the database's state just before it (to show nothing changed).
        """
        assert self.database is not None and self.upgraded_to is not None
        if self.current is not None:
            self.stop()
        before = self.state(self.database)
        with self.timings.phase(f"alembic upgrade head again ({self.upgraded_to.spec.alias})"):
            run = self.migrations(self.upgraded_to, self.database).upgrade("head")
        self.evidence.attach(f"alembic upgrade head, again ({self.upgraded_to.spec.label})", run.render())
        return run, before

    def walk_revisions(self, alias: str) -> list[WalkStep]:
        """Every revision up one at a time, then back down one at a time, on the data."""
        assert self.previous is not None and self.database is not None
        target = self.release(alias)
        revisions = chain(target, self.previous.head)
        steps = [("up", r) for r in revisions] + [("down", r) for r in reversed(revisions[:-1])] + [("down", self.previous.head)]
        migrations = self.migrations(target, self.database)
        with self.timings.phase(f"walk {len(revisions)} revisions up and down"):
            return walk(target, migrations.environment, self.sandbox.path, steps, self.config.timeouts.migration)

    def hidden_from_admin(self, kind: str, row: dict[str, Any]) -> bool:
        """Whether the running release deliberately does not show ``row`` to the admin (a declared loss)."""
        assert self.previous is not None and self.current is not None
        losses = [e for e in expected_transformations(self.previous.version, self.current.release.version) if isinstance(e, ExpectedLoss)]
        return any(e.explains("api", kind, row, self.run.secrets.admin_email) for e in losses)

    def create_after_upgrade(self) -> None:
        """Objects made on the new release (what a rollback does to them is part of the verdict)."""
        assert self.current is not None
        with self.timings.phase(f"create objects on {self.current.release.spec.alias}"):
            self.made_after_upgrade = create_marked(self.current.api, f"made on {self.current.release.spec.alias}")
        self.evidence.attach(f"Objects created on {self.current.release.spec.alias}", self.made_after_upgrade, "json")

    def rollback(self, target: str, by_restore: bool) -> None:
        """Stop the new release, take the database back (downgrade or restore), start ``target``."""
        assert self.database is not None and self.backup is not None
        newer = self.stop()
        release = self.release(target)
        if by_restore:
            with self.timings.phase("restore pre-upgrade backup"):
                self.database.restore(self.backup)
        else:
            self.migrate(newer, None, ("downgrade", release.head), f"alembic downgrade {release.head} ({newer.spec.alias})",
                         f"alembic downgrade {release.head} ({newer.spec.label})")
        self.rolled_back_by_restore = by_restore
        self.upgraded_to = newer
        self.start(target)

    def data_diffs(self) -> list[SnapshotDiff]:
        """API and SQL diffs of now against before the upgrade, with the declared transformations.

        After an upgrade, the pair's own; after a rollback by downgrade, those of the upgrade that was
        undone (its data changes stay); after a restore, only runtime ones (the data is the backup).
        """
        assert self.current and self.previous and self.before_api and self.before_sql and self.database
        newest = self.upgraded_to if self.upgraded_to and not self.rolled_back_by_restore else self.current.release
        expectations = expected_transformations(self.previous.version, newest.version)
        with self.timings.phase("snapshot and compare"):
            after_api = api_snapshot(self.current.api)
            with self.database.engine() as engine:
                after_sql = sql_snapshot(engine)
        self.evidence.attach("SQL snapshot before upgrade (row counts)", self.before_sql.counts(), "json")
        self.evidence.attach("SQL snapshot after upgrade (row counts)", after_sql.counts(), "json")
        self.evidence.attach("Declared transformations for this pair", "\n".join(e.render() for e in expectations) or "(none)")
        viewer = self.run.secrets.admin_email
        return [diff(self.before_api, after_api, expectations, viewer), diff(self.before_sql, after_sql, expectations)]

    def backup_diff(self) -> SnapshotDiff:
        """The pre-upgrade backup against the data as it was when the old release stopped."""
        assert self.backup and self.before_sql and self.database
        with self.scratch_database("backup-check") as copy:
            with self.timings.phase("restore backup into a scratch database"):
                copy.restore(self.backup)
            with copy.engine() as engine:
                return diff(self.before_sql, sql_snapshot(engine))

    def fresh_schema(self, release: Release) -> dict[str, str]:
        """The schema of a fresh install of ``release`` on this scenario's engine.

        Made once per release artifact and engine version, then kept in the cache directory
        (a fresh install of the same artifact is the same schema).
        """
        assert self.database is not None
        engine_name = self.database.engine_name
        if engine_name == "postgresql":
            engine_name += "-" + self.run.postgres().version
        key = (release.spec.key, engine_name)
        cached = self.config.cache_dir / "fresh-schemas" / f"{release.version}-{release.spec.key}-{engine_name}.json"
        if key not in self.run.fresh_schemas and cached.exists():
            self.run.fresh_schemas[key] = json.loads(cached.read_text())
        if key not in self.run.fresh_schemas:
            with self.scratch_database(f"fresh-{release.spec.alias}") as scratch:
                with self.timings.phase(f"fresh install of {release.spec.alias} for schema parity"):
                    self.run.fresh_schemas[key] = fresh_install(release, scratch, self.environment(release, scratch), self.sandbox.path, self.config.timeouts.migration)
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(json.dumps(self.run.fresh_schemas[key], indent=1, sort_keys=True))
        return self.run.fresh_schemas[key]

    def schema_parity(self) -> SchemaDiff:
        """This database's schema against a fresh install of the release it is now at."""
        assert self.database is not None and self.current is not None
        release = self.current.release
        return parity(self.database, self.fresh_schema(release), release)

    # -- UPG-06: rolling upgrade -------------------------------------------------------------
    def replicas_with_data(self, alias: str, engine: str, count: int, dataset: Dataset) -> Rollout:
        """Given <count> <alias> replicas with data behind a load balancer, on one database; backed up first."""
        self.running_with_data(alias, engine, dataset)
        self.stop_and_back_up()
        balancer = self._stack.enter_context(HAProxyBalancer(self.sandbox.subdir("balancer"), 2 * count, self.config.timeouts.gateway_start))
        self.gateway_logs.append(balancer.log_path)
        self.rollout = Rollout(balancer, self._start_replica, self.config.timeouts.gateway_start, self.config.timeouts.drain)
        with self.timings.phase(f"start {count} {alias} replicas behind HAProxy"):
            self.rollout.bring_up(self.release(alias), count)
        return self.rollout

    def _start_replica(self, release: Release) -> Gateway:
        gateway = self._gateway(release)
        gateway.start()
        return gateway

    def steady_traffic(self, cycle: tuple[str, ...]) -> Prober:
        """Start the prober (requests of ``cycle``) through the balancer or the cluster's Service; record a baseline."""
        settings, t = self.config.rollout, self.config.timeouts
        if self.kubernetes:
            url, token = str(settings.kube_url), str(settings.kube_token)
        else:
            assert self.rollout is not None and self.previous is not None
            url, token = self.rollout.balancer.url, self.run.token(self.previous, self.environment(self.previous))
        bound = t.migration + (settings.replicas + 1) * (t.gateway_start + t.drain) + BASELINE_SECONDS + TAIL_SECONDS
        self.prober = self._stack.enter_context(Prober(url, token, settings.probe_rate, bound, t.request, cycle))
        with self.timings.phase(f"probe baseline ({BASELINE_SECONDS} s)"):
            self.prober.wait_for(int(settings.probe_rate * BASELINE_SECONDS), t.request + BASELINE_SECONDS * 2)
        return self.prober

    def roll(self, target: str, strategy: str) -> None:
        """When the replicas are replaced by <target> ones: migrate first, then the strategy; probe throughout."""
        assert self.rollout is not None and self.prober is not None
        release = self.release(target)
        self.upgraded_to = release
        started = time.monotonic()
        with self.timings.phase(f"{strategy} rollout to {release.spec.alias}"):
            self.rollout.roll(release, strategy, lambda: self.migrate(
                release, None, ("upgrade", "head"), f"alembic upgrade head ({release.spec.alias})", f"alembic upgrade head ({release.spec.label})"))
        self._finish_probing(started, self.rollout.events, self.rollout.versions())
        self.current = self._connect(release, self.rollout.live()[-1].gateway)

    def helm_upgrade(self, target: str) -> None:
        """When the Helm release is upgraded to <target>: the plan's command against the configured cluster."""
        assert self.kubernetes is not None and self.prober is not None
        release = self.release(target)
        started = time.monotonic()
        with self.timings.phase(f"helm rolling upgrade to {release.spec.alias}"):
            transcript = self.kubernetes.run(release.version, int(self.config.timeouts.gateway_start * (self.config.rollout.replicas + 1)))
        self.evidence.attach("helm upgrade and kubectl rollout status", transcript)
        self._finish_probing(started, [(started, f"helm upgrade to {image_tag(release.version)}")], {})

    def _finish_probing(self, started: float, events: list[tuple[float, str]], versions: dict[str, str]) -> None:
        """Probe a short tail after the rollout, stop, and attach the record, the picture and the figures."""
        assert self.prober is not None
        ended = time.monotonic()
        self.roll_window = (started, ended)
        self.prober.wait_for(len(self.prober.snapshot()) + int(self.config.rollout.probe_rate * TAIL_SECONDS), self.config.timeouts.request + TAIL_SECONDS * 2)
        self.prober.stop()
        records, origin = self.prober.records, self.prober.started_at
        self.during_roll = Window.of("during the rollout", records, started, ended)
        windows = [Window.of("before the rollout", records, origin, started), self.during_roll, Window.of("after the rollout", records, ended, self.prober.stopped_at)]
        self.evidence.attach("Probe summary", {
            "rate_per_s": self.config.rollout.probe_rate, "rollout_seconds": round(ended - started, 2), "windows": [vars(w) for w in windows],
            "served_by_version": served_by_version(records, versions),
            "events": [(round(at - origin, 3), text) for at, text in events], "cleanup_failures": self.prober.cleanup_failures,
        }, "json")
        self.evidence.attach("Probe record (every request)", to_csv(records, origin), "csv")
        self.evidence.attach_png("Rollout timeline", timeline_png(records, versions, events, origin, f"Requests through the balancer, {len(records)} sent"))

    def attach_logs(self) -> None:
        """Attach every gateway log of the scenario (called for failed scenarios)."""
        for log in self.gateway_logs:
            self.evidence.attach_file(f"Gateway log {log.stem}", log)
