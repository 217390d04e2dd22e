"""A rollout recorded on the suite's node (RC1 -> GA, charts/mcp-stack 1.0.0, 2026-12-07) judged again from its record.

``recorded/node-rc1-to-ga-probe.csv`` keeps every request within a second of a failed one from the prober's record of
that run: five connections refused, each within a second of a pod's Killing event. The chart's defect is declared
(``chart-pods-refuse-connections-while-they-stop``); this proves the verdicts still see it, exactly as declared, and
that the same record with one more kind of failure is a new failure, not hidden by the declaration.
"""

from __future__ import annotations

import csv
from pathlib import Path

from upgrade_suite.client.prober import ProbeRecord, Window
from upgrade_suite.judging.declarations import declared_for
from upgrade_suite.judging.known_defects import KNOWN, NEW, judge
from upgrade_suite.lab.rollout import health_throughout, zero_downtime

RECORDED = Path(__file__).with_name("recorded") / "node-rc1-to-ga-probe.csv"
TAGS = {"rolling", "UPG-06", "kubernetes", "postgres", "product-defect"}


def _records() -> list[ProbeRecord]:
    with RECORDED.open() as rows:
        return [
            ProbeRecord(
                float(row["t_seconds"]),
                row["kind"],
                int(row["status"]),
                float(row["latency_ms"]),
                row["served_by"],
                row["error"],
                float(row["queued_ms"]),
                row["health"],
            )
            for row in csv.DictReader(rows)
        ]


def _judged(records: list[ProbeRecord]) -> str:
    window = Window.of("during the rollout", records, 0.0, 200.0)
    seen = [*zero_downtime(records, window).findings(), *health_throughout(records, 0.0, 200.0).findings()]
    return judge(seen, declared_for(TAGS, "postgresql", "1.0.0rc1", "1.0.0")).verdict


def test_the_recorded_refusals_are_the_charts_declared_defect():
    records = _records()
    assert sum(not r.ok for r in records) == 5
    assert _judged(records) == KNOWN


def test_a_gateway_error_beside_them_is_a_new_failure():
    records = [*_records(), ProbeRecord(150.0, "create", 500, 3.0, "")]
    assert _judged(records) == NEW
