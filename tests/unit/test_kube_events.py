"""The cluster's record of a rollout, read from ``kubectl get events -o json`` as the suite's node answers it."""

from __future__ import annotations

import json
from datetime import datetime

from upgrade_suite.services.kube_events import read_events, timeline, warnings

T0 = datetime.fromisoformat("2026-12-07T17:00:00+00:00").timestamp()


def _event(reason: str, name: str, *, first: str, last: str | None = None, count: int = 1, **extra: object) -> dict:
    return {
        "involvedObject": {"kind": "Pod", "name": name},
        "reason": reason,
        "message": f"{reason} of\n  {name}",
        "type": extra.pop("type", "Normal"),
        "firstTimestamp": first,
        "lastTimestamp": last or first,
        "count": count,
        **extra,
    }


RECORDED = json.dumps(
    {
        "items": [
            _event("Killing", "suite-mcpgateway-old-1", first="2026-12-07T17:00:40Z"),
            _event("Scheduled", "suite-mcpgateway-new-1", first=None, eventTime="2026-12-07T17:00:10.250000Z"),
            _event(
                "Unhealthy",
                "suite-mcpgateway-new-1",
                first="2026-12-07T17:00:15Z",
                last="2026-12-07T17:00:30Z",
                count=4,
                type="Warning",
            ),
            _event("Pulled", "before-the-rollout", first="2026-12-07T16:59:00Z"),
            {"reason": "NoTime", "involvedObject": {}},
            {
                **_event("CgroupV1", "node", first="2026-12-07T16:58:00Z", type="Warning"),
                "involvedObject": {"kind": "Node"},
            },
        ]
    }
)


def test_events_are_read_oldest_first_with_microsecond_times_and_repeats_as_one_line():
    events = read_events(RECORDED)
    assert [e.reason for e in events] == ["CgroupV1", "Pulled", "Scheduled", "Unhealthy", "Killing"]
    events = events[1:]
    scheduled = events[1]
    assert scheduled.first == scheduled.last == T0 + 10.25
    assert events[2].render() == (
        "Pod/suite-mcpgateway-new-1 Unhealthy: Unhealthy of suite-mcpgateway-new-1 (x4 in 15 s)"
    )
    assert warnings(events) == [events[2].render()]


def test_the_timeline_keeps_what_happened_since_the_rollout_on_the_monotonic_clock():
    lines = timeline(read_events(RECORDED), wall_origin=T0, clock_origin=1000.0)
    assert [(round(at, 2), text.split(" ")[1]) for at, text in lines] == [
        (1010.25, "Scheduled:"),
        (1015.0, "Unhealthy:"),
        (1040.0, "Killing:"),
    ]


def test_an_empty_answer_is_no_events():
    assert read_events("") == [] and read_events('{"items": []}') == []
