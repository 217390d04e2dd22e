"""The start-up budget a new release is held to, judged on two starts' timelines.

Readiness alone hides two regressions a rollout feels (``startup`` keeps the polls that show them): a release
that takes much longer to become healthy on the same data, and one whose /health turns unhealthy after it was
healthy or that refuses an authenticated read after /ready. Judging lives here, beside the other checks; the
timeline stays with the gateway that records it.
"""

from __future__ import annotations

from dataclasses import dataclass

from upgrade_suite.judging.checks import Checklist
from upgrade_suite.services.startup import StartTimeline


@dataclass(frozen=True)
class StartBudget:
    """How much longer than the old release a new one may take to become healthy on the same data."""

    factor: float = 2.0
    slack_seconds: float = 15.0

    def allowed(self, old_seconds: float) -> float:
        return max(self.factor * old_seconds, old_seconds + self.slack_seconds)

    def render(self) -> str:
        return f"time to healthy at most max({self.factor:g} x the old release's, old + {self.slack_seconds:g} s)"


#: The one start-up budget of the suite (shown with every judgement).
BUDGET = StartBudget()


def starts_within_budget(old: StartTimeline, new: StartTimeline, budget: StartBudget = BUDGET) -> Checklist:
    """The new release becomes healthy within budget of the old one's time, stays healthy once it is, and
    serves what it says it is ready for."""
    result = Checklist(f"{new.release} starts within its budget ({budget.render()})")
    old_s, new_s = old.healthy_after, new.healthy_after
    result.check(f"{old.release} became healthy (the reference)", old_s is not None, f"{len(old.polls)} polls")
    result.check(f"{new.release} became healthy", new_s is not None, f"{len(new.polls)} polls")
    if old_s is not None and new_s is not None:
        result.check(
            f"{new.release}'s time to healthy within budget",
            new_s <= budget.allowed(old_s),
            f"{new_s:.1f} s against {old_s:.1f} s for {old.release}, allowed {budget.allowed(old_s):.1f} s",
            ("start-up over budget", new.release),
        )
    relapses = new.relapses()
    result.check(
        "no unhealthy /health body after the first healthy one",
        not relapses,
        ", ".join(f"{p.health!r} at {p.at:.1f} s" for p in relapses[:5]),
        ("unhealthy after healthy", new.release),
    )
    result.check(
        "no authenticated read refused after /ready said ready",
        not new.refused,
        ", ".join(f"{r.status} at {r.at:.1f} s" for r in new.refused[:5]),
        ("refused after ready", new.release),
    )
    return result
