"""The terminal summary printed at the end of a run: one line per case of the plan and database.

Verdicts use the report's vocabulary, so the terminal and the Allure categories agree: a check
on the gateway failed (an AssertionError: "failed", a product defect) or the suite could not run
the check (any other exception: "broken", a suite or infrastructure error).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, cast

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from .plan import place
from .runbook import ENGINES

ColorSystem = Literal["auto", "standard", "256", "truecolor", "windows"]

# Worst first: the line of a case shows the worst verdict among its scenarios.
VERDICTS = ("broken", "failed", "known defect", "red by design", "passed", "skipped")
_STYLES = {
    "broken": "bold yellow",
    "failed": "bold red",
    "known defect": "red",
    "red by design": "magenta",
    "passed": "green",
    "skipped": "dim",
}


def verdict(status: str, exception: BaseException | None, tags: Iterable[str]) -> str:
    """A behave scenario's outcome in the report's terms (see the module docstring)."""
    control = "negative-control" in set(tags)  # must be red: it proves a check can fail
    if status == "passed":
        return "broken" if control else "passed"  # a control that passes means a check cannot see what it must
    if status in ("skipped", "untested"):
        return "skipped"
    if status != "failed" or (exception is not None and not isinstance(exception, AssertionError)):
        return "broken"  # behave's error, hook_error, cleanup_error, undefined: the suite, not the gateway
    if control:
        return "red by design"
    return "known defect" if "product-defect" in set(tags) else "failed"


@dataclass
class Line:
    case: str
    database: str
    verdicts: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def verdict(self) -> str:
        return min(self.verdicts, key=VERDICTS.index)

    def counts(self) -> str:
        return ", ".join(f"{self.verdicts.count(v)} {v}" for v in VERDICTS if v in self.verdicts)


@dataclass
class RunSummary:
    """Scenario outcomes of one run, grouped by (case, database) in the order they ran."""

    lines: dict[tuple[str, str], Line] = field(default_factory=dict)

    def add(self, tags: Iterable[str], outcome: str, seconds: float) -> None:
        tags = set(tags)
        placement = place(tags)
        case = placement.feature if placement else "(not in the plan)"
        database = next((label for tag, label in ENGINES.items() if tag in tags), "-")
        line = self.lines.setdefault((case, database), Line(case, database))
        line.verdicts.append(outcome)
        line.seconds += seconds

    def table(self) -> Table:
        table = Table(title="Upgrade acceptance: verdict per case and database", title_justify="left")
        for column in ("case", "database", "verdict", "scenarios", "time"):
            table.add_column(column, justify="right" if column == "time" else "left", no_wrap=True)
        for line in self.lines.values():
            style = _STYLES[line.verdict]
            table.add_row(
                line.case, line.database, f"[{style}]{line.verdict}[/{style}]", line.counts(), f"{line.seconds:.1f} s"
            )
        return table

    def print(self, console: Console) -> None:
        """The table, one line per case and database even in a narrow or non-terminal console."""
        if self.lines:
            table = self.table()
            needed = Measurement.get(console, console.options.update_width(10_000), table).maximum
            wide = Console(
                file=console.file,
                width=max(console.width, needed),
                # rich types the property as str; it only ever names one of the systems the constructor takes.
                color_system=cast(ColorSystem | None, console.color_system),
                force_terminal=console.is_terminal,
                highlight=False,
            )
            wide.print(table)
