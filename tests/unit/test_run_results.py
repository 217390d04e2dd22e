"""A run writes Allure results only for the scenarios it executed, and a listing writes none."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FEATURE = """\
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
STEPS = """\
from behave import given

@given("step {name}")
def step(context, name):
    pass
"""
ENVIRONMENT = """\
from upgrade_suite.reporting.allure_plan import mark_executed


def before_scenario(context, scenario):
    mark_executed(["1.0.0rc1", "1.0.0"], True)
    if "skip-me" in scenario.effective_tags:
        scenario.skip("this path cannot run here")
"""


def _behave(tmp_path: Path, formatter: str, *args: str) -> list[dict]:
    (tmp_path / "features" / "steps").mkdir(parents=True, exist_ok=True)
    (tmp_path / "features" / "three.feature").write_text(FEATURE)
    (tmp_path / "features" / "steps" / "steps.py").write_text(STEPS)
    (tmp_path / "features" / "environment.py").write_text(ENVIRONMENT)
    (tmp_path / "behave.ini").write_text(f"[behave]\nformat = {formatter}\noutfiles = results\nshow_skipped = true\n")
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


def test_only_executed_scenarios_have_a_result_titled_with_their_versions(tmp_path: Path):
    results = _behave(tmp_path, "upgrade_suite.reporting.allure_plan:RunResults", "--tags=not @excluded")
    assert sorted((r["name"], r["status"]) for r in results) == [
        ("running one [1.0.0rc1 -> 1.0.0]", "passed"),
        ("skipped with a reason [1.0.0rc1 -> 1.0.0]", "skipped"),  # it ran its hooks: the reason is the evidence
    ]


def test_a_dry_run_writes_no_result_and_no_directory(tmp_path: Path):
    assert _behave(tmp_path, "upgrade_suite.reporting.allure_plan:RunResults", "--dry-run") == []
    assert not (tmp_path / "results").exists()


def test_the_stock_formatter_lists_every_scenario_of_a_dry_run_as_skipped(tmp_path: Path):
    """What buried the executed results: a listing wrote a "skipped" result for every scenario."""
    results = _behave(tmp_path, "allure_behave.formatter:AllureFormatter", "--dry-run")
    assert sorted(r["status"] for r in results) == ["skipped"] * 3
