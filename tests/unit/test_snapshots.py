"""The data-fidelity diff: it names exactly which table, row and field was lost or changed."""

from pathlib import Path

from sqlalchemy import create_engine, text

from upgrade_suite.judging.expectations import expected_transformations
from upgrade_suite.judging.snapshots import Snapshot, diff, sql_snapshot
from upgrade_suite.judging.transformations import Change, Expectation


def make_db(path: Path, extra_column: bool = False):
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        columns = "id TEXT PRIMARY KEY, name TEXT, team_id TEXT" + (", title TEXT" if extra_column else "")
        connection.execute(text(f"CREATE TABLE tools ({columns})"))
        connection.execute(text("CREATE TABLE tags (tag TEXT)"))  # no primary key
        connection.execute(text("CREATE TABLE alembic_version (version_num TEXT)"))
        connection.execute(
            text("INSERT INTO tools (id, name, team_id) VALUES ('t1', 'alpha', NULL), ('t2', 'beta', NULL)")
        )
        connection.execute(text("INSERT INTO tags VALUES ('x'), ('x'), ('y')"))
    return engine


def snap(engine) -> Snapshot:
    try:
        return sql_snapshot(engine)
    finally:
        engine.dispose()


def test_identical_databases_have_an_empty_diff(tmp_path: Path):
    before = snap(make_db(tmp_path / "a.db"))
    result = diff(before, snap(make_db(tmp_path / "b.db")))
    assert result.ok and result.rows_compared == 5
    assert "alembic_version" not in before.groups  # revisions are judged by their own check


def test_a_deleted_row_is_named_by_table_and_key(tmp_path: Path):
    before = snap(make_db(tmp_path / "a.db"))
    engine = make_db(tmp_path / "b.db")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM tools WHERE id = 't2'"))
    result = diff(before, snap(engine))
    assert not result.ok
    assert result.problems() == ["sql: tools row [id=t2] was lost"]


def test_an_altered_value_is_named_with_both_values(tmp_path: Path):
    before = snap(make_db(tmp_path / "a.db"))
    engine = make_db(tmp_path / "b.db")
    with engine.begin() as connection:
        connection.execute(text("UPDATE tools SET name = 'ALPHA' WHERE id = 't1'"))
    assert diff(before, snap(engine)).problems() == ["sql: tools [id=t1] name: 'alpha' -> 'ALPHA'"]
    assert [(p.kind, p.keys) for p in diff(before, snap(engine)).findings()] == [
        ("value changed", ("sql", "tools", "name=alpha", "name"))  # by its name: ids differ between seeded runs
    ]


def test_rows_without_primary_key_are_compared_as_a_multiset(tmp_path: Path):
    before = snap(make_db(tmp_path / "a.db"))
    engine = make_db(tmp_path / "b.db")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM tags WHERE rowid = (SELECT MIN(rowid) FROM tags WHERE tag = 'x')"))
    result = diff(before, snap(engine))
    assert len(result.lost_rows) == 1 and result.lost_rows[0][0] == "tags"


def test_new_columns_are_not_changes_but_are_listed(tmp_path: Path):
    result = diff(snap(make_db(tmp_path / "a.db")), snap(make_db(tmp_path / "b.db", extra_column=True)))
    assert result.ok
    assert result.fields_not_compared == {"tools": ["title"]}
    assert "tools: title" in result.render()


def test_a_dropped_table_with_rows_is_a_loss(tmp_path: Path):
    before = snap(make_db(tmp_path / "a.db"))
    engine = make_db(tmp_path / "b.db")
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE tags"))
    assert diff(before, snap(engine)).problems() == ["sql: tags is gone with all its rows"]


def test_declared_transformation_is_shown_not_failed_and_nothing_else_hides(tmp_path: Path):
    before = snap(make_db(tmp_path / "a.db"))
    engine = make_db(tmp_path / "b.db")
    with engine.begin() as connection:
        connection.execute(text("UPDATE tools SET team_id = 'team-9' WHERE id = 't1'"))
        connection.execute(text("UPDATE tools SET team_id = NULL, name = 'gamma' WHERE id = 't2'"))
    owned = Expectation("sql", ("tools",), "team_id", "set from null", "assigned to the admin's team")
    result = diff(before, snap(engine), [owned])
    assert [c.render() for c in result.expected] == [
        "tools [id=t1] team_id: null -> 'team-9'  [expected: assigned to the admin's team]"
    ]
    assert result.problems() == ["sql: tools [id=t2] name: 'beta' -> 'gamma'"]


