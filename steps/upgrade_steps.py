"""Steps of upgrade.feature: parse, call the library, attach the evidence, assert on it."""

from __future__ import annotations

from typing import Any

from behave import given, register_type, then, when

from upgrade_suite.checks import (
    Checklist,
    administrator_signs_in,
    complete_schema,
    new_features,
    objects_fate,
    read_back,
    serves_at_own_head,
    services_functioning,
)
from upgrade_suite.dataset import Dataset, seed
from upgrade_suite.schema import baseline_path, judge
from upgrade_suite.snapshots import SnapshotDiff
from upgrade_suite.vocabulary import PARAMETER_TYPES

register_type(**PARAMETER_TYPES)


def assert_diff(context: Any, title: str, result: SnapshotDiff) -> None:
    """Attach a snapshot diff and fail naming each lost or changed table/row."""
    context.lab.evidence.attach(title, result.render())
    assert result.ok, f"{title}:\n  " + "\n  ".join(result.problems())


def assert_checklist(context: Any, result: Checklist) -> None:
    """Attach a checklist and fail naming each failed item."""
    context.lab.evidence.attach(result.title, result.render())
    assert result.ok, f"{result.title}:\n  " + "\n  ".join(result.failures())


@given("a running {release:Release} gateway with data on {database:Database}")
def step_running_with_data(context: Any, release: str, database: str) -> None:
    context.lab.running_with_data(release, database, Dataset())


@when("I perform the upgrade to {release:Release} {with_alembic:Procedure}")
def step_upgrade(context: Any, release: str, with_alembic: bool) -> None:
    context.lab.upgrade(release, with_alembic)


@given("it has been upgraded to {release:Release} {with_alembic:Procedure}")
def step_has_been_upgraded(context: Any, release: str, with_alembic: bool) -> None:
    context.lab.upgrade(release, with_alembic)


@given("objects have been created on {release:Release}")
def step_objects_created(context: Any, release: str) -> None:
    assert context.lab.current.release.spec.alias == release, f"{release} is not the running release"
    context.lab.create_after_upgrade()


@when("I roll back to {release:Release} {by_restore:Rollback}")
def step_roll_back(context: Any, release: str, by_restore: bool) -> None:
    context.lab.rollback(release, by_restore)


@then("{release:Release} serves again at its own Alembic head")
def step_serves_at_own_head(context: Any, release: str) -> None:
    lab = context.lab
    running = lab.current
    assert running.release.spec.alias == release, f"{running.release.spec.label} is running, not {release}"
    health = running.api.request("GET", "/health")
    with lab.database.engine() as engine:
        assert_checklist(context, serves_at_own_head(engine, running.release, running.gateway.migration_failures(), health))


@then("the objects created on {release:Release} are {kept:Fate}")
def step_objects_fate(context: Any, release: str, kept: bool) -> None:
    assert_checklist(context, objects_fate(context.lab.current.api, context.lab.made_after_upgrade, kept))


@then("the schema matches a fresh {release:Release} install apart from its declared drift")
def step_schema_within_baseline(context: Any, release: str) -> None:
    lab = context.lab
    diff = lab.schema_parity()
    verdict = judge(diff, baseline_path(lab.previous, lab.current.release, lab.database.engine_name))
    lab.evidence.attach("Schema parity diff", diff.render())
    lab.evidence.attach("Schema drift against the declared baseline", verdict.render())
    assert verdict.ok, "Schema drift beyond the declared baseline:\n  " + "\n  ".join(verdict.problems())


@then("the database matches the same data upgraded through {release:Release}")
def step_matches_path_through(context: Any, release: str) -> None:
    schema, data, counts = context.lab.compare_with_path_through(release)
    context.lab.evidence.attach(schema.title, schema.render())
    context.lab.evidence.attach(counts.title, counts.render())
    assert_diff(context, f"Pre-existing rows, direct vs through {release}", data)
    assert schema.ok, schema.render()
    assert counts.ok, "\n  ".join(counts.failures())


@then("the schema matches a fresh {release:Release} install exactly")
def step_schema_exact(context: Any, release: str) -> None:
    diff = context.lab.schema_parity()
    context.lab.evidence.attach("Schema parity diff", diff.render())
    assert diff.ok, diff.render()


@then("all existing data should be preserved")
def step_data_preserved(context: Any) -> None:
    api_diff, sql_diff = context.lab.data_diffs()
    context.lab.evidence.attach("Snapshot diff through the API", api_diff.render())
    assert_diff(context, "Snapshot diff through SQL", sql_diff)
    assert api_diff.ok, "Snapshot diff through the API:\n  " + "\n  ".join(api_diff.problems())


@then("the pre-upgrade backup holds every {release:Release} object")
def step_backup_holds(context: Any, release: str) -> None:
    backup = context.lab.backup
    context.lab.evidence.attach("Pre-upgrade backup", {"path": str(backup.path), "bytes": backup.size_bytes, "seconds": round(backup.seconds, 3)}, "json")
    assert_diff(context, f"Backup against the {release} data", context.lab.backup_diff())


@then("all services should continue functioning")
def step_services(context: Any) -> None:
    lab = context.lab
    running = lab.current
    health = running.api.request("GET", "/health")
    assert_checklist(context, services_functioning(running.api, lab.manifest.tool_names, running.gateway.migration_failures(), health))


@then("new features should be available")
def step_new_features(context: Any) -> None:
    lab = context.lab
    with lab.database.engine() as engine:
        assert_checklist(context, new_features(engine, lab.previous, lab.current.release))


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
        assert_checklist(context, complete_schema(engine, lab.run.release(release)))


@then("the administrator can sign in")
def step_admin_signs_in(context: Any) -> None:
    lab = context.lab
    secrets = lab.run.secrets
    result = administrator_signs_in(lab.current.gateway.url, lab.current.api, secrets.admin_email, secrets.admin_password, lab.config.timeouts.request)
    assert_checklist(context, result)


@then("every entity type can be created and read back")
def step_create_and_read_back(context: Any) -> None:
    lab = context.lab
    fixture = lab.run.mcp_server()
    manifest = seed(lab.current.api, fixture.url, Dataset())
    assert_checklist(context, read_back(lab.current.api, manifest, fixture.tools))
