"""Steps of matrix.feature that the other features do not have: whether a back cell has a way down at all."""

from __future__ import annotations

from typing import Any

from behave import given

from upgrade_suite.services.chain import has_revision


@given("{newer:Release} can downgrade to the Alembic head of {older:Release}")
def step_can_downgrade(context: Any, newer: str, older: str) -> None:
    target, head = context.lab.release(newer), context.lab.release(older).head
    if not has_revision(target, head):
        reason = (
            f"{target.spec.label}'s migrations do not know {older}'s head {head}: no Alembic downgrade path; "
            "the way back is restoring the pre-upgrade backup"
        )
        context.matrix.no_downgrade_path(context.scenario, reason)
        context.scenario.skip(reason)
