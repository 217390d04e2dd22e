"""Consequences proven on the running release: an operation a schema difference may change, run on a copy of the
upgraded database and on a copy of a fresh install of the same release seeded with the same objects.

The triage (``judging/triage.py``) can only say that a foreign key's ON DELETE differs; whether deleting a
federated gateway then leaves its tools, prompts and resources behind, is refused, or ends the same because the
release removes the dependants itself, only the release can answer. Two gateways are deleted on each side: the
seeded one, whose rows the old release wrote and the migration carried (tools only: the seeded MCP server serves
no more), and one the target release registers on the copy from an MCP server that serves a tool, a prompt and a
resource, so every table that references a gateway holds a row of it. Copies, so the scenario's own database is
not touched; the fresh side is the run's seeded fixture of the target release (made once a run). On the same
started gateways the workload (``client/workload.py``) then runs one script of user operations on both sides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, inspect, text

from upgrade_suite.client.api import ApiError, GatewayApi, object_path
from upgrade_suite.client.asking import Looker, Observation
from upgrade_suite.client.dataset import FIXTURE_GATEWAY, Dataset
from upgrade_suite.client.people import ENVIRONMENT, PERSON, PROVIDER, TEAM
from upgrade_suite.client.workload import run_workload
from upgrade_suite.judging.model_facts import ModelFacts
from upgrade_suite.judging.operations import OperationProbe, Outcome, Probes
from upgrade_suite.judging.plans import ECHO, PlannedQuery, QueryPlans, explain, naming, statements
from upgrade_suite.judging.row_probes import WriteProbe, WriteProbes, row_operations, unbuilt
from upgrade_suite.judging.row_writes import write
from upgrade_suite.judging.schema import SchemaDiff
from upgrade_suite.judging.sides import parse_key
from upgrade_suite.judging.triage import BREAKS, Triage
from upgrade_suite.judging.workload import WorkloadComparison
from upgrade_suite.lab import phases
from upgrade_suite.lab.core import Core
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.database import Database

#: The tables whose rows reference a federated gateway (their ``gateway_id``): what its deletion may remove.
DEPENDANTS = ("tools", "prompts", "resources")
#: The gateway the target registers on each copy, from the MCP server with a tool, a prompt and a resource.
PROBE_GATEWAY = "upgrade-probe-full"
#: The state the workload's deletions leave in the database: rows per table still naming a deleted person (in the
#: columns that reference a user: foreign keys to email_users(email) on one side or both, and the user's own row), a
#: deleted team (its ``team_id`` columns) or a deleted SSO provider (``provider_id``). What the API lists after a
#: deletion cannot show a row left pointing at nobody; a foreign key's ON DELETE decides it. Each is compared as
#: "rows naming <what the workload deleted>".
NAMING = {
    PERSON: frozenset(
        {
            "email",
            "user_email",
            "owner_email",
            "created_by",
            "invited_by",
            "granted_by",
            "revoked_by",
            "approved_by",
            "reviewed_by",
        }
    ),
    TEAM: frozenset({"team_id"}),
    PROVIDER: frozenset({"provider_id"}),
}
DELETIONS = (
    f"deleting the migrated federated gateway {FIXTURE_GATEWAY!r}",
    f"deleting a federated gateway the new release registers, with tools, a prompt and a resource ({PROBE_GATEWAY!r})",
)


@dataclass(frozen=True)
class Side:
    """What one database gave: each gateway deletion's outcome, the workload's answers and the state it left, and the
    plans it makes for the statements the release ran on the upgraded database (with its index names)."""

    deletions: list[Outcome]
    observations: list[Observation]
    state: dict[str, list[str]]
    statements: list[str]
    plans: list[str]
    index_names: dict[str, str]
    every_statement: list[str]  # what the release read and wrote on this side (empty where it did not log)


class Consequences:
    """Operations on both databases, built on the core's verbs; both sides are run once a scenario, on first ask."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._sides: tuple[Side, Side] | None = None
        self._target = ""  # the release both sides ran, as reports name it (its gateway is stopped by then)

    def delete_federated_gateways(self) -> Probes:
        """Both gateways deleted through the API on both databases; what each answers and leaves."""
        upgraded, fresh = self._both()
        label = self.core.need_database().label
        probes = Probes(
            f"Deleting a federated gateway ends as on a fresh {self._target} install",
            [
                OperationProbe(what, self._target, mine, theirs)
                for what, mine, theirs in zip(DELETIONS, upgraded.deletions, fresh.deletions, strict=True)
            ],
        )
        self.core.history.consequences += [f"proven on {label}: {probe.sentence()}" for probe in probes.probes]
        return probes

    def workload(self) -> WorkloadComparison:
        """The workload's answers and end state on both databases."""
        upgraded, fresh = self._both()
        compared = WorkloadComparison(
            self._target, upgraded.observations, fresh.observations, upgraded.state, fresh.state
        )
        label = self.core.need_database().label
        self.core.history.consequences += [f"proven on {label}: {problem.text}" for problem in compared.findings()]
        return compared

    def query_plans(self) -> QueryPlans:
        """The statements the release ran in the workload on the upgraded database, planned on both databases."""
        upgraded, fresh = self._both()
        plans = QueryPlans(
            self._target,
            [
                PlannedQuery(statement, mine, theirs)
                for statement, mine, theirs in zip(upgraded.statements, upgraded.plans, fresh.plans, strict=True)
            ],
            upgraded.index_names,
            fresh.index_names,
        )
        label = self.core.need_database().label
        self.core.history.consequences.append(f"measured on {label}: {plans.summary()}")
        return plans

    def lacking_met(self, consequences: Triage) -> list[str]:
        """Each "breaks" line (what the upgraded database lacks and the release maps) with how many statements the
        release ran in the workload on the upgraded database name it: whether these operations meet it at all."""
        upgraded, _ = self._both()
        ran, found = upgraded.every_statement, []
        for consequence in consequences.of(BREAKS):
            kind, table, column = parse_key(consequence.difference.keys[0])
            met = naming(ran, table, column if kind == "column" else "")
            said = "; the workload's operations never meet it" if not met else ""
            found.append(
                f"{consequence.difference.text}: named by {met} of the {len(ran)} statements {self._target} ran in the "
                f"workload on the upgraded database{said}"
            )
        label = self.core.need_database().label
        self.core.history.consequences += [f"measured on {label}: breaks, {line}" for line in found]
        return found

    def unreached_writes(
        self, release: Release, diff: SchemaDiff, consequences: Triage, model: ModelFacts
    ) -> WriteProbes:
        """The writes built from the differences on tables no user operation reaches, each done on the upgraded
        database and on the run's fresh fixture of the same release, in transactions rolled back (what the release's
        ``model`` never writes left out; SQLite's foreign keys enforced as the release has them)."""
        core = self.core
        if core.current is not None:
            core.stop()  # a write beside the release's own could wait on its lock
        database = core.need_database()
        fixture = core.run.seeded(release.spec.alias, database.engine_name, Dataset())
        built = row_operations(diff, consequences.consequences, model)
        probes, enforced = [], model.sqlite_foreign_keys is not False
        with core.timings.phase(phases.WRITES_IN_SQL), database.engine() as mine, fixture.database.engine() as theirs:
            for operation in built:
                ended = [write(engine, operation, enforced) for engine in (mine, theirs)]
                probes.append(WriteProbe(operation, release.spec.label, *ended))
        verdict = WriteProbes(release.spec.label, probes, unbuilt(consequences.consequences, built))
        self.core.history.consequences += [
            f"proven in SQL on {database.label}: {problem.text}" for problem in verdict.findings()
        ]
        return verdict

    def _both(self) -> tuple[Side, Side]:
        if self._sides is None:
            core = self.core
            release = core.need_current().release
            self._target = release.spec.label
            core.stop()  # a database is copied at rest
            upgraded = self._on_copy(core.need_database(), release, "upgraded")
            fixture = core.run.seeded(release.spec.alias, core.need_database().engine_name, Dataset())
            self._sides = (upgraded, self._on_copy(fixture.database, release, "fresh", upgraded.statements))
        return self._sides

    def _on_copy(self, source: Database, release: Release, side: str, logged: list[str] | None = None) -> Side:
        """The deletions and the workload on a copy of ``source``; the release logs its statements on the first side
        (``logged`` None), and the statements ``logged`` there are planned on each."""
        core = self.core
        full = core.run.mcp_server(catalogue="full")
        with core.scratch_database(f"probe-{side}") as copy:
            copy.copy_from(source)
            gateway = core.gateway(release, copy, {**ENVIRONMENT, **(ECHO if logged is None else {})})
            try:
                with core.timings.phase(phases.probe_operation("delete the federated gateways", side)):
                    gateway.start()
                    api = core.connect(release, gateway).api
                    deletions = _deletions(api, copy, full.url)
                with core.timings.phase(phases.probe_operation("run the workload", side)):
                    look = _looker(copy)
                    workload = run_workload(api, full.url, look)
                    state = workload.state()
                    for label, (named, value) in workload.traces().items():
                        state[f"rows naming {label}"] = look(named, value)
            finally:
                gateway.stop()  # before its database goes
            with core.timings.phase(phases.probe_operation("plan the release's statements", side)):
                log = gateway.log_text() if logged is None else ""
                ran = statements(log) if logged is None else logged
                with copy.engine() as engine:
                    plans, names = [explain(engine, statement) for statement in ran], _index_names(engine)
        every = statements(log, every=True)  # what it read and wrote: none where it did not log
        return Side(deletions, workload.observations, state, ran, plans, names, every)


