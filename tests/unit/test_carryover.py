"""Settings carry-over: renames, drops and refusals are named; the start check fails for the reason it should."""

import json

from upgrade_suite.judging.carryover import (
    STARTED,
    CarriedStart,
    SettingsModel,
    compare_settings,
    log_messages,
    save_for_runbook,
    values_to_try,
)
from upgrade_suite.judging.hazard_checks import settings_compared, starts_with_old_settings


def var(model="Settings", type_="<class 'int'>", default=1):
    return {"model": model, "field": "f", "type": type_, "default": default}


OLD = SettingsModel(
    "RC1",
    {
        "PLUGIN_CONFIG_FILE": var(type_="<class 'str'>", default="plugins/config.yaml"),
        "POOL_TTL": var(default=300),
        "PLUGINS_ENABLED": var(type_="<class 'bool'>", default=False),
        "TOKEN_EXPIRY": var(default=10080),
        "MCP_REQUIRE_AUTH": var(type_="<class 'bool'>", default=False),
        "STATIC_DIR": var(type_="<class 'str'>", default="/venv-a/static"),
    },
    {"TOKEN_EXPIRY": "10080", "POOL_TTL": "300"},
    {"STATIC_DIR": "default depends on where the release is installed"},
    {},
)
NEW = SettingsModel(
    "GA",
    {
        "PLUGINS_CONFIG_FILE": var(type_="<class 'str'>", default="plugins/config.yaml"),
        "PLUGINS_ENABLED": var(model="PluginsSettings", type_="<class 'bool'>", default=False),
        "TOKEN_EXPIRY": var(default=20),
        "MCP_REQUIRE_AUTH": var(type_="Optional[bool]", default=True),
        "STATIC_DIR": var(type_="<class 'str'>", default="/venv-b/static"),
    },
    {},
    {},
    {"TOKEN_EXPIRY": "'10080' refused: Input should be less than or equal to 1440"},
)


def test_renamed_dropped_moved_changed_and_refused_are_told_apart():
    carry = compare_settings(OLD, NEW)
    assert carry.renamed == {"PLUGIN_CONFIG_FILE": "PLUGINS_CONFIG_FILE"}
    assert carry.dropped == ["POOL_TTL"]
    assert carry.moved == {"PLUGINS_ENABLED": ["Settings", "PluginsSettings"]}
    assert carry.default_changed == {
        "TOKEN_EXPIRY": [10080, 20],
        "MCP_REQUIRE_AUTH": [False, True],
    }  # not STATIC_DIR: install-specific
    assert carry.type_changed == {"MCP_REQUIRE_AUTH": ["<class 'bool'>", "Optional[bool]"]}
    assert carry.refused == {"TOKEN_EXPIRY": "'10080' refused: Input should be less than or equal to 1440"}
    assert carry.no_longer_read == ["PLUGIN_CONFIG_FILE", "POOL_TTL"]
    assert "  PLUGIN_CONFIG_FILE -> PLUGINS_CONFIG_FILE" in carry.render()


def test_values_the_old_release_accepts_and_the_new_one_refuses_are_named_with_why():
    old = SettingsModel(
        "RC1",
        {"TOKEN_EXPIRY": var(default=10080), "DEBUG": var(type_="<class 'bool'>", default=False)},
        {},
        {},
        {},
        edges={"DEBUG": ["true", "false"]},  # TOKEN_EXPIRY has no bound in RC1: no edge of its own
        edges_refused={"TOKEN_EXPIRY": {}},
    )
    new_outside = {"TOKEN_EXPIRY": ["4", "1441"], "NEW_ONLY": ["0"]}  # just beyond GA's bounds 5..1440
    old_refuses = {"TOKEN_EXPIRY": {"4": "'4' refused: below RC1's own minimum"}}
    tried = values_to_try(old, old_refuses, new_outside)
    assert tried == {"DEBUG": ["true", "false"], "TOKEN_EXPIRY": ["1441"]}  # not 4 (RC1 refuses it), not NEW_ONLY
    new = SettingsModel(
        "GA", old.variables, {}, {}, {}, edges_refused={"TOKEN_EXPIRY": {"1441": "Input should be <= 1440"}}
    )
    carry = compare_settings(old, new)
    assert carry.shrank == {"TOKEN_EXPIRY": {"1441": "Input should be <= 1440"}}
    assert "  TOKEN_EXPIRY=1441: Input should be <= 1440" in carry.render().splitlines()


def test_a_rename_needs_the_same_default_and_a_unique_close_name():
    other_default = SettingsModel(
        "GA", {"PLUGINS_CONFIG_FILE": var(type_="<class 'str'>", default="elsewhere.yaml")}, {}, {}, {}
    )
    assert compare_settings(OLD, other_default).renamed == {}
    twins = SettingsModel("GA", {name: var(default=300) for name in ("POOL_TTLA", "POOL_TTLB")}, {}, {}, {})
    assert "POOL_TTL" in compare_settings(OLD, twins).dropped


def test_log_messages_ignore_what_differs_between_two_starts():
    one = (
        '{"name": "mcpgateway.x", "levelname": "ERROR", "message": "failed for id 3f2a9c1b77 at 12"}\nINFO '
        "fine\nTraceback (most recent call last):"
    )
    two = '{"name": "mcpgateway.x", "levelname": "ERROR", "message": "failed for id 9e8d7c6b55 at 40"}\n'
    assert log_messages(one) - log_messages(two) == {"Traceback (most recent call last):"}


def start(outcome=STARTED, log="", plain_log=""):
    return CarriedStart(compare_settings(OLD, NEW), {"TOKEN_EXPIRY": "10080"}, outcome, STARTED, log, plain_log)


def test_a_start_with_the_old_settings_like_one_without_passes():
    assert starts_with_old_settings(
        start(log="2026-01-01T00:00:00 ERROR known 1", plain_log="2026-01-02T00:00:00 ERROR known 2")
    ).ok


def test_a_refused_start_names_the_log_and_the_refused_setting():
    problems = starts_with_old_settings(
        start("refused to run (exited)", log="token_expiry\n  Input should be less than or equal to 1440")
    ).problems()
    assert (
        "it refused to run (exited); its log ends: token_expiry | Input should be less than or equal to 1440"
        in problems[0]
    )
    assert "TOKEN_EXPIRY='10080' refused" in problems[0]


def test_an_error_only_the_old_settings_cause_fails():
    problems = starts_with_old_settings(start(log="ERROR plugin config missing")).problems()
    assert problems == ["no error it does not also log without them: ERROR plugin config missing"]


def test_a_comparison_of_nothing_fails(tmp_path):
    empty_old, empty_new = SettingsModel("RC1", {}, {}, {}, {}), SettingsModel("GA", {}, {}, {}, {})
    result = settings_compared(compare_settings(empty_old, empty_new), empty_old, tmp_path / "never-saved.json")
    assert not result.ok and len(result.problems()) == 4
    good = compare_settings(OLD, NEW)
    saved = save_for_runbook(tmp_path, good)
    assert settings_compared(good, OLD, saved).ok
    assert json.loads(saved.read_text())["renamed"] == {"PLUGIN_CONFIG_FILE": "PLUGINS_CONFIG_FILE"}


def test_a_start_in_a_deployment_mode_says_so_in_what_it_checked():
    carry = compare_settings(OLD, NEW)
    in_production = CarriedStart(carry, {"ENVIRONMENT": "production"}, STARTED, STARTED, "", "", "production")
    assert starts_with_old_settings(in_production).title.endswith(
        "started in production mode with every setting of RC1"
    )
    assert " mode " not in starts_with_old_settings(start()).title
