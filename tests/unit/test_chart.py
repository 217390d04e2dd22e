"""The chart's rollout machinery without a gateway: its strategy, its scaled timing, the kubelet's pod loop, the
rolling update's rounds and its stall. Fakes stand for gateways and the balancer; the real runs are features'."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from upgrade_suite.base.config import SuiteConfig
from upgrade_suite.base.errors import SuiteError
from upgrade_suite.lab.rollout import Rollout
from upgrade_suite.services.chart import STARTUP, ChartTiming, default_strategy, missing_mechanisms
from upgrade_suite.services.pods import NotReady, Pod

OLD = SimpleNamespace(spec=SimpleNamespace(alias="1.0.x", label="1.0.x (1.0.9)"))
NEW = SimpleNamespace(spec=SimpleNamespace(alias="latest", label="latest (1.1.0)"))
#: Fast enough for a unit test, in the same proportions as the chart's.
FAST = ChartTiming(0.002)


def test_the_charts_default_strategy_is_kubernetes_25_percent_rounded():
    assert default_strategy(2) == (1, 0)  # the chart's replicaCount: one extra pod at a time, none missing
    assert default_strategy(3) == (1, 0)
    assert default_strategy(4) == (1, 1)
    assert default_strategy(1) == (1, 0)


def test_timing_scales_the_waits_and_widens_the_exec_timeout():
    timing = ChartTiming(0.1)
    assert timing.startup.initial_delay == pytest.approx(1.0) and timing.startup.period == pytest.approx(0.5)
    assert timing.startup.failure_threshold == STARTUP.failure_threshold  # as many chances as the chart gives
    assert timing.startup.timeout == pytest.approx(60.0)  # not shortened: it bounds one probe, not a wait
    assert timing.progress_deadline == pytest.approx(60.0)
    assert [timing.backoff(n) for n in (1, 2, 3, 7)] == pytest.approx([1.0, 2.0, 4.0, 30.0])
    assert "time_scale" in timing.render() and "startup probe" in str(timing.render()["startup"])


def test_a_release_without_the_charts_mechanisms_is_named_with_what_it_lacks(tmp_path: Path):
    package = tmp_path / "mcpgateway"
    (package / "utils").mkdir(parents=True)
    release = SimpleNamespace(alembic_ini=package / "alembic.ini")
    (package / "bootstrap_db.py").write_text("def main(): ...\n")
    assert missing_mechanisms(release) == ["mcpgateway.utils.check_schema_at_head", "MCPGATEWAY_SKIP_MIGRATIONS"]
    (package / "utils" / "check_schema_at_head.py").write_text("")
    (package / "bootstrap_db.py").write_text('os.getenv("MCPGATEWAY_SKIP_MIGRATIONS")\n')
    assert missing_mechanisms(release) == []


def test_a_bad_time_scale_stops_the_run_with_one_line():
    with pytest.raises(SuiteError, match="chart_time_scale=0 is not a factor between 0 and 1"):
        SuiteConfig.from_userdata({"chart_time_scale": "0"})
    assert SuiteConfig.from_userdata({}).rollout.replicas is None  # unset: the chart's 2, the Gherkin's count


class FakeGateway:
    """A container whose life is scripted: how each launch ends (exit status, or None: runs), probe exits in order."""

    def __init__(self, exits: list[int | None], probes: list[int], ready: bool = True) -> None:
        self.release = NEW
        self.exits, self.probes, self.ready = exits, iter(probes), ready
        self.launches, self.stops, self.port = 0, 0, 0
        self.exit_code: int | None = None

    def launch(self) -> None:
        self.exit_code = self.exits[self.launches] if self.launches < len(self.exits) else None
        self.launches += 1
        self.port = 4000 + self.launches

    def exit_status(self) -> int | None:
        return self.exit_code

    def run_module(self, arguments: tuple[str, ...], timeout: float) -> tuple[int, str]:
        return next(self.probes, 1), "probe said so"

    def poll_ready(self) -> bool:
        return self.ready

    def stop(self) -> None:
        self.stops += 1

    def log_tail(self, lines: int) -> str:
        return "SKIP_MIGRATIONS=true but schema is not at head"


def run_pod(gateway: FakeGateway, deadline: float = 5.0) -> Pod:
    pod = Pod("pod-1", gateway, FAST)  # type: ignore[arg-type]
    pod.run_until_ready(time.monotonic() + deadline)
    return pod


def test_a_pod_is_ready_only_after_its_startup_probe_passed():
    pod = run_pod(FakeGateway([None], probes=[1, 1, 0]))
    assert pod.ready_at and pod.startup_failures == 2 and pod.restarts == 0
    texts = [text for _, text in pod.events]
    assert texts.index("startup probe passed (schema at its head)") < texts.index("Ready")


def test_a_container_that_exits_is_restarted_with_back_off_and_given_up_at_the_deadline():
    gateway = FakeGateway([3] * 100, probes=[])
    with pytest.raises(NotReady, match="never became Ready: .* exit statuses 3, 3"):
        run_pod(gateway, deadline=0.5)
    assert gateway.launches >= 2 and gateway.stops >= gateway.launches  # every life stopped, nothing left


def test_a_startup_probe_that_keeps_failing_kills_the_container_and_never_admits_it():
    gateway = FakeGateway([None] * 100, probes=[1] * 1000)
    with pytest.raises(NotReady) as caught:
        run_pod(gateway, deadline=1.0)
    pod = caught.value.pod
    assert not pod.ready_at and pod.startup_failures >= STARTUP.failure_threshold
    assert "startup probe failed 60 times: container killed" in [text for _, text in pod.events]


class FakeBalancer:
    slots = [f"slot{n}" for n in range(1, 9)]

    def admit(self, slot: str, port: int, timeout: float) -> float:
        return 0.0

    def drain(self, slot: str) -> float:
        return 0.0

    def wait_idle(self, slot: str, timeout: float) -> float:
        return 0.0

    def retire(self, slot: str) -> None: ...


def rollout_of(start) -> Rollout:
    rollout = Rollout(FakeBalancer(), start, 1.0, 1.0)  # type: ignore[arg-type]
    rollout.bring_up(OLD, 2)  # type: ignore[arg-type]
    return rollout


def test_the_rolling_update_surges_one_and_retires_one_per_round():
    rollout = rollout_of(lambda release: FakeGateway([None], []))
    rollout.roll_update(NEW, 1, 0)  # type: ignore[arg-type]
    texts = [text for _, text in rollout.events]
    assert [s.release for s in rollout.live()] == [NEW, NEW] and not rollout.stalled
    order = [texts.index(text) for text in ("slot3 latest admitted", "slot1 1.0.x draining", "slot4 latest ready")]
    assert order == sorted(order)  # one new replica admitted before an old one drains, then the next


def test_a_new_pod_that_is_never_ready_stalls_the_rollout_and_the_old_ones_keep_serving():
    counter = itertools.count()

    def start(release):
        if release is NEW:
            raise NotReady(Pod(f"pod-{next(counter)}", FakeGateway([3], []), FAST))  # type: ignore[arg-type]
        return FakeGateway([None], [])

    rollout = rollout_of(start)
    rollout.roll_update(NEW, 1, 0)  # type: ignore[arg-type]
    assert "never became Ready" in rollout.stalled
    assert [s.release for s in rollout.live()] == [OLD, OLD]
    assert "rollout to latest stalled: progress deadline exceeded" in [text for _, text in rollout.events]
