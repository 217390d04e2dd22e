"""The locks a migration holds on PostgreSQL, sampled beside it: which tables the old release cannot read or write.

A migration's connection is found by its ``application_name`` (``PGAPPNAME``, which libpq reads, set in its
environment). Every ``PERIOD`` the sampler reads the table locks that connection holds. A select (AccessShare)
waits only behind AccessExclusive; an insert, update or delete (RowExclusive) behind Share and stronger. With
transactional DDL a lock taken by one revision is held until the whole run commits, so a hold is reported with
the revision that took it and how long it lasted, not cut at the revision's end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType

import psycopg

from upgrade_suite.services.migrations import RevisionTime

APPLICATION = "upgrade-suite-migration"
PERIOD = 0.05
BLOCKS_READS = frozenset({"AccessExclusiveLock"})
BLOCKS_WRITES = frozenset({"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"})
_HELD = """
SELECT c.relname, l.mode FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
JOIN pg_class c ON c.oid = l.relation
WHERE a.application_name = %s AND l.locktype = 'relation' AND l.granted AND c.relkind IN ('r', 'p')
"""


@dataclass(frozen=True)
class Round:
    """One look at the migration's locks: when (monotonic) and which (table, mode) pairs it held."""

    at: float
    held: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class LockHold:
    """One uninterrupted hold of a lock that blocks the old release, on one of its tables."""

    table: str
    blocks: str  # "reads and writes" or "writes"
    revision: str  # the revision running when it was first seen
    seconds: float


@dataclass
class LockSampler:
    """Samples the locks of the connection named ``APPLICATION`` until closed (a context manager, its own thread)."""

    url: str  # libpq URL of the database, as the suite's own user
    rounds: list[Round] = field(default_factory=list)
    error: str = ""

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="lock-sampler", daemon=True)

    def __enter__(self) -> LockSampler:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _sample(self) -> None:
        try:
            with psycopg.connect(self.url, autocommit=True, application_name="upgrade-suite-lock-sampler") as db:
                while not self._stop.is_set():
                    held = frozenset((name, mode) for name, mode in db.execute(_HELD, (APPLICATION,)).fetchall())
                    self.rounds.append(Round(time.monotonic(), held))
                    self._stop.wait(PERIOD)
        except psycopg.Error as failure:  # reported beside the numbers: a sampler that saw nothing must say why
            self.error = f"lock sampler stopped: {failure}".splitlines()[0]


def holds(
    rounds: Sequence[Round], revisions: Sequence[RevisionTime], started: float, tables: set[str]
) -> list[LockHold]:
    """The holds of blocking locks on ``tables`` (the old release's), each with the revision that took it.

    ``started``: the migration's start (monotonic), which the revisions' ``at`` is counted from.
    """
    found: list[LockHold] = []
    for blocks, modes in (("reads and writes", BLOCKS_READS), ("writes", BLOCKS_WRITES)):
        open_since: dict[str, float] = {}
        last_seen: dict[str, float] = {}
        for look in [*rounds, Round(float("inf"), frozenset())]:
            now = {name for name, mode in look.held if mode in modes and name in tables}
            for name in set(open_since) - now:
                first = open_since.pop(name)
                found.append(
                    LockHold(
                        name, blocks, running(revisions, first - started), round(last_seen[name] - first + PERIOD, 3)
                    )
                )
            for name in now:
                open_since.setdefault(name, look.at)
                last_seen[name] = look.at
    return sorted(found, key=lambda hold: (-hold.seconds, hold.table, hold.blocks))


def running(revisions: Sequence[RevisionTime], offset: float) -> str:
    """The revision that was running ``offset`` seconds after the migration started ("" before the first)."""
    current = ""
    for step in revisions:
        if step.at <= offset:
            current = step.revision
    return current
