"""Files the running scenario's Allure result under the test plan (``before_scenario``), and where results go.

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

import allure
import allure_commons
from allure_behave.listener import AllureListener
from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Label, TestResult

from upgrade_suite.reporting.plan import PLAN_URL, place


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
