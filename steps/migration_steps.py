"""Steps of migrations.feature (US-2, UPG-07, the revision walk)."""

from __future__ import annotations

from typing import Any

from behave import given, then, when

from upgrade_suite.client.dataset import Dataset
from upgrade_suite.judging.checks import (
    completed_cleanly,
    interrupts_survived,
    ran_no_revision,
    rolled_back_each_time,
    walk_succeeded,
)
from upgrade_suite.judging.schema import compare
from upgrade_suite.judging.snapshots import diff


@given("a migration from {old:Release} to {release:Release} that was partially applied on {database:Database}")
def step_partially_applied(context: Any, old: str, release: str, database: str) -> None:
    lab = context.lab
    lab.running_with_data(old, database, Dataset())
    lab.stop_and_back_up()
    lab.partially_apply(release)


@when("I run the migration again")
def step_migrate_again(context: Any) -> None:
    context.lab.migrate_again()


@then("it should complete without errors")
def step_complete_without_errors(context: Any) -> None:
    lab = context.lab
    run, _ = lab.history.need_rerun()
    lab.evidence.require(
        "Retried migration",
        completed_cleanly(run, lab.database.alembic_revisions(), lab.history.need_upgraded_to().head),
    )


@then("the database should be in correct state")
def step_correct_state(context: Any) -> None:
    lab = context.lab
    schema, data, counts = lab.compare_states(
        lab.history.need_migrated(), lab.state(lab.database), "retried vs uninterrupted upgrade"
    )
    lab.evidence.require("Schema, retried vs uninterrupted upgrade", schema)
    lab.evidence.require("Pre-existing rows, retried vs uninterrupted upgrade", data)
    lab.evidence.require(counts.title, counts)


@then("nothing changes")
def step_nothing_changes(context: Any) -> None:
    lab = context.lab
    run, (schema_before, data_before) = lab.history.need_rerun()
    schema_after, data_after = lab.state(lab.database)
    lab.evidence.require("Second upgrade head", ran_no_revision(run))
    lab.evidence.require(
        "Schema before and after the second upgrade", compare(schema_before, schema_after, "Schema before vs after")
    )
    lab.evidence.require("Data before and after the second upgrade", diff(data_before, data_after))


@when("{release:Release}'s upgrade is interrupted {point:InterruptPoint} each revision in turn and retried")
def step_interrupt_each(context: Any, release: str, point: str) -> None:
    context.lab.stop_and_back_up()
    context.lab.interrupt_each_revision(release, point)


@then("every retried upgrade ends like an uninterrupted one")
def step_every_retry(context: Any) -> None:
    context.lab.evidence.require(
        "Interrupted at each revision, then retried", interrupts_survived(context.lab.history.need_outcomes())
    )


@then("an interrupted upgrade left the database at {release:Release}'s head every time")
def step_left_at_old_head(context: Any, release: str) -> None:
    lab = context.lab
    lab.evidence.require(
        "Interrupted upgrades rolled back",
        rolled_back_each_time(lab.history.need_outcomes(), lab.run.release(release).head),
    )


@when("I walk {release:Release}'s migrations up and down one revision at a time")
def step_walk(context: Any, release: str) -> None:
    context.lab.stop_and_back_up()
    context.lab.walk_revisions(release)


@then("every step of the walk succeeds")
def step_walk_succeeds(context: Any) -> None:
    context.lab.evidence.require("Revision walk", walk_succeeded(*context.lab.history.need_walk()))
