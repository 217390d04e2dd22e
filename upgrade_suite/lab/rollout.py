"""A rollout of gateway replicas behind the load balancer, as a Kubernetes Deployment does it, and its verdicts.

``rolling`` is a Deployment with maxSurge=1, maxUnavailable=0 after the chart's pre-upgrade
migration hook: the new release's migration runs while the old replicas serve; then, one at a
time, a new replica starts, is admitted once ready, one old replica is drained (no new requests,
those in flight finish) and stopped. ``recreate`` stops every old replica before starting new ones:
the negative control that proves the prober sees downtime when there is some.

Every step is an event on one clock (``time.monotonic()``), the same clock as the prober's records,
so the checks can line up "who answered" with "who was admitted, drained, stopped".
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from upgrade_suite.client.prober import ProbeRecord, Window
from upgrade_suite.judging.checks import Checklist
from upgrade_suite.releases.specs import Release
from upgrade_suite.services.balancer import Dispatch, HAProxyBalancer
from upgrade_suite.services.pods import NotReady

STRATEGIES = ("rolling", "recreate")


class Replica(Protocol):
    """What the rollout needs of a started gateway (the process and docker drivers both give it)."""

    port: int

    def stop(self) -> None: ...


#: The replicas' own type, so whoever started them gets back what it started (the lab: a ``Gateway``).
R = TypeVar("R", bound=Replica)


@dataclass
class Slot(Generic[R]):
    """One replica's life in the balancer, in monotonic seconds (0 = did not happen)."""

    name: str
    release: Release
    gateway: R
    ready_at: float = 0.0  # the suite saw /health healthy and /ready ready on the replica itself
    admitted_at: float = 0.0  # HAProxy's own /ready check passed: traffic may flow
    drained_at: float = 0.0  # the balancer confirmed the drain: no new request may reach it after this
    stopped_at: float = 0.0
    in_flight_wait_s: float = 0.0  # how long the drain waited for requests in flight


@dataclass
class Rollout(Generic[R]):
    """Replicas of one release behind ``balancer``, replaced by another's with a strategy."""

    balancer: HAProxyBalancer
    start_replica: Callable[[Release], R]  # starts one replica and returns once it is ready
    check_timeout: float
    drain_timeout: float
    slots: list[Slot[R]] = field(default_factory=list)
    events: list[tuple[float, str]] = field(default_factory=list)
    stalled: str = ""  # why the rollout stopped before every replica was replaced ("" while it has not)

    def event(self, text: str) -> float:
        now = time.monotonic()
        self.events.append((now, text))
        return now

    def versions(self) -> dict[str, str]:
        """Which release each slot ran: how the record's ``served_by`` reads as a version."""
        return {s.name: s.release.spec.alias for s in self.slots}

    def live(self) -> list[Slot[R]]:
        return [s for s in self.slots if not s.stopped_at]

    def bring_up(self, release: Release, count: int) -> None:
        """Start ``count`` replicas of ``release`` at once and admit each to the balancer."""
        names = [self._free_slot(offset) for offset in range(count)]
        with ThreadPoolExecutor(count) as pool:
            list(pool.map(lambda name: self._surge(release, name), names))

    def _free_slot(self, offset: int = 0) -> str:
        """The next never-used balancer slot (slots are not reused: each keeps one replica's record)."""
        return self.balancer.slots[len(self.slots) + offset]

    def _surge(self, release: Release, name: str) -> Slot[R]:
        gateway = self.start_replica(release)
        slot = Slot(name, release, gateway, ready_at=time.monotonic())
        self.slots.append(slot)
        self.event(f"{slot.name} {release.spec.alias} ready")
        slot.admitted_at = self.balancer.admit(slot.name, gateway.port, self.check_timeout)
        self.event(f"{slot.name} {release.spec.alias} admitted")
        return slot

    def _retire(self, slot: Slot[R], drain: bool) -> None:
        if drain:
            slot.drained_at = self.balancer.drain(slot.name)
            self.events.append((slot.drained_at, f"{slot.name} {slot.release.spec.alias} draining"))
            slot.in_flight_wait_s = self.balancer.wait_idle(slot.name, self.drain_timeout)
        slot.gateway.stop()
        slot.stopped_at = self.event(f"{slot.name} {slot.release.spec.alias} stopped")
        self.balancer.retire(slot.name)

    def roll(self, target: Release, strategy: str, migrate: Callable[[], object]) -> None:
        """Migrate (the pre-upgrade hook), then replace every live replica by one of ``target``."""
        self.job(f"migration to {target.spec.alias}", migrate)
        if strategy == "rolling":
            self.roll_update(target, 1, 0)
        elif strategy == "recreate":
            old = self.live()
            for slot in old:
                self._retire(slot, drain=False)
            self.bring_up(target, len(old))
        else:
            raise ValueError(f"unknown strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")

    def job(self, what: str, run: Callable[[], object]) -> None:
        """A one-off run before the roll (a migration Job, a downgrade), marked on the timeline."""
        self.event(f"{what} starts")
        run()
        self.event(f"{what} done")

    def roll_update(self, target: Release, max_surge: int, max_unavailable: int) -> None:
        """A Deployment's RollingUpdate: never more than ``max_surge`` extra replicas nor ``max_unavailable`` missing.

        Each round takes ``max_unavailable`` old replicas out, starts as many new ones as that and the surge allow
        (at once), and retires old ones as the new become ready. A new replica that never becomes ready
        (``NotReady``) stalls the rollout there, as ProgressDeadlineExceeded does: the old ones keep serving.
        """
        pending = [slot for slot in self.live() if slot.release is not target]
        while pending:
            down = pending[:max_unavailable]
            for slot in down:
                self._retire(slot, drain=True)
            batch = min(max_surge + len(down), len(pending))
            names = [self._free_slot(offset) for offset in range(batch)]
            with ThreadPoolExecutor(batch) as pool:
                futures = [pool.submit(self._surge, target, name) for name in names]
            stalled = [str(f.exception()) for f in futures if isinstance(f.exception(), NotReady)]
            if stalled:
                self.stalled = "; ".join(stalled)
                self.event(f"rollout to {target.spec.alias} stalled: progress deadline exceeded")
                return
            for future in futures:
                future.result()  # any other failure of a start is the suite's, raised here
            for slot in pending[len(down) : batch]:
                self._retire(slot, drain=True)
            pending = pending[batch:]


