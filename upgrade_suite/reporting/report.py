"""The sign-off report: Allure 3 HTML (a directory and one self-contained file) of the runs a person chose.

The chosen runs (``runs``: the last by default, ``--runs id,id`` or ``all``) are merged into reports/report-results,
each scenario's executed result taken; their metadata comes from the measured runs in reports/timings.jsonl:
environment.properties (Allure 3's awesome report shows it as the overview's Metadata block, as
Allure 2 does: versions under test with their Alembic heads, database engines and versions, the
URL drivers, the gateway driver, Python, platform), executor.json (who ran it; the CI build link
when there is one) and categories.json (for Allure 2 readers). Allure 3 itself is configured by
a generated allurerc: the same categories, and a history file kept in the reports directory so
the overview shows the trend across runs for as long as earlier results are kept. Then the
runbook, the two HTML reports, and (with Chromium) the page read back and checked against the results
(``report_dom``), with screenshots of the overview and of a failed scenario.
The first page's Metadata block names the runs it holds (``run.<id>``) and any alias they resolved apart.
``python -m upgrade_suite.reporting.report [reports_dir] [allure] [--runs last|all|id,id]``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.judging.start_budget import BUDGET
from upgrade_suite.reporting import allure_globals, runbook
from upgrade_suite.reporting.report_categories import CATEGORIES, LABELS
from upgrade_suite.reporting.runs import RunRecord, choose, judged, load_runs, merge, resolved_apart

if TYPE_CHECKING:
    from upgrade_suite.reporting.report_dom import ReportCheck

REPORT_NAME = "Gateway upgrade acceptance"
HISTORY = "history.jsonl"
#: What Allure reads: the chosen runs' results, merged (rebuilt by every report).
RESULTS = "report-results"


def _records(reports: Path) -> list[dict]:
    """Every kept scenario record (reports/timings.jsonl), oldest first."""
    source = reports / "timings.jsonl"
    return [json.loads(line) for line in source.read_text().splitlines()] if source.exists() else []


def runs_metadata(runs: list[RunRecord]) -> dict[str, str]:
    """The runs a report holds, one line each, and every alias they resolved to different versions."""
    # environment.properties is a Java properties file: a backslash (a --name pattern's escape) would vanish.
    out = {f"run.{run.id}": run.describe().replace("\\", "") for run in runs}
    for alias, versions in sorted(resolved_apart(runs).items()):
        out[f"resolved_apart.{alias}"] = (
            "; ".join(f"{version} in {', '.join(ids)}" for version, ids in versions.items())
            + ": shown apart, each scenario titled with its versions"
        )
    return out


def environment(
    records: list[dict], runs: list[RunRecord] | None = None, history: list[dict] | None = None
) -> dict[str, str]:
    """What was tested, as measured by the runs: Allure shows it as the overview's Metadata block. ``history``: every
    kept record, for how often each known defect showed (defaults to ``records``)."""
    out: dict[str, str] = runs_metadata(runs or [])
    for record in records:
        labels = record.get("releases", {})
        for alias, heads in record.get("heads", {}).items():
            out[f"release.{alias}"] = f"{labels.get(alias, alias)}, Alembic head {heads}"
    for key, field in (
        ("database", "database"),
        ("gateway_driver", "driver"),
        ("python", "python"),
        ("platform", "platform"),
    ):
        values = sorted({r[field] for r in records if r.get(field)})
        if values:
            out[key] = "; ".join(values)
    urls = sorted({f"{alias} {scheme}" for r in records for alias, scheme in r.get("database_urls", {}).items()})
    if urls:
        out["db_driver"] = ", ".join(urls)
    if any(r.get("starts") for r in records):
        out["start_up_budget"] = BUDGET.render()
    for name, (shown, count) in sorted(defect_history(records if history is None else history).items()):
        out[f"known_defect.{name}"] = f"shown in {shown} of {count} runs of its scenarios"
    return out or {"runs": "none measured yet"}


def defect_history(records: list[dict]) -> dict[str, tuple[int, int]]:
    """Per declared known defect, across the kept runs: in how many of its scenarios' runs it showed.

    What an intermittent defect is judged by over time (the rolling write deadlock: 2 of 4 runs).
    """
    counts: dict[str, tuple[int, int]] = {}
    for record in records:
        for name in record.get("known_defects", []):
            shown, runs = counts.get(name, (0, 0))
            counts[name] = (shown + (name in record.get("known_defects_shown", [])), runs + 1)
    return counts


def executor() -> dict[str, str]:
    """Who ran the suite where; a CI system's build link when the environment names one."""
    build = os.environ.get("BUILD_URL") or (
        f"{os.environ['GITHUB_SERVER_URL']}/{os.environ['GITHUB_REPOSITORY']}/actions/runs/{os.environ['GITHUB_RUN_ID']}"
        if os.environ.get("GITHUB_RUN_ID")
        else ""
    )
    out = {
        "name": f"{getpass.getuser()}@{socket.gethostname()}",
        "type": "ci" if os.environ.get("CI") else "local",
        "buildUrl": build,
    }
    number = os.environ.get("BUILD_NUMBER") or os.environ.get("GITHUB_RUN_NUMBER")
    if number:
        out["buildName"] = f"build {number}"
    return out


def allure3_categories() -> list[dict]:
    return [
        {
            "name": c["name"],
            "matchers": {
                "statuses": c["statuses"],
                **({"labels": {k: _exactly(str(c[k])) for k in LABELS if k in c}} if _labelled(c) else {}),
            },
            "groupBy": [{"label": "feature"}],
        }
        for c in CATEGORIES
    ]


