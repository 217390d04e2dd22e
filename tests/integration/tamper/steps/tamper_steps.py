"""The suite's real steps plus one that changes the database behind the suite's back.

Used only by the tests that prove the suite can fail: the data check must then name the table
and row that was lost or altered; a release whose programs vanished must be a suite error.
"""

import base64
import dataclasses
import json
import os
import runpy
import signal
from pathlib import Path

from behave import given, when
from sqlalchemy import text

for steps in sorted((Path(__file__).resolve().parents[4] / "steps").glob("*_steps.py")):
    runpy.run_path(str(steps))


@when("one seeded {kind:w} row is {action:w} behind the suite's back")
def step_tamper(context, kind, action):
    lab = context.lab
    target = lab.history.need_manifest().ids[kind][0]
    statement = (
        f'DELETE FROM "{kind}" WHERE id = :id'
        if action == "deleted"
        else f"UPDATE \"{kind}\" SET description = 'tampered' WHERE id = :id"
    )
    with lab.database.engine() as engine, engine.begin() as connection:
        assert connection.execute(text(statement), {"id": target}).rowcount == 1
    print(f"TAMPERED {kind} {action} id={target}")


@when("one {table:w} row is deleted behind the suite's back")
def step_delete_bulk_row(context, table):
    """A row the populate probe made (not a seeded object): only the comparison in the database can see it go."""
    with context.lab.database.engine() as engine, engine.begin() as connection:
        target = connection.execute(text(f'SELECT id FROM "{table}" ORDER BY id LIMIT 1')).scalar_one()
        assert connection.execute(text(f'DELETE FROM "{table}" WHERE id = :id'), {"id": target}).rowcount == 1
    print(f"TAMPERED {table} deleted id={target}")


@given("the migration loses one {table:w} row behind the suite's back")
def step_lossy_migration(context, table):
    """A migration that drops a bulk row: at scale the rows are compared right after it, before the new release runs."""
    core = context.lab.core
    migrate = core.alembic_upgrade

    def lossy(release):
        run = migrate(release)
        step_delete_bulk_row(context, table)
        return run

    core.alembic_upgrade = lossy


@when("the database is stamped with an unknown revision behind the suite's back")
def step_bad_stamp(context):
    with context.lab.database.engine() as engine, engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'deadbeef0000'")
    print("TAMPERED alembic_version = deadbeef0000")


@when("the running gateway is killed behind the suite's back")
def step_kill_gateway(context):
    running = context.lab.current
    os.killpg(running.gateway.pid, signal.SIGKILL)
    print(f"KILLED gateway pid {running.gateway.pid}")


@given("GA's installation has lost its alembic program behind the suite's back")
def step_lose_alembic(context):
    lab = context.lab
    lab.core.releases["GA"] = dataclasses.replace(lab.release("GA"), venv=lab.sandbox.subdir("vanished-venv"))
    print(f"TAMPERED GA venv -> {lab.core.releases['GA'].venv}")


@when("the token revoked on the old release is un-revoked behind the suite's back")
def step_unrevoke(context):
    token = context.lab.history.need_manifest().credentials.revoked_token
    jti = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==="))["jti"]
    with context.lab.database.engine() as engine, engine.begin() as connection:
        assert connection.execute(text("DELETE FROM token_revocations WHERE jti = :jti"), {"jti": jti}).rowcount == 1
        assert (
            connection.execute(
                text("UPDATE email_api_tokens SET is_active = :yes WHERE jti = :jti"), {"jti": jti, "yes": True}
            ).rowcount
            == 1
        )
    print(f"TAMPERED token jti={jti} un-revoked")


@when("the user's team membership is deleted behind the suite's back")
def step_drop_membership(context):
    held = context.lab.history.need_manifest().credentials
    with context.lab.database.engine() as engine, engine.begin() as connection:
        deleted = connection.execute(
            text("DELETE FROM email_team_members WHERE team_id = :team AND user_email = :user"),
            {"team": held.team_id, "user": held.user_email},
        )
        assert deleted.rowcount == 1
    print(f"TAMPERED membership of {held.user_email} in team {held.team_id} deleted")


@when("a trigger keeps the tools of a deleted gateway behind the suite's back")
def step_trigger_keeps_tools(context):
    """What a leftover trigger of an old migration could do: every delete of a tool silently ignored (SQLite)."""
    with context.lab.database.engine() as engine, engine.begin() as connection:
        connection.execute(
            text("CREATE TRIGGER planted_keep_tools BEFORE DELETE ON tools BEGIN SELECT RAISE(IGNORE); END")
        )
    print("TAMPERED tools: deletes ignored by a trigger")
