"""The test plan's structure, in one place: which story and case a scenario belongs to, and how severe.

The Gherkin carries only the plan's ids as tags (@US-1, @UPG-01, ...); everything a report needs
to file a scenario under the plan (Allure epic = story, feature = case, severity, a link to the
case) is derived here, so the feature files stay as they are and the mapping is unit-tested.

The upstream plan (IBM/mcp-context-forge#2474) has no priority column. Severity is therefore
derived from what the plan itself makes binding, strongest first: a user story's acceptance
scenario (blocker), a row of its test matrix (critical), one of its success criteria (normal);
checks the suite adds beyond the plan are minor unless they guard one of those.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PLAN_URL = "https://github.com/IBM/mcp-context-forge/issues/2474"

STORIES = {
    "US-1": "US-1: Admin - smooth upgrade from RC1 to GA",
    "US-2": "US-2: DBA - safe, idempotent migrations",
}


@dataclass(frozen=True)
class Case:
    """One case of the plan (or a group of checks beyond it), filed under a story, with its severity."""

    id: str
    title: str
    story: str  # a key of STORIES
    severity: str  # Allure's blocker | critical | normal | minor | trivial

    @property
    def feature(self) -> str:
        return f"{self.id}: {self.title}"


CASES = {
    case.id: case
    for case in (
        Case(
            "UPG-01", "RC1 to GA", "US-1", "critical"
        ),  # test matrix: RC1 -> GA on PostgreSQL and SQLite, data preserved
        Case("UPG-02", "Fresh install", "US-1", "critical"),  # test matrix: Fresh -> GA on PostgreSQL, clean install
        Case("UPG-03", "Populated migration", "US-1", "normal"),  # success criterion: RC1 to GA preserves all data
        Case("UPG-04", "Rollback", "US-1", "critical"),  # test matrix: GA -> RC1 on PostgreSQL, rollback works
        Case("UPG-05", "Skip version", "US-1", "normal"),  # success criterion: skip-version upgrades work
        Case("UPG-06", "Rolling K8s upgrade", "US-1", "critical"),  # test matrix: RC1 -> GA rolling, zero downtime
        Case("UPG-07", "Idempotent migration", "US-2", "normal"),  # success criterion: all migrations are idempotent
    )
}

# Scenarios the plan has no case for, keyed by the tag that marks them: filed under the story they serve.
BEYOND_PLAN = {
    "revision-walk": Case(
        "Revision walk", "every revision up and down (beyond the plan)", "US-2", "minor"
    ),  # beyond the plan: guards UPG-07
    "hazard": Case(
        "Hazards", "upgrade-day hazards (beyond the plan)", "US-1", "minor"
    ),  # beyond the plan: guards UPG-01 and UPG-04
    "matrix": Case(
        "Matrix", "every release to the newest, hop by hop and back (beyond the plan)", "US-1", "minor"
    ),  # beyond the plan: UPG-01 and UPG-04 for every published release
    "fault": Case(
        "Faults", "the database's faults and production set-ups during an upgrade (beyond the plan)", "US-2", "minor"
    ),  # beyond the plan: guards UPG-07 (a retry finishes what a fault interrupted)
}

# A story's own acceptance scenario (tagged with the story) outranks its case's severity.
ACCEPTANCE_SEVERITY = "blocker"


@dataclass(frozen=True)
class Placement:
    """Where a scenario sits in the plan, as Allure labels and links."""

    epic: str
    feature: str
    severity: str
    link: str  # the name of the link to the plan (PLAN_URL)

    def labels(self) -> list[tuple[str, str]]:
        return [("epic", self.epic), ("feature", self.feature), ("severity", self.severity)]


def place(tags: Iterable[str]) -> Placement | None:
    """The plan's placement of a scenario with these tags; None when no tag names a case (not a plan scenario)."""
    tags = set(tags)
    cases = sorted(tags & CASES.keys())
    if len(cases) > 1:
        raise ValueError(f"a scenario belongs to one case of the plan, these tags name {cases}")
    case = CASES[cases[0]] if cases else next((BEYOND_PLAN[t] for t in sorted(tags & BEYOND_PLAN.keys())), None)
    if case is None:
        return None
    stories = sorted(tags & STORIES.keys())
    story = stories[0] if stories else case.story
    severity = ACCEPTANCE_SEVERITY if stories else case.severity
    link = f"Test plan #2474: {case.feature}" if case.id in CASES else "Test plan #2474"
    # Today's releases (@current: GA or 1.0.x to the newest) are the case's checks on another pair: filed apart,
    # never under the plan's pair ("UPG-01: RC1 to GA"), in the report's tree as in the terminal's table.
    feature = f"{case.id} on today's releases (to the newest)" if "current" in tags else case.feature
    return Placement(STORIES[story], feature, severity, link)
