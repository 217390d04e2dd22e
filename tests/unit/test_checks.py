"""Checklists: a check with nothing checked fails; failures are named."""

import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.waiting import wait_until
from upgrade_suite.judging.checks import Checklist
from upgrade_suite.judging.problems import Problem
from upgrade_suite.judging.schema import DIFFERS, MIGRATED_ONLY, compare


def test_an_empty_checklist_fails():
    empty = Checklist("Services functioning")
    assert not empty.ok
    assert empty.problems() == ["Services functioning: nothing was checked"]


def test_failures_are_named_and_rendered():
    result = Checklist("New features")
    result.check("head applied", True)
    result.check("new table x present", False, "missing: ['x']")
    assert not result.ok
    assert result.problems() == ["new table x present: missing: ['x']"]
    assert "[FAIL] new table x present - missing: ['x']" in result.render()


def test_a_failure_is_a_structured_problem_its_text_not_compared():
    result = Checklist("New features")
    result.check("new table x present", False, "missing: ['a']", ("new table missing", "x"))
    result.check("GET /tools answers", False, "HTTP 500")
    assert result.findings() == [
        Problem("new table missing", ("x",)),
        Problem("check failed", ("New features", "GET /tools answers")),
    ]
    assert [p.text for p in result.findings()] == [
        "new table x present: missing: ['a']",
        "GET /tools answers: HTTP 500",
    ]


def test_a_schema_difference_is_keyed_by_the_schema_object():
    found = compare({"index t(c)": "unique", "column t.c": "TEXT"}, {"column t.c": "VARCHAR"}, "parity").findings()
    assert [(p.kind, p.keys) for p in found] == [(DIFFERS, ("column t.c",)), (MIGRATED_ONLY, ("index t(c)",))]
    assert Problem.parse(found[1].signature) == found[1]


def test_wait_until_names_what_it_waited_for():
    with pytest.raises(SuiteError, match="waiting for the moon"):
        wait_until(lambda: False, timeout=0.2, what="the moon", interval=0.05)


def test_wait_until_stops_at_once_on_an_error():
    def dead():
        raise SuiteError("process died")

    with pytest.raises(SuiteError, match="process died"):
        wait_until(dead, timeout=30, what="never")
