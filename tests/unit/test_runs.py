"""Runs kept apart, chosen by a person, merged scenario by scenario: an executed result is never buried."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.reporting.runs import RunRecord, choose, judged, load_runs, merge, titled, versioned_history_id


def finished(reports: Path, results: list[tuple[str, str]], attach: bool = False) -> RunRecord:
    """A run that wrote ``results`` (history id, status) and judged each (title = history id)."""
    run = RunRecord.start(reports, "--tags=@sqlite")
    for number, (history, status) in enumerate(results):
        uuid = f"{run.id}-{number}"
        attachments = [{"name": "evidence", "source": f"{uuid}-attachment.txt"}] if attach else []
        if attach:
            (run.results / f"{uuid}-attachment.txt").write_text(f"evidence of {uuid}")
        result = {"uuid": uuid, "name": history, "historyId": history, "status": status, "steps": []}
        (run.results / f"{uuid}-result.json").write_text(json.dumps({**result, "attachments": attachments}))
    verdicts = [{"scenario": h, "verdict": s, "releases": {"GA": "1.0.0"}} for h, s in results if s != "skipped"]
    run.finish(verdicts, aborted=False)
    return run


def merged(runs: list[RunRecord], into: Path) -> dict[str, dict]:
    merge(runs, into)
    return {r["historyId"]: r for r in (json.loads(p.read_text()) for p in into.glob("*-result.json"))}


def test_a_later_skipped_result_never_buries_an_executed_one(tmp_path: Path):
    executed = finished(tmp_path, [("a", "passed"), ("b", "failed")], attach=True)
    listing = finished(tmp_path, [("a", "skipped"), ("b", "skipped"), ("c", "skipped")])
    results = merged([executed, listing], tmp_path / "merged")
    assert {key: r["status"] for key, r in results.items()} == {"a": "passed", "b": "failed", "c": "skipped"}
    source = results["a"]["attachments"][0]["source"]
    assert (tmp_path / "merged" / source).read_text() == f"evidence of {results['a']['uuid']}"


def test_the_newest_executed_result_of_a_scenario_is_taken(tmp_path: Path):
    first = finished(tmp_path, [("a", "failed")])
    second = finished(tmp_path, [("a", "passed")])
    assert merged([first, second], tmp_path / "merged")["a"]["status"] == "passed"
    assert judged([first, second]) == {"a": "passed"}


def test_the_last_run_by_default_all_or_named_runs(tmp_path: Path):
    runs = [finished(tmp_path, [("a", "passed")]) for _ in range(3)]
    assert load_runs(tmp_path) == runs
    assert choose(runs, "") == choose(runs, "last") == runs[-1:]
    assert choose(runs, "all") == runs
    assert choose(runs, f"{runs[2].id}, {runs[0].id}") == [runs[0], runs[2]]
    with pytest.raises(SuiteError, match="RUNS=nope: no run nope; the runs are"):
        choose(runs, "nope")
    with pytest.raises(SuiteError, match="no finished run in reports/runs: run the features first"):
        choose([], "last")


def test_a_run_that_executed_nothing_leaves_no_directory(tmp_path: Path):
    run = RunRecord.start(tmp_path, "--tags=@UPG-02")
    run.finish([], aborted=True)
    assert not run.directory.exists() and load_runs(tmp_path) == []


def test_versions_name_a_scenario_and_part_its_history():
    assert titled("RC1 to GA keeps every object", ["1.0.0b2", "1.0.0rc1"], True) == (
        "RC1 to GA keeps every object [1.0.0b2 -> 1.0.0rc1]"
    )
    assert titled("1.0.10 to 1.1.0 directly", ["1.0.10", "1.1.0"], False) == "1.0.10 to 1.1.0 directly"
    assert versioned_history_id("h", ["1.0.0", "1.1.0"]) != versioned_history_id("h", ["1.0.0", "1.1.1"])
