"""The sign-off report from real runs: categories, the plan's labels, metadata, and runbook timings.

Two cheap SQLite runs at once: an upgrade that passes (its runbook is checked against its Allure
durations) and a tampered pair, one scenario failing a check on the gateway (a product defect)
and one broken because a program the suite needs is missing (a suite error). The HTML part needs
Allure 3 in .tools (``make report`` installs it) and is skipped, saying so, without it.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterator

import pytest

from upgrade_suite import report, runbook
from upgrade_suite.report import CATEGORIES

from conftest import ROOT, BehaveRun, run_behave_parallel

pytestmark = pytest.mark.integration

TAMPER = ROOT / "tests" / "integration" / "tamper"
ALLURE = ROOT / ".tools" / "node_modules" / ".bin" / "allure"
UPGRADE = "RC1 to GA upgrade with Alembic before starting it keeps every object \\(SQLite\\)"


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
    found = [json.loads(p.read_text()) for p in (run.reports / "allure-results").glob("*-result.json")]
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
    defect, broken = by_name["A check on the gateway fails"], by_name["A program the suite needs is missing"]
    assert defect["status"] == "failed", defect["statusDetails"]
    assert (
        "AssertionError" in defect["statusDetails"]["message"]
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
    assert re.search(r"UPG-01: RC1 to GA\s+│ SQLite\s+│ broken\s+│ 1 broken, 1 failed", run.output), run.failures()


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
    """(database, step title) -> (median, max, runs) as the runbook prints them."""
    rows, section = {}, ""
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:]
        elif match := re.match(r"\| \d+ \| (.+?) \| `.*` \| (.+?) \| (.+?) \| (\d+) \|$", line):
            title, median, largest, count = match.groups()
            number = lambda cell: None if cell == "-" else float(cell.removesuffix(" s"))  # noqa: E731
            rows[(section, title)] = (number(median), number(largest), int(count))
    return rows


@pytest.mark.skipif(not ALLURE.exists(), reason="Allure 3 is not installed in .tools: run make report once")
def test_the_html_report_shows_categories_metadata_and_the_plan(runs):
    run = runs["tampered"]
    report.main(run.reports, ALLURE)
    widgets = run.reports / "allure-report" / "widgets"
    categories = json.loads((widgets / "categories.json").read_text())
    members = {}
    for node in categories["nodes"].values():
        if node.get("type") == "category":
            names = {categories["nodes"][leaf].get("name") for leaf in leaves(categories, node["id"])}
            members[node["name"]] = names
    assert members[CATEGORIES[1]["name"]] == {"A check on the gateway fails"}
    assert members[CATEGORIES[2]["name"]] == {"A program the suite needs is missing"}
    metadata = {item["name"]: item["values"] for item in json.loads((widgets / "allure_environment.json").read_text())}
    assert metadata["release.GA"] == ["GA (1.0.0), Alembic head aa1b2c3d4e5f"]
    assert metadata["database"][0].startswith("SQLite 3.")
    tree = json.loads((widgets / "tree.json").read_text())
    assert "US-1: Admin - smooth upgrade from RC1 to GA" in {group["name"] for group in tree["groupsById"].values()}
    assert (run.reports / "upgrade-report.html").stat().st_size > 100_000
    assert len((run.reports / report.HISTORY).read_text().splitlines()) == 1, (
        "one report, one history point (the single file only reads it)"
    )
    report.main(run.reports, ALLURE)
    assert len((run.reports / report.HISTORY).read_text().splitlines()) == 2
    charts = json.loads((widgets / "charts.json").read_text())["general"].values()
    dynamics = next(chart for chart in charts if chart["type"] == "statusDynamics")
    assert len(dynamics["data"]) == 2, "the second report shows the first as history (and is not the stale first one)"


def leaves(store: dict, node_id: str) -> Iterator[str]:
    node = store["nodes"][node_id]
    children = node.get("childrenIds") or node.get("children") or []
    if not children:
        yield node_id
    for child in children:
        yield from leaves(store, child)
