"""Slower, proven: the release's logged statements planned on two databases, a lost index named with its queries."""

from pathlib import Path

from sqlalchemy import create_engine, text

from upgrade_suite.judging.plans import (
    PlannedQuery,
    QueryPlans,
    _numbered,
    explain,
    indexes,
    naming,
    scanned,
    statements,
)

ECHOED = """\
2026-12-07 10:40:00,123 INFO sqlalchemy.engine.Engine BEGIN (implicit)
2026-12-07 10:40:00,124 INFO sqlalchemy.engine.Engine SELECT tools.id, tools.name
FROM tools
WHERE tools.team_id = ?
2026-12-07 10:40:00,124 INFO sqlalchemy.engine.Engine [generated in 0.00012s] ('t1',)
{"level": "INFO", "message": "a request"}
2026-12-07 10:40:00,200 INFO sqlalchemy.engine.Engine SELECT tools.id, tools.name
FROM tools
WHERE tools.team_id = ?
2026-12-07 10:40:00,201 INFO sqlalchemy.engine.Engine [cached since 0.08s ago] ('t2',)
2026-12-07 10:40:00,300 INFO sqlalchemy.engine.Engine INSERT INTO tools (id, name) VALUES (?, ?)
2026-12-07 10:40:00,400 INFO sqlalchemy.engine.Engine DELETE FROM tools WHERE tools.id = ?
2026-12-07 10:40:00,500 INFO sqlalchemy.engine.Engine COMMIT
"""


def test_the_logged_statements_are_read_once_each_with_their_lines_and_without_values_or_inserts():
    assert statements(ECHOED) == [
        "SELECT tools.id, tools.name\nFROM tools\nWHERE tools.team_id = ?",
        "DELETE FROM tools WHERE tools.id = ?",
    ]


def test_every_statement_that_reads_or_writes_counts_the_inserts_too():
    assert len(statements(ECHOED, every=True)) == 3
    assert "INSERT INTO tools (id, name) VALUES (?, ?)" in statements(ECHOED, every=True)


def test_a_table_is_met_by_the_statements_that_name_it_as_a_word():
    ran = statements(ECHOED, every=True)
    assert naming(ran, "tools") == 3
    assert naming(ran, "tools", "team_id") == 1  # the column too
    assert naming(ran, "tool") == 0  # not inside a longer name
    assert naming(ran, "migration_metadata") == 0
    assert naming(['SELECT "migration_metadata".key FROM "migration_metadata"'], "migration_metadata") == 1


def test_a_full_read_is_told_from_a_lookup_on_both_engines():
    assert scanned("SCAN tools") == {"tools"}
    assert scanned("SCAN email_team_members USING COVERING INDEX sqlite_autoindex_email_team_members_2") == {
        "email_team_members"  # all of an index is a whole read too, not a lookup
    }
    assert scanned("SEARCH tools USING INDEX ix_tools_team_id (team_id=?)\nSCAN CONSTANT ROW") == frozenset()
    seq = "Seq Scan on tools  (cost=10000000000.00..10000000001.01 rows=1 width=64)\n  Filter: (team_id = $1)"
    assert scanned(seq) == {"tools"}
    whole_index = "Index Scan using tools_pkey on tools  (cost=0.15..8.17 rows=1)\n  Filter: ((team_id)::text = $1)"
    assert scanned(whole_index) == {"tools"}
    lookup = "Index Scan using ix_tools_team_id on tools  (cost=0.15..8.17 rows=1)\n  Index Cond: (team_id = $1)"
    assert scanned(lookup) == frozenset() and indexes(lookup) == {"ix_tools_team_id"}
    bitmap = (
        "Bitmap Heap Scan on tools\n  Recheck Cond: (team_id = $1)\n  ->  Bitmap Index Scan on ix_tools_team_id\n"
        "        Index Cond: (team_id = $1)"
    )
    assert scanned(bitmap) == frozenset() and indexes(bitmap) == {"ix_tools_team_id"}


