"""The terminal summary: one line per case and database, in the report's verdicts."""

import io

from rich.console import Console

from upgrade_suite.base.errors import ReleaseExited, SuiteError
from upgrade_suite.reporting.summary import RunSummary, verdict


def test_a_failed_check_is_failed_anything_else_broken():
    assert verdict("failed", AssertionError("row lost"), ["UPG-01"]) == "failed"
    assert verdict("failed", AssertionError("row lost"), ["UPG-01", "product-defect"]) == "failed"  # not judged
    assert verdict("error", SuiteError("alembic program is missing"), ["UPG-01"]) == "broken"
    assert verdict("failed", KeyError("x"), ["UPG-01"]) == "broken"
    assert verdict("hook_error", None, ["UPG-01"]) == "broken"
    assert verdict("failed", AssertionError("503s"), ["UPG-06", "negative-control"]) == "red by design"
    assert verdict("passed", None, ["UPG-06", "negative-control"]) == "broken"  # the prober could not see the outage
    assert verdict("passed", None, []) == "passed"
    assert verdict("skipped", None, []) == "skipped"


def test_a_release_that_exits_at_start_is_the_product_failing_not_the_suite():
    exited = ReleaseExited('1.0.2 gateway exited with status 3 while starting: column "on_error" does not exist')
    assert verdict("failed", exited, ["UPG-01"]) == "failed"  # behave reports an AssertionError as failed
    assert isinstance(exited, SuiteError)  # callers that expect a refusal still catch it, the terminal keeps one line


def test_one_line_per_case_and_database_with_the_worst_verdict_the_versions_and_the_time():
    summary = RunSummary()
    remapped = {"RC1": "1.0.0b2", "GA": "1.0.0rc1"}  # -D rc1=1.0.0b2 -D ga=1.0.0rc1: "RC1 to GA" is not 1.0.0
    summary.add(["UPG-01", "sqlite"], "passed", 10.0, releases=remapped)
    summary.add(["UPG-01", "sqlite"], "failed", 2.5, releases={"GA": "1.0.0rc1"})
    summary.add(["UPG-01", "postgres"], "passed", 4.0, releases=remapped)
    summary.add(["hazard", "sqlite", "product-defect"], "known defect", 1.0)
    summary.add(["UPG-01", "sqlite", "current"], "passed", 3.0)  # GA -> latest: not filed under "RC1 to GA"
    out = io.StringIO()
    summary.print(Console(file=out, width=200, color_system=None))
    lines = [line for line in out.getvalue().splitlines() if "│" in line]
    assert [" ".join(cell.strip() for cell in line.strip("│ ").split("│")) for line in lines] == [
        "UPG-01: RC1 to GA SQLite 1.0.0b2 -> 1.0.0rc1; 1.0.0rc1 failed 1 failed, 1 passed 12.5 s",
        "UPG-01: RC1 to GA PostgreSQL 1.0.0b2 -> 1.0.0rc1 passed 1 passed 4.0 s",
        "Hazards: upgrade-day hazards (beyond the plan) SQLite - known defect 1 known defect 1.0 s",
        "UPG-01 on today's releases (to the newest) SQLite - passed 1 passed 3.0 s",
    ]
    assert summary.outcomes[0]["releases"] == remapped  # verdicts.json and run.json name them too


def test_an_empty_run_prints_nothing():
    out = io.StringIO()
    RunSummary().print(Console(file=out))
    assert out.getvalue() == ""
