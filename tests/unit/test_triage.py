"""Every triage rule both ways: what has no effect is said so with its reason, and the same rule never hides a
difference that changes what a user sees (a wrong "no effect" rule hides a defect)."""

from __future__ import annotations

import pytest

from upgrade_suite.judging.model_facts import ModelFacts
from upgrade_suite.judging.schema import compare
from upgrade_suite.judging.triage import BEHAVES, BREAKS, NO_EFFECT, SLOWER, null_questions, triage


def column(type_: str = "VARCHAR(255)", nullable: bool = True, python_default: bool = False) -> dict:
    return {"type": type_, "nullable": nullable, "python_default": python_default, "server_default": None}


def models(sqlite_foreign_keys: bool | None = True, **tables: dict) -> ModelFacts:
    """Mapped tables: name -> {"columns": ..., "unique": [...], "foreign_keys": {...}}."""
    full = {
        name: {"columns": {}, "unique": [], "foreign_keys": {}, "indexes": [], **facts}
        for name, facts in tables.items()
    }
    return ModelFacts(full, sqlite_foreign_keys)


BASE = {"table tools": "present", "table gateways": "present", "column tools.name": "VARCHAR(255) NOT NULL"}


def judged(migrated: dict, fresh: dict, engine: str = "sqlite", model: ModelFacts | None = None) -> list[tuple]:
    """(class, rule, sentence) of each difference between the two schemas."""
    diff = compare({**BASE, **migrated}, {**BASE, **fresh}, "t")
    return [(c.klass, c.rule, c.says) for c in triage(diff, engine, model).consequences]


def only_class(migrated: dict, fresh: dict, engine: str = "sqlite", model: ModelFacts | None = None) -> str:
    classes = {klass for klass, _, _ in judged(migrated, fresh, engine, model)}
    assert len(classes) == 1, classes
    return classes.pop()


def test_a_unique_constraint_and_a_unique_index_on_the_same_columns_refuse_the_same_rows():
    same = only_class({"unique tools(name)": "present"}, {"index tools(name)": "unique"})
    assert same == NO_EFFECT
    weaker = judged({"unique tools(name)": "present"}, {"index tools(name)": "non-unique"})
    assert {klass for klass, _, _ in weaker} == {BEHAVES}
    assert "a second tools row with the same (name) is refused on the upgraded database" in weaker[0][2]


def test_a_unique_constraint_on_one_side_only_says_which_side_the_models_declare():
    model = models(tools={"unique": ["team_id, name"]})
    [(klass, _, says)] = judged({"unique tools(team_id, name)": "present"}, {}, model=model)
    assert klass == BEHAVES and says.endswith("(the release's models declare it)")


def test_varchar_lengths_change_nothing_on_sqlite_and_refuse_values_on_postgresql():
    lengths = ({"column tools.url": "VARCHAR(20)"}, {"column tools.url": "VARCHAR(767)"})
    assert only_class(*lengths, engine="sqlite") == NO_EFFECT
    assert only_class(*lengths, engine="postgresql") == BEHAVES
    assert only_class({"column tools.url": "VARCHAR"}, {"column tools.url": "TEXT"}, "postgresql") == NO_EFFECT
    [(_, _, says)] = judged({"column tools.url": "VARCHAR"}, {"column tools.url": "VARCHAR(20)"}, "postgresql")
    assert says == "a value over 20 characters is refused on a fresh install and stored on the upgraded database"
    [(_, _, says)] = judged(*lengths, engine="postgresql")
    assert says == "a value over 20 characters is refused on the upgraded database and stored on a fresh install"


def test_sqlite_types_of_one_affinity_store_alike_and_of_another_do_not():
    assert only_class({"column tools.n": "INTEGER"}, {"column tools.n": "BIGINT"}) == NO_EFFECT
    assert only_class({"column tools.n": "INTEGER"}, {"column tools.n": "BIGINT"}, "postgresql") == BEHAVES
    # JSON has NUMERIC affinity in SQLite: a JSON value 1 comes back an integer there, text in a TEXT column
    assert only_class({"column tools.doc": "JSON"}, {"column tools.doc": "TEXT"}) == BEHAVES


