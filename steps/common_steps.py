"""Steps shared by every feature: the releases, databases and data a scenario starts from.

Steps are thin: parse the typed words, call the scenario's verb, let the library judge and
``evidence.require`` attach the verdict and fail with its problems.
"""

from __future__ import annotations

from typing import Any

from behave import given, register_type, then, when

from upgrade_suite.client.dataset import Dataset
from upgrade_suite.lab.vocabulary import PARAMETER_TYPES

register_type(**PARAMETER_TYPES)


@given("a running {release:Release} gateway with data on {database:Database}")
def step_running_with_data(context: Any, release: str, database: str) -> None:
    context.lab.running_with_data(release, database, Dataset())


@when("I perform the upgrade to {release:Release} {with_alembic:Procedure}")
@given("it has been upgraded to {release:Release} {with_alembic:Procedure}")
def step_upgrade(context: Any, release: str, with_alembic: bool) -> None:
    context.lab.upgrade(release, with_alembic)


@then("all existing data should be preserved")
def step_data_preserved(context: Any) -> None:
    api_diff, sql_diff = context.lab.data_diffs()
    context.lab.evidence.attach("Snapshot diff through the API", api_diff.render())
    context.lab.evidence.require("Snapshot diff through SQL", sql_diff)
    context.lab.evidence.require("Snapshot diff through the API", api_diff)
