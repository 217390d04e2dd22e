"""What a cluster says of the gateway Deployment after a rollout (``kubectl get deployments,pods -o json``), judged as
the chart's emulation judges its own pods (``lab/chart.py``), with the same problems, so one declaration reads both.

- finished: ``kubectl rollout status`` returned (no progress deadline exceeded, no timeout), and the Deployment's
  wanted replicas are Ready pods of the target image;
- every replica runs the release: every Ready pod's image is the target's (the database's head is read by the lab).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from upgrade_suite.judging.checks import Checklist


@dataclass(frozen=True)
class PodState:
    """One gateway pod as the cluster reports it."""

    name: str
    image: str
    ready: bool
    restarts: int
    terminating: bool

    @property
    def tag(self) -> str:
        return self.image.rpartition(":")[2]

    def render(self) -> str:
        state = "Ready" if self.ready else "not Ready"
        return f"{self.name} {self.tag} {state}, {self.restarts} restarts" + (
            ", terminating" if self.terminating else ""
        )


def gateway_pods(state: str, deployment: str) -> list[PodState]:
    """The pods of ``deployment`` (by the ReplicaSet name prefix the Deployment controller gives them)."""
    pods = []
    for item in json.loads(state or "{}").get("items", []):
        meta = item.get("metadata", {})
        if item.get("kind") != "Pod" or not meta.get("name", "").startswith(f"{deployment}-"):
            continue
        statuses = item.get("status", {}).get("containerStatuses") or [{}]
        conditions = {c.get("type"): c.get("status") for c in item.get("status", {}).get("conditions", [])}
        pods.append(
            PodState(
                meta["name"],
                item["spec"]["containers"][0]["image"],
                conditions.get("Ready") == "True",
                sum(int(s.get("restartCount", 0)) for s in statuses),
                bool(meta.get("deletionTimestamp")),
            )
        )
    return pods


def finished_on_cluster(state: str, deployment: str, tag: str, replicas: int, stalled: str) -> Checklist:
    """The rollout finished: ``rollout status`` returned (``stalled`` is its error, empty when it did) and the wanted
    replicas are Ready pods of the image ``tag``."""
    result = Checklist("The rollout finished with every replica Ready")
    result.check(
        "the rollout did not stall",
        not stalled,
        stalled or "kubectl rollout status returned",
        ("rollout stalled", "a new pod never became Ready"),
    )
    pods = gateway_pods(state, deployment)
    ready = [pod for pod in pods if pod.ready and pod.tag == tag and not pod.terminating]
    result.check(
        f"{replicas} Ready pods of {tag}",
        len(ready) == replicas,
        f"{len(ready)} Ready; pods: " + "; ".join(pod.render() for pod in pods),
        ("replicas not Ready", "target release"),
    )
    return result


def pods_run(state: str, deployment: str, tag: str, label: str) -> Checklist:
    """Every Ready pod of the Deployment runs the image ``tag`` (the release ``label``): none of another serves."""
    result = Checklist(f"Every replica runs {label}")
    serving = [pod for pod in gateway_pods(state, deployment) if pod.ready and not pod.terminating]
    result.check("pods serve", bool(serving), f"{len(serving)} Ready", ("replicas missing",))
    result.check(
        f"all are {label}",
        all(pod.tag == tag for pod in serving),
        "; ".join(pod.render() for pod in serving),
        ("replica of another release serves",),
    )
    return result
