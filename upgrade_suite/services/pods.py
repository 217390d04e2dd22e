"""A gateway pod as the kubelet runs it under the chart: container start, startup probe, readiness, restarts.

The container is a gateway of any driver, launched without the suite's own readiness wait; from then on
only the chart's probes decide, on their (scaled) schedule:

- the startup probe (``check_schema_at_head``) runs first; the pod is not Ready, and readiness is not
  probed, until it passes; ``failureThreshold`` failures in a row and the kubelet kills the container and
  starts it again;
- a container that exits by itself (a release refusing a schema with SKIP_MIGRATIONS set exits 3) is
  restarted after the crash back-off, which doubles each time (CrashLoopBackOff);
- after the startup probe, readiness (``/ready``, and the suite also reads ``/health``'s body) is polled
  each period from its initial delay: the first success makes the pod Ready.

A pod that is not Ready by its deadline (the Deployment's progress deadline) is given up: the rollout
stalls there. Every probe result, exit and restart is an event on the monotonic clock the prober uses.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.services.chart import SCHEMA_AT_HEAD, ChartTiming
from upgrade_suite.services.gateway import Gateway


class NotReady(Exception):
    """The pod did not become Ready before its deadline: what the Deployment reports as ProgressDeadlineExceeded."""

    def __init__(self, pod: Pod) -> None:
        super().__init__(f"{pod.name} never became Ready: {pod.why_not_ready()}")
        self.pod = pod


@dataclass
class Pod:
    """One gateway pod's life; ``on_event`` also receives every event (the rollout's timeline)."""

    name: str
    gateway: Gateway
    timing: ChartTiming
    on_event: Callable[[str], object] = lambda text: None
    events: list[tuple[float, str]] = field(default_factory=list)
    restarts: int = 0
    exits: list[int] = field(default_factory=list)
    startup_failures: int = 0  # in all, across restarts
    last_probe_output: str = ""
    ready_at: float = 0.0

    def event(self, text: str, routine: bool = False) -> None:
        """Record an event; ``on_event`` (the rollout's timeline) gets only what went wrong: the rest is the pod's."""
        self.events.append((time.monotonic(), text))
        if not routine:
            self.on_event(f"{self.name} {text}")

    def run_until_ready(self, deadline: float) -> None:
        """Start the container and run the probes until Ready; restart as the kubelet does; NotReady at the deadline."""
        while True:
            self.gateway.launch()
            self.event("container started" if not self.restarts else f"container restarted ({self.restarts})", True)
            if self._probe(deadline):
                self.ready_at = time.monotonic()
                self.event("Ready", True)
                return
            if time.monotonic() >= deadline:
                self.gateway.stop()
                self.event("progress deadline exceeded: given up (in a cluster it stays in CrashLoopBackOff)")
                raise NotReady(self)
            self.restarts += 1
            time.sleep(max(0.0, min(self.timing.backoff(self.restarts), deadline - time.monotonic())))

    def _probe(self, deadline: float) -> bool:
        """One container's life: True once Ready; False when it exited, failed its startup probe, or ran out of time."""
        launched = time.monotonic()
        startup, readiness = self.timing.startup, self.timing.readiness
        if not self._wait(launched + startup.initial_delay, deadline):
            return False
        failures = 0
        while failures < startup.failure_threshold:
            exit_code, output = self.gateway.run_module(SCHEMA_AT_HEAD, startup.timeout)
            if exit_code == 0:
                self.event("startup probe passed (schema at its head)", True)
                break
            self.last_probe_output = f"exit {exit_code}: {_last_line(output)}"
            failures += 1
            self.startup_failures += 1
            if failures == 1:
                self.event(f"startup probe failed ({self.last_probe_output})")
            if not self._wait(time.monotonic() + startup.period, deadline):
                return False
        else:
            self.event(f"startup probe failed {failures} times: container killed")
            self.gateway.stop()
            return False
        next_at = max(time.monotonic(), launched + readiness.initial_delay)
        while self._wait(next_at, deadline):
            try:
                if self.gateway.poll_ready():
                    return True
            except SuiteError:
                return self._exited()
            next_at = time.monotonic() + readiness.period
        return False

    def _wait(self, until: float, deadline: float) -> bool:
        """Sleep until ``until`` unless the container exits or the deadline comes first; False then."""
        while time.monotonic() < until:
            if self.gateway.exit_status() is not None:
                return self._exited()
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(0.1, max(0.0, until - time.monotonic())))
        return self.gateway.exit_status() is None or self._exited()

    def _exited(self) -> bool:
        status = self.gateway.exit_status()
        self.exits.append(-1 if status is None else status)
        self.event(f"container exited with status {status}: {self.gateway.log_tail(1)}")
        self.gateway.stop()
        return False

    def why_not_ready(self) -> str:
        """The operator's view of a pod that never became Ready: restarts, exits, the probe's last word."""
        exits = ", ".join(str(code) for code in self.exits) or "none"
        return (
            f"{self.restarts} restart(s), exit statuses {exits}, {self.startup_failures} startup probe failure(s), "
            f"last probe output: {self.last_probe_output or 'none'}"
        )

    def as_dict(self) -> dict[str, object]:
        """The pod's record for the evidence (seconds on the monotonic clock, relative to its first event)."""
        origin = self.events[0][0] if self.events else 0.0
        return {
            "pod": self.name,
            "release": self.gateway.release.spec.label,
            "ready": bool(self.ready_at),
            "restarts": self.restarts,
            "exit_statuses": self.exits,
            "startup_probe_failures": self.startup_failures,
            "last_probe_output": self.last_probe_output,
            "events": [(round(at - origin, 2), text) for at, text in self.events],
            "log_tail": self.gateway.log_tail(5),
        }


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""
