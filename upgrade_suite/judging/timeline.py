"""The rollout's timeline picture for the report: requests per second by outcome and by version, events marked.

A reader should see at a glance whether traffic ever dipped, which release answered when, and what
the rollout was doing at that moment.
"""

from __future__ import annotations

import io
from collections import Counter

import matplotlib

matplotlib.use("Agg")  # no display: render to PNG bytes
import matplotlib.pyplot as plt  # noqa: E402

from upgrade_suite.client.prober import ProbeRecord  # noqa: E402


def timeline_png(
    records: list[ProbeRecord], versions: dict[str, str], events: list[tuple[float, str]], origin: float, title: str
) -> bytes:
    """Two stacked panels over seconds since ``origin``: OK/failed per second, then answers per version."""
    seconds = int(max((r.sent_at - origin for r in records), default=0)) + 1
    outcome: dict[str, Counter[int]] = {"ok": Counter(), "failed": Counter()}
    version: dict[str, Counter[int]] = {}
    for r in records:
        second = int(r.sent_at - origin)
        outcome["ok" if r.ok else "failed"][second] += 1
        version.setdefault(versions.get(r.served_by, "balancer"), Counter())[second] += 1
    xs = list(range(seconds))
    figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(11, 5.5), dpi=100)
    top.stackplot(
        xs,
        [[outcome["ok"][x] for x in xs], [outcome["failed"][x] for x in xs]],
        labels=["answered 2xx", "failed"],
        colors=["#4caf50", "#e53935"],
        step="post",
    )
    top.set_ylabel("requests / s")
    top.set_title(title)
    top.legend(loc="lower left")
    for name in sorted(version):
        bottom.step(xs, [version[name][x] for x in xs], where="post", label=f"answered by {name}")
    bottom.set_ylabel("requests / s")
    bottom.set_xlabel("seconds since the prober started")
    bottom.legend(loc="lower left")
    for at, text in events:
        for axis in (top, bottom):
            axis.axvline(at - origin, color="#777777", linewidth=0.6, linestyle="--")
        if not text.endswith(
            (" ready", " draining")
        ):  # each follows its neighbour within a second: one label is enough
            top.annotate(
                text, (at - origin, top.get_ylim()[1]), rotation=90, fontsize=6, va="top", ha="right", color="#555555"
            )
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    plt.close(figure)
    return out.getvalue()
