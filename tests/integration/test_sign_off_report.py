"""The sign-off report from real runs: categories, the plan's labels, metadata, and runbook timings.

Two cheap SQLite runs at once, through the gate: an upgrade that passes (its runbook is checked against its
Allure durations) and a tampered pair, one scenario failing a check on the gateway (a product defect)
and one broken because a program the suite needs is missing (a suite error). The HTML is built
from both runs' results together (passed, failed and broken in one report) and read back in
headless Chromium; Allure 3 and Chromium are what ``make test`` installs first (``make report-tools``),
so nothing here is skipped.

Then what a new user did in the upgrade run's checkout: a listing (``behave --dry-run``), a second selection on
the other engine (today's releases on PostgreSQL), ``make report RUNS=all``. The page shows both executed
scenarios with the verdicts their runs gave them, none "skipped", and names the two runs; the runbook has a
section per judged pair, today's first. A report built the old way, from one results directory a listing wrote
into after the runs, shows an executed scenario "skipped", and the check against the runs' verdicts says so.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from upgrade_suite.reporting import report, report_dom, runbook
from upgrade_suite.reporting.report_categories import CATEGORIES, LABELS
from upgrade_suite.reporting.runs import judged, load_runs

from conftest import ALLURE, BEHAVE, ROOT, BehaveRun, behave_env, run_behave_parallel

pytestmark = pytest.mark.integration

TAMPER = ROOT / "tests" / "integration" / "tamper"
FEATURE = str(ROOT / "features" / "upgrade.feature")
#: A passing RC1 -> GA scenario (UPG-01's are known defects since their schema is judged by its consequences).
UPGRADE = "A fully populated RC1 database upgrades to GA with every row accounted for \\(SQLite\\)"
TODAY = "1.0.x to latest upgrade with Alembic before starting it keeps every object \\(PostgreSQL\\)"
#: Every scenario here runs RC1 and GA: its title names their versions, as a reader sees them.
RAN = " [1.0.0rc1 -> 1.0.0]"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BehaveRun]:
    root = tmp_path_factory.mktemp("report")
    upgrade, tampered = run_behave_parallel(
        {
            root / "upgrade": (FEATURE, "--tags=@sqlite and not @negative-control", "--name", UPGRADE),
            root / "tampered": (str(TAMPER / "features" / "report.feature"),),
        },
        gate=True,  # as make upgrade runs
    )
    return {"upgrade": upgrade, "tampered": tampered}


def results(run: BehaveRun) -> dict[str, dict]:
    """The results of the behave run the fixture made (the upgrade checkout holds later runs too)."""
    found = [json.loads(p.read_text()) for p in load_runs(run.reports)[0].results.glob("*-result.json")]
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
    runbook.main(run.reports, runs=[load_runs(run.reports)[0].id])
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
            median, largest, count = table.get((label, step.title), (None, None, 0))  # no run on it: no section
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
        made = load_runs(run.reports)[0]  # the fixture's run (the upgrade checkout holds later ones too)
        shutil.copytree(made.directory, reports / "runs" / made.id)
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


def _run(workdir: Path, *command: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), cwd=workdir, env=behave_env(), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def reports(runs, allure: Path, chromium: str) -> Path:
    """The upgrade run's checkout, after a listing, a second selection and make report RUNS=all."""
    workdir = runs["upgrade"].workdir
    assert "gate: passed" in runs["upgrade"].output, runs["upgrade"].failures()
    gate = [sys.executable, "-m", "upgrade_suite.reporting.gate", FEATURE]
    listing = _run(workdir, str(BEHAVE), "--dry-run", FEATURE, timeout=120)
    assert listing.returncode == 0, listing.stdout[-2000:] + listing.stderr[-2000:]
    second = _run(workdir, *gate, "--tags=@postgres and @current", "--name", TODAY)
    assert "gate: " in second.stdout, second.stdout[-3000:] + second.stderr[-2000:]  # its verdict is the release's
    made = _run(
        workdir, sys.executable, "-m", "upgrade_suite.reporting.report", "reports", str(ALLURE), "--runs", "all"
    )
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-2000:]
    return workdir / "reports"


def test_the_page_shows_every_executed_scenario_as_its_run_judged_it_and_names_the_runs(reports: Path):
    runs = load_runs(reports)
    assert len(runs) == 2, "the listing wrote no run: " + ", ".join(run.id for run in runs)
    verdicts = judged(runs)
    assert len(verdicts) == 2 and "skipped" not in verdicts.values(), verdicts
    assert any(title.endswith("[1.0.0rc1 -> 1.0.0]") for title in verdicts), "titles name the versions that ran"
    check = (reports / "report-check.txt").read_text()
    assert check.startswith("the page shows what the results hold (2 scenarios, 2 verdicts of the runs"), check
    rendered = report_dom.read(reports / "upgrade-report.html", reports)
    assert set(rendered.verdicts) == set(verdicts) and "skipped" not in rendered.verdicts.values()
    assert report_dom.against_verdicts(verdicts, rendered.verdicts) == []
    for key, line in report.runs_metadata(runs).items():
        assert rendered.metadata[key] == line, key
    assert "'--tags=@postgres and @current'" in rendered.metadata[f"run.{runs[1].id}"]


def test_the_runbook_has_a_section_per_judged_pair_today_first(reports: Path):
    runbook = (reports / "runbook.md").read_text()
    sections = [line for line in runbook.splitlines() if line.startswith("## ") and " -> " in line]
    assert sections[0].startswith("## 1.0.x (1.0.9) -> latest (") and sections[1] == "## RC1 (1.0.0rc1) -> GA (1.0.0)"


def test_a_report_of_results_a_listing_polluted_fails_the_check(reports: Path, tmp_path: Path):
    """The old layout: one results directory, and a listing's "skipped" result written after the executed one."""
    polluted = tmp_path / "reports"
    shutil.copytree(reports / report.RESULTS, polluted / report.RESULTS)
    executed = [json.loads(p.read_text()) for p in (polluted / report.RESULTS).glob("*-result.json")]
    buried = executed[0]
    listed = {**buried, "uuid": str(uuid.uuid4()), "status": "skipped", "start": buried["stop"] + 1}
    listed.update(stop=listed["start"], steps=[], attachments=[])
    (polluted / report.RESULTS / f"{listed['uuid']}-result.json").write_text(json.dumps(listed))
    (polluted / "allurerc-single.json").write_text(json.dumps(report.allure_config(polluted, False)))
    page = report.generate(polluted, ALLURE, directory=False)
    check = report_dom.check(polluted / report.RESULTS, report_dom.read(page, tmp_path), judged(load_runs(reports)))
    assert not check.ok
    verdict = judged(load_runs(reports))[buried["name"]]
    assert f"{buried['name']!r}: the run judged it {verdict}, the page shows skipped" in check.problems()
