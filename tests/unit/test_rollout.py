"""The rollout's verdicts and the prober's figures on recorded traffic: each check can fail, none passes on nothing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from upgrade_suite.base.config import RolloutSettings, SuiteConfig
from upgrade_suite.base.errors import SuiteError
from upgrade_suite.client.prober import ProbeRecord, Window, longest_gap, percentile, to_csv
from upgrade_suite.lab.rollout import (
    Slot,
    drained_gracefully,
    health_throughout,
    served_by_version,
    traffic_after_readiness,
    zero_downtime,
)
from upgrade_suite.services.balancer import Dispatch, HAProxyBalancer, parse_dispatches
from upgrade_suite.services.kubernetes import HelmRollout, image_tag, unavailable_reason

RC1 = SimpleNamespace(spec=SimpleNamespace(alias="RC1"))
GA = SimpleNamespace(spec=SimpleNamespace(alias="GA"))


def ok(at: float, served_by: str = "slot1", kind: str = "read") -> ProbeRecord:
    return ProbeRecord(at, kind, 200, 10.0, served_by, health="healthy" if kind == "health" else "")


def failed(at: float, status: int = 503, kind: str = "health") -> ProbeRecord:
    return ProbeRecord(at, kind, status, 1.0, "", "no server available")


def steady(start: float, end: float, served_by: str, step: float = 0.1) -> list[ProbeRecord]:
    return [ok(round(start + i * step, 3), served_by) for i in range(int((end - start) / step))]


def test_longest_gap_counts_the_edges_of_the_window():
    records = [ok(1.0), ok(1.5), ok(4.0)]
    assert longest_gap(records, 0.0, 5.0) == pytest.approx(2.5)
    assert longest_gap([], 0.0, 3.0) == 3.0


def test_percentiles():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == pytest.approx(50.5)
    assert percentile(values, 0.99) == pytest.approx(99.01)
    assert percentile([], 0.99) == 0.0


def test_zero_downtime_fails_on_a_failed_request_and_on_no_traffic():
    records = [ok(0.1), failed(0.2), ok(0.3)]
    verdict = zero_downtime(records, Window.of("during", records, 0, 1))
    assert not verdict.ok and "1 of 3 failed" in verdict.problems()[0] and "health -> 503" in verdict.problems()[0]
    (problem,) = verdict.findings()  # structured by which requests failed how, not by how many
    assert problem.signature == "requests failed | No request dropped during the rollout | health -> 503"
    assert not zero_downtime([], Window.of("during", [], 0, 1)).ok
    good = [ok(0.1), ok(0.2)]
    assert zero_downtime(good, Window.of("during", good, 0, 1)).ok


def test_a_failure_without_an_answer_is_declared_without_the_kind_of_request():
    refused = [ProbeRecord(0.1 * i, kind, 0, 1.0, "", "ConnectError: All connection attempts failed") for i, kind in
               enumerate(("delete", "health", "read"))]  # fmt: skip
    records = [ok(0.05), *refused, ProbeRecord(0.5, "create", 0, 1.0, "", "ReadTimeout: timed out")]
    problems = zero_downtime(records, Window.of("during", records, 0, 1)).findings()
    assert [p.keys[-1] for p in problems] == ["connection -> ConnectError", "connection -> ReadTimeout"]
    assert "4 of 5 failed" in str(problems[0]) and "3 of them connection -> ConnectError" in str(problems[0])
    answered = [ProbeRecord(0.1, "create", 503, 1.0, "slot1")]
    (problem,) = zero_downtime(answered, Window.of("during", answered, 0, 1)).findings()
    assert problem.keys[-1] == "create -> 503"  # an answer says what the gateway did with that kind of request


def test_a_health_answer_200_with_an_unhealthy_body_is_a_failed_request():
    unhealthy = ProbeRecord(0.5, "health", 200, 3.0, "slot1", '{"status":"unhealthy"}', health="unhealthy")
    assert not unhealthy.ok and unhealthy.outcome == "200 unhealthy"
    assert not ProbeRecord(0.5, "health", 200, 3.0, "slot1").ok  # no body status at all: not healthy either
    plan = health_throughout([ok(0.2, kind="health"), unhealthy], 0, 1)
    assert not plan.ok and "1 did not: 200 unhealthy" in plan.problems()[0]
    window = Window.of("during", [ok(0.2, kind="health"), unhealthy], 0, 1)
    verdict = zero_downtime([ok(0.2, kind="health"), unhealthy], window)
    assert not verdict.ok and "health -> 200 unhealthy" in verdict.problems()[0]


def test_health_throughout_needs_health_checks_in_the_window():
    assert not health_throughout([ok(0.5, kind="read")], 0, 1).ok
    assert not health_throughout([failed(0.5)], 0, 1).ok
    assert health_throughout([ok(0.5, kind="health"), failed(2.0)], 0, 1).ok  # outside the window


def sent_to(slot: str, start: float, end: float, step: float = 0.1) -> list[Dispatch]:
    return [Dispatch(round(start + i * step, 3), slot, 200) for i in range(int((end - start) / step))]


def test_drain_fails_when_a_draining_replica_is_sent_new_requests_or_cuts_one():
    slot = Slot("slot1", RC1, gateway=None, ready_at=0, admitted_at=0.1, drained_at=5.0, stopped_at=5.5)
    records, dispatches = steady(0, 5, "slot1"), sent_to("slot1", 0, 5)
    assert drained_gracefully(records, dispatches, [slot]).ok
    late = drained_gracefully(records, [*dispatches, Dispatch(5.2, "slot1", 200)], [slot])
    assert (
        not late.ok
        and "was sent no new request once draining" in late.problems()[0]
        and "+0.200 s" in late.problems()[0]
    )
    cut = drained_gracefully([*records, ProbeRecord(4.9, "read", 502, 5, "slot1")], dispatches, [slot])
    assert not cut.ok and "cut no request" in cut.problems()[0]
    assert not drained_gracefully(records, dispatches, [Slot("slot1", RC1, None)]).ok  # nothing was drained


def test_new_replicas_must_not_be_sent_requests_before_they_were_ready():
    new = Slot("slot4", GA, None, ready_at=10.0, admitted_at=10.2)
    assert traffic_after_readiness(sent_to("slot4", 10.3, 12), [new], GA).ok
    early = traffic_after_readiness([Dispatch(9.5, "slot4", 200), *sent_to("slot4", 10.3, 12)], [new], GA)
    assert not early.ok and "first request came after it was ready" in early.problems()[0]
    assert not traffic_after_readiness([], [new], GA).ok  # a replica that was never sent a request proves nothing
    assert not traffic_after_readiness([], [], GA).ok


def test_dispatch_times_come_from_haproxys_log_on_the_monotonic_clock():
    log = (
        "dispatch 1700000000.250 0 400 2 0 1 slot4 200\n[WARNING] something else\ndispatch 1700000001.007 0 0 0 -1 "
        "-1 <NOSRV> 503\n"
    )
    first, second = parse_dispatches(log, wall_minus_monotonic=1699999000.0)
    assert first == Dispatch(pytest.approx(1000.653), "slot4", 200)  # 400 ms idle on a kept-alive connection
    assert second == Dispatch(pytest.approx(1001.007), "<NOSRV>", 503)


def test_requests_are_counted_per_version_and_the_record_is_csv():
    records = [ok(0.1, "slot1"), ok(0.2, "slot2"), failed(0.3)]
    assert served_by_version(records, {"slot1": "RC1", "slot2": "GA"}) == {
        "RC1": 1,
        "GA": 1,
        "no replica (balancer)": 1,
    }
    lines = to_csv(records, origin=0.0).splitlines()
    assert lines[0] == "t_seconds,kind,status,latency_ms,queued_ms,served_by,error,health" and lines[3].startswith(
        "0.300,health,503,"
    )


def test_balancer_configuration_checks_ready_and_starts_every_slot_in_maintenance(tmp_path):
    balancer = HAProxyBalancer(tmp_path, slots=4, start_timeout=5)
    text = balancer.render_config()
    assert "option httpchk GET /ready" in text and "http-check expect status 200" in text
    assert text.count("check disabled") == 4 and "X-Served-By %[srv_name]" in text
    assert 'log-format "dispatch %Ts.%ms %Th %Ti %TR %Tw %Tc %s %ST"' in text


def test_rollout_settings_are_validated():
    config = SuiteConfig.from_userdata({"replicas": "2", "probe_rate": "20"})
    assert config.rollout.replicas == 2 and config.rollout.probe_rate == 20
    for bad, message in [
        ({"replicas": "0"}, "replicas"),
        ({"probe_rate": "fast"}, "probe_rate"),
        ({"kube_context": "kind"}, "kube_url"),
    ]:
        with pytest.raises(SuiteError, match=message):
            SuiteConfig.from_userdata(bad)


def test_helm_path_is_skipped_with_its_reason_and_builds_the_plans_commands():
    assert "no Kubernetes cluster configured" in unavailable_reason(RolloutSettings())
    settings = RolloutSettings(
        kube_context="prod",
        kube_url="http://gw",
        kube_token="t",
        kube_namespace="mcp",
        helm_release="gw",
        helm_chart="./chart",
    )
    patch, upgrade, status = HelmRollout(settings).commands("1.0.0", 300)
    assert patch[:6] == ["kubectl", "--context", "prod", "--namespace", "mcp", "patch"] and '"maxSurge": 1' in patch[-1]
    assert upgrade[:4] == ["helm", "upgrade", "gw", "./chart"] and "mcpContextForge.image.tag=1.0.0" in upgrade
    assert "strategy.rollingUpdate.maxUnavailable=0" in upgrade and "strategy.rollingUpdate.maxSurge=1" in upgrade
    assert "migration.image.tag=1.0.0" in upgrade  # the Job's image moves with the gateway's, as the chart says
    assert "migration.image.tag=1.0.0-RC-1" in HelmRollout(settings).commands("1.0.0", 300, "1.0.0rc1")[1]
    assert "migration.enabled=false" in HelmRollout(settings).commands("1.0.0", 300, None)[1]
    assert status[-3:] == ["deployment/gw-mcpgateway", "--watch", "--timeout=300s"]
    assert image_tag("1.0.0rc1") == "1.0.0-RC-1" and image_tag("1.0.0") == "1.0.0"


def test_the_clusters_way_back_downgrades_inside_a_new_pod_before_helm_rollback():
    settings = RolloutSettings(kube_context="prod", kube_url="http://gw", kube_token="t", helm_release="gw")
    downgrade, rollback, status = HelmRollout(settings).rollback_commands("12d4a0c7789c", 300)
    assert downgrade[5:8] == ["exec", "deployment/gw-mcpgateway", "--"] and downgrade[-2:] == [
        "downgrade",
        "12d4a0c7789c",
    ]
    assert rollback[:3] == ["helm", "rollback", "gw"] and status[-1] == "--timeout=300s"
    assert [c[:2] for c in HelmRollout(settings).rollback_commands(None, 300)] == [
        ["helm", "rollback"],
        ["kubectl", "--context"],
    ]
