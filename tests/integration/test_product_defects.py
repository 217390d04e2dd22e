"""Known product defects stay detected: their scenarios are red, for the reason they are tagged with.

They are kept out of the CI gate (the gate excludes @product-defect), so these tests are what
proves the suite would still notice them on the real releases.
"""

from pathlib import Path

import pytest

from conftest import ROOT, run_behave

pytestmark = pytest.mark.integration

TOKEN_PERMISSIONS_LOST = 'permissions: list lost ["tokens.create", "tokens.read", "tokens.revoke", "tokens.update"]'
MIGRATED_ONLY_INDEX = "index tool_metrics(tool_id, timestamp): only in the migrated database"
HALF_APPLIED_INDEX = "d2b501bf4262: SIGKILL inside revision d2b501bf4262, after its first change"
UNIQUE_INDEX_MISSING = "index a2a_agents(uaid): only in the migrated database (unique)"
OLD_ON_NEW_SILENT = (
    "it started and reported healthy; its log: ERROR [mcpgateway.bootstrap_db] Migration/Bootstrap "
    "failed: Can't locate revision"
)
RC1_DEFAULT_REFUSED = (
    "it refused to run (exited); its log ends: token_expiry | Input should be less than or equal to 1440"
)


def test_known_defects_on_sqlite_are_still_red_for_their_reason(workdir: Path, no_leftovers):
    run = run_behave(workdir, str(ROOT / "features"), "--tags=@product-defect and @sqlite and not @current")
    assert run.returncode != 0
    assert "0 scenarios passed, 5 failed" in run.output, run.failures()
    assert (
        HALF_APPLIED_INDEX in run.output and UNIQUE_INDEX_MISSING in run.output
    )  # a retried half-applied revision skips its index
    assert MIGRATED_ONLY_INDEX in run.output  # GA's migrations do not produce GA's fresh schema
    assert TOKEN_PERMISSIONS_LOST in run.output  # GA's downgrade strips RC1's team_admin token rights
    assert OLD_ON_NEW_SILENT in run.output  # RC1 on GA's schema says so only in its log
    assert RC1_DEFAULT_REFUSED in run.output  # GA does not start with RC1's own default TOKEN_EXPIRY


def test_known_defects_on_postgres_are_still_red_for_their_reason(workdir: Path, no_leftovers):
    # Not the rolling write scenario: its deadlock happens in some runs only (see rolling.feature).
    run = run_behave(
        workdir, str(ROOT / "features"), "--tags=@product-defect and @postgres and not @rolling and not @current"
    )
    assert run.returncode != 0
    assert "0 scenarios passed, 5 failed" in run.output, run.failures()
    assert MIGRATED_ONLY_INDEX in run.output
    assert TOKEN_PERMISSIONS_LOST in run.output
    assert OLD_ON_NEW_SILENT in run.output
    assert RC1_DEFAULT_REFUSED in run.output
    # Through RC1 a 0.9 prompt's original name becomes its slug; straight to GA it is kept.
    assert "original_name: 'upgrade_prompt_1' -> 'upgrade-prompt-1'" in run.output
