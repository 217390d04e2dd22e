"""Steps of rollback.feature (UPG-04)."""

from __future__ import annotations

from typing import Any

from behave import given, then, when

from upgrade_suite.judging.checks import objects_fate, serves_at_own_head


@given("objects have been created on {release:Release}")
def step_objects_created(context: Any, release: str) -> None:
    assert context.lab.current.release.spec.alias == release, f"{release} is not the running release"
    context.lab.create_after_upgrade()


@when("I roll back to {release:Release} {by_restore:Rollback}")
def step_roll_back(context: Any, release: str, by_restore: bool) -> None:
    context.lab.rollback(release, by_restore)


@then("{release:Release} finds its schema as before the upgrade, apart from traces without effect on it")
def step_schema_as_before(context: Any, release: str) -> None:
    traces = context.lab.downgrade_traces()
    context.lab.evidence.require(traces.title, traces)


@then("{release:Release} serves again at its own Alembic head")
def step_serves_at_own_head(context: Any, release: str) -> None:
    lab = context.lab
    running = lab.current
    assert running.release.spec.alias == release, f"{running.release.spec.label} is running, not {release}"
    health = running.api.request("GET", "/health")
    with lab.database.engine() as engine:
        result = serves_at_own_head(engine, running.release, running.gateway.migration_failures(), health)
    lab.evidence.require(result.title, result)


@then("the objects created on {release:Release} are {kept:Fate}")
def step_objects_fate(context: Any, release: str, kept: bool) -> None:
    result = objects_fate(context.lab.current.api, context.lab.history.made_after_upgrade, kept)
    context.lab.evidence.require(result.title, result)
