"""Each revision's time from Alembic's stamped output: the gap to the next revision's start, or to the exit."""

import pytest

from upgrade_suite.services.migrations import AlembicRun, RevisionTime, revision_times

LOG = "2026-12-02T13:28:10 - alembic.runtime.migration - INFO - "


def test_each_revision_lasts_until_the_next_starts_and_the_last_until_the_exit():
    lines = [
        (10.0, "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.\n"),
        (10.5, f"{LOG}Running upgrade  -> a1, initial schema\n"),
        (12.0, f"{LOG}Running upgrade a1 -> b2, Location: ./versions/b2_indexes.py\n"),
        (12.25, "some revision's own print\n"),
        (19.0, f"{LOG}Running upgrade b2 -> c3\n"),
    ]
    assert revision_times(lines, ended=19.5, started=10.0) == (
        RevisionTime("upgrade", "", "a1", 1.5, at=0.5),
        RevisionTime("upgrade", "a1", "b2", 7.0, at=2.0),
        RevisionTime("upgrade", "b2", "c3", 0.5, at=9.0),
    )


def test_a_downgrade_names_the_revision_whose_script_ran():
    (step,) = revision_times([(1.0, f"{LOG}Running downgrade c3 -> b2, indexes\n")], ended=3.0)
    assert (step.revision, step.direction, step.seconds) == ("c3", "downgrade", 2.0)
    assert RevisionTime("upgrade", "b2", "c3", 1.0).revision == "c3"


def test_a_run_that_migrated_nothing_has_no_revisions():
    assert revision_times([(1.0, "INFO  [alembic.runtime.migration] Will assume transactional DDL.\n")], 2.0) == ()


@pytest.mark.parametrize(
    ("last_line", "cause"),
    [
        (
            "sqlalchemy.exc.OperationalError: (psycopg.errors.DeadlockDetected) deadlock detected",
            "psycopg.errors.DeadlockDetected",
        ),
        ("sqlite3.OperationalError: table _alembic_tmp_email_users already exists", "sqlite3.OperationalError"),
        ("", "exit status 1"),
    ],
)
def test_a_failed_run_is_named_by_the_class_that_ended_it_not_its_message(last_line, cause):
    output = (
        f"INFO  [alembic.runtime.migration] Running upgrade a -> b\nTraceback (most recent call last):\n{last_line}\n"
    )
    assert AlembicRun("GA (1.0.0)", ("upgrade", "head"), 1, output, 1.0).cause == cause
