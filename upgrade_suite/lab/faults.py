"""Upgrades under the database's faults and in production set-ups: the new release started on a read-only database,
then again once it is writable (the operator's whole recovery), timed; a deployment that reaches PostgreSQL with a
password a URL must percent-encode."""

from __future__ import annotations

import time

from upgrade_suite.client.dataset import Dataset
from upgrade_suite.judging.fault_checks import READ_ONLY_DATABASE, FaultedStart, naming_read_only
from upgrade_suite.lab import phases
from upgrade_suite.lab.core import Core
from upgrade_suite.lab.history import need
from upgrade_suite.services.faults import EncodedLogin, ReadOnly
from upgrade_suite.services.gateway import migration_error


class Faults:
    """The fault verbs, built on the core's; the injected fault and what the release did are kept for the Thens."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.history = core.history
        self.read_only: ReadOnly | None = None
        self.faulted: FaultedStart | None = None
        self.recovery_s: float | None = None

    def start_on_read_only(self, alias: str) -> FaultedStart:
        """The old release stopped and backed up, the database made read-only, ``alias`` started on it."""
        core = self.core
        database = core.need_database()
        core.stop_and_back_up()
        release = core.release(alias)
        self.history.upgrade_to(release)
        self.read_only = core.own(ReadOnly(database))
        gateway = core.gateway(release)
        started = time.monotonic()
        outcome = core.attempt_start(gateway, phases.start_faulted(release.spec.alias, "read-only"))
        seconds = time.monotonic() - started
        gateway.stop()
        log = gateway.log_text()
        self.faulted = FaultedStart(
            release.spec.label,
            outcome,
            seconds,
            migration_error(log),
            self.read_only.alembic_revisions(),
            naming_read_only(log),
        )
        core.evidence.attach(f"{release.spec.label} started on the read-only database", self.faulted.render())
        self.history.faults.append({"fault": READ_ONLY_DATABASE, "failed_after_s": round(seconds, 2)})
        return self.faulted

    def writable_and_start_again(self, alias: str) -> float:
        """The fault undone and ``alias`` started again, as the operator retries: the seconds the retry took."""
        need(self.read_only, "read-only database", "starts the release on a read-only database").undo()
        started = time.monotonic()
        self.core.start(alias)
        self.recovery_s = time.monotonic() - started
        self.history.faults[-1]["recovery_s"] = round(self.recovery_s, 2)
        self.core.evidence.attach("Time to recover (writable again, then the same start)", f"{self.recovery_s:.1f} s")
        return self.recovery_s

    def running_with_encoded_login(self, alias: str) -> None:
        """``alias`` with data on PostgreSQL, started on it as a role whose password needs percent-encoding."""
        core = self.core
        core.running_with_data(alias, "postgresql", Dataset())
        login = core.own(EncodedLogin(core.need_database()))
        core.evidence.attach(
            "The login the releases use",
            f"role {login.role}, password {login.database.login[1] if login.database.login else ''!r}, so the URL "
            f"carries {core.need_database().url_for(core.release(alias)).split('@')[0].split(':')[-1]!r}; a wrong "
            f"password is refused: {login.refused}",
        )
        core.start(alias)
