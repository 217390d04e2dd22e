"""Steps of faults.feature: upgrades the database interrupts (its connection ended, ...), judged as failing cleanly
and finished by the operator's retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from behave import given, then, when

from upgrade_suite.judging.checks import ended_cleanly
from upgrade_suite.judging.fault_checks import (
    failed_cleanly_on_full_disk,
    failed_cleanly_on_read_only,
    neither_waited,
    reads_went_on,
    retry_finished,
    waited_then_finished,
)
from upgrade_suite.lab.history import need
from upgrade_suite.services.faults import FaultMissed, FaultUnavailable


@when("{release:Release}'s upgrade has its database connection ended inside each revision in turn and is retried")
def step_terminate_each(context: Any, release: str) -> None:
    context.lab.stop_and_back_up()
    context.lab.interrupt_each_revision(release, "terminate")


@when(
    "the PostgreSQL server stops at once in the middle of {release:Release}'s upgrade, starts again, "
    "and the upgrade is retried"
)
def step_crash_mid_migration(context: Any, release: str) -> None:
    context.lab.stop_and_back_up()
    _injected(context, lambda: context.lab.experiments.crash_mid_migration(release))


@then("each upgrade whose connection was ended failed cleanly")
def step_ended_cleanly(context: Any) -> None:
    lab = context.lab
    outcomes = lab.history.need_outcomes()
    ran = [f"== {o.revision}\n{o.interrupted.render()}" for o in outcomes if o.killed and o.interrupted is not None]
    lab.evidence.attach("Each upgrade whose connection was ended, as it ran", "\n\n".join(ran) or "none was ended")
    verdict = ended_cleanly(outcomes, lab.config.timeouts.migration)
    lab.evidence.require("Upgrades whose connection the database ended", verdict)


def _injected(context: Any, inject: Callable[[], object]) -> None:
    """Inject a fault; where this machine cannot, or it missed where it had to land, the scenario is skipped with
    the reason (never passed): inconclusive, not a verdict."""
    try:
        inject()
    except (FaultUnavailable, FaultMissed) as unjudged:
        context.lab.evidence.attach("Why this scenario was skipped", str(unjudged))
        context.scenario.skip(reason=str(unjudged))


@when("{release:Release} is started on the database while it is read-only")
def step_start_on_read_only(context: Any, release: str) -> None:
    _injected(context, lambda: context.lab.faults.start_on_read_only(release))


@then("{new:Release} failed cleanly on the read-only database, leaving it at {old:Release}'s head")
def step_failed_cleanly_on_read_only(context: Any, new: str, old: str) -> None:
    lab = context.lab
    faulted = need(lab.faults.faulted, "start on a read-only database", "starts the release on a read-only database")
    lab.evidence.require(
        "Started on a read-only database", failed_cleanly_on_read_only(faulted, lab.run.release(old).head)
    )


@when("the database is writable again and {release:Release} is started again")
def step_writable_again(context: Any, release: str) -> None:
    context.lab.faults.writable_and_start_again(release)


@given(
    "a running {release:Release} gateway with data on PostgreSQL, reached with a password that needs percent-encoding"
)
def step_encoded_login(context: Any, release: str) -> None:
    _injected(context, lambda: context.lab.faults.running_with_encoded_login(release))


@when("{release:Release}'s migration runs while a long reader holds the tables the old release serves from")
def step_migrate_behind_reader(context: Any, release: str) -> None:
    _injected(context, lambda: context.lab.faults.migrate_behind_a_reader(release))


@then("the migration waited for the reader and finished once it let go")
def step_waited_then_finished(context: Any) -> None:
    lab = context.lab
    lock = need(lab.faults.lock_wait, "migration behind a reader", "runs the migration behind a long reader")
    lab.evidence.require("The migration behind a long reader", waited_then_finished(lock))


@then("the old release's reads went on while the migration waited")
def step_reads_went_on(context: Any) -> None:
    lab = context.lab
    lock = need(lab.faults.lock_wait, "migration behind a reader", "runs the migration behind a long reader")
    lab.evidence.require("The old release's reads while the migration waited", reads_went_on(lock))


@when("{release:Release}'s migration runs on a filesystem that fills")
def step_migrate_filling(context: Any, release: str) -> None:
    _injected(context, lambda: context.lab.faults.migrate_on_a_filling_disk(release))


@then("the migration failed cleanly on the full disk")
def step_failed_cleanly_full(context: Any) -> None:
    lab = context.lab
    run = need(lab.faults.faulted_migration, "migration on a full disk", "migrates on a filesystem that fills")
    lab.evidence.require(
        "The migration on a full disk", failed_cleanly_on_full_disk(run, lab.config.timeouts.migration)
    )


@when("its filesystem is given room and {release:Release}'s migration is run again")
def step_grow_and_retry(context: Any, release: str) -> None:
    context.lab.faults.grow_and_migrate_again(release)


@then("the retried migration finished")
def step_retry_finished(context: Any) -> None:
    lab = context.lab
    retry = need(lab.faults.retry, "retried migration", "runs the migration again")
    lab.evidence.require("The retry once the disk had room", retry_finished(retry))


@when("this deployment and a second one on another database of the same server upgrade to {release:Release} at once")
def step_two_deployments(context: Any, release: str) -> None:
    _injected(context, lambda: context.lab.faults.upgrade_two_deployments(release))


@then("neither upgrade waited for the other, and both hold the same rows")
def step_neither_waited(context: Any) -> None:
    lab = context.lab
    pair = need(lab.faults.two_deployments, "two deployments", "upgrades two deployments at once")
    lab.evidence.require("Two deployments upgraded at once", neither_waited(pair))
