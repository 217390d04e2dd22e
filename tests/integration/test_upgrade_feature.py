"""The suite run as a user runs it, against the real releases: the gate is green, nothing is left behind."""

import json
from pathlib import Path

import pytest

from conftest import ROOT, run_behave, run_behave_parallel

pytestmark = pytest.mark.integration


def test_the_gate_passes_on_both_databases(workdir: Path, no_leftovers):
    """Every feature, SQLite and embedded PostgreSQL (two runs at once), known product defects excluded."""
    runs = run_behave_parallel(
        {
            workdir / engine: (
                str(ROOT / "features"),
                f"--tags=@{engine} and not @product-defect and not @negative-control and not @current",
            )
            for engine in ("sqlite", "postgres")
        }
    )
    results = []
    for run in runs:
        assert run.returncode == 0, run.failures()
        assert not any((run.reports / "work").iterdir()), "a passing run keeps no sandbox"
        results += [json.loads(p.read_text()) for p in (run.reports / "allure-results").glob("*-result.json")]
    assert results and all(r["status"] == "passed" for r in results)
    cases = {label["value"] for r in results for label in r["labels"] if label["name"] == "tag"}
    assert {
        "UPG-01",
        "UPG-02",
        "UPG-03",
        "UPG-04",
        "UPG-05",
        "UPG-06",
        "UPG-07",
        "US-1",
        "US-2",
        "sqlite",
        "postgres",
    } <= cases
    for result in results:
        attachments = {a["name"] for a in result.get("attachments", [])} | {
            a["name"] for s in result["steps"] for a in s.get("attachments", [])
        }
        assert {"Versions", "Phase timings"} <= attachments, (result["name"], attachments)
        if "UPG-01" in {label["value"] for label in result["labels"]}:
            assert {"Snapshot diff through SQL", "Snapshot diff through the API", "Services functioning"} <= attachments
        if "UPG-06" in {label["value"] for label in result["labels"]}:
            assert {
                "Probe summary",
                "Probe record (every request)",
                "Rollout timeline",
                "No request dropped",
                "Drain of the old replicas",
            } <= attachments


def test_a_tag_selects_only_that_case_and_reports_dir_moves_all_it_writes(workdir: Path, no_leftovers):
    elsewhere = workdir.parent / "elsewhere"
    run = run_behave(
        workdir,
        str(ROOT / "features" / "upgrade.feature"),
        "--tags=@UPG-02 and @sqlite and not @current",
        "-D",
        f"reports_dir={elsewhere}",
    )
    assert run.returncode == 0, run.failures()
    records = [json.loads(line) for line in (elsewhere / "timings.jsonl").read_text().splitlines()]
    assert [("UPG-02" in r["tags"], r["status"]) for r in records] == [(True, "passed")]
    assert len(list((elsewhere / "allure-results").glob("*-result.json"))) == 1, "the Allure results moved too"
    assert not run.reports.exists(), f"nothing in the default place: {list(run.reports.rglob('*'))[:5]}"
