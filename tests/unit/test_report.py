"""Report metadata from measured runs, and the categories given to Allure 3 and Allure 2."""

import json
from pathlib import Path

from upgrade_suite.reporting import report
from upgrade_suite.reporting.runs import RunRecord


def record(engine: str, database: str) -> dict:
    return {
        "releases": {"RC1": "RC1 (1.0.0rc1)", "GA": "GA (1.0.0)", "0.9.x": "0.9.x (0.9.0)"},
        "heads": {"RC1": "x7h8i9j0k1l2", "GA": "aa1b2c3d4e5f"},
        "database": database,
        "database_urls": {"RC1": engine, "GA": engine},
        "driver": "process",
        "python": "3.11.7",
        "platform": "Linux",
        "tags": [],
        "phases": [],
    }


def test_the_environment_names_only_what_ran_with_its_heads_engines_and_drivers():
    env = report.environment(
        [
            record("sqlite", "SQLite 3.40.1"),
            record("postgresql+psycopg", "PostgreSQL 16.2, embedded PostgreSQL (pgserver)"),
        ]
    )
    assert env == {
        "release.RC1": "RC1 (1.0.0rc1), Alembic head x7h8i9j0k1l2",
        "release.GA": "GA (1.0.0), Alembic head aa1b2c3d4e5f",
        "database": "PostgreSQL 16.2, embedded PostgreSQL (pgserver); SQLite 3.40.1",
        "gateway_driver": "process",
        "python": "3.11.7",
        "platform": "Linux",
        "db_driver": "GA postgresql+psycopg, GA sqlite, RC1 postgresql+psycopg, RC1 sqlite",
    }
    assert report.environment([]) == {"runs": "none measured yet"}


def test_categories_split_known_defects_other_failures_and_suite_errors():
    rules = report.allure3_categories()
    assert [r["matchers"] for r in rules] == [
        {"statuses": ["failed"], "labels": {"tag": "^negative-control$"}},
        {"statuses": ["failed", "broken"], "labels": {"verdict": "^new failure$"}},
        {"statuses": ["failed", "passed"], "labels": {"verdict": "^fixed\\?$"}},
        {"statuses": ["failed"], "labels": {"verdict": "^known defect$"}},
        {"statuses": ["failed"]},
        {"statuses": ["broken"]},
    ]
    assert [c["matchedStatuses"] for c in report.allure2_categories()] == [["failed"], ["broken"]]


def test_the_single_file_reads_the_history_and_the_directory_report_appends_to_it(tmp_path: Path):
    run = RunRecord.start(tmp_path, "features/upgrade.feature --tags=@sqlite")
    run.finish([{"scenario": "s [1.0.0rc1 -> 1.0.0]", "verdict": "passed", "releases": {"RC1": "1.0.0rc1"}}], False)
    report.write_metadata(tmp_path, [run])
    single, directory = (
        json.loads((tmp_path / name).read_text()) for name in ("allurerc-single.json", "allurerc.json")
    )
    assert single["historyPath"] == directory["historyPath"] == str(tmp_path.resolve() / "history.jsonl")
    assert (single["appendHistory"], directory["appendHistory"]) == (False, True)
    properties = (tmp_path / report.RESULTS / "environment.properties").read_text()
    assert properties.startswith(f"run.{run.id} = ") and "features/upgrade.feature --tags=@sqlite" in properties
    assert "RC1=1.0.0rc1; 1 passed" in properties
    assert (tmp_path / "runbook.md").exists()


def test_the_first_page_says_which_alias_the_runs_resolved_apart(tmp_path: Path):
    runs = []
    for latest in ("1.1.0", "1.1.1"):
        run = RunRecord.start(tmp_path / latest, "")
        run.finish(
            [{"scenario": f"GA to latest [1.0.0 -> {latest}]", "verdict": "passed", "releases": {"latest": latest}}],
            False,
        )
        runs.append(run)
    metadata = report.runs_metadata(runs)
    assert metadata["resolved_apart.latest"] == (
        f"1.1.0 in {runs[0].id}; 1.1.1 in {runs[1].id}: shown apart, each scenario titled with its versions"
    )


def test_the_results_follow_the_reports_directory(tmp_path: Path, monkeypatch):
    """-D reports_dir: the writer allure-behave opened in the default place moves, and the empty default goes."""
    import allure_commons
    from allure_commons.logger import AllureFileLogger

    from upgrade_suite.reporting.allure_plan import results_into

    monkeypatch.chdir(tmp_path)
    writer = AllureFileLogger("reports/allure-results")
    allure_commons.plugin_manager.register(writer)
    try:
        assert results_into(tmp_path / "elsewhere" / "allure-results") == tmp_path / "elsewhere" / "allure-results"
        assert writer._report_dir == tmp_path / "elsewhere" / "allure-results"
        assert not (tmp_path / "reports").exists()
    finally:
        allure_commons.plugin_manager.unregister(writer)


def test_each_known_defect_is_counted_across_the_kept_runs():
    records = [
        {"known_defects": ["deadlock"], "known_defects_shown": ["deadlock"]},
        {"known_defects": ["deadlock"], "known_defects_shown": []},
        {"known_defects": [], "known_defects_shown": []},
    ]
    assert report.defect_history(records) == {"deadlock": (1, 2)}
    assert report.environment(records)["known_defect.deadlock"] == "shown in 1 of 2 runs of its scenarios"


def test_the_start_up_budget_is_shown_when_starts_were_measured():
    assert "start_up_budget" not in report.environment([{"starts": []}])
    assert report.environment([{"starts": [{"healthy_after_s": 8.0}]}])["start_up_budget"] == (
        "time to healthy at most max(2 x the old release's, old + 15 s)"
    )