def test_an_expectation_does_not_excuse_a_value_moving_the_wrong_way():
    before = Snapshot("sql", {"tools": {"id=1": {"team_id": "team-1"}}}, {"tools": ["team_id"]})
    after = Snapshot("sql", {"tools": {"id=1": {"team_id": "team-2"}}}, {"tools": ["team_id"]})
    owned = Expectation("sql", ("tools",), "team_id", "set from null", "x")
    assert not diff(before, after, [owned]).ok


def test_expectations_apply_only_to_pairs_crossing_their_release():
    rc1_to_ga = {getattr(e, "field", "") for e in expected_transformations("1.0.0rc1", "1.0.0")}
    assert {"permissions", "team_id", "federation_source", "last_seen"} <= rc1_to_ga
    later = {getattr(e, "field", "") for e in expected_transformations("1.0.0", "1.0.7")}
    assert "permissions" not in later and {"team_id", "last_seen"} <= later
    assert {e.field for e in expected_transformations("0.6.0", "0.6.0")} == {"last_seen"}


def test_problems_are_capped_but_counted():
    rows = {f"id={i}": {"v": i} for i in range(30)}
    before = Snapshot("sql", {"t": rows}, {"t": ["v"]})
    after = Snapshot("sql", {"t": {}}, {"t": ["v"]})
    problems = diff(before, after).problems(limit=5)
    assert len(problems) == 6 and problems[-1] == "... and 25 more"


def test_a_declared_loss_hides_only_other_users_private_rows():
    from upgrade_suite.judging.transformations import ExpectedLoss

    rows = {
        "a": {"visibility": "private", "ownerEmail": "someone@example.com"},
        "b": {"visibility": "private", "ownerEmail": "admin@example.com"},
        "c": {"visibility": "public", "ownerEmail": "someone@example.com"},
    }
    before = Snapshot("api", {"tools": rows}, {"tools": ["visibility", "ownerEmail"]})
    after = Snapshot("api", {"tools": {}}, {"tools": ["visibility", "ownerEmail"]})
    hidden = ExpectedLoss("api", ("tools",), (("visibility", "private"),), "ownerEmail", "private rows of others")
    result = diff(before, after, [hidden], viewer="admin@example.com")
    assert [key for _, key, _ in result.hidden_rows] == ["a"]
    assert result.problems() == ["api: tools row [b] was lost", "api: tools row [c] was lost"]


def test_a_new_surrogate_key_matches_rows_by_the_old_key(tmp_path: Path):
    """1.1.0 gives email_users an ``id`` primary key; the admin's row is the same row, found by email."""
    old = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    new = create_engine(f"sqlite:///{tmp_path / 'new.db'}")
    with old.begin() as connection:
        connection.execute(text("CREATE TABLE email_users (email TEXT PRIMARY KEY, full_name TEXT)"))
        connection.execute(
            text("INSERT INTO email_users VALUES ('admin@example.com', 'Admin'), ('u@example.com', 'User')")
        )
    with new.begin() as connection:
        connection.execute(text("CREATE TABLE email_users (email TEXT, full_name TEXT, id TEXT PRIMARY KEY)"))
        connection.execute(
            text(
                "INSERT INTO email_users VALUES ('admin@example.com', 'Admin', 'a1'), ('u@example.com', 'Someone "
                "else', 'b2')"
            )
        )
    result = diff(snap(old), snap(new))
    assert result.problems() == ["sql: email_users [email=u@example.com] full_name: 'User' -> 'Someone else'"]
    assert result.rekeyed == {"email_users": (["email"], ["id"])}
    assert "email_users: (email) -> (id)" in result.render()


def test_a_key_whose_old_columns_are_gone_still_reports_the_rows_lost(tmp_path: Path):
    before = Snapshot("sql", {"t": {"k=1": {"k": 1}}}, {"t": ["k"]}, {"t": ["k"]})
    after = Snapshot("sql", {"t": {"id=9": {"id": 9}}}, {"t": ["id"]}, {"t": ["id"]})
    assert diff(before, after).problems() == ["sql: t row [k=1] was lost"]


def test_a_namespaced_resource_name_is_declared_only_from_1_1_0():
    prefixed = Change("resources", "id=r1", "name", "bulk-resource-1", "bulk-gateway-0-bulk-resource-1")
    declared = [
        e
        for e in expected_transformations("1.0.0", "1.1.0")
        if isinstance(e, Expectation) and e.explains("sql", prefixed)
    ]
    assert declared and not [
        e
        for e in expected_transformations("1.0.0", "1.0.9")
        if isinstance(e, Expectation) and e.explains("sql", prefixed)
    ]
    renamed = Change("resources", "id=r1", "name", "bulk-resource-1", "something-else")
    assert not any(
        isinstance(e, Expectation) and e.explains("sql", renamed) for e in expected_transformations("1.0.0", "1.1.0")
    )
