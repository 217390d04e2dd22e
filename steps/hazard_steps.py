"""Steps of hazards.feature: what goes wrong between the plan's cases on upgrade day."""

from __future__ import annotations

from typing import Any

from behave import then, when

from upgrade_suite.checks import migrated_once, refuses_newer_database


@when("{count:d} {release:Release} gateways are started on it at the same moment")
def step_start_together(context: Any, count: int, release: str) -> None:
    context.lab.stop_and_back_up()
    context.lab.upgraded_to = context.lab.release(release)
    context.lab.start_together(release, count)


@then("the database is migrated to {release:Release}'s head exactly once")
def step_migrated_once(context: Any, release: str) -> None:
    lab = context.lab
    logs = [running.gateway.log_text() for running in lab.together]
    with lab.database.engine() as engine:
        lab.evidence.require("Gateways started at once", migrated_once(engine, lab.run.release(release), logs))
    lab.evidence.attach("Start times of the gateways started at once", {r.gateway.name: round(r.gateway.startup_seconds, 2) for r in lab.together}, "json")


@when("{release:Release} is started on the upgraded database without a downgrade")
def step_old_on_new(context: Any, release: str) -> None:
    context.lab.old_on_new = context.lab.start_on_newer_database(release)


@then("it refuses the database or reports itself unhealthy")
def step_refuses(context: Any) -> None:
    outcome, failures = context.lab.old_on_new
    context.lab.evidence.require("Old release on an upgraded database", refuses_newer_database(outcome, failures))