def allure2_categories() -> list[dict]:
    """Allure 2 matches on status and message only: the known-defect split needs Allure 3's label matcher."""
    return [{"name": c["name"], "matchedStatuses": c["statuses"]} for c in CATEGORIES if not _labelled(c)]


def _exactly(value: str) -> str:
    """A label matcher for exactly ``value`` (``fixed?`` holds a regex character)."""
    return "^" + re.sub(r"([?.*+()\[\]])", r"\\\1", value) + "$"


def _labelled(category: dict) -> bool:
    return any(k in category for k in LABELS)


def allure_config(reports: Path, append_history: bool) -> dict:
    return {
        "name": REPORT_NAME,
        "historyPath": str((reports / HISTORY).resolve()),
        "appendHistory": append_history,
        "categories": allure3_categories(),
    }


def write_metadata(reports: Path, runs: list[RunRecord]) -> None:
    """The files the HTML is generated from: ``runs`` merged into reports/report-results, their metadata, the
    runbook of the pairs they judged."""
    results = reports / RESULTS
    merge(runs, results)
    every = _records(reports)
    ids = {run.id for run in runs}
    records = [record for record in every if record.get("run") in ids]
    (results / "environment.properties").write_text(
        "".join(f"{k} = {v}\n" for k, v in environment(records, runs, every).items())
    )
    (results / "executor.json").write_text(json.dumps(executor(), indent=2))
    (results / "categories.json").write_text(json.dumps(allure2_categories(), indent=2))
    # The single file is generated first and only reads the history; the directory report appends this run.
    (reports / "allurerc-single.json").write_text(json.dumps(allure_config(reports, False), indent=2))
    (reports / "allurerc.json").write_text(json.dumps(allure_config(reports, True), indent=2))
    runbook.main(reports, runs=[run.id for run in runs])


def generate(reports: Path, allure: Path, directory: bool = True) -> Path:
    """The single self-contained file and (``directory``) the HTML directory, which appends this run's history;
    returns the file.

    Allure writes into <output>/awesome and moves it up only when that is the output's one
    directory: an earlier report left in place would keep its stale index.html, so it goes first.
    """
    outputs = [("allurerc-single.json", "allure-single", ["--single-file"])]
    if directory:
        outputs.append(("allurerc.json", "allure-report", []))
    for config, output, extra in outputs:
        shutil.rmtree(reports / output, ignore_errors=True)
        subprocess.run(
            [str(allure), "awesome", str(reports / RESULTS), "--group-by", "epic,feature"]
            + ["--config", str(reports / config), "-o", str(reports / output), *extra],
            check=True,
        )
    single = reports / "upgrade-report.html"
    shutil.copy(reports / "allure-single" / "index.html", single)
    return single


def main(reports: Path, allure: Path | None = None, runs: str = "last") -> None:
    """The chosen runs merged, their metadata, then (with Allure) the HTML, read back in Chromium and checked
    against the results and the runs' verdicts.

    A page that differs from its result files or verdicts stops ``make report`` non-zero, naming each difference;
    without Chromium the report is still written and one line says what to install.
    """
    chosen = choose(load_runs(reports), runs)
    write_metadata(reports, chosen)
    print(f"report of {len(chosen)} run(s): {', '.join(run.id for run in chosen)}")
    if allure is None:
        return
    # The single file first, read back in Chromium; then, with the check and its screenshots filed beside the
    # results, both reports (only the directory report appends this run to the history, once).
    check = _checked_in_browser(reports, generate(reports, allure, directory=False), judged(chosen))
    single = generate(reports, allure)
    print(f"report: {reports / 'allure-report' / 'index.html'} and {single}")
    if check is not None and not check.ok:
        raise SystemExit(1)


def _checked_in_browser(reports: Path, single: Path, verdicts: dict[str, str]) -> ReportCheck | None:
    """The page against its results, the check and screenshots filed as the results' global attachments
    (the report's evidence about itself); None, said in one line, where no browser could read it."""
    from upgrade_suite.reporting import report_dom  # the browser is needed only here

    shots = [reports / "report-overview.png", reports / "report-failed-scenario.png"]
    for stale in shots:  # an earlier run's failed scenario is not this report's
        stale.unlink(missing_ok=True)
    try:
        check = report_dom.check(reports / RESULTS, report_dom.read(single, reports), verdicts)
    except SuiteError as error:
        print(f"not checked in a browser: {error}")
        return None
    (reports / "report-check.txt").write_text(check.render() + "\n")
    print(check.render())
    print(f"screenshots: {', '.join(str(shot) for shot in shots if shot.exists())}")
    evidence = [(f"Report as Chromium showed it: {shot.stem}", shot) for shot in shots if shot.exists()]
    allure_globals.attach(
        reports / RESULTS,
        "report-check",
        [*evidence, ("Report against its results", reports / "report-check.txt")],
    )
    return check


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="make report", description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="?", default="reports")
    parser.add_argument("allure", nargs="?", help="the allure command (without it: metadata and runbook only)")
    parser.add_argument("--runs", default="last", help="last (default), all, or run ids separated by commas")
    options = parser.parse_args()
    try:
        main(Path(options.reports), Path(options.allure) if options.allure else None, options.runs)
    except SuiteError as error:
        sys.exit(f"make report: {error}")
