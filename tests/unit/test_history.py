"""History: one rule for the scenario's newest release, and guards that name the step a scenario is missing."""

import re
from types import SimpleNamespace

import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.lab.history import History

RC1, GA = SimpleNamespace(version="1.0.0rc1"), SimpleNamespace(version="1.0.0")


def test_after_an_upgrade_the_newest_is_its_target_whatever_runs():
    history = History(previous=RC1, upgraded_to=GA)
    assert history.newest(GA) is GA
    assert history.newest(None) is GA  # stopped to compare two migrations: still the target's data


def test_after_a_rollback_by_downgrade_the_undone_upgrade_is_still_the_newest():
    assert History(previous=RC1, upgraded_to=GA).newest(RC1) is GA  # its data changes stay


def test_after_a_restore_the_newest_is_the_running_release():
    history = History(previous=RC1, upgraded_to=GA, rolled_back_by_restore=True)
    assert history.newest(RC1) is RC1


def test_before_any_upgrade_the_running_release_else_the_one_it_started_from():
    assert History(previous=RC1).newest(RC1) is RC1
    assert History(previous=RC1).newest(None) is RC1


def test_newest_of_an_empty_history_names_the_missing_step():
    with pytest.raises(SuiteError, match="no old release yet: a step that starts one"):
        History().newest(None)


@pytest.mark.parametrize(
    "guard, says",
    [
        ("need_previous", "no old release yet: a step that starts one"),
        ("need_manifest", "no seeded data yet: a step that seeds a gateway"),
        ("need_before_api", "no API snapshot of the old release yet: a step that seeds a gateway"),
        ("need_before_sql", "no SQL snapshot of the old data yet: a step that stops the old release and backs it up"),
        ("need_backup", "no pre-upgrade backup yet: a step that stops the old release and backs it up"),
        ("need_upgraded_to", "no upgrade yet: a step that performs the upgrade"),
        (
            "need_migrated",
            "no uninterrupted upgrade to compare with yet: a step that migrates a copy of the backup cleanly",
        ),
        ("need_rerun", "no second migration run yet: a step that runs the migration again"),
        ("need_outcomes", "no interrupted upgrades yet: a step that interrupts each revision in turn"),
        ("need_walk", "no revision walk yet: a step that walks the migrations up and down"),
        ("need_old_on_new", "no start of an old release on the upgraded database yet: a step that starts it there"),
        (
            "need_carried",
            "no start with the old settings yet: a step that starts the new release with the old settings",
        ),
        ("need_settings_comparison", "no settings comparison yet: a step that compares both releases' settings models"),
    ],
)
def test_each_guard_is_a_suite_error_naming_the_missing_step(guard, says):
    with pytest.raises(SuiteError, match=re.escape(says)) as raised:
        getattr(History(), guard)()
    assert str(raised.value).endswith("must come first")
    assert not isinstance(raised.value, AssertionError)  # broken scenario, not a product failure


def test_every_guard_is_tested():
    guards = {name for name in dir(History) if name.startswith("need_")}
    tested = {
        "need_previous",
        "need_manifest",
        "need_before_api",
        "need_before_sql",
        "need_backup",
        "need_upgraded_to",
        "need_migrated",
        "need_rerun",
        "need_outcomes",
        "need_walk",
        "need_old_on_new",
        "need_carried",
        "need_settings_comparison",
    }
    assert guards == tested


def test_a_recorded_fact_is_returned_by_its_guard():
    history = History(previous=RC1)
    history.upgrade_to(GA)
    assert history.need_previous() is RC1 and history.need_upgraded_to() is GA


def test_each_guard_returns_the_fact_it_names():
    history = History()
    for guard in (name for name in dir(History) if name.startswith("need_")):
        fact = object()
        setattr(history, guard.removeprefix("need_"), fact)
        assert getattr(history, guard)() is fact, guard
