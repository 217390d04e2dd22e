"""behave hooks: configuration validated before anything runs, one sandbox per scenario, guaranteed teardown.

Every process and database a scenario starts is owned by its ``UpgradeScenario`` (upgrade_suite/lab; one ExitStack);
``after_scenario`` closes it whether the scenario passed, failed or was interrupted, and
``after_all`` closes the run (the MCP server fixture). SIGTERM is turned into the same
KeyboardInterrupt path as Ctrl-C, so both end with nothing left running.
"""

from __future__ import annotations

import signal
from typing import Any

from behave.model import Scenario

from upgrade_suite.allure_plan import file_under_plan
from upgrade_suite.config import SuiteConfig, aliases_named
from upgrade_suite.errors import SuiteError
from upgrade_suite.evidence import record_run
from upgrade_suite.kubernetes import require_tools
from upgrade_suite.lab.matrix import MatrixRun, matrix_selected
from upgrade_suite.lab.run import SuiteRun
from upgrade_suite.lab.scenario import UpgradeScenario
from upgrade_suite.releases import console
from upgrade_suite.summary import RunSummary, verdict
from upgrade_suite.tools import ensure_haproxy


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _selected(context: Any) -> list[Scenario]:
    """The scenarios this run will execute; a selection that matches nothing is a typo, said before any work."""
    features = getattr(context._runner, "features", None) or []
    scenarios = [s for f in features for s in f.walk_scenarios()]
    selected = [s for s in scenarios if s.should_run(context.config)]
    if scenarios and not selected and not matrix_selected(features, context.config):  # the matrix's rows come later
        known = sorted({t for s in scenarios for t in s.effective_tags})
        raise SuiteError(f"no scenario matches this selection: known tags are @{', @'.join(known)}")
    return selected


def before_all(context: Any) -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    config = SuiteConfig.from_userdata(context.config.userdata)
    selected = _selected(context)
    if any("rolling" in s.effective_tags and "kubernetes" not in s.effective_tags for s in selected):
        ensure_haproxy(config.timeouts.install)  # the local rollout's load balancer
    if config.rollout.kube_context and any("kubernetes" in s.effective_tags for s in selected):
        require_tools()  # helm and kubectl for the cluster path the user asked for
    context.summary = RunSummary()
    context.suite = SuiteRun(config, aliases_named(step.name for s in selected for step in s.all_steps))
    features = getattr(context._runner, "features", None) or []
    context.matrix = (
        MatrixRun(context.suite, features, context.config) if matrix_selected(features, context.config) else None
    )


def before_scenario(context: Any, scenario: Scenario) -> None:
    file_under_plan(scenario.effective_tags)
    if getattr(context, "matrix", None) is not None:
        context.matrix.reuse_if_judged(scenario)
    context.lab = UpgradeScenario(context.suite, scenario.name)


def after_scenario(context: Any, scenario: Scenario) -> None:
    exception = next((step.exception for step in scenario.all_steps if step.exception), None)
    outcome = verdict(scenario.status.name, exception, scenario.effective_tags)
    context.summary.add(scenario.effective_tags, outcome, scenario.duration)
    if getattr(context, "matrix", None) is not None:
        context.matrix.finish_cell(scenario, outcome, exception)
    lab: UpgradeScenario | None = getattr(context, "lab", None)
    if lab is None:
        return
    failed = scenario.status.has_failed()
    try:
        if failed:
            lab.attach_logs()
        lab.evidence.attach("Versions", lab.versions(), "json")
        lab.evidence.attach("Phase timings", lab.timings.render())
        measured = lab.measurements()
    finally:
        lab.close()
        context.lab = None
    record_run(
        context.suite.config.reports_dir / "timings.jsonl",
        {
            "scenario": scenario.name,
            "tags": sorted(scenario.effective_tags),
            "status": scenario.status.name,
            "driver": context.suite.config.driver,
            **measured,
            "seconds": round(scenario.duration, 3),
        },
    )
    keep = context.suite.config.keep
    if keep == "always" or (failed and keep == "on-failure"):
        print(f"  evidence kept in {lab.sandbox.path}")
    else:
        lab.sandbox.remove()


def after_all(context: Any) -> None:
    suite: SuiteRun | None = getattr(context, "suite", None)
    matrix: MatrixRun | None = getattr(context, "matrix", None)
    try:
        if matrix is not None:
            matrix.finish()
    finally:
        if suite is not None:
            suite.close()
    summary: RunSummary | None = getattr(context, "summary", None)
    if summary is not None:
        summary.print(console)
