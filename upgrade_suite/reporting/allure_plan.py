"""Files the running scenario's Allure result under the test plan (``before_scenario``), and where results go.

``RunResults`` is the formatter behave.ini names: allure-behave's, writing a result only for a scenario the run
executed (its ``before_scenario`` ran), none at all in a dry run. With behave 1.3, allure-behave 2.16 wrote a
"skipped" result for scenarios a run did not select (139 beside the 16 executed in one ``make upgrade``) and one
for every scenario of a listing; a report made from them said nothing ran.

allure-behave 2.16 turns tags into ``tag`` labels and adds the feature file's name as the
``feature`` label; ``allure.dynamic.label``/``epic``/``feature``/``severity`` do nothing under it
(its listener implements no ``add_label`` hook). So the plan's placement (``upgrade_suite.reporting.plan``)
is written into the result allure-behave is building: epic = story, feature = case (replacing the
feature file's name), severity from the plan, and a link to the plan's case. Without the Allure
formatter (a plain ``behave -f plain`` run) there is no result and nothing to do.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import allure
import allure_commons
from allure_behave.formatter import AllureFormatter
from allure_behave.listener import AllureListener
from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Label, TestResult
from allure_commons.utils import get_testplan
from behave.formatter.base import Formatter

from upgrade_suite.reporting.plan import PLAN_URL, place
from upgrade_suite.reporting.runs import titled, versioned_history_id


class _ExecutedOnly(AllureListener):
    """allure-behave's listener, dropping the result of a scenario the run did not execute."""

    current_scenario_uuid: Any

    def __init__(self, behave_config: Any) -> None:
        super().__init__(behave_config)
        self.executed: set[Any] = set()

    def stop_scenario(self, scenario: Any) -> None:
        if self.current_scenario_uuid in self.executed:
            super().stop_scenario(scenario)
            return
        self.logger.drop_test(self.current_scenario_uuid)
        self.group_context.exit()  # allure-behave's own drop leaves the scenario's group open
        self.steps.clear()  # and the excluded scenario's steps queued for the next one
        self.current_scenario_uuid = None


class RunResults(AllureFormatter):
    """The Allure formatter of the suite: results of executed scenarios only; in a dry run, no file at all."""

    def __init__(self, stream_opener: Any, config: Any) -> None:
        Formatter.__init__(self, stream_opener, config)  # allure-behave's own __init__ registers its listener
        self.listener = _ExecutedOnly(config)
        allure_commons.plugin_manager.register(self.listener)
        self.file_logger = None if config.dry_run else AllureFileLogger(self.stream_opener.name)
        if self.file_logger is not None:
            allure_commons.plugin_manager.register(self.file_logger)
        self.testplan = get_testplan()

    def close(self) -> None:
        try:
            Formatter.close(self)
        finally:
            for plugin in (self.file_logger, self.listener):
                name = allure_commons.plugin_manager.get_name(plugin) if plugin is not None else None
                if name is not None and allure_commons.plugin_manager.has_plugin(name):
                    allure_commons.plugin_manager.unregister(name=name)


def mark_executed(versions: list[str], named_by_alias: bool) -> None:
    """The running scenario is executed: its result is kept, titled with the versions it runs, and its history
    id made distinct per versions (``runs.titled``); called first thing in ``before_scenario``."""
    for plugin in allure_commons.plugin_manager.get_plugins():
        if isinstance(plugin, _ExecutedOnly) and plugin.current_scenario_uuid is not None:
            plugin.executed.add(plugin.current_scenario_uuid)
            result = plugin.logger.get_test(plugin.current_scenario_uuid)
            result.name = titled(result.name, versions, named_by_alias)
            result.historyId = versioned_history_id(result.historyId, versions)


def _running_result() -> TestResult | None:
    for plugin in allure_commons.plugin_manager.get_plugins():
        if isinstance(plugin, AllureListener) and plugin.current_scenario_uuid is not None:
            return plugin.logger.get_test(plugin.current_scenario_uuid)
    return None


def drop_excluded_steps() -> None:
    """Forget the steps allure-behave queued for scenarios it dropped, before the running scenario queues its own.

    With ``show_skipped`` behave hands the formatter every step of a scenario the tags exclude; allure-behave 2.16
    drops that scenario's result (``hide_excluded``) but keeps its steps queued, and the next scenario that runs
    pops them as its own: its result carried the excluded scenario's step names (measured: the rolling writes
    scenario, after GA -> latest's excluded example, showed nine steps it does not have, its own four at the end).
    ``before_scenario`` runs before behave queues the running scenario's steps, so whatever is queued then is stale.
    """
    for plugin in allure_commons.plugin_manager.get_plugins():
        if isinstance(plugin, AllureListener):
            plugin.steps.clear()


def file_under_plan(tags: Iterable[str]) -> None:
    """Label and link the running scenario from its tags; scenarios outside the plan keep allure-behave's labels."""
    placement = place(tags)
    result = _running_result()
    if placement is None or result is None:
        return
    replaced = {name for name, _ in placement.labels()}
    result.labels = [label for label in result.labels if label.name not in replaced]
    result.labels += [Label(name=name, value=value) for name, value in placement.labels()]
    allure.dynamic.link(PLAN_URL, name=placement.link)


def results_into(directory: Path | None) -> Path | None:
    """Point allure-behave's result writer at ``directory`` (``-D reports_dir`` moves the results with the rest);
    None: the run ends before any result (a bad input), so nothing of it stays in the default place.

    behave.ini names the formatter's outfile (reports/allure-results, relative to where behave runs) and the
    formatter makes that directory before any hook runs, so ``before_all`` moves it here; the default directory
    is removed when empty (with its parent). Returns the writer's directory (None without the Allure formatter).
    """
    for plugin in allure_commons.plugin_manager.get_plugins():
        if isinstance(plugin, AllureFileLogger):
            default = Path(plugin._report_dir)
            if directory is not None:
                directory.mkdir(parents=True, exist_ok=True)
                plugin._report_dir = directory.absolute()
            if directory is None or default.resolve() != directory.resolve():
                for empty in (default, default.parent):
                    try:
                        empty.rmdir()
                    except OSError:
                        break
            return directory
    return None


def label_verdict(verdict: str) -> None:
    """The suite's verdict of the running scenario as a ``verdict`` label: the report's categories group by it
    (a known defect and a new failure are both red in Allure; only the verdict tells them apart)."""
    result = _running_result()
    if result is not None:
        result.labels = [label for label in result.labels if label.name != "verdict"]
        result.labels.append(Label(name="verdict", value=verdict))
