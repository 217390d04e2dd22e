"""A release's own gateway image runs as a pod on the suite's node and answers through a Service.

The step between the node (``test_cluster_node``) and the chart's rollout on it: GA's image, built by the docker
driver (``releases/images.py``: a debootstrapped Debian, the release's frozen wheels), saved from the Docker engine
and imported into the node's private containerd, runs as a Deployment with a readiness probe on ``/health`` behind
a NodePort Service, with the process driver's environment (same secrets). Its database: a SQLite file in the pod, or
the run's embedded PostgreSQL outside the cluster, as the chart's operators run it, reached over its unix socket
(the node is this host: the socket's directory is mounted into the pod at the same path, as the docker driver
mounts it into a container). Reached from the host through the Service (kube-proxy), as the prober will reach a
rollout.
"""

import json
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from on_node import embedded_postgres, node_binaries, release_image

from upgrade_suite.cluster import host
from upgrade_suite.cluster.chart import NODE_PORT, PORT
from upgrade_suite.cluster.configs import BRIDGE
from upgrade_suite.cluster.helm import state_directory
from upgrade_suite.cluster.images import docker_saved
from upgrade_suite.cluster.node import Node
from upgrade_suite.lab.node import pod_environment
from upgrade_suite.services.engine import bind_mounts
from upgrade_suite.services.gateway import GatewaySecrets

pytestmark = [pytest.mark.integration, pytest.mark.extended]


def manifest(image: str, environment: dict[str, str], mounts: dict[str, dict[str, str]]) -> str:
    """One gateway pod of ``image``, Ready when its ``/health`` answers, behind a NodePort Service; ``mounts``: host
    directories it needs at the same path (``engine.bind_mounts``' shape)."""
    shared = [(f"host-{index}", path) for index, path in enumerate(sorted(mounts))]
    env = [{"name": name, "value": value} for name, value in sorted(environment.items())]
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "gateway", "labels": {"app": "gateway"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "gateway"}},
            "template": {
                "metadata": {"labels": {"app": "gateway"}},
                "spec": {
                    "automountServiceAccountToken": False,
                    "containers": [
                        {
                            "name": "gateway",
                            "image": image,
                            "imagePullPolicy": "Never",
                            "env": env,
                            "ports": [{"containerPort": PORT}],
                            "volumeMounts": [
                                {"name": "data", "mountPath": "/data"},
                                *({"name": name, "mountPath": path} for name, path in shared),
                            ],
                            "readinessProbe": {"httpGet": {"path": "/health", "port": PORT}, "periodSeconds": 2},
                        }
                    ],
                    "volumes": [
                        {"name": "data", "emptyDir": {}},
                        *({"name": name, "hostPath": {"path": path, "type": "Directory"}} for name, path in shared),
                    ],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "gateway"},
        "spec": {
            "type": "NodePort",
            "selector": {"app": "gateway"},
            "ports": [{"port": 80, "targetPort": PORT, "nodePort": NODE_PORT}],
        },
    }
    return "\n---\n".join(json.dumps(part) for part in (deployment, service))


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_ga_image_runs_as_a_pod_on_the_node_and_answers_through_its_service(docker_client, engine: str):
    binaries = node_binaries()
    ga, tag = release_image(docker_client, "GA")
    with ExitStack() as stack:
        url = "sqlite:////data/gateway.db" if engine == "sqlite" else stack.enter_context(embedded_postgres(ga))
        state = stack.enter_context(state_directory())
        served, left = _serve(docker_client, binaries, ga, tag, state, url)
    assert served["health"].status_code == 200, served["health"].text
    assert served["health"].json().get("status") == "healthy", served["health"].text
    assert served["image"] == tag
    assert "Booting worker" in served["logs"] or "Application startup complete" in served["logs"], served["logs"][-800:]
    assert left == []


def _serve(client, binaries: Path, ga, tag: str, state: Path, url: str) -> tuple[dict, list[str]]:
    """GA's pod on a node in ``state`` with its database at ``url``: what it answered, and what the node left."""
    environment = pod_environment(ga, url, GatewaySecrets())
    outside = {} if url.startswith("sqlite") else bind_mounts(url)  # SQLite's file is the pod's own, in /data
    started = time.monotonic()
    with Node(state, binaries, images=[docker_saved(client, tag, state)]) as node:
        node.kubectl("apply", "-f", "-", stdin=manifest(tag, environment, outside))
        node.kubectl("rollout", "status", "deployment/gateway", "--timeout=240s", timeout=250)
        ready = time.monotonic() - started
        print(f"\nGA pod on {url.split(':')[0]} Ready behind its Service {ready:.1f} s after the node was asked for")
        served = {
            "health": httpx.get(f"http://{node.node_ip}:{NODE_PORT}/health", timeout=10),
            "image": node.kubectl(
                "get", "pods", "-l", "app=gateway", "-o", "jsonpath={.items[0].spec.containers[0].image}"
            ),
            "logs": node.kubectl("logs", "deployment/gateway"),
        }
    return served, host.leftovers(state, binaries, BRIDGE)
