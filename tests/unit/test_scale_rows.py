"""SQLite's in-database row comparison: lost rows, altered values and a dropped table's rows count; a new column not."""

import sqlite3

from upgrade_suite.judging.rows import row_check
from upgrade_suite.services.database import SqliteDatabase


def test_lost_and_altered_rows_are_counted_and_an_added_column_is_not(tmp_path):
    database = SqliteDatabase(tmp_path)
    with sqlite3.connect(database.path) as db:
        db.execute("CREATE TABLE tools (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("CREATE TABLE metrics (id INTEGER PRIMARY KEY, seconds REAL)")
        db.execute("CREATE TABLE gone (id INTEGER)")
        db.execute("CREATE TABLE empty_and_gone (id INTEGER)")
        db.executemany("INSERT INTO gone VALUES (?)", [(n,) for n in range(3)])
        db.executemany("INSERT INTO tools VALUES (?, ?)", [(n, f"tool-{n}") for n in range(5)])
        db.executemany("INSERT INTO metrics VALUES (?, ?)", [(n, n / 10) for n in range(4)])
    check = row_check(database)
    with sqlite3.connect(database.path) as db:  # what a migration might do
        db.execute("DELETE FROM tools WHERE id = 1")
        db.execute("UPDATE tools SET name = 'renamed' WHERE id = 2")
        db.execute("ALTER TABLE metrics ADD COLUMN tier TEXT DEFAULT 'raw'")
        db.execute("DROP TABLE gone")
        db.execute("DROP TABLE empty_and_gone")
    result = check.compare({"tools": 5, "metrics": 4, "gone": 3, "empty_and_gone": 0})
    assert result.differing == {"tools": 2, "gone": 3} and result.unit == "rows"
    assert result.compared == {"tools": 5, "metrics": 4}
    assert not list(tmp_path.glob("before-migration*")), "the copy is removed once compared"


def test_a_declared_column_is_held_to_its_rule_row_by_row_and_reported_as_transformed(tmp_path):
    from upgrade_suite.judging.transformations import Expectation

    prefixed = Expectation("sql", ("resources",), "name", "gains a prefix (keeps the old value at its end)", "why")
    database = SqliteDatabase(tmp_path)
    with sqlite3.connect(database.path) as db:
        db.execute("CREATE TABLE resources (id TEXT PRIMARY KEY, name TEXT, uri TEXT)")
        db.executemany("INSERT INTO resources VALUES (?, ?, ?)", [(f"r{n}", f"doc-{n}", f"u{n}") for n in range(4)])
    check = row_check(database)
    with sqlite3.connect(database.path) as db:
        db.execute("UPDATE resources SET name = 'gw-' || name WHERE id IN ('r0', 'r1')")  # as declared
        db.execute("UPDATE resources SET name = 'renamed' WHERE id = 'r2'")  # not what the rule allows
    result = check.compare({"resources": 4}, [prefixed])
    assert result.transformed == {"resources.name": (2, "why")}
    assert result.differing == {"resources": 1}, "a move the declaration does not explain is still a difference"


def test_compare_rows_holds_the_pairs_declared_transformations_to_their_rule(tmp_path):
    from upgrade_suite.judging.rows import compare_rows

    database = SqliteDatabase(tmp_path)
    with sqlite3.connect(database.path) as db:
        db.execute("CREATE TABLE resources (id TEXT PRIMARY KEY, name TEXT)")
        db.executemany("INSERT INTO resources VALUES (?, ?)", [(f"r{n}", f"doc-{n}") for n in range(3)])
    check = row_check(database)
    with sqlite3.connect(database.path) as db:  # 1.1.0 namespaces a federated resource's name
        db.execute("UPDATE resources SET name = 'peer-' || name WHERE id = 'r0'")
    moved = compare_rows({"resources": 3}, check, "1.0.0", "1.1.0")
    assert moved.ok and list(moved.transformed) == ["resources.name"]
    check = row_check(database)
    with sqlite3.connect(database.path) as db:
        db.execute("UPDATE resources SET name = 'peer-' || name WHERE id = 'r1'")
    assert compare_rows({"resources": 3}, check, "1.0.0", "1.0.0").differing == {"resources": 1}, "GA declares none"
