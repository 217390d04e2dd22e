"""The run: what lives for a whole behave run and is shared by its scenarios.

Configuration, resolved releases and their venvs, the shared secrets, the MCP server fixture, the
PostgreSQL server, the seeded fixtures scenarios copy, and the one place that picks the driver
(process or docker) for gateways and Alembic runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from upgrade_suite.base.config import SuiteConfig, canonical_alias
from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.progress import console
from upgrade_suite.base.sandbox import remove_owned
from upgrade_suite.client.api import GatewayApi, Routes, mint_token
from upgrade_suite.client.dataset import Dataset, SeedManifest, seed
from upgrade_suite.client.serving import wait_serving
from upgrade_suite.judging.carryover import SettingsModel, read_settings, values_to_try
from upgrade_suite.judging.model_facts import ModelFacts
from upgrade_suite.judging.snapshots import Snapshot, api_snapshot
from upgrade_suite.releases.images import GatewayImages
from upgrade_suite.releases.interpreters import Interpreters
from upgrade_suite.releases.pypi import PyPIReleases
from upgrade_suite.releases.specs import Release, ReleaseSpec, assign_interpreter, resolve, resolve_all
from upgrade_suite.releases.venvs import ReleaseCache, writable_cache
from upgrade_suite.services import leftovers
from upgrade_suite.services.database import Database, PostgresServer, new_database
from upgrade_suite.services.docker_driver import DockerGateway
from upgrade_suite.services.engine import DockerEngine
from upgrade_suite.services.gateway import Gateway, GatewaySecrets, ProcessGateway, gateway_environment
from upgrade_suite.services.mcp_fixture import McpServerFixture
from upgrade_suite.services.migrations import ContainerMigrations, Migrations


class OpenScenario(Protocol):
    """What the run needs of a scenario an interrupt left open: a way to close it."""

    def close(self) -> None: ...


class SuiteRun:
    """Run-wide state, created in ``before_all`` after the configuration is validated."""

    def __init__(
        self, config: SuiteConfig, used: Collection[str] | None = None, versions: Collection[str] = ()
    ) -> None:
        """``used``: the aliases the selected scenarios name (None: all); only theirs get an interpreter now.
        ``versions``: PyPI versions they name directly (1.0.7), resolved here too, so an unknown one stops the run."""
        self.config = config
        writable_cache(config.cache_dir)
        self.work_root = config.reports_dir / "work" / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        self.docker: DockerEngine | None = None
        if config.driver == "docker":  # no engine: fail now, with how to start one
            self.docker = DockerEngine(self.work_root.name, config.timeouts.request * 2)
            self._images = GatewayImages(self.docker.client, config.cache_dir, config.timeouts.install)
        self.image_tags: dict[str, str] = {}  # release key -> the image its gateways ran from (docker driver)
        for line in leftovers.clean(
            config.reports_dir / "work", docker=self.docker.client if self.docker else None
        ).lines():
            console.print(f"[yellow]{line}[/yellow]")
        # Every release's interpreter is chosen here, before any work; a build from source waits for provisioning.
        interpreters = Interpreters(config.cache_dir, config.timeouts.install, given=config.python)
        self.index = PyPIReleases(config.cache_dir, config.timeouts.request)
        self._interpreters = interpreters
        self.specs: dict[str, ReleaseSpec] = resolve_all(
            config.releases, config.resolved_at, self.index, interpreters, used
        )
        for version in sorted(versions):
            self.add_release(version)
        self._cache = ReleaseCache(config.cache_dir, config.timeouts.install, interpreters)
        console.print(
            "Releases: " + ", ".join(spec.label for spec in self.specs.values())
        )  # latest is resolved once, here
        for spec in self.specs.values():
            if spec.interpreter is not None and spec.interpreter.kind != "suite":
                console.print(
                    f"[dim]{spec.label} (Requires-Python {spec.requires_python}) runs on {spec.interpreter.route}[/dim]"
                )
        self._releases: dict[str, Release] = {}
        self.secrets = GatewaySecrets()
        self._stack = ExitStack()
        self._mcp: dict[str, McpServerFixture] = {}
        self._postgres: PostgresServer | None = None
        self.fresh_schemas: dict[tuple[str, str], dict[str, str]] = {}
        self.models: dict[str, ModelFacts] = {}  # release key -> what its SQLAlchemy models expect
        self._tokens: dict[str, str] = {}
        self._routes: dict[str, Routes] = {}
        self._fixtures: dict[tuple[str, str, str], SeededFixture] = {}
        self._seed_failures: dict[tuple[str, str, str], AssertionError | SuiteError] = {}
        self._settings: dict[tuple[str, str], SettingsModel] = {}
        if config.postgres_url:
            self._postgres = self._stack.enter_context(PostgresServer(config.postgres_url))  # unreachable: fail now
        # Made last: a run refused at start leaves no run directory for the next run to take for a crashed one.
        self.work_root.mkdir(parents=True, exist_ok=True)
        (self.work_root / ".gateway-upgrade-suite").write_text(f"pid={os.getpid()}\n")
        self.open_scenarios: list[OpenScenario] = []

    def alias(self, name: str) -> str:
        """The canonical name of a release of the run: a version the matrix added, or a suite alias."""
        return name if name in self.specs else canonical_alias(name)

    def add_release(self, version: str) -> ReleaseSpec:
        """A PyPI version the matrix judges, added under its own name (``1.0.10``) with its interpreter."""
        if version not in self.specs:
            self.specs[version] = assign_interpreter(resolve(version, version, self.index), self._interpreters)
        return self.specs[version]

    def release(self, alias: str) -> Release:
        """The provisioned release behind an alias (installed on first use, then reused)."""
        alias = self.alias(alias)
        if alias not in self._releases:
            self._releases[alias] = self._cache.provision(self.specs[alias])
        return self._releases[alias]

    def image(self, release: Release) -> str:
        """The container image of ``release`` (docker driver): upstream's, or built here once and cached."""
        if self.docker is None:
            raise SuiteError("a container image is for the docker driver only (-D driver=docker)")
        if release.spec.key not in self.image_tags:
            self.image_tags[release.spec.key] = self._images.image_for(release)
        return self.image_tags[release.spec.key]

    def gateway(
        self, release: Release, database_url: str, workdir: Path, name: str, carried: dict[str, str] | None = None
    ) -> Gateway:
        """A (not yet started) gateway of ``release`` run by the configured driver: the one place that picks it."""
        timeouts = self.config.timeouts
        if self.docker is not None:
            return DockerGateway(
                self.docker,
                self.image(release),
                release,
                database_url,
                workdir,
                name,
                self.secrets,
                timeouts.gateway_start,
                timeouts.gateway_stop,
                carried,
            )
        return ProcessGateway(
            release, database_url, workdir, name, self.secrets, timeouts.gateway_start, timeouts.gateway_stop, carried
        )

    def migrations(self, release: Release, environment: dict[str, str], workdir: Path) -> Migrations:
        """``release``'s Alembic: from its venv (process driver) or a one-off container of its image (docker driver)."""
        if self.docker is not None:
            return ContainerMigrations(
                release, environment, workdir, self.config.timeouts.migration, self.docker, self.image(release)
            )
        return Migrations(release, environment, workdir, self.config.timeouts.migration)

    def mcp_server(self, wait: bool = True, catalogue: str = "tools") -> McpServerFixture:
        """The run's MCP server fixture of ``catalogue`` (``probes/mcp_server.py``), started on first use
        (``wait=False``: launched, maybe not up yet)."""
        if catalogue not in self._mcp:
            name = "mcp-server.log" if catalogue == "tools" else f"mcp-server-{catalogue}.log"
            self._mcp[catalogue] = server = McpServerFixture(self.work_root / name, catalogue=catalogue)
            self._stack.callback(server.__exit__)
            server.launch()
        if wait:
            self._mcp[catalogue].wait()
        return self._mcp[catalogue]

    def token(self, release: Release, environment: dict[str, str]) -> str:
        """An admin token minted by the release's own tool, once per release per run (valid 4 h)."""
        if release.spec.key not in self._tokens:
            self._tokens[release.spec.key] = mint_token(
                release, environment, self.secrets.admin_email, self.secrets.jwt_secret
            )
        return self._tokens[release.spec.key]

    def api(self, release: Release, url: str, token: str) -> GatewayApi:
        """An API client of a gateway of ``release``; where the release serves its REST paths is a fact of
        the release, read from the first of its gateways' OpenAPI documents and reused for the others."""
        api = GatewayApi(url, token, self.config.timeouts.request, self._routes.get(release.spec.key))
        self._routes.setdefault(release.spec.key, api.routes)
        return api

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
            directory = (
                self.work_root / "fixtures" / f"{release.spec.alias}-{engine}-{dataset.fingerprint}"
            )  # one database per dataset
            with ExitStack() as owned:
                database = owned.enter_context(self.database(engine, directory))
                name = f"seed-{release.spec.alias}-{release.version}".replace(".", "_")
                gateway = self.gateway(release, database.url_for(release), directory, name)
                started = time.monotonic()
                self.mcp_server(wait=False)  # comes up while the gateway starts
                try:
                    with gateway:
                        token = self.token(
                            release, gateway_environment(release, database.url_for(release), self.secrets, directory)
                        )
                        with self.api(release, gateway.url, token) as api:
                            wait_serving(api, gateway, self.config.timeouts.gateway_start)
                            manifest = seed(api, self.mcp_server().url, dataset, self.secrets.admin_password)
                            before_api = api_snapshot(api)
                except (AssertionError, SuiteError) as error:
                    self._seed_failures[key] = error
                    raise
                self._stack.push(owned.pop_all())  # seeded: the run owns the database from now on
            self._fixtures[key] = SeededFixture(
                release, database, manifest, before_api, gateway.log_path, time.monotonic() - started
            )
        return self._fixtures[key]

    def settings(self, release: Release, carried_from: Release) -> SettingsModel:
        """What ``release``'s settings models read, and which of ``carried_from``'s settings and accepted values it
        refuses (once a run): ``carried_from``'s environment at its defaults, its edge values, and the values just
        beyond ``release``'s bounds that ``carried_from`` accepts (three probe runs: ``release`` alone,
        ``carried_from`` with its edges and asked about those values, ``release`` asked about both)."""
        key = (release.spec.key, carried_from.spec.key)
        if key not in self._settings:
            timeout = self.config.timeouts.migration
            if carried_from is release:
                self._settings[key] = read_settings(release, timeout)
            else:
                new = self.settings(release, release)
                old = read_settings(carried_from, timeout, None, new.outside, edges=True)
                self._settings[(carried_from.spec.key, carried_from.spec.key)] = old
                tried = values_to_try(old, old.edges_refused, new.outside)
                self._settings[key] = read_settings(release, timeout, old.environment, tried)
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
        if (
            self.docker is not None
        ):  # each gateway and one-off removes its own; this catches what an interrupt cut short
            for container in self.docker.remove_run():
                console.print(f"[yellow]removed a container the run left: {container}[/yellow]")
        if self.work_root.exists():
            leftovers.mark_closed(self.work_root)
        kept = (
            [
                p
                for p in self.work_root.iterdir()
                if p.name not in {".gateway-upgrade-suite", "mcp-server.log", "fixtures"}
            ]
            if self.work_root.exists()
            else []
        )
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
