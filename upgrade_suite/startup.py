"""How a gateway came up, poll by poll, and the start-up budget a new release is held to.

Readiness alone hides two regressions a rollout feels: a release that takes much longer to become
healthy (a slower roll, a startup probe that runs out: the chart allows 10 s + 60 x 5 s) and one
whose /health answers HTTP 200 with an unhealthy body after it was healthy (users and probes read
"unhealthy"). So every start keeps its timeline: each poll's /health body status and whether
/ready said ready, with the seconds since launch; time to healthy and to ready are read from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .checks import Checklist

HEALTHY = "healthy"


@dataclass(frozen=True)
class Poll:
    """One look at a starting gateway: seconds since launch, /health's ``status`` ("" when no JSON answer)."""

    at: float
    health: str
    ready: bool


@dataclass(frozen=True)
class Refusal:
    """An authenticated read refused after /ready said ready: seconds since launch, status, body's start."""

    at: float
    status: int
    body: str


@dataclass
class StartTimeline:
    """Every poll of one start of one gateway, in order."""

    release: str  # the release's label, e.g. "latest (1.1.0)"
    polls: list[Poll] = field(default_factory=list)
    #: Seconds from launch to the first authenticated read answered (None: not asked, or never answered).
    serving_after: float | None = None
    #: Authenticated reads refused between ready and serving (the release served before its bootstrap ended).
    refused: list[Refusal] = field(default_factory=list)

    @property
    def healthy_after(self) -> float | None:
        """Seconds from launch to the first /health body saying healthy (None: never)."""
        return next((poll.at for poll in self.polls if poll.health == HEALTHY), None)

    @property
    def ready_after(self) -> float | None:
        """Seconds from launch to healthy and ready at once (what the suite waits for)."""
        return next((poll.at for poll in self.polls if poll.health == HEALTHY and poll.ready), None)

    def relapses(self) -> list[Poll]:
        """Answers with an unhealthy body after the first healthy one (no answer at all is not a body)."""
        first = self.healthy_after
        return [p for p in self.polls if first is not None and p.at > first and p.health not in ("", HEALTHY)]

    def as_dict(self) -> dict[str, Any]:
        """What reports/timings.jsonl and the evidence keep of a start."""
        return {
            "release": self.release,
            "healthy_after_s": _rounded(self.healthy_after),
            "ready_after_s": _rounded(self.ready_after),
            "serving_after_s": _rounded(self.serving_after),
            "polls": len(self.polls),
            "refused_after_ready": [{"at_s": round(r.at, 3), "status": r.status, "body": r.body} for r in self.refused],
            "unhealthy_after_healthy": [{"at_s": round(p.at, 3), "health": p.health} for p in self.relapses()],
        }


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


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)
