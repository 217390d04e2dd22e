"""Steps of hazards.feature: what goes wrong between the plan's cases on upgrade day."""

from __future__ import annotations

from typing import Any

from behave import given, then, when

from upgrade_suite.client.dataset import Dataset
from upgrade_suite.judging.hazard_checks import (
    credentials_authenticate,
    memberships_and_roles_kept,
    migrated_once,
    migrated_once_after_kill,
    passwords_sign_in,
    refuses_newer_database,
    revoked_stays_refused,
    settings_compared,
    starts_with_old_settings,
)
from upgrade_suite.services.faults import FaultMissed


@when("{count:d} {release:Release} gateways are started on it at the same moment")
def step_start_together(context: Any, count: int, release: str) -> None:
    context.lab.upgrade_by_starting_together(release, count)


@then("the database is migrated to {release:Release}'s head exactly once")
def step_migrated_once(context: Any, release: str) -> None:
    lab = context.lab
    logs = [running.gateway.log_text() for running in lab.hazards.together]
    with lab.database.engine() as engine:
        lab.evidence.require("Gateways started at once", migrated_once(engine, lab.run.release(release), logs))
    lab.evidence.attach(
        "Start times of the gateways started at once",
        {r.gateway.name: r.gateway.timelines[-1].as_dict() for r in lab.hazards.together if r.gateway.timelines},
        "json",
    )


@when(
    "{count:d} {release:Release} gateways are started on it at the same moment and the one migrating is killed half-way"
)
def step_start_together_and_kill(context: Any, count: int, release: str) -> None:
    context.lab.stop_and_back_up()
    try:
        context.lab.start_together_killing_the_migrator(release, count)
    except FaultMissed as missed:
        context.lab.evidence.attach("Why this scenario is inconclusive", str(missed))
        context.scenario.skip(reason=str(missed))


@when("the killed gateway is started again")
def step_restart_killed(context: Any) -> None:
    context.lab.restart_killed()


@then("the others and the restart migrate the database to {release:Release}'s head exactly once")
def step_migrated_once_after_kill(context: Any, release: str) -> None:
    lab = context.lab
    with lab.database.engine() as engine:
        verdict = migrated_once_after_kill(
            engine, lab.run.release(release), lab.hazards.killed, lab.hazards.together_outcomes, lab.logs_after_kill()
        )
    lab.evidence.require("Gateways started at once, the migrating one killed", verdict)


@when("{release:Release} is started on the upgraded database without a downgrade")
def step_old_on_new(context: Any, release: str) -> None:
    context.lab.start_on_newer_database(release)


@then("it refuses the database or reports itself unhealthy")
def step_refuses(context: Any) -> None:
    outcome, failures = context.lab.history.need_old_on_new()
    context.lab.evidence.require("Old release on an upgraded database", refuses_newer_database(outcome, failures))


@given(
    "a running {release:Release} gateway whose users hold passwords, API tokens and team roles on {database:Database}"
)
def step_running_with_accounts(context: Any, release: str, database: str) -> None:
    context.lab.running_with_data(release, database, Dataset(accounts=True))


@then("the administrator and the user still sign in with their passwords")
def step_passwords(context: Any) -> None:
    context.lab.evidence.require("Password logins", passwords_sign_in(*context.lab.credentials_answers()))


@then("the API tokens and JWTs issued by {release:Release} still authenticate")
def step_issued_credentials(context: Any, release: str) -> None:
    context.lab.evidence.require(
        f"Tokens and JWTs issued by {release}", credentials_authenticate(*context.lab.credentials_answers())
    )


@then("the token revoked on {release:Release} is still refused")
def step_revoked(context: Any, release: str) -> None:
    context.lab.evidence.require(
        f"Token revoked on {release}", revoked_stays_refused(context.lab.credentials_answers()[1])
    )


@then("team memberships and roles are unchanged")
def step_memberships(context: Any) -> None:
    context.lab.evidence.require(
        "Team memberships and roles", memberships_and_roles_kept(*context.lab.credentials_answers())
    )


@when("{release:Release} is started on it with every setting {old:Release} reads in its environment")
def step_start_with_old_settings(context: Any, release: str, old: str) -> None:
    context.lab.start_with_old_settings(release, except_refused=False)


@when("{release:Release} is started on it in production mode with every setting {old:Release} reads in its environment")
def step_start_in_production_with_old_settings(context: Any, release: str, old: str) -> None:
    context.lab.start_with_old_settings(release, except_refused=False, mode="production")


@when(
    "{release:Release} is started on it with every setting {old:Release} reads that {same:Release} accepts in its environment"  # noqa: E501  (a step pattern stays whole, to be found by grep)
)
def step_start_with_accepted_old_settings(context: Any, release: str, old: str, same: str) -> None:
    context.lab.start_with_old_settings(release, except_refused=True)


@then("it starts as it does without them, with no new error")
def step_starts_with_old_settings(context: Any) -> None:
    lab = context.lab
    carried = lab.history.need_carried()
    lab.evidence.require(
        f"{carried.carry_over.new} with the old deployment's settings", starts_with_old_settings(carried)
    )


@then("the settings {release:Release} renamed, dropped or refuses are listed for the runbook")
def step_settings_listed(context: Any, release: str) -> None:
    context.lab.evidence.require(
        "Settings compared", settings_compared(*context.lab.history.need_settings_comparison())
    )
