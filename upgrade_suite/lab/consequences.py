"""Consequences proven on the running release: an operation a schema difference may change, run on a copy of the
upgraded database and on a copy of a fresh install of the same release seeded with the same objects.

The triage (``judging/triage.py``) can only say that a foreign key's ON DELETE differs; whether deleting a
federated gateway then leaves its tools, prompts and resources behind, is refused, or ends the same because the
release removes the dependants itself, only the release can answer. Two gateways are deleted on each side: the
seeded one, whose rows the old release wrote and the migration carried (tools only: the seeded MCP server serves
no more), and one the target release registers on the copy from an MCP server that serves a tool, a prompt and a
resource, so every table that references a gateway holds a row of it. Copies, so the scenario's own database is
not touched; the fresh side is the run's seeded fixture of the target release (made once a run).
"""

from __future__ import annotations

from sqlalchemy import inspect, text

from upgrade_suite.client.api import ApiError, GatewayApi, object_path
from upgrade_suite.client.dataset import FIXTURE_GATEWAY, Dataset
from upgrade_suite.judging.operations import OperationProbe, Outcome, Probes
from upgrade_suite.lab import phases
from upgrade_suite.lab.core import Core
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.database import Database

#: The tables whose rows reference a federated gateway (their ``gateway_id``): what its deletion may remove.
DEPENDANTS = ("tools", "prompts", "resources")
#: The gateway the target registers on each copy, from the MCP server with a tool, a prompt and a resource.
PROBE_GATEWAY = "upgrade-probe-full"
DELETIONS = (
    f"deleting the migrated federated gateway {FIXTURE_GATEWAY!r}",
    f"deleting a federated gateway the new release registers, with tools, a prompt and a resource ({PROBE_GATEWAY!r})",
)


class Consequences:
    """Operations on both databases, built on the core's verbs."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def delete_federated_gateways(self) -> Probes:
        """Delete both gateways through the API on both databases; what each answers and leaves."""
        core = self.core
        release = core.need_current().release
        core.stop()  # a database is copied at rest
        engine = core.need_database().engine_name
        upgraded = self._delete_on_copy(core.need_database(), release, "upgraded")
        fixture = core.run.seeded(release.spec.alias, engine, Dataset())
        fresh = self._delete_on_copy(fixture.database, release, "fresh")
        probes = Probes(
            f"Deleting a federated gateway ends as on a fresh {release.spec.label} install",
            [
                OperationProbe(what, release.spec.label, mine, theirs)
                for what, mine, theirs in zip(DELETIONS, upgraded, fresh)
            ],
        )
        core.history.consequences += [
            f"proven on {core.need_database().label}: {probe.sentence()}" for probe in probes.probes
        ]
        return probes

    def _delete_on_copy(self, source: Database, release: Release, side: str) -> list[Outcome]:
        core = self.core
        full = core.run.mcp_server(catalogue="full")
        with core.scratch_database(f"probe-{side}") as copy:
            copy.copy_from(source)
            gateway = core.gateway(release, copy)
            try:
                with core.timings.phase(phases.probe_operation("delete the federated gateways", side)):
                    gateway.start()
                    api = core.connect(release, gateway).api
                    try:
                        api.create("gateways", {"name": PROBE_GATEWAY, "url": full.url, "transport": "STREAMABLEHTTP"})
                    except ApiError as error:
                        return [_delete(api, copy, FIXTURE_GATEWAY), Outcome(f"not registered: {error}")]
                    return [_delete(api, copy, name) for name in (FIXTURE_GATEWAY, PROBE_GATEWAY)]
            finally:
                gateway.stop()  # before its database goes


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
    with database.engine() as engine, engine.connect() as connection:
        tables = inspect(connection)
        return {
            table: connection.execute(
                text(f"SELECT count(*) FROM {table} WHERE gateway_id = :id"), {"id": gateway_id}
            ).scalar_one()
            for table in DEPENDANTS
            if table in tables.get_table_names() and "gateway_id" in {c["name"] for c in tables.get_columns(table)}
        }
