"""The suite can fail: data changed behind its back turns the scenario red, naming table and row."""

import re
from pathlib import Path

import pytest

from conftest import run_behave

pytestmark = pytest.mark.integration

TAMPER = Path(__file__).parent / "tamper"


def test_a_lost_row_and_an_altered_value_are_named(workdir: Path, no_leftovers):
    run = run_behave(workdir, str(TAMPER / "features" / "tamper.feature"))
    assert run.returncode != 0
    assert "0 scenarios passed, 3 failed" in run.output, run.failures()
    deleted = re.search(r"TAMPERED tools deleted id=(\w+)", run.output).group(1)
    altered = re.search(r"TAMPERED prompts altered id=(\w+)", run.output).group(1)
    assert f"sql: tools row [id={deleted}] was lost" in run.output
    assert f"sql: prompts [id={altered}] description: 'prompt 1' -> 'tampered'" in run.output
    # A chain that cannot apply: the walk names the first step that fails and Alembic's error.
    assert re.search(r"up to \w+: CommandError: Can't locate revision identified by 'deadbeef0000'", run.output), (
        run.failures()
    )
    kept = list((run.reports / "work").glob("run-*/*/??-GA-*/*.log"))
    assert kept, "a failed scenario keeps its gateway logs"


def test_a_revoked_token_served_again_and_a_lost_membership_are_named(workdir: Path, no_leftovers):
    run = run_behave(workdir, str(TAMPER / "features" / "auth.feature"))
    assert run.returncode != 0
    assert "0 scenarios passed, 2 failed" in run.output, run.failures()
    assert "TAMPERED token jti=" in run.output
    assert "GET /auth/email/me refuses it: HTTP 200" in run.output
    assert "GET /tools refuses it: HTTP 200" in run.output
    assert "lost or changed: [('upgrade-user@example.com', 'member')]" in run.output


def test_a_difference_only_the_operation_shows_is_named_by_what_the_user_gets(workdir: Path, no_leftovers):
    """A trigger that ignores deletes of tools: no key or column differs, the probe's deletion does."""
    run = run_behave(workdir, str(TAMPER / "features" / "consequence.feature"))
    assert run.returncode != 0
    assert "0 scenarios passed, 1 failed" in run.output, run.failures()
    assert (
        "on the upgraded database, deleting the migrated federated gateway 'upgrade-fixture' is refused with HTTP"
        in run.output
    )
    assert "(its 2 tools kept with it); a fresh GA (1.0.0) install deletes it: its 2 tools removed" in run.output
