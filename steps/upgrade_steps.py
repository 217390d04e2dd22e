"""Steps of upgrade.feature (US-1, UPG-01, UPG-02, UPG-05) and the schema checks."""

from __future__ import annotations

from typing import Any

from behave import given, then, when

from upgrade_suite.client.dataset import Dataset, seed
from upgrade_suite.judging.checks import (
    administrator_signs_in,
    complete_schema,
    new_features,
    paginated_listing,
    read_back,
    services_functioning,
)


@given("a running {release:Release} gateway on a fully populated {database:Database} database")
def step_running_populated(context: Any, release: str, database: str) -> None:
    context.lab.running_populated(release, database, Dataset(), context.lab.config.scale)


@then("every object can be found through the paginated API")
def step_paginated(context: Any) -> None:
    lab = context.lab
    with lab.database.engine() as engine:
        result = paginated_listing(lab.current.api, engine, lab.hidden_from_admin(), paged=lab.api_sample)
    lab.evidence.require(result.title, result)


@then("the pre-upgrade backup holds every {release:Release} object")
def step_backup_holds(context: Any, release: str) -> None:
    lab = context.lab
    backup = lab.history.need_backup()
    lab.evidence.attach(
        "Pre-upgrade backup",
        {"path": str(backup.path), "bytes": backup.size_bytes, "seconds": round(backup.seconds, 3)},
        "json",
    )
    lab.evidence.require(f"Backup against the {release} data", lab.backup_diff())


@then("all services should continue functioning")
def step_services(context: Any) -> None:
    running = context.lab.current
    health = running.api.request("GET", "/health")
    result = services_functioning(
        running.api, context.lab.history.need_manifest().tool_names, running.gateway.migration_failures(), health
    )
    legacy = running.api.legacy_paths()
    if legacy:  # a finding to plan for (clients on the old paths), not a failure
        context.lab.evidence.attach("Legacy REST paths still served", "\n".join(path.render() for path in legacy))
    context.lab.evidence.require(result.title, result)


@then("the new release starts within its budget")
def step_start_budget(context: Any) -> None:
    result = context.lab.starts_within_budget()
    context.lab.evidence.require(result.title, result)


@then("new features should be available")
def step_new_features(context: Any) -> None:
    lab = context.lab
    with lab.database.engine() as engine:
        result = new_features(engine, lab.history.need_previous(), lab.current.release)
    lab.evidence.require(result.title, result)


@then("the schema matches a fresh {release:Release} install apart from its declared drift")
def step_schema_within_baseline(context: Any, release: str) -> None:
    verdict = context.lab.schema_drift()
    context.lab.evidence.require(verdict.title, verdict)


@then("the schema matches a fresh {release:Release} install exactly")
def step_schema_exact(context: Any, release: str) -> None:
    context.lab.evidence.require("Schema parity diff", context.lab.schema_parity())


@then("deleting a federated gateway ends as on a fresh {release:Release} install holding the same objects")
def step_delete_gateway_as_fresh(context: Any, release: str) -> None:
    probes = context.lab.delete_federated_gateways()
    context.lab.evidence.require(probes.title, probes)


@then("the same user operations end as on a fresh {release:Release} install holding the same objects")
def step_workload_as_fresh(context: Any, release: str) -> None:
    compared = context.lab.workload()
    context.lab.evidence.attach(
        "Slower: the release's statements planned on both databases", context.lab.query_plans().render()
    )
    lacking = context.lab.lacking_met()
    if lacking:
        context.lab.evidence.attach(
            "Breaks: what the upgraded database lacks, against the release's statements", "\n".join(lacking)
        )
    context.lab.evidence.require(compared.title, compared)


@then("the tables no user operation reaches take the same writes as on a fresh {release:Release} install")
def step_unreached_writes_as_fresh(context: Any, release: str) -> None:
    probes = context.lab.unreached_writes()
    context.lab.evidence.require(probes.title, probes)


@then("the database matches the same data upgraded through {release:Release}")
def step_matches_path_through(context: Any, release: str) -> None:
    schema, data, counts = context.lab.compare_with_path_through(release)
    context.lab.evidence.require(f"Pre-existing rows, direct vs through {release}", data)
    context.lab.evidence.require(counts.title, counts)
    context.lab.evidence.require(schema.title, schema)


@given("an empty {database:Database} database")
def step_empty_database(context: Any, database: str) -> None:
    context.lab.new_database(database)


@when("a {release:Release} gateway is started on it")
def step_start_on_it(context: Any, release: str) -> None:
    context.lab.start(release)


@then("the database has {release:Release}'s complete schema at its Alembic head")
def step_complete_schema(context: Any, release: str) -> None:
    lab = context.lab
    with lab.database.engine() as engine:
        result = complete_schema(engine, lab.run.release(release))
    lab.evidence.require(result.title, result)


@then("the administrator can sign in")
def step_admin_signs_in(context: Any) -> None:
    lab = context.lab
    secrets = lab.run.secrets
    result = administrator_signs_in(lab.current.api, secrets.admin_email, secrets.admin_password)
    lab.evidence.require(result.title, result)


@then("every entity type can be created and read back")
def step_create_and_read_back(context: Any) -> None:
    lab = context.lab
    fixture = lab.run.mcp_server()
    manifest = seed(lab.current.api, fixture.url, Dataset(), lab.run.secrets.admin_password)
    result = read_back(lab.current.api, manifest, fixture.tools)
    lab.evidence.require(result.title, result)
