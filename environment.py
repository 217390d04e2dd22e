"""behave hooks: configuration validated before anything runs, one sandbox per scenario, guaranteed teardown.

Every process and database a scenario starts is owned by its ``UpgradeScenario`` (upgrade_suite/lab; one ExitStack);
``after_scenario`` closes it whether the scenario passed, failed or was interrupted, and
``after_all`` closes the run (the MCP server fixture). SIGTERM is turned into the same
KeyboardInterrupt path as Ctrl-C, so both end with nothing left running.

A bad input ends the run in one line: the configuration is validated before the heavy modules (the lab,
SQLAlchemy, matplotlib) are imported, so a typo costs a second, not ten; a ``SuiteError`` a step raises
(a release the suite cannot install, a program missing) is printed as its one line instead of behave's
traceback, and stays "broken" in the report. Any other exception keeps its traceback: that is a bug.
"""

from __future__ import annotations

import shlex
import signal
import sys
from typing import TYPE_CHECKING, Any

from behave.model import Scenario

from upgrade_suite.base.config import DEFAULT_RELEASES, SuiteConfig, aliases_named, releases_in_order, versions_named
from upgrade_suite.base.errors import SuiteError

if TYPE_CHECKING:
    from upgrade_suite.judging.known_defects import Judgement
    from upgrade_suite.lab.scenario import UpgradeScenario


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _selected(context: Any) -> list[Scenario]:
    """The scenarios this run will execute; a selection that matches nothing is a typo, said before any work."""
    features = getattr(context._runner, "features", None) or []
    scenarios = [s for f in features for s in f.walk_scenarios()]
    selected = [s for s in scenarios if s.should_run(context.config)]
    if scenarios and not selected and not _matrix_selected(features, context.config):  # its rows come later
        known = sorted({t for s in scenarios for t in s.effective_tags})
        raise SuiteError(f"no scenario matches this selection: known tags are @{', @'.join(known)}")
    return selected


def _matrix_selected(features: list[Any], config: Any) -> bool:
    """Whether the tags name the matrix (imported only then: the lab is heavy, and a typo must cost a second)."""
    from upgrade_suite.matrix.scenarios import matrix_selected

    return matrix_selected(features, config)


def _one_line_errors(formatters: list[Any]) -> None:
    """A step's SuiteError reads as its one line on the terminal (behave prints any non-assertion error with its
    traceback); the Allure result keeps the trace for whoever debugs the suite."""
    for formatter in formatters:
        original = formatter.result

        def result(step: Any, original: Any = original) -> None:
            if isinstance(step.exception, SuiteError):
                step.error_message = f"SuiteError: {step.exception}"
            original(step)

        formatter.result = result


def before_all(context: Any) -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    from upgrade_suite.releases.venvs import writable_directory
    from upgrade_suite.reporting.allure_plan import results_into
    from upgrade_suite.reporting.runs import RunRecord

    _one_line_errors(context._runner.formatters)
    try:
        config = SuiteConfig.from_userdata(context.config.userdata)
        writable_directory(config.reports_dir, "reports directory", "set -D reports_dir= to a directory you can write")
        selected = _selected(context)
    except SuiteError:
        results_into(None)  # a run refused at once leaves no empty reports behind
        raise
    # This run's own results directory (reports/runs/<id>): a later run or a listing never writes over it.
    context.run_record = RunRecord.start(config.reports_dir, shlex.join(sys.argv[1:]))
    results_into(context.run_record.results)
    # Imported once the input is known good: these pull in the lab and its libraries (seconds of imports).
    from upgrade_suite.lab.run import SuiteRun
    from upgrade_suite.reporting.summary import RunSummary
    from upgrade_suite.services.kubernetes import require_tools
    from upgrade_suite.services.tools import ensure_haproxy

    context.summary = RunSummary()
    try:
        if any({"rolling", "chart"} & set(s.effective_tags) and "kubernetes" not in s.effective_tags for s in selected):
            ensure_haproxy(config.timeouts.install)  # the local rollout's load balancer
        if any("kubernetes" in s.effective_tags for s in selected):
            if config.rollout.kube_context:
                require_tools()  # helm and kubectl for the cluster path the user asked for
            elif config.rollout.own_node:  # the suite's node: the host can run it, its binaries built (resumable)
                from upgrade_suite.cluster.build import ensure_built
                from upgrade_suite.cluster.node import check_host

                check_host(upstream_chart=config.rollout.upstream_chart is not None)
                ensure_built()
        texts = [step.name for s in selected for step in s.all_steps]
        context.suite = SuiteRun(config, aliases_named(texts), versions_named(texts))
    except BaseException:
        context.run_record.finish([], aborted=True)  # nothing ran: the run leaves no directory
        results_into(None)
        raise
    features = getattr(context._runner, "features", None) or []
    if _matrix_selected(features, context.config):
        from upgrade_suite.matrix.scenarios import MatrixRun

        context.matrix = MatrixRun(context.suite, features, context.config)