def test_psycopg_placeholders_become_postgresql_numbered_ones_each_name_once():
    statement = "SELECT * FROM t WHERE a = %(a_1)s AND b LIKE 'x%%' AND c = %(a_1)s OR d = %(d_1)s"
    assert _numbered(statement) == "SELECT * FROM t WHERE a = $1 AND b LIKE 'x%' AND c = $1 OR d = $2"


def _database(path: Path, indexed: bool):
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE tools (id TEXT PRIMARY KEY, name TEXT, team_id TEXT)"))
        if indexed:
            connection.execute(text("CREATE INDEX ix_tools_team_id ON tools (team_id)"))
    return engine


def test_an_index_only_a_fresh_install_has_is_named_with_the_query_that_lost_it(tmp_path: Path):
    upgraded, fresh = _database(tmp_path / "upgraded.db", False), _database(tmp_path / "fresh.db", True)
    by_team, by_id = statements(ECHOED)[0], "SELECT tools.name FROM tools WHERE tools.id = ?"
    queries = [PlannedQuery(s, explain(upgraded, s), explain(fresh, s)) for s in (by_team, by_id)]
    plans = QueryPlans("1.1.0", queries, {}, {"ix_tools_team_id": "index tools(team_id)"})
    assert [q.statement for q in plans.slower] == [by_team] and plans.faster == plans.replanned == []
    assert plans.lost_indexes() == {"index tools(team_id)": 1}
    assert plans.summary() == (
        "2 distinct statements 1.1.0 ran in the workload: 1 read a table whole on the upgraded database that a fresh "
        "install reads by an index the upgraded one lacks (the indexes lost: index tools(team_id) (1)); they use 1 of "
        "the 1 indexes only a fresh install has; 0 the other way round"
    )
    same = QueryPlans("1.1.0", [PlannedQuery(by_team, explain(fresh, by_team), explain(fresh, by_team))])
    assert same.slower == [] and "0 read a table whole" in same.summary()


def test_a_plan_that_differs_though_both_sides_have_the_index_is_the_planners_choice_not_slower():
    whole = "Index Scan using uq_team_owner_slug_gateway on gateways\n  Filter: ((id)::text = ($1)::text)"
    lookup = "Index Scan using pk_gateways on gateways\n  Index Cond: ((id)::text = ($1)::text)"
    upgraded = {"gateways_pkey": "index gateways(id)", "uq_team_owner_slug_gateway": "index gateways(team_id, slug)"}
    fresh = {"pk_gateways": "index gateways(id)"}  # another name, the same columns: the upgraded side could use it
    plans = QueryPlans("1.1.0", [PlannedQuery("SELECT ...", whole, lookup)], upgraded, fresh)
    assert plans.slower == [] and len(plans.replanned) == 1 and not plans.lost_indexes()
    assert "1 planned otherwise with the same indexes on both" in plans.summary()
    lacking = QueryPlans("1.1.0", [PlannedQuery("SELECT ...", whole, lookup)], {}, fresh)
    assert lacking.lost_indexes() == {"index gateways(id)": 1}  # without it on the upgraded side, it is slower


def test_a_statement_one_side_cannot_plan_is_counted_apart_never_slower(tmp_path: Path):
    fresh = _database(tmp_path / "fresh.db", True)
    statement = "SELECT migration_metadata.id FROM migration_metadata"
    query = PlannedQuery(statement, explain(fresh, statement), "SCAN migration_metadata")
    assert query.upgraded.startswith("no plan: ") and query.unplanned and not query.lost
    assert "1 could not be planned on one side" in QueryPlans("1.1.0", [query]).summary()


def test_no_logged_statement_says_not_measured():
    assert QueryPlans("1.1.0", []).summary() == "not measured: 1.1.0 logged no statement (SQLALCHEMY_ECHO)"
