"""Evidence for the report: one attach helper, phase timings, and the run's measurements on disk.

Attachments go to Allure when allure-behave is the active formatter; without it they are
written into the scenario sandbox so a plain ``behave`` run keeps its evidence too. Phase timings
are appended to ``reports/timings.jsonl``: the runbook and benchmarks are built from real runs.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import allure
from allure_commons.types import AttachmentType

from upgrade_suite.judging.problems import Problem
from upgrade_suite.judging.sides import CLASSES

T = TypeVar("T")


class Verdict(Protocol):
    """What every check returns (checklists, snapshot and schema diffs): evidence that knows its verdict."""

    @property
    def ok(self) -> bool: ...

    def findings(self) -> list[Problem]: ...

    def problems(self) -> list[str]: ...

    def render(self) -> str: ...


class CheckFailed(AssertionError):
    """A failed check on the gateway, carrying its structured problems (what a known defect is matched on)."""

    def __init__(self, title: str, findings: list[Problem], lines: list[str]) -> None:
        super().__init__(f"{title}:\n  " + "\n  ".join(lines))
        self.title = title
        self.findings = findings

    def headline(self) -> str:
        """What a reader meets first (a matrix cell's tooltip): the worst finding's own sentence, and how many
        more there are, not the check's title, which counts differences."""
        if not self.findings:
            return self.title
        worst = min(
            self.findings, key=lambda found: CLASSES.index(found.kind) if found.kind in CLASSES else len(CLASSES)
        )
        more = len(self.findings) - 1
        return worst.text + (f" (and {more} more)" if more else "")


_KINDS = {
    "text": AttachmentType.TEXT,
    "json": AttachmentType.JSON,
    "log": AttachmentType.TEXT,
    "csv": AttachmentType.CSV,
}
_SUFFIXES = {"json": ".json", "csv": ".csv"}


@dataclass
class Evidence:
    """Collects a scenario's attachments: Allure first, with a copy in the sandbox's evidence dir."""

    directory: Path

    def attach(self, name: str, body: str | dict[str, Any] | list[Any], kind: str = "text") -> None:
        """Attach text or JSON under a reader's name (``"Snapshot diff (SQL)"``, not ``"diff1"``)."""
        text = body if isinstance(body, str) else json.dumps(body, indent=2, sort_keys=True, default=str)
        allure.attach(text, name=name, attachment_type=_KINDS[kind])
        self._keep(name, _SUFFIXES.get(kind, ".txt")).write_text(text)

    def attach_png(self, name: str, image: bytes) -> None:
        """Attach a picture (the rollout timeline)."""
        allure.attach(image, name=name, attachment_type=AttachmentType.PNG)
        self._keep(name, ".png").write_bytes(image)

    def _keep(self, name: str, suffix: str) -> Path:
        """Where the sandbox copy of an attachment goes."""
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory / (re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() + suffix)

    def require(self, title: str, verdict: Verdict) -> None:
        """Attach a verdict under ``title`` and fail, naming each problem, unless it is ok."""
        self.attach(title, verdict.render())
        if not verdict.ok:
            raise CheckFailed(title, verdict.findings(), verdict.problems())

    def attach_file(self, name: str, path: Path) -> None:
        """Attach a file (a gateway log), if it exists."""
        if path.exists():
            self.attach(name, path.read_text(errors="replace"), "log")


class Stopwatch:
    """``timed(name, action)``: runs the action and records its seconds under ``name`` in ``into`` (a plain dict,
    for programs that measure phases without a scenario: make scale's points, make bench's bare scripts)."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into = into

    def __call__(self, name: str, action: Callable[[], T]) -> T:
        started = time.monotonic()
        result = action()
        self.into[name] = round(time.monotonic() - started, 3)
        return result


@dataclass
class Timings:
    """Wall-clock duration of each named phase of a scenario, in order."""

    phases: list[tuple[str, float]] = field(default_factory=list)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time a phase; it is also an Allure step of that name, so the report shows what the runbook counts."""
        started = time.monotonic()
        try:
            with allure.step(name):
                yield
        finally:
            self.phases.append((name, time.monotonic() - started))

    def add(self, name: str, seconds: float) -> None:
        self.phases.append((name, seconds))

    def render(self) -> str:
        width = max((len(name) for name, _ in self.phases), default=0)
        lines = [f"{name:<{width}}  {seconds:8.2f} s" for name, seconds in self.phases]
        lines.append(f"{'total of phases':<{width}}  {sum(s for _, s in self.phases):8.2f} s")
        return "\n".join(lines)

    def as_dict(self) -> list[dict[str, Any]]:
        return [{"phase": name, "seconds": round(seconds, 3)} for name, seconds in self.phases]


def record_run(path: Path, record: dict[str, Any]) -> None:
    """Append one scenario's measurements (versions, database, verdict, phases) to a JSON-lines file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