def before_scenario(context: Any, scenario: Scenario) -> None:
    from upgrade_suite.lab.scenario import UpgradeScenario
    from upgrade_suite.reporting.allure_plan import drop_excluded_steps, file_under_plan, mark_executed
    from upgrade_suite.reporting.runs import titled

    drop_excluded_steps()
    # In the order the steps run them (a title may name the new release first: "The GA gateway ... the RC1 database").
    named = releases_in_order([*(step.name for step in scenario.all_steps), scenario.name])
    context.releases = {name: context.suite.specs[name].version for name in named if name in context.suite.specs}
    by_alias = any(name in DEFAULT_RELEASES for name in named)  # a matrix cell's title names its versions itself
    context.title = titled(scenario.name, list(context.releases.values()), by_alias)
    mark_executed(list(context.releases.values()), by_alias)
    file_under_plan(scenario.effective_tags)
    # A known-defect scenario is judged on every problem it has, so its steps run on after a failed one.
    scenario.continue_after_failed_step = "product-defect" in scenario.effective_tags
    if getattr(context, "matrix", None) is not None:
        context.matrix.reuse_if_judged(scenario)
    context.lab = UpgradeScenario(context.suite, scenario.name)


def _judgement(lab: UpgradeScenario | None, scenario: Scenario, failures: list[tuple[str, Any]]) -> Judgement | None:
    """A known-defect scenario's problems against its declarations (attached); None for any other scenario."""
    from upgrade_suite.judging.known_defects import judge, reported

    if lab is None or "product-defect" not in scenario.effective_tags:
        return None
    judgement = judge(reported(failures), lab.declared_defects(scenario.effective_tags))
    lab.evidence.attach("Known defect: problems against the declaration", judgement.render(limit=500))
    return judgement


def after_scenario(context: Any, scenario: Scenario) -> None:
    from upgrade_suite.judging.evidence import record_run
    from upgrade_suite.reporting.allure_plan import label_verdict
    from upgrade_suite.reporting.summary import verdict

    failures = [(step.name, step.exception) for step in scenario.all_steps if step.exception]
    lab: UpgradeScenario | None = getattr(context, "lab", None)
    judgement = _judgement(lab, scenario, failures)
    outcome = verdict(scenario.status.name, failures[0][1] if failures else None, scenario.effective_tags, judgement)
    label_verdict(outcome)
    title, releases = getattr(context, "title", scenario.name), getattr(context, "releases", {})
    context.summary.add(
        scenario.effective_tags, outcome, scenario.duration, title, judgement.render() if judgement else "", releases
    )
    if getattr(context, "matrix", None) is not None:
        context.matrix.finish_cell(scenario, outcome, failures[0][1] if failures else None)
    if lab is None:
        return
    failed = scenario.status.has_failed()
    try:
        if failed:
            lab.attach_logs()
        lab.evidence.attach("Versions", lab.versions(), "json")
        lab.evidence.attach("Phase timings", lab.timings.render())
        lab.evidence.attach("Gateway starts (time to healthy and to ready)", lab.starts(), "json")
        measured = lab.measurements()
    finally:
        lab.close()
        context.lab = None
    record_run(
        context.suite.config.reports_dir / "timings.jsonl",
        {
            "scenario": scenario.name,
            "title": title,
            "run": context.run_record.id,
            "tags": sorted(scenario.effective_tags),
            "status": scenario.status.name,
            # Every Given and When step passed: the procedure ran through, whatever a check found afterwards.
            "procedure_passed": all(
                step.status.name == "passed" for step in scenario.all_steps if step.step_type in ("given", "when")
            ),
            "driver": context.suite.config.driver,
            **measured,
            "verdict": outcome,
            "known_defects": [defect.name for defect in judgement.defects] if judgement else [],
            "known_defects_shown": judgement.shown() if judgement else [],
            "seconds": round(scenario.duration, 3),
        },
    )
    keep = context.suite.config.keep
    if keep == "always" or (failed and keep == "on-failure"):
        print(f"  evidence kept in {lab.sandbox.path}")
    else:
        lab.sandbox.remove()


def after_all(context: Any) -> None:
    from upgrade_suite.base.progress import console
    from upgrade_suite.lab.run import SuiteRun
    from upgrade_suite.matrix.scenarios import MatrixRun
    from upgrade_suite.reporting.runs import RunRecord
    from upgrade_suite.reporting.summary import RunSummary, write_verdicts

    suite: SuiteRun | None = getattr(context, "suite", None)
    matrix: MatrixRun | None = getattr(context, "matrix", None)
    run_record: RunRecord | None = getattr(context, "run_record", None)
    try:
        if matrix is not None and run_record is not None:
            matrix.finish(run_record.results)
    finally:
        if suite is not None:
            suite.close()
    summary: RunSummary | None = getattr(context, "summary", None)
    if summary is not None:
        summary.print(console)
        aborted = bool(getattr(context._runner, "aborted", False))
        if suite is not None:
            write_verdicts(suite.config.verdicts_file, summary.outcomes, aborted)
        if run_record is not None:
            run_record.finish(summary.outcomes, aborted)
