"""The sign-off report from real runs: categories, the plan's labels, metadata, and runbook timings.

Two cheap SQLite runs at once: an upgrade that passes (its runbook is checked against its Allure
durations) and a tampered pair, one scenario failing a check on the gateway (a product defect)
and one broken because a program the suite needs is missing (a suite error). The HTML is built
from both runs' results together (passed, failed and broken in one report) and read back in
headless Chromium; Allure 3 and Chromium are what ``make test`` installs first (``make report-tools``),
so nothing here is skipped.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
from collections.abc import Iterator
from pathlib import Path

import pytest

from upgrade_suite.reporting import report, report_dom, runbook
from upgrade_suite.reporting.report_categories import CATEGORIES, LABELS

from conftest import ALLURE, ROOT, BehaveRun, run_behave_parallel

pytestmark = pytest.mark.integration

TAMPER = ROOT / "tests" / "integration" / "tamper"
UPGRADE = "RC1 to GA upgrade with Alembic before starting it keeps every object \\(SQLite\\)"
#: Every scenario here runs RC1 and GA: its title names their versions, as a reader sees them.
RAN = " [1.0.0rc1 -> 1.0.0]"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BehaveRun]:
    root = tmp_path_factory.mktemp("report")
    upgrade, tampered = run_behave_parallel(
        {
            root / "upgrade": (str(ROOT / "features" / "upgrade.feature"), "--name", UPGRADE),
            root / "tampered": (str(TAMPER / "features" / "report.feature"),),
        }
    )
    return {"upgrade": upgrade, "tampered": tampered}


def results(run: BehaveRun) -> dict[str, dict]:
    found = [json.loads(p.read_text()) for p in run.results.glob("*-result.json")]
    return {r["name"]: r for r in found}


def labels(result: dict, name: str) -> list[str]:
    return [label["value"] for label in result["labels"] if label["name"] == name]


def attachments(steps: list[dict]) -> Iterator[str]:
    for step in steps:
        yield from (a["name"] for a in step.get("attachments", []))
        yield from attachments(step.get("steps", []))


def test_a_failed_check_is_a_product_defect_and_a_missing_program_a_suite_error(runs):
    run = runs["tampered"]
    assert run.returncode != 0
    by_name = results(run)
    defect, broken = (
        by_name["A check on the gateway fails" + RAN],
        by_name["A program the suite needs is missing" + RAN],
    )
    assert defect["status"] == "failed", defect["statusDetails"]
    assert (
        "CheckFailed" in defect["statusDetails"]["message"]  # evidence.CheckFailed, an AssertionError with its problems
        and "sql: tools row" in defect["statusDetails"]["message"]
    )
    assert {"Snapshot diff through SQL", "Versions", "Phase timings"} <= set(attachments([defect])), (
        "the defect comes with its evidence"
    )
    assert broken["status"] == "broken", broken["statusDetails"]
    assert re.search(
        r"SuiteError: GA \(1\.0\.0\)'s alembic program is missing \(.*vanished-venv/bin/alembic\)",
        broken["statusDetails"]["message"],
    )
    # The terminal summary says the same, one line for the case on SQLite.
    assert re.search(
        r"UPG-01: RC1 to GA\s+│ SQLite\s+│ 1\.0\.0rc1 -> 1\.0\.0\s+│ broken\s+│ 1 broken, 1 failed", run.output
    ), run.failures()


def test_scenarios_are_filed_under_the_plan(runs):
    for result in results(runs["tampered"]).values():
        assert labels(result, "epic") == ["US-1: Admin - smooth upgrade from RC1 to GA"]
        assert labels(result, "feature") == ["UPG-01: RC1 to GA"]
        assert labels(result, "severity") == ["critical"]
        assert [link["name"] for link in result["links"]] == ["Test plan #2474: UPG-01: RC1 to GA"]


def test_the_runbook_timings_are_the_allure_durations_of_the_same_run(runs):
    run = runs["upgrade"]
    assert run.returncode == 0, run.failures()
    runbook.main(run.reports)
    table = runbook_rows((run.reports / "runbook.md").read_text())
    passed = [r for r in results(run).values() if r["status"] == "passed"]
    compared = 0
    for engine, label in runbook.ENGINES.items():
        scenarios = [r for r in passed if engine in labels(r, "tag")]
        for step in runbook.steps("RC1", "GA", "x7h8i9j0k1l2"):
            durations = [
                (s["stop"] - s["start"]) / 1000
                for r in scenarios
                for s in nested(r["steps"])
                if s["name"] == step.phase
            ]
            median, largest, count = table[(label, step.title)]
            assert count == len(durations), (label, step.title)
            if durations:
                assert median == pytest.approx(statistics.median(durations), abs=0.015), (label, step.title)
                assert largest == pytest.approx(max(durations), abs=0.015), (label, step.title)
                compared += 1
    assert compared >= 3, f"only {compared} runbook steps were measured: the check compared too little"


def nested(steps: list[dict]) -> Iterator[dict]:
    for step in steps:
        yield step
        yield from nested(step.get("steps", []))


def runbook_rows(text: str) -> dict[tuple[str, str], tuple[float | None, float | None, int]]:
    """(database, step title) -> (median, max, runs) as the runbook prints them (one release pair)."""
    rows, section = {}, ""
    for line in text.splitlines():
        if line.startswith("### "):
            section = line[4:]
        elif match := re.match(r"\| \d+ \| (.+?) \| `.*` \| (.+?) \| (.+?) \| (\d+) \|$", line):
            title, median, largest, count = match.groups()
            number = lambda cell: None if cell == "-" else float(cell.removesuffix(" s"))  # noqa: E731
            rows[(section, title)] = (number(median), number(largest), int(count))
    return rows


@pytest.fixture(scope="module")
def sign_off(runs, allure: Path, chromium: str, tmp_path_factory: pytest.TempPathFactory):
    """Both runs in one reports directory, the report made from them as ``make report RUNS=all`` makes it."""
    reports = tmp_path_factory.mktemp("sign-off") / "reports"
    for run in runs.values():
        shutil.copytree(run.reports / "runs", reports / "runs", dirs_exist_ok=True)
        with (reports / "timings.jsonl").open("a") as timings:
            timings.write((run.reports / "timings.jsonl").read_text())
    report.main(reports, ALLURE, "all")
    return reports


def test_the_page_shows_every_verdict_the_metadata_the_categories_and_opens_the_evidence(sign_off):
    check = (sign_off / "report-check.txt").read_text()
    assert check.startswith("the page shows what the results hold"), check
    rendered = report_dom.read(sign_off / "upgrade-report.html", sign_off)
    statuses = {r["name"]: r["status"] for r in map(json.loads, map(Path.read_text, result_files(sign_off)))}
    assert rendered.verdicts == statuses and set(statuses.values()) == {"passed", "failed", "broken"}
    assert rendered.metadata["release.GA"] == "GA (1.0.0), Alembic head aa1b2c3d4e5f"
    assert rendered.metadata["release.RC1"] == "RC1 (1.0.0rc1), Alembic head x7h8i9j0k1l2"
    assert rendered.metadata["database"].startswith("SQLite 3.") and rendered.metadata["gateway_driver"] == "process"
    assert "sqlite" in rendered.metadata["db_driver"]
    unlabelled = [c["name"] for c in CATEGORIES if not any(name in c for name in LABELS)]
    assert rendered.categories == dict.fromkeys(unlabelled, 1), "product defects apart from suite errors"
    assert rendered.global_attachments == [
        "Report as Chromium showed it: report-overview",
        "Report as Chromium showed it: report-failed-scenario",
        "Report against its results",
    ], "the report's screenshots and its check are filed with the results it was built from"
    assert rendered.failed_scenario == "A check on the gateway fails" + RAN
    assert "PROBLEM sql: tools row" in (rendered.attachments["Snapshot diff through SQL"] or ""), "the evidence opens"
    browsers = [c for c in Path("/proc").glob("[0-9]*/cmdline") if b"upgchromium-" in _read_bytes(c)]
    assert not browsers, "the browser and its renderers are gone once the page is read"
    for shot in ("report-overview.png", "report-failed-scenario.png"):
        assert (sign_off / shot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (sign_off / shot).stat().st_size > 20_000


def test_a_verdict_the_page_does_not_show_fails_the_check(sign_off, tmp_path: Path):
    """One result file tampered after the page was made: the page and the results now differ, and the check says so."""
    results = tmp_path / report.RESULTS
    shutil.copytree(sign_off / report.RESULTS, results)
    tampered = next(p for p in result_files(results.parent) if json.loads(p.read_text())["status"] == "failed")
    result = json.loads(tampered.read_text())
    tampered.write_text(json.dumps({**result, "status": "passed"}))
    check = report_dom.check(results, report_dom.read(sign_off / "upgrade-report.html", tmp_path))
    assert not check.ok
    assert f"{result['name']!r}: the results say passed, the page failed" in check.problems()


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def result_files(reports: Path) -> list[Path]:
    return sorted((reports / report.RESULTS).glob("*-result.json"))


def test_the_html_report_keeps_history_across_reports(sign_off):
    widgets = sign_off / "allure-report" / "widgets"
    metadata = {item["name"]: item["values"] for item in json.loads((widgets / "allure_environment.json").read_text())}
    assert metadata["release.GA"] == ["GA (1.0.0), Alembic head aa1b2c3d4e5f"]
    tree = json.loads((widgets / "tree.json").read_text())
    assert "US-1: Admin - smooth upgrade from RC1 to GA" in {group["name"] for group in tree["groupsById"].values()}
    assert (sign_off / "upgrade-report.html").stat().st_size > 100_000
    assert len((sign_off / report.HISTORY).read_text().splitlines()) == 1, (
        "one report, one history point (the single file only reads it)"
    )
    report.main(sign_off, ALLURE, "all")
    assert len((sign_off / report.HISTORY).read_text().splitlines()) == 2
    charts = json.loads((widgets / "charts.json").read_text())["general"].values()
    dynamics = next(chart for chart in charts if chart["type"] == "statusDynamics")
    assert len(dynamics["data"]) == 2, "the second report shows the first as history (and is not the stale first one)"
