"""The rendered report against its result files: every difference named, nothing when the page tells the truth."""

import json
from pathlib import Path

from upgrade_suite.reporting.report_categories import CATEGORIES
from upgrade_suite.reporting.report_dom import RenderedReport, category_of, check


def named(start: str) -> str:
    """The category whose name starts so (the rules' order may change; their meaning is what is tested)."""
    return next(str(c["name"]) for c in CATEGORIES if str(c["name"]).startswith(start))


NEGATIVE, NEW, FIXED, KNOWN = (named(s) for s in ("Negative controls", "New failures", "Fixed?", "Known product"))
PRODUCT, SUITE = named("Product defects"), named("Suite or infrastructure")


def results(tmp_path: Path) -> Path:
    directory = tmp_path / "allure-results"
    directory.mkdir()
    (directory / "diff-attachment.txt").write_text("SQL snapshot diff: 1 problem\n  PROBLEM lost\n")
    failed_step = {"status": "failed", "attachments": [{"name": "Snapshot diff", "source": "diff-attachment.txt"}]}
    for name, status, tags, steps in (
        ("upgrade keeps data", "passed", ["UPG-01"], []),
        ("a check fails", "failed", ["UPG-01"], [failed_step]),
        ("a program is missing", "broken", ["UPG-01"], []),
        ("a known defect", "failed", ["product-defect"], []),
    ):
        labels = [{"name": "tag", "value": tag} for tag in tags]
        if "product-defect" in tags:
            labels.append({"name": "verdict", "value": "known defect"})
        (directory / f"{name}-result.json").write_text(
            json.dumps({"name": name, "status": status, "labels": labels, "steps": steps, "stop": 1})
        )
    (directory / "environment.properties").write_text("release.GA = GA (1.0.0), Alembic head aa1b2c3d4e5f\n")
    return directory


def truthful() -> RenderedReport:
    return RenderedReport(
        verdicts={
            "upgrade keeps data": "passed",
            "a check fails": "failed",
            "a program is missing": "broken",
            "a known defect": "failed",
        },
        metadata={"release.GA": "GA (1.0.0), Alembic head aa1b2c3d4e5f", "executor": "root@vm"},
        categories={KNOWN: 1, PRODUCT: 1, SUITE: 1},
        failed_scenario="a check fails",
        attachments={"Snapshot diff": "SQL snapshot diff: 1 problem\n  PROBLEM lost"},
    )


#: What the runs judged (run.json), by title: the page must show each executed, as judged.
JUDGED = {
    "upgrade keeps data": "passed",
    "a check fails": "failed",
    "a program is missing": "broken",
    "a known defect": "known defect",
}


def test_a_truthful_page_passes(tmp_path: Path):
    outcome = check(results(tmp_path), truthful(), JUDGED)
    assert outcome.ok, outcome.render()
    assert "4 scenarios, 4 verdicts of the runs, 1 metadata lines, 3 categories" in outcome.render()


def test_a_page_of_polluted_results_fails_against_the_runs_verdicts(tmp_path: Path):
    """A later listing wrote "skipped" for an executed scenario: page and results agree, the runs' verdicts do not."""
    directory = results(tmp_path)
    stale = json.loads((directory / "upgrade keeps data-result.json").read_text())
    (directory / "upgrade keeps data-result.json").write_text(json.dumps({**stale, "status": "skipped", "stop": 2}))
    page = truthful()
    page.verdicts = {**page.verdicts, "upgrade keeps data": "skipped"}
    assert check(directory, page).ok  # what the page alone could tell
    outcome = check(directory, page, JUDGED)
    assert outcome.problems() == ["'upgrade keeps data': the run judged it passed, the page shows skipped"]
    (tmp_path / "clean").mkdir()
    missing = check(results(tmp_path / "clean"), truthful(), {**JUDGED, "a scenario of another run": "passed"})
    assert missing.problems() == ["'a scenario of another run': the run judged it passed, the page shows nothing"]


def test_each_difference_is_named(tmp_path: Path):
    page = truthful()
    page.verdicts["a program is missing"] = "failed"
    page.verdicts["a stale scenario"] = "passed"
    page.metadata["release.GA"] = "GA (1.0.0)"
    page.categories[SUITE] = 0
    page.attachments["Snapshot diff"] = None
    assert check(results(tmp_path), page).problems() == [
        "'a program is missing': the results say broken, the page failed",
        "'a stale scenario' is on the page but in no result file",
        "metadata release.GA: the results say 'GA (1.0.0), Alembic head aa1b2c3d4e5f', the page 'GA (1.0.0)'",
        f"category {SUITE!r}: the results put 1 scenarios in it, the page 0",
        "'a check fails': its attachment 'Snapshot diff' does not open to its file",
    ]


def test_categories_follow_the_reports_rules_first_match_wins():
    def result(status: str, *tags: str, verdict: str | None = None) -> dict:
        labels = [{"name": "tag", "value": t} for t in tags]
        return {"status": status, "labels": labels + ([{"name": "verdict", "value": verdict}] if verdict else [])}

    assert category_of(result("failed", "product-defect", verdict="known defect")) == KNOWN
    assert category_of(result("failed", "product-defect", verdict="new failure")) == NEW
    assert category_of(result("passed", "product-defect", verdict="fixed?")) == FIXED
    assert category_of(result("failed", "negative-control", "product-defect", verdict="known defect")) == NEGATIVE
    assert category_of(result("failed")) == PRODUCT
    assert category_of(result("broken", "product-defect", verdict="broken")) == SUITE
    assert category_of(result("passed")) is None
