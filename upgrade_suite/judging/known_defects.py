"""The known product defects of the real releases, each declared once with the exact problems it produces.

A scenario tagged ``@product-defect`` is judged against the declarations that apply to it (its tags,
its database engine, the release pair it ran), on the structured problems its checks reported
(``Problem``: kind and where, never the wording):

- exactly the declared problems: **known defect** (red in the report, the gate passes);
- a declared problem that did not occur: **fixed?** (the gate fails until the declaration is removed,
  so a fix is noticed and the scenario rejoins the ordinary checks);
- any other problem: **new failure** (the gate fails, naming it): a second defect in a known-red
  scenario is no longer hidden by the first.

An intermittent defect (it shows in some runs only) may be absent without "fixed?"; whatever of it
occurs is known. Long problem lists live in ``signatures/`` (one ``kind | key`` a line): a pair's schema
differences as the exact check reports them, and what they do (``consequences-...``) as the drift check does.
This module is how a declaration is matched; which defects the real releases have is ``declarations``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import Version

from upgrade_suite.judging.evidence import CheckFailed
from upgrade_suite.judging.problems import Problem
from upgrade_suite.releases.specs import public_version

SIGNATURES = Path(__file__).with_name("signatures")
#: Where these defects are tracked: none is filed upstream yet, so the link is the test plan they were found under.
NOT_FILED = "https://github.com/IBM/mcp-context-forge/issues/2474"

KNOWN, FIXED, NEW = "known defect", "fixed?", "new failure"


@dataclass(frozen=True)
class KnownDefect:
    """One product defect: where it shows (scenario tags, engines, release pair), why, and what it produces."""

    name: str
    reason: str
    link: str
    scenarios: tuple[frozenset[str], ...]  # a scenario carrying every tag of one of these sets
    engines: tuple[str, ...]  # "sqlite", "postgresql"
    old: str  # the release pair, as versions (an alias like latest resolves differently tomorrow)
    new: str
    problems: tuple[Problem, ...]
    intermittent: bool = False

    def applies(self, tags: Iterable[str], engine: str, old: str, new: str) -> bool:
        """Whether a scenario with these tags, on ``engine``, from ``old`` to ``new`` (versions) shows this defect.

        A local build is judged as its base release (``1.0.0+local`` as ``1.0.0``).
        """
        tags = set(tags)
        return (
            engine in self.engines
            and any(wanted <= tags for wanted in self.scenarios)
            and (Version(public_version(old)), Version(public_version(new))) == (Version(self.old), Version(self.new))
        )

    def render(self) -> str:
        kind = "intermittent, " if self.intermittent else ""
        return (
            f"{self.name} ({kind}{len(self.problems)} problem(s), {self.old} -> {self.new} on "
            f"{'/'.join(self.engines)}): {self.reason} [{self.link}]"
        )


def signature_file(name: str) -> tuple[Problem, ...]:
    """The problems listed in ``signatures/<name>.txt`` (``#`` lines are comments)."""
    lines = (SIGNATURES / f"{name}.txt").read_text().splitlines()
    return tuple(Problem.parse(line) for line in lines if line.strip() and not line.startswith("#"))


@dataclass
class Judgement:
    """A known-defect scenario's problems against its declarations: the verdict and what made it."""

    defects: list[KnownDefect]
    seen: list[Problem]
    new: list[Problem] = field(default_factory=list)
    missing: list[Problem] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """No declaration applies (another release pair, an alias remapped): judged like any other scenario, passed
        when nothing is wrong; otherwise exactly the declared problems, or what is new or missing."""
        if not self.defects:
            return NEW if self.seen else "passed"
        if self.new:
            return NEW
        if self.missing:
            return FIXED
        return KNOWN if self.seen else "passed"  # only an intermittent defect may be absent

    def shown(self) -> list[str]:
        """The declared defects at least one of whose problems occurred (an intermittent one may not)."""
        seen = set(self.seen)
        return [defect.name for defect in self.defects if seen & set(defect.problems)]

    def render(self, limit: int = 20) -> str:
        """What a reader needs: the verdict, the declarations, each new problem and each missing one, named."""
        out = [f"{self.verdict}: {len(self.seen)} problem(s) seen, {len(self.new)} new, {len(self.missing)} missing"]
        out += [f"  declared: {defect.render()}" for defect in self.defects] or [
            "  no known defect is declared for this scenario, engine and release pair"
            " (upgrade_suite/judging/known_defects.py)"
        ]
        out += [f"  NEW      {problem}" + _declared_as(problem) for problem in self.new[:limit]]
        out += [f"  MISSING  {problem.signature}" for problem in self.missing[:limit]]
        hidden = max(0, len(self.new) - limit) + max(0, len(self.missing) - limit)
        return "\n".join(out + ([f"  ... and {hidden} more"] if hidden else []))


def _declared_as(problem: Problem) -> str:
    """How a declaration would name a new problem, when its wording does not already say it: what to copy."""
    return "" if str(problem) == problem.signature else f"\n             declare as: {problem.signature}"


def judge(seen: list[Problem], defects: list[KnownDefect]) -> Judgement:
    """Compare what a scenario reported with what its declarations say it produces, exactly."""
    declared = {problem for defect in defects for problem in defect.problems}
    required = {problem for defect in defects if not defect.intermittent for problem in defect.problems}
    present = set(seen)
    return Judgement(
        defects,
        seen,
        new=[problem for problem in dict.fromkeys(seen) if problem not in declared],
        missing=list(dict.fromkeys(p for d in defects for p in d.problems if p in required - present)),
    )


def reported(failures: Iterable[tuple[str, BaseException]]) -> list[Problem]:
    """The problems failed steps reported: a check's structured ones, else the failed step itself, named.

    A step that failed outside a check (an Alembic run that exited 1, an API error) has no finer
    structure than the step; declaring it takes that step's sentence.
    """
    found: list[Problem] = []
    for step, exception in failures:
        if isinstance(exception, CheckFailed):
            found += exception.findings
        else:
            found.append(Problem("step failed", (step,), f"{step}: {exception}"))
    return found
