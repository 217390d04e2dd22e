"""Writes built from the differences on tables no user operation reaches, done on two real SQLite databases: each
difference a write can show is shown, a write that ends the same says so, and nothing a write does is kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from upgrade_suite.judging.model_facts import ModelFacts
from upgrade_suite.judging.row_probes import (
    DELETE_REFERENCED,
    LEAVE_UNSET,
    STORE,
    WRITE_DIFFERS,
    Ended,
    RowOperation,
    WriteProbe,
    WriteProbes,
    row_operations,
    unbuilt,
)
from upgrade_suite.judging.row_writes import write
from upgrade_suite.judging.schema import compare, describe
from upgrade_suite.judging.triage import triage

USERS = "CREATE TABLE email_users (email VARCHAR(255) PRIMARY KEY, full_name VARCHAR(255) NOT NULL)"
#: A task table as GA's migrations leave it, and as a fresh 1.1.0 creates it.
TASKS_UPGRADED = "CREATE TABLE a2a_tasks (id VARCHAR(36) PRIMARY KEY, state VARCHAR(50) NOT NULL, note TEXT)"
TASKS_FRESH = (
    "CREATE TABLE a2a_tasks (id VARCHAR(36) PRIMARY KEY, state VARCHAR NOT NULL DEFAULT 'submitted', note JSON)"
)
#: A reference only one side has, as with pending_user_approvals(approved_by).
APPROVALS = (
    "CREATE TABLE pending_user_approvals "
    "(id INTEGER PRIMARY KEY, email VARCHAR(255) NOT NULL, approved_by VARCHAR(255){})"
)
#: As SQLAlchemy and Alembic write a reference (a table constraint: SQLite keeps its ON DELETE only so).
REFERENCE = ", FOREIGN KEY(approved_by) REFERENCES email_users (email)"


def database(path: Path, *statements: str) -> Engine:
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    return engine


@pytest.fixture
def sides(tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    upgraded = database(tmp_path / "upgraded.db", USERS, TASKS_UPGRADED, APPROVALS.format(REFERENCE))
    fresh = database(tmp_path / "fresh.db", USERS, TASKS_FRESH, APPROVALS.format(""))
    yield upgraded, fresh
    upgraded.dispose()
    fresh.dispose()


def planned(upgraded: Engine, fresh: Engine) -> tuple[list, list[str]]:
    diff = compare(describe(upgraded), describe(fresh), "t")
    consequences = triage(diff, "sqlite").consequences
    built = row_operations(diff, consequences)
    return built, unbuilt(consequences, built)


def probe(upgraded: Engine, fresh: Engine, kind: str, foreign_keys: bool = True) -> WriteProbe:
    operations, _ = planned(upgraded, fresh)
    operation = next(o for o in operations if o.kind == kind)
    return WriteProbe(
        operation, "1.1.0", write(upgraded, operation, foreign_keys), write(fresh, operation, foreign_keys)
    )


def rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("email_users", "a2a_tasks", "pending_user_approvals")
        }


def test_each_behaviour_line_of_an_unreached_table_gets_its_write_and_a_type_stays_a_claim(sides) -> None:
    operations, claims = planned(*sides)
    assert {(o.key, o.kind) for o in operations} == {
        ("column a2a_tasks.state", STORE),  # its length: VARCHAR(50) against none
        ("column a2a_tasks.state", LEAVE_UNSET),  # its default
        ("foreign key pending_user_approvals(approved_by)", DELETE_REFERENCED),
    }
    assert [c for c in claims if "note" in c] == ["column a2a_tasks.note: migrated TEXT | fresh JSON"]


def test_a_length_sqlite_ignores_is_written_and_shown_to_change_nothing(sides) -> None:
    found = probe(*sides, STORE)
    assert found.same and found.upgraded.result == "stored"
    assert found.sentence() == (
        "no difference: storing an a2a_tasks row whose state has 51 characters is stored on the upgraded database and "
        "on a fresh install"
    )


def test_a_length_on_postgresql_is_written_one_character_over() -> None:
    diff = compare(
        {"table a2a_tasks": "present", "column a2a_tasks.task_id": "VARCHAR(255) NOT NULL"},
        {"table a2a_tasks": "present", "column a2a_tasks.task_id": "VARCHAR NOT NULL"},
        "t",
    )
    (operation,) = row_operations(diff, triage(diff, "postgresql").consequences)
    assert (operation.kind, len(operation.value or "")) == (STORE, 256)
    assert operation.what == "storing an a2a_tasks row whose task_id has 256 characters"


def test_a_reached_table_is_left_to_the_workload() -> None:
    diff = compare({"column tools.name": "VARCHAR(255) NOT NULL"}, {"column tools.name": "VARCHAR(255)"}, "t")
    assert row_operations(diff, triage(diff, "sqlite").consequences) == []


def test_an_unset_column_is_refused_where_only_the_other_side_has_a_default(sides) -> None:
    found = probe(*sides, LEAVE_UNSET)
    assert (found.upgraded.result, found.fresh.result) == ("refused", "stored, state = 'submitted'")
    assert "NOT NULL constraint failed: a2a_tasks.state" in found.upgraded.message
    (problem,) = found.findings()
    assert problem.kind == WRITE_DIFFERS
    assert problem.text == (
        "on the upgraded database, storing an a2a_tasks row that leaves state unset is refused (NOT NULL constraint "
        "failed: a2a_tasks.state); on a fresh 1.1.0 install it is stored, state = 'submitted'"
    )


def test_deleting_a_referenced_user_is_refused_only_where_the_reference_is(sides) -> None:
    found = probe(*sides, DELETE_REFERENCED)
    assert found.upgraded.result == "refused" and "FOREIGN KEY" in found.upgraded.message
    assert found.fresh.result == "done, the pending_user_approvals row left naming nothing"


def test_with_foreign_keys_off_as_a_release_may_run_sqlite_the_reference_guards_nothing(sides) -> None:
    found = probe(*sides, DELETE_REFERENCED, foreign_keys=False)
    assert found.same and found.findings() == []
    assert found.sentence().startswith("no difference: deleting the row a pending_user_approvals row's approved_by")


def test_a_cascade_deletes_the_referring_row(tmp_path: Path) -> None:
    cascading = database(tmp_path / "c.db", USERS, APPROVALS.format(REFERENCE + " ON DELETE CASCADE"))
    plain = database(tmp_path / "p.db", USERS, APPROVALS.format(REFERENCE))
    found = probe(cascading, plain, DELETE_REFERENCED)
    assert (found.upgraded.result, found.fresh.result) == (
        "done, the pending_user_approvals row deleted with it",
        "refused",
    )


def test_a_null_is_sql_null_even_in_a_json_column(tmp_path: Path) -> None:
    """SQLAlchemy writes None into a JSON column as the JSON text 'null', which NOT NULL lets through."""
    upgraded = database(
        tmp_path / "u.db", "CREATE TABLE toolops_test_cases (id VARCHAR(32) PRIMARY KEY, cases JSON NOT NULL)"
    )
    fresh = database(tmp_path / "f.db", "CREATE TABLE toolops_test_cases (id VARCHAR(32) PRIMARY KEY, cases JSON)")
    found = probe(upgraded, fresh, STORE)
    assert (found.upgraded.result, found.fresh.result) == ("refused", "stored")


def test_a_value_that_is_a_reference_is_written_with_the_row_it_names(tmp_path: Path) -> None:
    """Else the write is refused on both sides for naming nothing, and proves nothing about the difference."""
    engine = database(
        tmp_path / "s.db",
        "CREATE TABLE mcp_sessions (session_id VARCHAR(255) PRIMARY KEY)",
        "CREATE TABLE mcp_messages (id INTEGER PRIMARY KEY, session_id VARCHAR(255) NOT NULL, "
        "FOREIGN KEY(session_id) REFERENCES mcp_sessions (session_id))",
    )
    operation = RowOperation("column mcp_messages.session_id", STORE, "mcp_messages", ("session_id",), "x" * 256)
    assert write(engine, operation, foreign_keys=True) == Ended("stored")


def test_nothing_a_write_does_is_kept(sides) -> None:
    for engine in sides:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO email_users VALUES ('admin@example.com', 'Admin')"))
    before = [rows(engine) for engine in sides]
    operations, _ = planned(*sides)
    for operation in operations:
        for engine in sides:
            write(engine, operation, foreign_keys=True)
    assert [rows(engine) for engine in sides] == before


def test_the_verdict_is_red_only_for_a_write_that_ends_differently(sides) -> None:
    probes = [probe(*sides, kind) for kind in (LEAVE_UNSET, DELETE_REFERENCED)]
    verdict = WriteProbes("1.1.0", probes, ["column a2a_tasks.note: migrated TEXT | fresh JSON"])
    assert not verdict.ok and len(verdict.findings()) == 2
    assert "(2 of 2 end differently)" in verdict.title
    assert "no write shows it, still a claim: column a2a_tasks.note" in verdict.render()
    assert WriteProbes("1.1.0", [], []).ok


def test_a_write_the_release_never_makes_is_left_out_and_its_models_are_named(sides) -> None:
    """1.1.0's ORM fills a2a_tasks.state on every insert ("submitted"): leaving it unset is no write it makes, and
    the length it declares says which side its code expects."""
    diff = compare(describe(sides[0]), describe(sides[1]), "t")
    state = {"type": "VARCHAR(50)", "nullable": False, "python_default": True, "server_default": None}
    model = ModelFacts({"a2a_tasks": {"columns": {"state": state}, "foreign_keys": {}}}, True)
    operations = [
        o for o in row_operations(diff, triage(diff, "postgresql", model).consequences, model) if o.table == "a2a_tasks"
    ]
    assert [o.kind for o in operations] == [STORE]
    assert operations[0].declared == (
        "the release's models declare a2a_tasks.state VARCHAR(50) NOT NULL (its ORM fills it on insert)"
    )
