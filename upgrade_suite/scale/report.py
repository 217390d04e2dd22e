"""What ``make scale`` leaves in reports/scale: scale.json (every point), scale.md (the tables) and scale.png.

The plot is revision time against rows, log-log, one line per costly revision and engine, the measured points
marked: a straight line of slope 1 is a revision whose cost grows with the data, a flat one a fixed cost.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from upgrade_suite.scale.fit import Fit, per_revision, table  # noqa: E402
from upgrade_suite.scale.measure import Point  # noqa: E402

PREDICTED = (1_000_000, 10_000_000)


def fits(points: Sequence[Point]) -> dict[tuple[str, str, str], dict[str, Fit]]:
    """Per (engine, old, new): a fit per revision over the points' real row totals, plus ``(whole run)``."""
    grouped: dict[tuple[str, str, str], list[Point]] = {}
    for point in points:
        if not point.failed:
            grouped.setdefault((point.engine, point.old, point.new), []).append(point)
    found = {}
    for key, members in grouped.items():
        samples = [(step.revision, point.total_rows, step.seconds) for point in members for step in point.revisions]
        samples += [("(whole run)", point.total_rows, point.seconds["migrate"]) for point in members]
        found[key] = per_revision(samples)
    return found


def markdown(points: Sequence[Point]) -> str:
    """The measured runs, then per pair and engine the costliest revisions and the longest blocking locks."""
    out = [
        "# Migration cost against database size",
        "",
        "| engine | from -> to | rows asked | rows seeded | populate s | "
        "rows/s | migrate s | longest lock blocking reads | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for point in points:
        rate = point.total_rows / point.seconds["populate"] if point.seconds.get("populate") else 0
        reads = next((hold for hold in point.locks if hold.blocks == "reads and writes"), None)
        lock = f"{reads.table} {reads.seconds:.2f} s ({reads.revision})" if reads else "-"
        declared = ", ".join(f"{column} ({rows:,})" for column, (rows, _) in point.transformed.items())
        verdict = point.problem or (
            f"{point.changed_unit} changed or lost: {point.changed}" if point.changed else "every row kept"
        )
        verdict += f"; declared transformations seen: {declared}" if declared else ""
        out.append(
            f"| {point.engine} | {point.old} -> {point.new} | {point.rows:,} | {point.total_rows:,} | "
            f"{point.seconds.get('populate', 0):.1f} | {rate:,.0f} | {point.seconds.get('migrate', 0):.1f} | {lock} | "
            f"{verdict} |"
        )
    for (engine, old, new), found in fits(points).items():
        sizes = sorted({p.total_rows for p in points if (p.engine, p.old, p.new) == (engine, old, new)})
        out += ["", f"## {old} -> {new} on {engine}: seconds per revision", "", table(found, sizes, PREDICTED)]
    return "\n".join(out) + "\n"


def plot(points: Sequence[Point], limit: int = 5) -> bytes:
    """PNG: one panel per release pair, its costliest revisions' time against rows, log-log, per engine."""
    found = fits(points)
    pairs = sorted({(old, new) for _, old, new in found}) or [("", "")]
    figure, panels = plt.subplots(len(pairs), 1, figsize=(10, 4.5 * len(pairs)), squeeze=False)
    for (old, new), (axes,) in zip(pairs, panels, strict=True):
        for (engine, first, second), revisions in found.items():
            if (first, second) != (old, new):
                continue
            largest = max(x for fit in revisions.values() for x, _ in fit.points)
            style = "-" if engine == "sqlite" else "--"
            for revision, fit in sorted(revisions.items(), key=lambda item: -item[1].predict(largest))[:limit]:
                xs, ys = zip(*fit.points, strict=True)
                axes.plot(xs, [max(y, 1e-3) for y in ys], style, marker="o", label=f"{engine}: {revision}")
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("rows in the database")
        axes.set_ylabel("seconds")
        axes.set_title(f"{old} -> {new}: Alembic time per revision (the costliest {limit} per engine)")
        axes.grid(True, which="both", alpha=0.3)
        if axes.get_legend_handles_labels()[0]:  # a pair whose every point failed has nothing to plot
            axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def write(points: Sequence[Point], directory: Path) -> list[Path]:
    """scale.json, scale.md and scale.png into ``directory``; the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = {
        "scale.json": json.dumps([point.as_json() for point in points], indent=2).encode(),
        "scale.md": markdown(points).encode(),
        "scale.png": plot(points),
    }
    for name, content in written.items():
        (directory / name).write_bytes(content)
    return [directory / name for name in written]
