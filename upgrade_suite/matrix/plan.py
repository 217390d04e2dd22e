"""Which cells the matrix has: a pure function of PyPI's release list, never a list of versions in code.

A cell is one question an operator asks about release X on one database: can X go straight to the
target (``direct``), to the release after it (``hop``: the chain of hops is the "upgrade stops"
answer), and can the target come back to X (``back``)? Sharding splits the cells into N disjoint
parts that any machine computes alike, so N CI jobs together run every cell exactly once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from packaging.version import InvalidVersion, Version

from upgrade_suite.base.errors import SuiteError

KINDS = ("direct", "hop", "back")
ENGINES = ("sqlite", "postgresql")
#: Where the matrix starts unless -D matrix_from= says otherwise: the first release of the 1.0 line's schema.
FIRST = "0.9.0"
LATEST = "latest"


@dataclass(frozen=True, order=True)
class Cell:
    """One (from, kind, database) question; ``to`` is the release it goes to (back: the one it comes from)."""

    engine: str
    from_version: str
    kind: str
    to_version: str

    @property
    def id(self) -> str:
        """A stable name: file names, HTML ids, shard assignment."""
        return f"{self.engine}-{self.kind}-{self.from_version}-to-{self.to_version}"


@dataclass(frozen=True)
class Plan:
    """The releases in range (oldest first), the cells, and what PyPI listed but the matrix leaves out, and why."""

    versions: tuple[str, ...]
    cells: tuple[Cell, ...]
    left_out: Mapping[str, str] = field(default_factory=dict)

    @property
    def target(self) -> str:
        return self.versions[-1]


def _version(text: str, option: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise SuiteError(f"-D {option}={text} is not a release version (e.g. -D {option}=1.0.9)") from None


def plan(
    releases: Mapping[str, Sequence[Mapping[str, object]]],
    first: str = FIRST,
    last: str = LATEST,
    engines: Sequence[str] = ENGINES,
) -> Plan:
    """The cells for every release of PyPI's ``releases`` (version -> its files) from ``first`` to ``last``.

    Pre- and post-releases are in (operators run them); a release whose every file is yanked, or that
    has no file, is left out and named. ``last="latest"`` is the newest final release, as the suite's
    ``latest`` alias means everywhere else.
    """
    left_out: dict[str, str] = {}
    usable: list[Version] = []
    for text, files in releases.items():
        try:
            version = Version(text)
        except InvalidVersion:
            left_out[text] = "not a PEP 440 version"
            continue
        if not files:
            left_out[text] = "no files on PyPI"
        elif all(f.get("yanked") for f in files):
            reason = next((str(f["yanked_reason"]) for f in files if f.get("yanked_reason")), "")
            left_out[text] = "yanked" + (f": {reason}" if reason else "")
        else:
            usable.append(version)
    low = _version(first, "matrix_from")
    if last == LATEST:
        finals = [v for v in usable if not v.is_prerelease]
        if not finals:
            raise SuiteError("PyPI lists no final release: give -D matrix_to=<version>")
        high = max(finals)
    else:
        high = _version(last, "matrix_to")
    if high not in usable:
        raise SuiteError(f"-D matrix_to={last}: {high} is not a usable release on PyPI ({left_out.get(str(high), '')})")
    in_range = sorted(v for v in usable if low <= v <= high)
    if len(in_range) < 2:
        raise SuiteError(f"the range {first}..{high} holds {len(in_range)} release: the matrix needs two or more")
    versions = tuple(str(v) for v in in_range)
    target = versions[-1]
    cells = [
        Cell(engine, older, kind, target if kind != "hop" else newer)
        for engine in engines
        for older, newer in zip(versions, versions[1:])
        for kind in KINDS
    ]
    return Plan(versions, tuple(cells), dict(sorted(left_out.items(), key=lambda item: item[0])))


def shard(cells: Sequence[Cell], index: int, count: int) -> list[Cell]:
    """Shard ``index`` of ``count`` (1-based): round-robin over the cells in plan order.

    Round-robin, not a hash: every machine computes the same plan from the same PyPI list, and each
    shard gets every kind and database in turn, so the shards take about as long as each other.
    """
    return [cell for position, cell in enumerate(cells) if position % count == index - 1]


def cell_key(cell: Cell, from_artifact: str, to_artifact: str, engine_version: str, fingerprint: str) -> str:
    """What a cell's verdict depends on: both releases as installed, the database server, the suite's code.

    A direct and a hop cell with the same two releases ask the same question; the kind is in the key
    only as the operation (upgrade or downgrade), so such a hop reuses the direct cell's verdict.
    """
    material = {
        "operation": "downgrade" if cell.kind == "back" else "upgrade",
        "from": from_artifact,
        "to": to_artifact,
        "engine": engine_version,
        "suite": fingerprint,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:20]
