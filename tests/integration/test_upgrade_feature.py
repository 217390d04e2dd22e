"""The real upgrade feature, run as a user runs it: green against the real RC1 and GA, nothing left behind."""

import json
from pathlib import Path

import pytest

from conftest import ROOT, run_behave, suite_processes

pytestmark = pytest.mark.integration


def test_upgrade_feature_passes_against_the_real_releases(workdir: Path):
    run = run_behave(workdir, str(ROOT / "features" / "upgrade.feature"), "--tags=@sqlite")
    assert run.returncode == 0, run.output[-4000:]
    assert "3 scenarios passed, 0 failed, 0 skipped" in run.output
    results = [json.loads(p.read_text()) for p in (run.reports / "allure-results").glob("*-result.json")]
    assert sorted(r["status"] for r in results) == ["passed"] * 3
    for result in results:
        attachments = {a["name"] for a in result.get("attachments", [])} | {a["name"] for s in result["steps"] for a in s.get("attachments", [])}
        assert {"Versions", "Phase timings"} <= attachments, (result["name"], attachments)
        if "UPG-01" in {label["value"] for label in result["labels"]}:
            assert {"Snapshot diff through SQL", "Snapshot diff through the API", "Services functioning"} <= attachments
    assert not suite_processes(workdir)
    assert not any((run.reports / "work").iterdir()), "a passing run keeps no sandbox"


def test_a_tag_selects_only_that_case(workdir: Path):
    run = run_behave(workdir, str(ROOT / "features" / "upgrade.feature"), "--tags=@UPG-02")
    assert run.returncode == 0, run.output[-4000:]
    records = [json.loads(line) for line in (run.reports / "timings.jsonl").read_text().splitlines()]
    assert [("UPG-02" in r["tags"], r["status"]) for r in records] == [(True, "passed")]
    assert not suite_processes(workdir)


def test_an_unknown_version_stops_before_any_work(workdir: Path):
    run = run_behave(workdir, str(ROOT / "features" / "upgrade.feature"), "-D", "ga=9.9.9")
    assert run.returncode != 0
    lines = [line for line in run.output.splitlines() if "GA=9.9.9 is not a release of mcp-contextforge-gateway on PyPI" in line]
    assert len(lines) == 1, run.output
    assert "Traceback" not in run.output
    assert not (run.reports / "timings.jsonl").exists(), "no scenario may start"