def test_a_default_the_release_never_uses_has_no_effect_one_it_relies_on_does():
    m, f = {"column tools.enabled": "BOOLEAN NOT NULL"}, {"column tools.enabled": "BOOLEAN NOT NULL DEFAULT '1'"}
    writes = models(tools={"columns": {"enabled": column("BOOLEAN", False, python_default=True)}})
    relies = models(tools={"columns": {"enabled": column("BOOLEAN", False, python_default=False)}})
    assert only_class(m, f, model=writes) == NO_EFFECT
    [(klass, _, says)] = judged(m, f, model=relies)
    assert klass == BEHAVES and "stores nothing: the insert is refused (NOT NULL) on the upgraded database" in says
    assert only_class({"column tools.n": "INTEGER DEFAULT '0'"}, {"column tools.n": "INTEGER DEFAULT 0"}) == NO_EFFECT


def test_ids_from_sequences_of_other_names_are_alike_unless_the_upgraded_one_is_not_the_columns_own():
    own = {"column prompt_metrics.id": "INTEGER NOT NULL DEFAULT nextval('prompt_metrics_id_seq'::regclass)"}
    rebuilt = {"column prompt_metrics.id": "INTEGER NOT NULL DEFAULT nextval('prompt_metrics_tmp_id_seq'::regclass)"}
    assert only_class(own, rebuilt, "postgresql") == NO_EFFECT
    # the upgraded table was rebuilt by a copy: its sequence may lag the ids it copied, so an insert may collide
    assert only_class(rebuilt, own, "postgresql") == BEHAVES
    # a sequence on one side only: an insert without the id is refused on the other
    assert only_class(own, {"column prompt_metrics.id": "INTEGER NOT NULL"}, "postgresql") == BEHAVES


def test_not_null_only_upgraded_refuses_nothing_the_release_writes_itself():
    m, f = {"column tools.tags": "JSON NOT NULL"}, {"column tools.tags": "JSON"}
    assert only_class(m, f, model=models(tools={"columns": {"tags": column("JSON", False, True)}})) == NO_EFFECT
    assert only_class(m, f, model=models(tools={"columns": {"tags": column("JSON", True, True)}})) == BEHAVES
    # the other way round the old release's NULLs may already be stored: a difference whatever the model says
    assert only_class(f, m, model=models(tools={"columns": {"tags": column("JSON", False, True)}})) == BEHAVES


@pytest.mark.parametrize(
    "nulls, nullable, writes_itself, expected",
    [
        (0, False, True, NO_EFFECT),  # none stored, and the release never writes one
        (3, False, True, BEHAVES),  # the old release's NULLs are there: a fresh install would refuse them
        (0, True, True, BEHAVES),  # the model may write a NULL
        (0, False, False, BEHAVES),  # an insert may leave it unset
        (None, False, True, BEHAVES),  # not counted: still a claim
    ],
)
def test_a_not_null_only_a_fresh_install_has_is_probed_on_the_upgraded_data(nulls, nullable, writes_itself, expected):
    m, f = {"column tools.created_at": "TIMESTAMP"}, {"column tools.created_at": "TIMESTAMP NOT NULL"}
    model = models(tools={"columns": {"created_at": column("DATETIME", nullable, writes_itself)}})
    diff = compare({**BASE, **m}, {**BASE, **f}, "t")
    assert null_questions(diff) == [("tools", "created_at")]  # what the lab counts
    assert null_questions(compare({**BASE, **f}, {**BASE, **m}, "t")) == []  # NOT NULL on the upgraded side: nothing
    counted = {} if nulls is None else {"tools.created_at": nulls}
    [consequence] = triage(diff, "sqlite", model, counted).consequences
    assert consequence.klass == expected
    assert ("probed: no row" in consequence.says) == (expected == NO_EFFECT)
    assert ("(3 row(s) of it do now)" in consequence.says) == (nulls == 3)


