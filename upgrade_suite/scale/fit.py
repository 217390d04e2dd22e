"""A cost per revision from measured points: ``seconds = fixed + per_row x rows``, fitted by least squares.

Three sizes a decade apart (10k, 100k, 1M) pin both terms: the fixed part (DDL, Alembic's own work) dominates small
databases, the per-row part (a rewritten table, a new index, an update of every row) large ones. Both are kept
non-negative: a noisy point must not predict a negative time. The fit is a reading aid beside the measured points,
which are always shown with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Fit:
    """``seconds = fixed + per_row x rows`` for one revision (or a whole run)."""

    fixed: float
    per_row: float
    points: tuple[tuple[int, float], ...]

    def predict(self, rows: int) -> float:
        return self.fixed + self.per_row * rows

    @classmethod
    def of(cls, points: Sequence[tuple[int, float]]) -> Fit:
        """Least squares through ``points`` (rows, seconds), both terms clipped at zero."""
        if not points:
            raise ValueError("no measured points to fit")
        count = len(points)
        mean_x = sum(x for x, _ in points) / count
        mean_y = sum(y for _, y in points) / count
        spread = sum((x - mean_x) ** 2 for x, _ in points)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0
        slope = max(slope, 0.0)
        fixed = max(mean_y - slope * mean_x, 0.0)
        if fixed == 0.0 and spread:  # through the origin, refitted
            slope = max(sum(x * y for x, y in points) / sum(x * x for x, _ in points), 0.0)
        return cls(round(fixed, 4), slope, tuple(sorted(points)))


def per_revision(samples: Iterable[tuple[str, int, float]]) -> dict[str, Fit]:
    """A fit per revision from (revision, rows, seconds) samples; several at one size are each a point."""
    points: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for revision, rows, seconds in samples:
        points[revision].append((rows, seconds))
    return {revision: Fit.of(found) for revision, found in points.items()}


def table(fits: dict[str, Fit], sizes: Sequence[int], predict: Sequence[int], limit: int = 15) -> str:
    """Markdown: the costliest revisions at the largest measured size, measured beside fitted and predicted."""
    largest = max(sizes)
    costly = sorted(fits.items(), key=lambda item: -item[1].predict(largest))[:limit]
    head = ["revision", *(f"measured {_rows(n)}" for n in sizes), "fixed s", "per 100k rows s"]
    head += [f"predicted {_rows(n)}" for n in predict]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for revision, fit in costly:
        measured = dict(fit.points)
        cells = [revision, *(f"{measured[n]:.2f}" if n in measured else "-" for n in sizes)]
        cells += [f"{fit.fixed:.2f}", f"{fit.per_row * 100_000:.3f}", *(f"{fit.predict(n):.1f}" for n in predict)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _rows(count: int) -> str:
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if count >= size and count % size == 0:
            return f"{count // size}{unit}"
    return f"{count:,}"
