"""A cluster's own record of a rollout: ``kubectl get events -o json`` read into a timeline on the prober's clock.

The prober says what clients saw; the events say what the control plane and the kubelet did meanwhile: the
ReplicaSets scaled, each pod scheduled, started, failing a probe (``Unhealthy``), stopped (``Killing``), the
migration Job's pod. Set side by side in the rollout's timeline, they explain a failed request (a pod stopped
while it still had traffic) or show why none failed.

An event's time is its ``eventTime`` (microseconds, newer components) or else its ``lastTimestamp`` (seconds);
an event repeated ``count`` times (a probe failing every period) is one line with its first and last time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ClusterEvent:
    """One event: what happened to which object, when first and last (wall clock, seconds since the epoch)."""

    first: float
    last: float
    count: int
    kind: str
    name: str
    reason: str
    message: str
    warning: bool

    def render(self) -> str:
        repeated = f" (x{self.count} in {self.last - self.first:.0f} s)" if self.count > 1 else ""
        return f"{self.kind}/{self.name} {self.reason}: {self.message}{repeated}"


def read_events(text: str) -> list[ClusterEvent]:
    """The events of ``kubectl get events -o json``, oldest first; an item without any time is left out."""
    events = []
    for item in json.loads(text or "{}").get("items", []):
        last = _time(item.get("eventTime")) or _time(item.get("lastTimestamp")) or _time(item.get("firstTimestamp"))
        if last is None:
            continue
        first = _time(item.get("firstTimestamp")) or last
        involved = item.get("involvedObject", {})
        events.append(
            ClusterEvent(
                first=min(first, last),
                last=last,
                count=int(item.get("count") or (item.get("series") or {}).get("count") or 1),
                kind=str(involved.get("kind", "")),
                name=str(involved.get("name", "")),
                reason=str(item.get("reason", "")),
                message=" ".join(str(item.get("message", "")).split()),
                warning=item.get("type") == "Warning",
            )
        )
    return sorted(events, key=lambda event: (event.first, event.last))


def timeline(events: list[ClusterEvent], wall_origin: float, clock_origin: float) -> list[tuple[float, str]]:
    """Events at or after ``wall_origin`` (``time.time()`` read together with ``clock_origin``, a
    ``time.monotonic()``), on the monotonic clock the prober and the suite's own events use."""
    return [
        (clock_origin + event.first - wall_origin, event.render())
        for event in events
        if event.last >= wall_origin - 1  # timestamps of seconds: an event of the same second is kept
    ]


def warnings(events: list[ClusterEvent]) -> list[str]:
    """The Warning events of the release's objects (a probe failing, a back-off, a failed Job), as the evidence
    lists them. The Node's own (cgroup v1 deprecated, no cluster DNS) describe the cluster, not the release: they
    stay in the timeline only."""
    return [event.render() for event in events if event.warning and event.kind != "Node"]


def _time(value: object) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
