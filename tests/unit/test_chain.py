"""The revision chain and the verdicts of the migration experiments, on made-up data."""

from pathlib import Path

import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.judging.checks import ended_cleanly, interrupts_survived, rolled_back_each_time, walk_succeeded
from upgrade_suite.releases.specs import Release, ReleaseSpec
from upgrade_suite.services.chain import Outcome, WalkStep, chain
from upgrade_suite.services.migrations import AlembicRun

SPEC = ReleaseSpec("GA", "pypi", "1.0.0", "x", "1.0.0", "2026-05-20T00:00:00Z")


def release(graph: dict[str, list[str]], head: str) -> Release:
    return Release(SPEC, Path("/nowhere"), {"alembic_revisions": graph, "alembic_heads": [head]})


def test_chain_is_parent_first_and_excludes_the_base_and_its_ancestors():
    graph = {"a": [], "b": ["a"], "c": ["b"], "d1": ["c"], "d2": ["c"], "e": ["d1", "d2"], "f": ["e"]}
    assert chain(release(graph, "f"), "c") == ["d1", "d2", "e", "f"]
    assert chain(release(graph, "f"), "f") == []


def test_chain_refuses_an_unknown_base():
    with pytest.raises(SuiteError, match="does not know revision zz"):
        chain(release({"a": []}, "a"), "zz")


def run(exit_code: int, output: str = "") -> AlembicRun:
    return AlembicRun("GA (1.0.0)", ("upgrade", "head"), exit_code, output, 1.0)


def test_a_failed_retry_or_a_difference_fails_the_interrupt_verdict():
    good = Outcome("r1", "# suite: SIGKILL as revision r1 starts", ["base"], run(0), True)
    failed_retry = Outcome(
        "r2",
        "# suite: SIGKILL inside revision r2",
        ["r1"],
        run(1, "sqlite3.OperationalError: table _alembic_tmp_x already exists\n"),
        False,
    )
    different = Outcome(
        "r3",
        "# suite: SIGKILL inside revision r3",
        ["r2"],
        run(0),
        True,
        ["column tools.x: only in the migrated database"],
    )
    verdict = interrupts_survived([good, failed_retry, different])
    assert not verdict.ok
    assert [p.split(":")[0] for p in verdict.problems()] == ["r2", "r3"]
    assert "_alembic_tmp_x already exists" in verdict.render()


def test_the_walk_names_the_first_failing_revision_and_a_short_walk_fails():
    steps = [
        WalkStep("up", "r1", True, "", 0.1),
        WalkStep("up", "r2", False, "OperationalError: no such table: prompts", 0.1),
    ]
    verdict = walk_succeeded(steps, expected=4)
    assert not verdict.ok
    assert verdict.problems() == ["up to r2: OperationalError: no such table: prompts", "all steps ran: 2 of 4"]


def test_gateways_started_together_must_migrate_once_and_cleanly(tmp_path):
    from sqlalchemy import create_engine

    from upgrade_suite.judging.hazard_checks import migrated_once, refuses_newer_database

    engine = create_engine(f"sqlite:///{tmp_path}/db.sqlite")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE alembic_version (version_num TEXT)")
        connection.exec_driver_sql("INSERT INTO alembic_version VALUES ('head1')")
    ga = release({"head1": []}, "head1")
    assert migrated_once(engine, ga, ["INFO Running upgrade a -> head1", "nothing to do"]).ok
    twice = migrated_once(engine, ga, ["INFO Running upgrade a -> head1", "INFO Running upgrade a -> head1"])
    assert twice.problems() == ["exactly one gateway ran the migration: gateways that logged 'Running upgrade': [1, 2]"]
    assert not migrated_once(engine, ga, ["Running upgrade a -> head1", "Migration/Bootstrap failed: boom"]).ok
    assert refuses_newer_database("refused to run (exited)", []).ok
    assert not refuses_newer_database("started and reported healthy", ["Can't locate revision"]).ok


def test_a_killed_upgrade_must_leave_the_old_head_and_one_never_killed_is_not_counted():
    kept = Outcome("r1", "# suite: SIGKILL inside revision r1", ["old"], run(0), True)
    moved = Outcome("r2", "# suite: SIGKILL inside revision r2", ["r1"], run(0), True)
    untouched = Outcome("r3", "", ["new"], run(0), True)
    assert rolled_back_each_time([kept, untouched], "old").ok
    verdict = rolled_back_each_time([kept, moved], "old")
    assert not verdict.ok and verdict.problems() == ["r2 left at old: left at ['r1']"]
    assert not rolled_back_each_time([untouched], "old").ok  # nothing was killed: no verdict


def test_a_failed_run_names_its_error_not_sqlalchemys_trailing_link():
    output = (
        "Running upgrade a -> b\nsqlalchemy.exc.OperationalError: (sqlite3.OperationalError) table "
        "_alembic_tmp_email_users already exists\n[SQL: CREATE TABLE ...]\n(Background on this error at: https://sqlalche.me/e/21/e3q8)\n"
    )
    assert (
        run(1, output).error
        == "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) table _alembic_tmp_email_users already exists"
    )


STRUCK_R1 = (
    "# suite: TERMINATED backend 4242 (the migration's own connection) inside revision r1, after its first change: "
    "ALTER TABLE tools ADD x; pg_terminate_backend -> True; gone from pg_stat_activity after 0.01 s"
)
ENDED = "psycopg.errors.AdminShutdown: terminating connection due to administrator command"


def test_an_ended_connection_must_hit_its_backend_and_stop_the_migration_with_that_one_error():
    def ended(exit_code: int, output: str, seconds: float = 2.0, struck: str = STRUCK_R1) -> Outcome:
        interrupted = AlembicRun("GA", ("upgrade", "head"), exit_code, output, seconds)
        return Outcome("r1", struck, ["old"], run(0), True, interrupted=interrupted)

    assert ended_cleanly([ended(1, ENDED), Outcome("r2", "", ["old"], run(0), True)], 600).ok
    for wrong in (
        ended(0, ENDED),  # the migration went on as if nothing happened
        ended(1, "sqlalchemy.exc.ProgrammingError: relation x does not exist"),  # another error in its place
        ended(1, ENDED, seconds=600.0),  # it hung until the suite's bound
        ended(1, ENDED, struck=STRUCK_R1.replace("-> True", "-> False")),  # the server ended nothing
    ):
        verdict = ended_cleanly([wrong], 600)
        assert [p.kind for p in verdict.findings()] == ["ended connection not a clean failure"], wrong
    assert not ended_cleanly([Outcome("r2", "", ["old"], run(0), True)], 600).ok, "nothing ended is no verdict"


def test_a_stopped_server_counts_as_an_ended_connection_when_it_hit_and_the_migration_said_so():
    struck = (
        "# suite: CRASHED the server inside revision r1, after its first change: ALTER TABLE t; pg_ctl stop -> True"
    )
    said = "psycopg.OperationalError: consuming input failed: server closed the connection unexpectedly"
    interrupted = AlembicRun("GA", ("upgrade", "head"), 1, said, 6.3)
    assert ended_cleanly([Outcome("r1", struck, ["old"], run(0), True, interrupted=interrupted)], 600).ok