def _deletions(api: GatewayApi, copy: Database, mcp_url: str) -> list[Outcome]:
    """The migrated gateway deleted, then one the release registers from ``mcp_url`` (a tool, a prompt, a resource)."""
    try:
        api.create("gateways", {"name": PROBE_GATEWAY, "url": mcp_url, "transport": "STREAMABLEHTTP"})
    except ApiError as error:
        return [_delete(api, copy, FIXTURE_GATEWAY), Outcome(f"not registered: {error}")]
    return [_delete(api, copy, name) for name in (FIXTURE_GATEWAY, PROBE_GATEWAY)]


def _delete(api: GatewayApi, database: Database, name: str) -> Outcome:
    """Delete the gateway named ``name`` through the API; its answer and the rows referencing it before and after."""
    found = [g["id"] for g in api.list("gateways") if g["name"] == name]
    if not found:
        return Outcome(f"not found: no gateway {name!r} is listed")
    before = _referencing(database, found[0])
    answer = api.response("DELETE", object_path("gateways", found[0]))
    after = _referencing(database, found[0])
    said = "deleted" if answer.status_code < 400 else f"refused with HTTP {answer.status_code}: {answer.text[:160]}"
    return Outcome(said, before, after)


def _referencing(database: Database, gateway_id: str) -> dict[str, int]:
    """Rows per dependant table whose ``gateway_id`` is the gateway's (tables without that column left out)."""
    counts = _holding(database, gateway_id, frozenset({"gateway_id"}), DEPENDANTS)
    return {table: rows for (table, _), rows in counts.items()}


