"""A scenario's Allure result holds its own steps, also after scenarios the tags excluded (allure-behave 2.16)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FEATURE = """\
Feature: two scenarios
  @excluded
  Scenario: excluded one
    Given step one
    And step two

  Scenario: running one
    Given step three
"""
STEPS = """\
from behave import given

@given("step {name}")
def step(context, name):
    pass
"""
BEHAVE_INI = """\
[behave]
format = allure_behave.formatter:AllureFormatter
outfiles = results
show_skipped = true

[behave.userdata]
AllureFormatter.hide_excluded = true
"""


@pytest.mark.parametrize(
    ("hook", "steps"), [(True, ["Given step three"]), (False, ["Given step one", "And step two", "Given step three"])]
)
def test_the_running_scenario_gets_its_own_steps_once_excluded_ones_are_dropped(
    tmp_path: Path, hook: bool, steps: list[str]
):
    """With ``drop_excluded_steps`` in before_scenario the result names its one step; without, the excluded
    scenario's two first, the running step recorded under the first of them (what the reports showed before)."""
    (tmp_path / "features" / "steps").mkdir(parents=True)
    (tmp_path / "features" / "two.feature").write_text(FEATURE)
    (tmp_path / "features" / "steps" / "steps.py").write_text(STEPS)
    (tmp_path / "behave.ini").write_text(BEHAVE_INI)
    if hook:
        (tmp_path / "features" / "environment.py").write_text(
            "from upgrade_suite.reporting.allure_plan import drop_excluded_steps\n\n\n"
            "def before_scenario(context, scenario):\n    drop_excluded_steps()\n"
        )
    run = subprocess.run(
        [sys.executable, "-m", "behave", "--tags=not @excluded", "features"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    results = [json.loads(p.read_text()) for p in (tmp_path / "results").glob("*-result.json")]
    assert [r["name"] for r in results] == ["running one"]
    assert [s["name"] for s in results[0]["steps"]] == steps
