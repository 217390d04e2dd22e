"""Replicas started at once on one database, and the one that migrates killed while it does.

What a Kubernetes node failure or an OOM kill does to the pod that won the migration lock: the
others must take over (or a restart must), bring the database to the head once, and keep the
data. ``start_killing_the_migrator`` starts every gateway at the same moment, watches their logs,
and SIGKILLs the first one that starts a given revision of the chain (half-way, so work is lost).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy.exc import OperationalError

from upgrade_suite.services.gateway import Gateway

#: An Alembic log line saying a revision starts; group 1 is the revision.
RUNNING_REVISION = re.compile(r"Running upgrade \S* -> (\w+)")

#: What the gateway logs once its migration and bootstrap are done (RC1, GA: mcpgateway.bootstrap_db);
#: not db_isready's earlier "Database ready after 0.00s", which only means it can connect.
DATABASE_READY = re.compile(r"Database ready(?! after)")


@dataclass(frozen=True)
class KilledReplica:
    """The gateway killed while it migrated, and what it had done by then."""

    index: int  # 1-based, in start order
    at_revision: str  # the revision it had just started
    seconds_into_start: float
    revisions_started: int  # "Running upgrade" lines it logged before dying
    had_finished: bool  # it logged "Database ready" before the kill: the kill then proves nothing
    stamped_after_kill: list[str]  # alembic_version right after the kill

    def missed(self, head: str) -> bool:
        """The kill came too late to be a fault: the gateway had finished, or the head was already stamped."""
        return self.had_finished or self.stamped_after_kill == [head]

    def render(self) -> str:
        return (
            f"gateway {self.index} killed {self.seconds_into_start:.2f} s into its start, right after revision "
            f"{self.at_revision} began "
            f"({self.revisions_started} revisions started, {'had' if self.had_finished else 'had not'} finished); "
            f"alembic_version then {self.stamped_after_kill}"
        )


def start_killing_the_migrator(
    gateways: list[Gateway],
    revision: str,
    attempt: Callable[[Gateway], str],
    stamped: Callable[[], list[str]],
    timeout: float,
    interval: float = 0.02,
) -> tuple[KilledReplica | None, list[str]]:
    """Start every gateway at once (each through ``attempt``, which says what it did) and SIGKILL the
    first whose log shows ``revision`` starting. Returns the kill (None if no gateway reached that
    revision within ``timeout``) and each gateway's outcome, in start order."""
    killed: KilledReplica | None = None
    with ThreadPoolExecutor(len(gateways)) as pool:
        started = time.monotonic()
        outcomes = [pool.submit(attempt, gateway) for gateway in gateways]
        while killed is None and time.monotonic() - started < timeout and not all(o.done() for o in outcomes):
            for index, gateway in enumerate(gateways, 1):
                log = gateway.log_text()
                revisions = [m.group(1) for m in RUNNING_REVISION.finditer(log)]
                if revision in revisions:
                    gateway.kill()
                    killed = KilledReplica(
                        index,
                        revision,
                        time.monotonic() - started,
                        len(revisions),
                        bool(DATABASE_READY.search(log)),
                        _read(stamped),
                    )
                    break
            time.sleep(interval)
        return killed, [outcome.result() for outcome in outcomes]


def _read(stamped: Callable[[], list[str]]) -> list[str]:
    """alembic_version as far as it can be read while the others may be writing (evidence, not a verdict)."""
    try:
        return stamped()
    except OperationalError as error:
        return [f"unreadable: {str(error.orig).strip()}"]