def _looker(database: Database) -> Looker:
    """The workload's reading of ``database``: rows naming a deleted person, team or provider, by what names it."""
    return lambda named, value: _naming(database, value, NAMING[named])


def _naming(database: Database, value: str, columns: frozenset[str]) -> list[str]:
    """``table.column: rows`` for every one of ``columns`` holding ``value`` (none: what it names left no trace)."""
    counts = _holding(database, value, columns)
    return [f"{table}.{column}: {rows}" for (table, column), rows in counts.items() if rows]


def _holding(
    database: Database, value: str, columns: frozenset[str], tables: tuple[str, ...] | None = None
) -> dict[tuple[str, str], int]:
    """Rows per (table, column) whose ``column`` holds ``value``: every column named in ``columns`` of ``tables``
    (all of the database's, sorted, by default) that the table has."""
    with database.engine() as engine, engine.connect() as connection:
        found = inspect(connection)
        present = found.get_table_names()
        return {
            (table, column): connection.execute(
                text(f'SELECT count(*) FROM "{table}" WHERE "{column}" = :value'), {"value": value}
            ).scalar_one()
            for table in (sorted(present) if tables is None else [t for t in tables if t in present])
            for column in sorted(c["name"] for c in found.get_columns(table) if c["name"] in columns)
        }


def _index_names(engine: Engine) -> dict[str, str]:
    """Every index of the database by name, in the triage's words (``index tools(team_id)``): its indexes, and the
    indexes its primary keys and unique constraints are kept by (SQLite names those itself, ``sqlite_autoindex_*``,
    numbered per table, so they are read from its own lists rather than by constraint)."""
    with engine.connect() as connection:
        found = inspect(connection)
        keys: list[tuple[str, str, Sequence[str | None]]] = []
        for table in found.get_table_names():
            if engine.dialect.name == "sqlite":
                for index in connection.exec_driver_sql(f'PRAGMA index_list("{table}")').all():
                    info = connection.exec_driver_sql(f'PRAGMA index_info("{index[1]}")').all()
                    keys.append((table, str(index[1]), [str(column[2]) for column in info]))
                continue
            primary = found.get_pk_constraint(table)
            keys.append((table, primary["name"] or "", primary["constrained_columns"]))
            keys += [(table, u["name"] or "", u["column_names"]) for u in found.get_unique_constraints(table)]
            keys += [(table, i["name"] or "", i["column_names"]) for i in found.get_indexes(table)]
        return {name: f"index {table}({', '.join(map(str, columns))})" for table, name, columns in keys if name}
