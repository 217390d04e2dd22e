"""The matrix run: its cells become the rows of features/matrix.feature's outlines, each row a scenario.

Gherkin cannot list rows that are only known at run time, so the feature's Examples tables hold their
headings only and this part fills them from the plan (behave rebuilds an outline whose table changed).
Each cell is then an ordinary scenario built from the suite's own steps: its own sandbox, teardown,
Allure result and evidence. A cell whose key has a recorded verdict is not added (unless
``-D matrix_fresh=true``); its record is reused and said so.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from allure_commons import plugin_manager

from upgrade_suite.base.progress import console
from upgrade_suite.judging.evidence import CheckFailed
from upgrade_suite.lab.run import SuiteRun
from upgrade_suite.lab.vocabulary import DATABASE_WORDS
from upgrade_suite.matrix import page
from upgrade_suite.matrix.plan import Cell, Plan, cell_key, plan, shard
from upgrade_suite.matrix.render import publish
from upgrade_suite.matrix.results import RESULTS_DIR, CellResult, load, matrix, record, reusable, suite_fingerprint

_ENGINE_TAGS = {"sqlite": "sqlite", "postgres": "postgresql"}
_WORDS = {engine: word for word, engine in DATABASE_WORDS.items()}
_ROOT = Path(__file__).resolve().parents[2]


def _allure_uuid() -> str:
    """The Allure result of the scenario running now (allure-behave's listener), or "" without the formatter."""
    return next(
        (str(p.current_scenario_uuid) for p in plugin_manager.get_plugins() if getattr(p, "current_scenario_uuid", 0)),
        "",
    )


def _tables(features: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
    """(outline, examples) of every matrix outline."""
    for outline in (s for f in features if "matrix" in f.tags for s in f.scenarios):
        for examples in getattr(outline, "examples", []):
            yield outline, examples


def matrix_selected(features: Iterable[Any], config: Any) -> bool:
    """Whether the tags ask for the matrix by name (``@matrix``): only then is PyPI asked and the plan made.

    A selection that would take the matrix's tables without naming it (``--tags=@sqlite``, "every case but the
    known defects") leaves them empty: the matrix is hours of cells, never a side effect of another selection.
    """
    check = config.tag_expression.check
    return any(
        check(tags) and not check(tags - {"matrix"})
        for tags in (set(o.effective_tags) | set(e.tags) for o, e in _tables(features))
    )


class MatrixRun:
    """The plan, this machine's shard of it, and the cells' records (reports/matrix-results)."""

    def __init__(self, run: SuiteRun, features: Iterable[Any], config: Any) -> None:
        self.run = run
        settings = run.config.matrix
        self.results_dir = run.config.reports_dir / RESULTS_DIR
        self.plan: Plan = plan(run.index.listing, settings.first, settings.last)
        for version, reason in self.plan.left_out.items():
            console.print(f"[dim]matrix: {version} left out ({reason})[/dim]")
        for version in self.plan.versions:
            run.add_release(version)
        self.fingerprint = suite_fingerprint(_ROOT)
        self.records = load([self.results_dir])
        self.cells: dict[tuple[str, ...], Cell] = {}
        self.keys: dict[str, str] = {}
        self.no_path: dict[str, str] = {}
        self.judged: dict[str, CellResult] = {}  # key -> the cell of this run that judged it
        self.reused: set[str] = set()
        mine = shard(self.plan.cells, *settings.shard)
        for outline, examples in _tables(features):
            engine = next(_ENGINE_TAGS[t] for t in examples.tags if t in _ENGINE_TAGS)
            kinds = {"back"} if "back" in outline.tags else {"direct", "hop"}
            examples.table.clear()
            for cell in mine:
                if cell.engine == engine and cell.kind in kinds and self._needed(cell, examples, outline, config):
                    row = (cell.kind, cell.from_version, cell.to_version, _WORDS[engine])
                    self.cells[row] = cell
                    examples.table.add_row(list(row))
        console.print(
            f"matrix: {len(self.plan.versions)} releases {self.plan.versions[0]} .. {self.plan.target}, "
            f"{len(self.plan.cells)} cells, shard {settings.shard[0]}/{settings.shard[1]}: {len(mine)}, "
            f"{len(self.cells)} to run"
        )

    def _engine_version(self, engine: str) -> str:
        return f"SQLite {sqlite3.sqlite_version}" if engine == "sqlite" else f"PostgreSQL {self.run.postgres().version}"

    def _needed(self, cell: Cell, examples: Any, outline: Any, config: Any) -> bool:
        """Whether the cell runs: selected by the tags, and no reusable verdict for its key (or fresh asked)."""
        tags = set(outline.effective_tags) | set(examples.tags)
        if not config.tag_expression.check(tags):
            return False
        key = cell_key(
            cell,
            self.run.specs[cell.from_version].key,
            self.run.specs[cell.to_version].key,
            self._engine_version(cell.engine),
            self.fingerprint,
        )
        self.keys[cell.id] = key
        earlier = None if self.run.config.matrix.fresh else reusable(self.records, cell, key)
        if earlier is None:
            return True
        reused = CellResult(cell, key, earlier.verdict, earlier.seconds, earlier.problem, earlier.allure_uuid)
        record(self.results_dir, reused)
        self.records[cell.id] = reused
        console.print(f"[dim]matrix: {cell.id} unchanged ({earlier.verdict}, from {earlier.cell.id}): reused[/dim]")
        return False

    def cell(self, scenario: Any) -> Cell | None:
        row = getattr(scenario, "_row", None)
        return self.cells.get(tuple(row.cells)) if row is not None else None

    def no_downgrade_path(self, scenario: Any, reason: str) -> None:
        """The back cell's answer when the newer release cannot downgrade to the older one's head."""
        cell = self.cell(scenario)
        if cell is not None:
            self.no_path[cell.id] = reason

    def reuse_if_judged(self, scenario: Any) -> None:
        """Skip a cell another cell of this run already answered (the hop to the target is the direct cell)."""
        cell = self.cell(scenario)
        earlier = self.judged.get(self.keys[cell.id]) if cell is not None else None
        if cell is None or earlier is None or earlier.verdict == "broken":
            return
        reused = CellResult(cell, earlier.key, earlier.verdict, earlier.seconds, earlier.problem, earlier.allure_uuid)
        record(self.results_dir, reused)
        self.records[cell.id], self.reused = reused, self.reused | {cell.id}
        scenario.skip(f"the same upgrade as {earlier.cell.id} ({earlier.verdict}): its verdict is this cell's")

    def finish_cell(self, scenario: Any, outcome: str, exception: BaseException | None) -> None:
        """Record the cell a scenario judged: its verdict, time, first problem, Allure result."""
        cell = self.cell(scenario)
        if cell is None or cell.id in self.reused:
            return
        problem = self.no_path.get(cell.id, "")
        verdict = "no downgrade path" if problem else outcome
        if isinstance(exception, CheckFailed) and not problem:
            problem = exception.headline()
        elif exception is not None and not problem:
            problem = " ".join(line.strip() for line in str(exception).splitlines()[:2])
        result = CellResult(cell, self.keys[cell.id], verdict, round(scenario.duration, 1), problem, _allure_uuid())
        record(self.results_dir, result)
        self.records[cell.id] = self.judged[result.key] = result

    def finish(self, results: Path) -> None:
        """matrix.json and matrix.html for this plan's recorded cells, and the grid in the terminal; the page's check
        goes with the run's Allure ``results``."""
        planned = {c.id for c in self.plan.cells}
        data = matrix({i: r for i, r in self.records.items() if i in planned})
        reports = self.run.config.reports_dir
        publish(data, reports, console)
        page.check(data, reports, results, console)
