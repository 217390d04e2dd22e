"""How a gateway came up, poll by poll: the timeline every start keeps (the budget it is held to: ``start_budget``).

Readiness alone hides two regressions a rollout feels: a release that takes much longer to become
healthy (a slower roll, a startup probe that runs out: the chart allows 10 s + 60 x 5 s) and one
whose /health answers HTTP 200 with an unhealthy body after it was healthy (users and probes read
"unhealthy"). So every start keeps its timeline: each poll's /health body status and whether
/ready said ready, with the seconds since launch; time to healthy and to ready are read from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)
