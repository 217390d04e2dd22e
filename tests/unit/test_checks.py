"""Checklists: a check with nothing checked fails; failures are named."""

import pytest

from upgrade_suite.checks import Checklist
from upgrade_suite.errors import SuiteError
from upgrade_suite.waiting import wait_until


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


def test_wait_until_names_what_it_waited_for():
    with pytest.raises(SuiteError, match="waiting for the moon"):
        wait_until(lambda: False, timeout=0.2, what="the moon", interval=0.05)


def test_wait_until_stops_at_once_on_an_error():
    def dead():
        raise SuiteError("process died")

    with pytest.raises(SuiteError, match="process died"):
        wait_until(dead, timeout=30, what="never")
