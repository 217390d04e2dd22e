"""The migrating replica killed half-way: the watcher kills the right one, and the verdict names what went wrong."""

import threading
import time
from dataclasses import replace

import pytest
from sqlalchemy import create_engine, text

from upgrade_suite.judging.carryover import STARTED
from upgrade_suite.judging.hazard_checks import migrated_once_after_kill
from upgrade_suite.services.gateway import migration_error
from upgrade_suite.services.replicas import KilledReplica, start_killing_the_migrator

HEAD = "aa1b2c3d4e5f"


class FakeRelease:
    head = HEAD

    class spec:
        alias = "GA"


class FakeGateway:
    """A gateway whose log grows as if it migrated: revision r1, r2, r3 ... one line every 10 ms."""

    def __init__(self, migrates: bool) -> None:
        self.lines = ["# suite: mcpgateway"]
        self.migrates, self.killed = migrates, threading.Event()

    def log_text(self) -> str:
        return "\n".join(self.lines)

    def kill(self) -> None:
        self.killed.set()

    def run(self) -> str:
        for number in range(1, 20):
            if self.killed.is_set():
                return "refused to run (exited)"
            if self.migrates:
                self.lines.append(f"INFO Running upgrade r{number - 1} -> r{number}, step")
            time.sleep(0.01)
        return STARTED


def test_the_gateway_that_reaches_the_revision_is_the_one_killed():
    gateways = [FakeGateway(False), FakeGateway(True), FakeGateway(False)]
    killed, outcomes = start_killing_the_migrator(
        gateways, "r5", FakeGateway.run, lambda: ["x7h8i9j0k1l2"], timeout=5, interval=0.005
    )
    assert killed is not None and killed.index == 2 and killed.at_revision == "r5" and not killed.had_finished
    assert killed.revisions_started >= 5 and killed.stamped_after_kill == ["x7h8i9j0k1l2"]
    assert outcomes == [STARTED, "refused to run (exited)", STARTED]


def test_no_gateway_reaching_the_revision_kills_none():
    killed, outcomes = start_killing_the_migrator(
        [FakeGateway(False)], "r5", FakeGateway.run, lambda: [], timeout=5, interval=0.005
    )
    assert killed is None and outcomes == [STARTED]


@pytest.fixture
def engine():
    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        connection.execute(text(f"INSERT INTO alembic_version VALUES ('{HEAD}')"))
    return engine


KILLED = KilledReplica(2, "r13", 11.1, 13, False, ["x7h8i9j0k1l2"])
AFTER = ["INFO Running upgrade x -> y\nINFO Database ready", "INFO Database ready"]


def test_the_others_finishing_once_passes(engine):
    assert migrated_once_after_kill(engine, FakeRelease, KILLED, [STARTED, STARTED], AFTER).ok


def test_a_kill_after_the_migration_finished_proves_nothing(engine):
    problems = migrated_once_after_kill(
        engine, FakeRelease, replace(KILLED, had_finished=True), [STARTED, STARTED], AFTER
    ).problems()
    assert problems == [
        "a gateway was killed while it migrated (before the head was stamped): "
        + replace(KILLED, had_finished=True).render()
    ]
    assert not migrated_once_after_kill(engine, FakeRelease, None, [STARTED, STARTED], AFTER).ok


def test_a_kill_that_found_the_head_already_stamped_proves_nothing(engine):
    """1.1.0's last revision can finish between the log line and the SIGKILL: nothing was interrupted."""
    late = replace(KILLED, stamped_after_kill=[HEAD])
    assert (
        migrated_once_after_kill(engine, FakeRelease, late, [STARTED, STARTED], AFTER)
        .problems()[0]
        .startswith("a gateway was killed while it migrated (before the head was stamped)")
    )


def test_a_replica_that_stays_down_two_migrations_or_a_failure_are_named(engine):
    problems = migrated_once_after_kill(
        engine,
        FakeRelease,
        KILLED,
        [STARTED, "never reported healthy"],
        [AFTER[0], AFTER[0] + "\nERROR Migration/Bootstrap failed: duplicate column"],
    ).problems()
    assert (
        "every gateway is ready (the killed one after its restart): gateway 1 started and reported healthy; gateway "
        "2 never reported healthy" in problems
    )
    assert (
        "exactly one gateway ran the migration after the kill: gateways that logged 'Running upgrade' after it: [1, 2]"
        in problems
    )
    assert "no gateway logged a migration failure after the kill: {2: 'Migration/Bootstrap failed'}" in problems


def test_a_database_left_short_of_the_head_fails(engine):
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'r13'"))
    assert migrated_once_after_kill(engine, FakeRelease, KILLED, [STARTED, STARTED], AFTER).problems() == [
        "alembic_version is GA's head, once: ['r13']"
    ]


def test_a_kill_after_the_head_was_stamped_or_the_start_finished_missed_its_window():
    assert not KILLED.missed("head-of-to")
    assert replace(KILLED, had_finished=True).missed("head-of-to")
    assert replace(KILLED, stamped_after_kill=["head-of-to"]).missed("head-of-to")


def test_a_migration_failure_after_the_kill_is_named_by_the_databases_own_words(engine):
    """1.1.0 logs "Database migration failed" (earlier releases "Migration/Bootstrap failed"): the check sees both, and
    the problem names what the database said, so the declared 1.0.9 -> 1.1.0 defect matches its evidence."""
    failed = (
        '{"message": "Database migration failed: (sqlite3.OperationalError) table _alembic_tmp_email_users already '
        'exists\\n[SQL: CREATE TABLE _alembic_tmp_email_users (...)]"}'
    )
    verdict = migrated_once_after_kill(
        engine, FakeRelease, KILLED, ["refused to run (exited)", STARTED], [failed, failed]
    )
    kinds = {(p.kind, p.keys) for p in verdict.findings()}
    assert ("migration failed after the kill", ("table _alembic_tmp_email_users already exists",)) in kinds
    assert migration_error("Migration/Bootstrap failed: boom") == "Migration/Bootstrap failed"
    assert migration_error("INFO Database ready") is None
