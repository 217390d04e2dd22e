"""The revision chain between two releases, and the experiments a DBA needs on it.

- ``chain``: the revisions a release applies on top of an older head, parents first.
- ``interrupted_upgrade``: ``alembic upgrade head`` killed as a given revision starts, or inside it
  right after its first change (exact, from inside the process; unlike the plan's ``timeout 2``):
  the partial state UPG-07 is about.
- ``walk``: every revision upgraded, then downgraded, one at a time with data present, in one
  Alembic process of the release (``probes/walk.py``), stopping at the first failure.
- ``Outcome``: what one interrupted-and-retried upgrade ended as, judged against a clean one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.probe_runner import Timeout, run_probe
from upgrade_suite.probes import PROBES
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.migrations import AlembicRun, Migrations

_WALK = PROBES / "walk.py"
_INTERRUPT = PROBES / "interrupt.py"


def has_revision(release: Release, revision: str) -> bool:
    """Whether ``release``'s migration scripts know ``revision``: only then can its Alembic go down to it."""
    return revision in release.info["alembic_revisions"]  # type: ignore[operator]


def chain(release: Release, base: str) -> list[str]:
    """Revisions of ``release`` that are not ancestors of ``base`` (inclusive), parents first."""
    graph: dict[str, list[str]] = release.info["alembic_revisions"]  # type: ignore[assignment]
    if base not in graph:
        raise SuiteError(f"{release.spec.label} does not know revision {base}: it cannot upgrade that database")

    def ancestors(revision: str) -> set[str]:
        seen: set[str] = set()
        stack = [revision]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(graph.get(current, []))
        return seen

    todo = ancestors(release.head) - ancestors(base)
    ordered: list[str] = []
    while todo:
        ready = sorted(r for r in todo if not set(graph[r]) & todo)
        ordered += ready
        todo -= set(ready)
    return ordered


#: Where an interrupted upgrade is killed: as a revision starts (between revisions), or inside it; or where the
#: database ends its connection instead (inside it, PostgreSQL only).
INTERRUPT_POINTS = ("start", "inside", "terminate", "crash")
#: The line each interruption prints where it struck.
STRUCK = ("# suite: SIGKILL", "# suite: TERMINATED", "# suite: CRASHED")


def interrupted_upgrade(
    migrations: Migrations, at: str, point: str = "start", environment: dict[str, str] | None = None
) -> AlembicRun:
    """``alembic upgrade head`` SIGKILLed at ``point`` of revision ``at``, or its connection ended by the database
    (``terminate``) (probes/interrupt.py)."""
    if point not in INTERRUPT_POINTS:
        raise ValueError(f"unknown interrupt point {point!r}: use one of {', '.join(INTERRUPT_POINTS)}")
    release = migrations.release
    run = run_probe(
        f"the upgrade interrupted at {at}",
        release.spec.label,
        release.python,
        _INTERRUPT,
        [str(release.alembic_ini), at, point],
        environment={**migrations.environment, "PYTHONUNBUFFERED": "1", **(environment or {})},
        cwd=migrations.workdir,
        timeout=Timeout(migrations.timeout, "migration_timeout"),
    )
    return AlembicRun(release.spec.label, ("upgrade", "head"), run.exit_code, run.stdout, run.seconds)


@dataclass
class Outcome:
    """One interrupted upgrade and its retry."""

    revision: str
    killed: str  # the suite's line saying where the upgrade was interrupted; "" when it finished first
    left_at: list[str]
    retry: AlembicRun
    at_head: bool
    problems: list[str] = field(default_factory=list)
    interrupted: AlembicRun | None = None  # the interrupted run itself: how it ended, what it said

    @property
    def ok(self) -> bool:
        return self.retry.ok and self.at_head and not self.problems

    def row(self) -> str:
        retry = "retry ok" if self.retry.ok else f"retry FAILED: {self.retry.error}"
        state = (
            "same as a clean upgrade"
            if not self.problems
            else f"{len(self.problems)} difference(s): {self.problems[0]}"
        )
        return (
            f"{self.revision}: "
            f"{self.killed.removeprefix('# suite: ') if self.killed else 'finished before the kill'}, "
            f"left at {self.left_at}; {retry}; {'at head' if self.at_head else 'NOT at head'}; {state}"
        )


@dataclass
class WalkStep:
    direction: str
    target: str
    ok: bool
    error: str
    seconds: float


def walk(
    release: Release, environment: dict[str, str], workdir: Path, steps: list[tuple[str, str]], timeout: float
) -> list[WalkStep]:
    """Run the steps (``("up"|"down", revision)``) in one Alembic process; stops at the first failure."""
    out = workdir / "walk.jsonl"
    out.unlink(missing_ok=True)
    # Its exit status says nothing the steps do not: each step it ran is a line of ``out``, the first failure the last.
    run_probe(
        "the revision walk",
        release.spec.label,
        release.python,
        _WALK,
        [str(release.alembic_ini), json.dumps(steps), str(out)],
        environment=environment,
        cwd=workdir,
        timeout=Timeout(timeout, "migration_timeout"),
    )
    lines = out.read_text().splitlines() if out.exists() else []
    return [WalkStep(**json.loads(line)) for line in lines]
