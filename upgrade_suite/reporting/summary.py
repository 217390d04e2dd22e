"""The terminal summary printed at the end of a run: one line per case of the plan and database.

Verdicts use the report's vocabulary, so the terminal and the Allure categories agree: a check
on the gateway failed (an AssertionError: "failed", a product defect) or the suite could not run
the check (any other exception: "broken", a suite or infrastructure error). A scenario tagged
``@product-defect`` is judged against its declared known defects (``declarations.py``): "known
defect" (exactly the declared problems), "fixed?" (a declared one is gone) or "new failure".
The gate passes a run whose every scenario passed, was skipped, is a known defect or a negative
control that was red.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

from upgrade_suite.judging.known_defects import FIXED, KNOWN, NEW, Judgement
from upgrade_suite.reporting.plan import place
from upgrade_suite.reporting.runbook import ENGINES

ColorSystem = Literal["auto", "standard", "256", "truecolor", "windows"]

# Worst first: the line of a case shows the worst verdict among its scenarios.
VERDICTS = ("broken", NEW, FIXED, "failed", KNOWN, "red by design", "passed", "skipped")
#: What the gate accepts: anything else (a failure, a new failure, a "fixed?", a broken scenario) fails it.
GATE_PASSES = frozenset({"passed", "skipped", KNOWN, "red by design"})
_STYLES = {
    "broken": "bold yellow",
    NEW: "bold red",
    FIXED: "bold cyan",
    "failed": "bold red",
    KNOWN: "red",
    "red by design": "magenta",
    "passed": "green",
    "skipped": "dim",
}


def verdict(
    status: str, exception: BaseException | None, tags: Iterable[str], judgement: Judgement | None = None
) -> str:
    """A behave scenario's outcome in the report's terms (see the module docstring).

    ``exception`` is the first failed step's: a known-defect scenario runs on after a failed step, and
    what failed first decides between a product failure and a broken suite.
    """
    control = "negative-control" in set(tags)  # must be red: it proves a check can fail
    if judgement is not None and status in ("passed", "failed") and (exception is None or _a_check(exception)):
        return judgement.verdict
    if status == "passed":
        return "broken" if control else "passed"  # a control that passes means a check cannot see what it must
    if status in ("skipped", "untested"):
        return "skipped"
    if status != "failed" or (exception is not None and not isinstance(exception, AssertionError)):
        return "broken"  # behave's error, hook_error, cleanup_error, undefined: the suite, not the gateway
    if control:
        return "red by design"
    return "failed"


def _a_check(exception: BaseException) -> bool:
    """A failed check on the gateway (AssertionError), not the suite failing to run one."""
    return isinstance(exception, AssertionError)


@dataclass
class Line:
    case: str
    database: str
    verdicts: list[str] = field(default_factory=list)
    seconds: float = 0.0
    releases: list[str] = field(default_factory=list)  # the versions its scenarios ran, "1.0.0rc1 -> 1.0.0"

    @property
    def verdict(self) -> str:
        return min(self.verdicts, key=VERDICTS.index)

    def counts(self) -> str:
        return ", ".join(f"{self.verdicts.count(v)} {v}" for v in VERDICTS if v in self.verdicts)


@dataclass
class RunSummary:
    """Scenario outcomes of one run, grouped by (case, database) in the order they ran."""

    lines: dict[tuple[str, str], Line] = field(default_factory=dict)
    #: Every scenario's name, verdict and, for a known-defect scenario, its judgement in words.
    outcomes: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        tags: Iterable[str],
        outcome: str,
        seconds: float,
        scenario: str = "",
        judged: str = "",
        releases: dict[str, str] | None = None,
    ) -> None:
        """One scenario's verdict; ``releases`` (alias -> version, in the order it ran them) name what it judged."""
        tags = set(tags)
        releases = releases or {}
        self.outcomes.append({"scenario": scenario, "verdict": outcome, "judgement": judged, "releases": releases})
        placement = place(tags)
        case = placement.feature if placement else "(not in the plan)"
        database = next((label for tag, label in ENGINES.items() if tag in tags), "-")
        line = self.lines.setdefault((case, database), Line(case, database))
        line.verdicts.append(outcome)
        line.seconds += seconds
        ran = " -> ".join(releases.values())
        if ran and ran not in line.releases:
            line.releases.append(ran)

    @property
    def gate_passes(self) -> bool:
        """Whether the gate accepts the run: scenarios ran and none has a verdict outside ``GATE_PASSES``."""
        return bool(self.outcomes) and all(o["verdict"] in GATE_PASSES for o in self.outcomes)

    def judged(self) -> list[str]:
        """The known-defect scenarios' judgements, those that fail the gate first (each names its problems)."""
        ranked = sorted((o for o in self.outcomes if o["judgement"]), key=lambda o: VERDICTS.index(o["verdict"]))
        return [f"{o['verdict']}: {o['scenario']}\n{o['judgement']}" for o in ranked]

    def table(self) -> Table:
        table = Table(title="Upgrade acceptance: verdict per case and database", title_justify="left")
        for column in ("case", "database", "releases", "verdict", "scenarios", "time"):
            table.add_column(column, justify="right" if column == "time" else "left", no_wrap=True)
        for line in self.lines.values():
            style = _STYLES[line.verdict]
            table.add_row(
                line.case,
                line.database,
                "; ".join(line.releases) or "-",
                f"[{style}]{line.verdict}[/{style}]",
                line.counts(),
                f"{line.seconds:.1f} s",
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
        for judged in self.judged():
            console.print(judged, highlight=False, markup=False)


def write_verdicts(path: Path, outcomes: list[dict[str, Any]], aborted: bool) -> None:
    """Every scenario's verdict, for the gate (``upgrade_suite.reporting.gate``) to judge the run by; an aborted run
    says so (the scenarios it never reached have no verdict to fail on)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"aborted": aborted, "scenarios": outcomes}, indent=2))
