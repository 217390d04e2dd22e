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


def test_a_tag_selects_only_that_case(workdir: Path, no_leftovers):
    run = run_behave(workdir, str(ROOT / "features" / "upgrade.feature"), "--tags=@UPG-02 and @sqlite and not @current")
    assert run.returncode == 0, run.failures()
    records = [json.loads(line) for line in (run.reports / "timings.jsonl").read_text().splitlines()]
    assert [("UPG-02" in r["tags"], r["status"]) for r in records] == [(True, "passed")]


@pytest.mark.parametrize(
    ("define", "message"),
    [
        ("ga=9.9.9", "GA=9.9.9 is not a release of mcp-contextforge-gateway on PyPI"),
        (
            "postgres_url=postgresql://nobody:x@127.0.0.1:1/none",
            "PostgreSQL at postgresql://nobody:***@127.0.0.1:1/none cannot be reached",
        ),
        ("scale=many", "-D scale=many is not a positive number of rows"),
        ("cache_dir=/proc/no-cache-here", "cache directory /proc/no-cache-here is not writable"),
        ("gaa=1.0.0", "-D gaa=... is not a setting of this suite"),
        ("replicas=0", "-D replicas=0 is not a positive number of gateway replicas"),
        ("kube_context=prod", "-D kube_context needs -D kube_url="),
    ],
    ids=[
        "unknown-version",
        "unreachable-postgres",
        "bad-scale",
        "unwritable-cache",
        "unknown-setting",
        "bad-replicas",
        "cluster-without-url",
    ],
)
def test_bad_input_stops_before_any_work(workdir: Path, define: str, message: str):
    run = run_behave(workdir, str(ROOT / "features" / "upgrade.feature"), "-D", define)
    assert run.returncode != 0
    lines = [line for line in run.output.splitlines() if message in line]
    assert len(lines) == 1, run.output
    assert "Traceback" not in run.output
    assert not (run.reports / "timings.jsonl").exists(), "no scenario may start"


def test_a_tag_that_selects_nothing_stops_before_any_work(workdir: Path):
    run = run_behave(workdir, str(ROOT / "features"), "--tags=@UPG-99")
    assert run.returncode != 0
    assert (
        len(
            [
                line
                for line in run.output.splitlines()
                if "no scenario matches this selection: known tags are @UPG-01" in line
            ]
        )
        == 1
    ), run.output
    assert not (run.reports / "timings.jsonl").exists()
