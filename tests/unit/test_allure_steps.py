"""What a run writes to Allure (allure-behave 2.16 under the suite's formatter): a result only for each scenario it
executed, holding its own steps and titled with its versions; nothing for a listing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STEPS = """\
from behave import given

@given("step {name}")
def step(context, name):
    pass
"""
TWO = """\
Feature: two scenarios
  @excluded
  Scenario: excluded one
    Given step one
    And step two

  Scenario: running one
    Given step three
"""
THREE = """\
Feature: three scenarios
  @excluded
  Scenario: excluded one
    Given step one

  Scenario: running one
    Given step two

  @skip-me
  Scenario: skipped with a reason
    Given step three
"""
MARKED = """\
from upgrade_suite.reporting.allure_plan import mark_executed


def before_scenario(context, scenario):
    mark_executed(["1.0.0rc1", "1.0.0"], True)
    if "skip-me" in scenario.effective_tags:
        scenario.skip("this path cannot run here")
"""
SUITE, STOCK = "upgrade_suite.reporting.allure_plan:RunResults", "allure_behave.formatter:AllureFormatter"


def behave(tmp_path: Path, feature: str, environment: str, formatter: str, *args: str) -> list[dict]:
    """behave over one feature in ``tmp_path``; the Allure results it wrote."""
    (tmp_path / "features" / "steps").mkdir(parents=True, exist_ok=True)
    (tmp_path / "features" / "one.feature").write_text(feature)
    (tmp_path / "features" / "steps" / "steps.py").write_text(STEPS)
    if environment:
        (tmp_path / "features" / "environment.py").write_text(environment)
    (tmp_path / "behave.ini").write_text(
        f"[behave]\nformat = {formatter}\noutfiles = results\nshow_skipped = true\n\n"
        "[behave.userdata]\nAllureFormatter.hide_excluded = true\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "behave", *args, "features"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return [json.loads(p.read_text()) for p in (tmp_path / "results").glob("*-result.json")]


@pytest.mark.parametrize(
    ("hook", "steps"), [(True, ["Given step three"]), (False, ["Given step one", "And step two", "Given step three"])]
)
def test_the_running_scenario_gets_its_own_steps_once_excluded_ones_are_dropped(
    tmp_path: Path, hook: bool, steps: list[str]
):
    """With ``drop_excluded_steps`` in before_scenario the result names its one step; without, the excluded
    scenario's two first, the running step recorded under the first of them (what the reports showed before)."""
    environment = (
        "from upgrade_suite.reporting.allure_plan import drop_excluded_steps\n\n\n"
        "def before_scenario(context, scenario):\n    drop_excluded_steps()\n"
    )
    results = behave(tmp_path, TWO, environment if hook else "", STOCK, "--tags=not @excluded")
    assert [r["name"] for r in results] == ["running one"]
    assert [s["name"] for s in results[0]["steps"]] == steps


def test_only_executed_scenarios_have_a_result_titled_with_their_versions(tmp_path: Path):
    results = behave(tmp_path, THREE, MARKED, SUITE, "--tags=not @excluded")
    assert sorted((r["name"], r["status"]) for r in results) == [
        ("running one [1.0.0rc1 -> 1.0.0]", "passed"),
        ("skipped with a reason [1.0.0rc1 -> 1.0.0]", "skipped"),  # it ran its hooks: the reason is the evidence
    ]


def test_a_dry_run_writes_no_result_and_no_directory(tmp_path: Path):
    assert behave(tmp_path, THREE, MARKED, SUITE, "--dry-run") == []
    assert not (tmp_path / "results").exists()


def test_the_stock_formatter_lists_every_scenario_of_a_dry_run_as_skipped(tmp_path: Path):
    """What buried the executed results: a listing wrote a "skipped" result for every scenario."""
    assert sorted(r["status"] for r in behave(tmp_path, THREE, MARKED, STOCK, "--dry-run")) == ["skipped"] * 3
