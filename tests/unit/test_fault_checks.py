"""A release started on a read-only database must fail cleanly: exit by itself, say why, serve nothing, move nothing."""

import pytest

from upgrade_suite.judging.carryover import STARTED
from upgrade_suite.judging.fault_checks import EXITED, FaultedStart, failed_cleanly_on_read_only, naming_read_only

READ_ONLY = "attempt to write a readonly database"
CLEAN = FaultedStart("1.1.0", EXITED, 4.2, READ_ONLY, ["old-head"], READ_ONLY)


def test_an_exit_that_names_the_read_only_database_and_moves_nothing_is_clean():
    assert failed_cleanly_on_read_only(CLEAN, "old-head").ok
    # GA on PostgreSQL: its migration swallows the refusal and fails on the aborted transaction; the log names it
    log = "cannot execute UPDATE in a read-only transaction\nMigration/Bootstrap failed: current transaction is aborted"
    pg = FaultedStart("1.0.0", EXITED, 3.0, "current transaction is aborted", ["old-head"], naming_read_only(log))
    assert failed_cleanly_on_read_only(pg, "old-head").ok
    assert naming_read_only("Migration/Bootstrap failed: current transaction is aborted") is None


@pytest.mark.parametrize(
    ("start", "kind"),
    [
        (
            FaultedStart("1.0.0", STARTED, 9.0, "attempt to write a readonly database", ["old-head"]),
            "served on a database",
        ),
        (FaultedStart("1.0.0", "never reported healthy", 120.0, None, ["old-head"]), "hung on a read-only database"),
        (FaultedStart("1.1.0", EXITED, 4.0, "no such table: tools", ["old-head"]), "read-only database not named"),
        (
            FaultedStart("1.1.0", EXITED, 4.0, "attempt to write a readonly database", ["mid"]),
            "database at another head",
        ),
    ],
)
def test_serving_hanging_a_wrong_reason_or_a_moved_head_is_each_its_own_problem(start, kind):
    kinds = [p.kind for p in failed_cleanly_on_read_only(start, "old-head").findings()]
    assert any(k.startswith(kind) for k in kinds), kinds


def test_a_migration_behind_a_reader_must_wait_for_it_finish_after_it_and_hold_up_no_read():
    from upgrade_suite.judging.fault_checks import LockWait, reads_went_on, waited_then_finished

    calm = LockWait("oauth_states", "AccessExclusiveLock", True, 10.9, False, True, 14.1, 0, 548, 0, 0.02)
    assert waited_then_finished(calm).ok and reads_went_on(calm).ok
    assert "did not give up by itself (no lock_timeout)" in calm.render()
    held = LockWait("tools", "AccessExclusiveLock", True, 10.0, False, True, 12.0, 14, 500, 3, 9.8)
    assert {p.kind for p in reads_went_on(held).findings()} == {
        "reads failed behind the waiting migration",
        "sessions queued behind the waiting migration",
    }
    assert not reads_went_on(LockWait("tools", "x", True, 1.0, False, True, 2.0, 0, 0, 0, 0.0)).ok, "no reads"
    slow_on_a_busy_machine = LockWait("oauth_states", "x", True, 10.0, False, True, 12.0, 0, 474, 0, 3.1)
    assert reads_went_on(slow_on_a_busy_machine).ok, "slow with nothing queued behind the migration: the machine's"
    assert not waited_then_finished(LockWait("tools", "x", False, 0.0, False, True, 2.0, 0, 9, 0, 0.0)).ok


def test_a_migration_on_a_full_disk_must_stop_with_sqlites_words_and_say_where():
    from upgrade_suite.judging.fault_checks import FaultedMigration, failed_cleanly_on_full_disk, last_revision

    output = "Running upgrade a -> b\nRunning upgrade b -> 9fb98535724d\nOperationalError: database or disk is full"
    assert last_revision(output) == "9fb98535724d" and last_revision("") == ""
    full = FaultedMigration("1.1.0", 1, 4.9, "(sqlite3) database or disk is full", ["b"], "9fb98535724d")
    assert failed_cleanly_on_full_disk(full, 600).ok and "inside revision 9fb98535724d" in full.render()
    other = FaultedMigration("1.1.0", 1, 4.9, "no such table: tools", ["b"])
    assert [p.kind for p in failed_cleanly_on_full_disk(other, 600).findings()] == ["full disk not named"]
    assert not failed_cleanly_on_full_disk(FaultedMigration("1.1.0", 0, 1.0, "", ["c"]), 600).ok
