"""The sign-off report shows what ran: a listing or a second selection never turns executed scenarios "skipped".

What a new user does, in one checkout: ``make upgrade`` on a small selection (SQLite), a listing
(``behave --dry-run``), a second selection on the other engine (today's releases on PostgreSQL), then
``make report RUNS=all``. The page, read in Chromium, shows both executed scenarios with the verdicts their runs
gave them, none skipped, and names the two runs; the runbook has a section per judged pair, today's first. A
report built the old way, from one results directory a listing wrote into after the runs, shows an executed
scenario "skipped", and the check against the runs' verdicts says so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from upgrade_suite.reporting import report, report_dom
from upgrade_suite.reporting.runs import judged, load_runs

from conftest import ALLURE, BEHAVE, ROOT, behave_env, prepare_workdir

pytestmark = pytest.mark.integration

FEATURE = str(ROOT / "features" / "upgrade.feature")
PLAN = "RC1 to GA upgrade with Alembic before starting it keeps every object \\(SQLite\\)"
TODAY = "1.0.x to latest upgrade with Alembic before starting it keeps every object \\(PostgreSQL\\)"


def _run(workdir: Path, *command: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), cwd=workdir, env=behave_env(), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def reports(allure: Path, chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    workdir = prepare_workdir(tmp_path_factory.mktemp("runs") / "checkout")
    gate = [sys.executable, "-m", "upgrade_suite.reporting.gate", FEATURE]
    first = _run(workdir, *gate, "--tags=@sqlite and not @negative-control", "--name", PLAN)
    assert "gate: passed" in first.stdout, first.stdout[-3000:] + first.stderr[-2000:]
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
    assert "--tags='@postgres and @current'" in rendered.metadata[f"run.{runs[1].id}"]


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