def test_a_mapped_table_or_column_the_upgraded_database_lacks_breaks_the_release():
    model = models(tools={"columns": {"name": column()}}, gateways={}, audit={"columns": {"id": column()}})
    assert only_class({}, {"table audit": "present"}, model=model) == BREAKS
    assert only_class({}, {"table unmapped": "present"}, model=model) == NO_EFFECT
    assert (
        only_class({}, {"column tools.name2": "TEXT"}, model=models(tools={"columns": {"name2": column()}})) == BREAKS
    )
    assert only_class({}, {"column tools.name2": "TEXT"}, model=models(tools={"columns": {}})) == NO_EFFECT


def test_a_leftover_column_breaks_inserts_only_when_it_is_not_null_without_a_default():
    model = models(tools={"columns": {"name": column()}})
    assert only_class({"column tools.old": "TEXT NOT NULL"}, {}, model=model) == BREAKS
    assert only_class({"column tools.old": "TEXT NOT NULL DEFAULT 'x'"}, {}, model=model) == NO_EFFECT
    assert only_class({"column tools.old": "TEXT"}, {}, model=model) == NO_EFFECT


def test_a_leftover_table_matters_only_by_the_references_it_keeps():
    assert only_class({"table legacy": "present"}, {}, model=models()) == NO_EFFECT
    leftover = {"table legacy": "present", "foreign key legacy(tool_id)": "tools(id) ON DELETE RESTRICT"}
    lines = judged(leftover, {}, model=models())
    assert [(klass, rule) for klass, rule, _ in lines] == [(NO_EFFECT, "part of a missing table"), (BEHAVES, "table")]


def test_foreign_keys_matter_only_where_they_are_enforced():
    m = {"foreign key tools(gateway_id)": "gateways(id) ON DELETE CASCADE"}
    f = {"foreign key tools(gateway_id)": "gateways(id)"}
    assert only_class(m, f, model=models(sqlite_foreign_keys=False)) == NO_EFFECT
    assert only_class(m, f, engine="postgresql", model=models(sqlite_foreign_keys=False)) == BEHAVES
    declared = models(tools={"foreign_keys": {"gateway_id": {"target": "gateways(id)", "ondelete": "CASCADE"}}})
    [(klass, _, says)] = judged(m, f, model=declared)
    assert klass == BEHAVES
    assert says == (
        "deleting a row of gateways that rows of tools reference: on the upgraded database it deletes those tools "
        "rows; on a fresh install it is refused while they exist (the release's models declare gateways(id) ON "
        "DELETE CASCADE: the upgraded database matches)"
    )


@pytest.mark.parametrize(
    ("migrated", "fresh", "expected"),
    [({}, {"index tools(name)": "non-unique"}, SLOWER), ({"index tools(name)": "non-unique"}, {}, NO_EFFECT)],
)
def test_an_index_only_a_fresh_install_has_is_slower_one_only_the_upgrade_kept_is_not(migrated, fresh, expected):
    assert only_class(migrated, fresh) == expected


def test_what_no_rule_recognises_is_a_behaviour_difference():
    [(klass, rule, _)] = judged({"primary key tools": "(id)"}, {"primary key tools": "(id, name)"})
    assert (klass, rule) == (BEHAVES, "no rule")


def test_the_render_groups_by_class_worst_first():
    diff = compare({**BASE, "index tools(name)": "non-unique"}, {**BASE, "table audit": "present"}, "t")
    text = triage(diff, "sqlite", models(audit={})).render()
    assert text.splitlines()[0] == "Consequences of 2 schema difference(s) (sqlite): 1 breaks, 1 no effect here"
    assert text.index("BREAKS (1)") < text.index("NO EFFECT HERE (1)")


def test_the_index_backing_a_unique_constraint_on_the_same_side_adds_nothing_but_alone_still_counts():
    both = {"unique tools(name)": "present", "index tools(name)": "unique"}
    (index, _, says), (constraint, _, _) = judged(both, {}, "postgresql")  # in key order: index, then unique
    assert (index, constraint) == (NO_EFFECT, BEHAVES)
    assert says.startswith("the index that backs the unique constraint on tools(name) on the upgraded database")
    assert only_class({"index tools(name)": "unique"}, {}, "postgresql") == BEHAVES  # no constraint beside it
