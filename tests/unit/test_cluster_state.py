"""The cluster's Deployment and pods after a rollout, judged with the emulation's problems."""

from __future__ import annotations

import json

from upgrade_suite.judging.cluster_state import finished_on_cluster, gateway_pods, pods_run

NEW, OLD = "suite/gw:1.0.9-k-r2", "suite/gw:1.1.0-k-r2"


def _pod(name: str, image: str, ready: bool, restarts: int = 0, terminating: bool = False) -> dict:
    meta = {"name": name, **({"deletionTimestamp": "2026-12-07T17:00:00Z"} if terminating else {})}
    return {
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"image": image}]},
        "status": {
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [{"restartCount": restarts}],
        },
    }


def _state(*pods: dict) -> str:
    deployment = {"kind": "Deployment", "metadata": {"name": "suite-mcpgateway"}}
    migration = _pod("suite-migration-x", NEW, False)
    return json.dumps({"items": [deployment, migration, *pods]})


def test_a_finished_rollout_has_the_wanted_ready_pods_of_the_target():
    state = _state(_pod("suite-mcpgateway-a-1", NEW, True), _pod("suite-mcpgateway-a-2", NEW, True))
    assert [p.name for p in gateway_pods(state, "suite-mcpgateway")] == ["suite-mcpgateway-a-1", "suite-mcpgateway-a-2"]
    assert finished_on_cluster(state, "suite-mcpgateway", "1.0.9-k-r2", 2, "").ok
    assert pods_run(state, "suite-mcpgateway", "1.0.9-k-r2", "1.0.x").ok


def test_a_stalled_rollback_is_the_emulations_problems():
    state = _state(
        _pod("suite-mcpgateway-a-1", OLD, True),
        _pod("suite-mcpgateway-a-2", OLD, True),
        _pod("suite-mcpgateway-b-1", NEW, False, restarts=4),
    )
    stalled = "'kubectl rollout status …' failed with exit 1: exceeded its progress deadline"
    finished = finished_on_cluster(state, "suite-mcpgateway", "1.0.9-k-r2", 2, stalled)
    assert [p.signature for p in finished.findings()] == [
        "rollout stalled | a new pod never became Ready",
        "replicas not Ready | target release",
    ]
    assert "suite-mcpgateway-b-1 1.0.9-k-r2 not Ready, 4 restarts" in str(finished.findings()[1])
    (other,) = pods_run(state, "suite-mcpgateway", "1.0.9-k-r2", "1.0.x").findings()
    assert other.signature == "replica of another release serves"


def test_a_terminating_pod_is_not_a_replica():
    state = _state(_pod("suite-mcpgateway-a-1", NEW, True), _pod("suite-mcpgateway-c-1", OLD, True, terminating=True))
    assert pods_run(state, "suite-mcpgateway", "1.0.9-k-r2", "1.0.x").ok
    assert not finished_on_cluster(state, "suite-mcpgateway", "1.0.9-k-r2", 2, "").ok