def zero_downtime(records: list[ProbeRecord], window: Window) -> Checklist:
    """No request failed and traffic never stopped, across the rollout (evidence: the windows' figures).

    Failures are structured by how they failed, one problem per form (a read throttled 429 is not a write refused
    503): a known defect declared for one form does not hide another, and a run that meets a declared form in
    more kinds of request than the last is still the same defect."""
    result = Checklist("No request dropped during the rollout")
    result.check("requests were sent during the rollout", window.sent > 0, f"{window.sent} requests")
    failures = [r for r in records if not r.ok]
    summary = f"{len(failures)} of {len(records)} failed, longest gap between answers {window.longest_gap_s:.2f} s"
    if not failures:
        result.check("no request failed", True, summary)
    forms = Counter(_failure_form(r) for r in failures)
    for form, count in sorted(forms.items()):
        examples = "; ".join([f"{r.kind} -> {r.outcome}" for r in failures if _failure_form(r) == form][:5])
        result.check(
            f"no request failed ({form})",
            False,
            f"{summary} during the rollout, {count} of them {form}: {examples}",
            ("requests failed", result.title, form),
        )
    return result


def _failure_form(record: ProbeRecord) -> str:
    """How a failed request is declared: the kind of request and the answer, when a gateway answered; a failure with
    no answer (refused, cut, timed out) is the connection's, whatever request it carried: which kinds met it varies
    from run to run and says nothing of the defect."""
    outcome = record.outcome.split(":")[0]
    return f"{record.kind} -> {outcome}" if record.status else f"connection -> {outcome}"


def health_throughout(records: list[ProbeRecord], start: float, end: float) -> Checklist:
    """The plan's check: every /health through the balancer answered 200 while the rollout ran, and said healthy.

    The gateway answers 200 with an unhealthy body (a locked database at start): a status code alone is not health.
    """
    result = Checklist("All health checks 200 throughout")
    health = [r for r in records if r.kind == "health" and start <= r.sent_at < end]
    result.check("health checks were sent during the rollout", bool(health), f"{len(health)} sent")
    bad = [r for r in health if r.status != 200 or not r.ok]
    result.check(
        "every health check answered 200 with a healthy body",
        not bad,
        f"{len(bad)} did not: " + ", ".join(r.outcome for r in bad[:5]),
    )
    return result


def drained_gracefully(records: list[ProbeRecord], dispatches: list[Dispatch], slots: list[Slot]) -> Checklist:
    """Old replicas drained: they served while admitted, the balancer sent nothing new once draining, nothing was
    cut."""
    result = Checklist("Old replicas drained gracefully")
    retired = [s for s in slots if s.drained_at]
    result.check("replicas were drained before they stopped", bool(retired), f"{len(retired)} drained")
    for slot in retired:
        served = [r for r in records if r.served_by == slot.name]
        result.check(
            f"{slot.name} ({slot.release.spec.alias}) served traffic before its drain",
            bool(served),
            f"{len(served)} requests",
        )
        late = [d for d in dispatches if d.slot == slot.name and d.at > slot.drained_at]
        result.check(
            f"{slot.name} was sent no new request once draining",
            not late,
            f"HAProxy sent it {len(late)} requests after the drain took effect"
            + (f", first {late[0].at - slot.drained_at:+.3f} s" if late else ""),
        )
        cut = [r for r in served if not r.ok]
        result.check(
            f"{slot.name} cut no request",
            not cut,
            f"waited {slot.in_flight_wait_s:.2f} s for requests in flight; {len(cut)} failed "
            + ", ".join(r.outcome for r in cut[:3]),
        )
    return result


def traffic_after_readiness(dispatches: list[Dispatch], slots: list[Slot], release: Release) -> Checklist:
    """New replicas were sent traffic only after they were ready, by the balancer's own record of what it sent where."""
    result = Checklist(f"New {release.spec.alias} replicas received no traffic before readiness")
    new = [s for s in slots if s.release is release]
    result.check(f"{release.spec.alias} replicas were started", bool(new), f"{len(new)} started")
    for slot in new:
        sent = sorted(d.at for d in dispatches if d.slot == slot.name)
        result.check(f"{slot.name} was sent traffic", bool(sent), f"{len(sent)} requests")
        if sent:
            result.check(
                f"{slot.name}'s first request came after it was ready",
                sent[0] >= slot.ready_at,
                f"first request {sent[0] - slot.ready_at:+.3f} s from readiness",
            )
    return result


def served_by_version(records: list[ProbeRecord], versions: dict[str, str]) -> dict[str, int]:
    """How many requests each release answered (``versions``: slot -> alias), and how many the balancer answered
    itself."""
    return dict(Counter(versions.get(r.served_by, "no replica (balancer)") for r in records))
