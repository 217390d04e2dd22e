"""The chart's way on the suite's node: ``helm install`` of the chart the suite writes, 1.1.0's image, PostgreSQL.

The first install as the upstream chart makes it (``cluster/chart.py``): the migration Job (a ``post-install`` hook,
1.1.0's ``bootstrap_db``) migrates the embedded PostgreSQL outside the cluster, then two pods with
``MCPGATEWAY_SKIP_MIGRATIONS`` pass their startup probe (``check_schema_at_head``) and readiness (``/ready``) at the
chart's own timings, unscaled, and answer through the Service. What UPG-06's rollout on the node starts from.

Not with ``helm install --wait``: Helm (v4.3.2's pkg/action/install.go) waits for the resources to be Ready before
it runs the ``post-install`` hooks, and the pods are Ready only once the hook's migration ran: the install can only
time out, with no Job created. Measured here first (a 60 s timeout), then the install without ``--wait``.
"""

import subprocess
import time

import httpx
import pytest
from on_node import embedded_postgres, node_binaries, release_image

from upgrade_suite.cluster import host
from upgrade_suite.cluster.chart import NODE_PORT, ChartValues, write_chart
from upgrade_suite.cluster.configs import BRIDGE
from upgrade_suite.cluster.helm import state_directory
from upgrade_suite.cluster.images import docker_saved
from upgrade_suite.cluster.node import Node
from upgrade_suite.lab.node import pod_environment
from upgrade_suite.services.engine import bind_mounts
from upgrade_suite.services.gateway import GatewaySecrets

pytestmark = [pytest.mark.integration, pytest.mark.extended]


def test_helm_installs_the_chart_its_migration_job_first_and_its_pods_become_ready_behind_the_service(docker_client):
    binaries = node_binaries()
    latest, tag = release_image(docker_client, "latest")
    with embedded_postgres(latest) as url, state_directory() as state:
        environment = pod_environment(latest, url, GatewaySecrets())
        chart = write_chart(state / "chart", ChartValues(tag, environment, host_paths=tuple(bind_mounts(url))))
        with Node(state, binaries, images=[docker_saved(docker_client, tag, state)]) as node:
            helm = [str(binaries / "helm"), "install", "suite", str(chart)]
            waited = subprocess.run(
                [*helm, "--wait", "--timeout", "60s"],
                capture_output=True,
                text=True,
                timeout=90,
                env=node.environment(),
            )
            jobs_while_waiting = node.kubectl("get", "jobs", "-o", "name")
            subprocess.run(
                [str(binaries / "helm"), "uninstall", "suite", "--wait"], env=node.environment(), timeout=120
            )
            started = time.monotonic()
            installed = subprocess.run(helm, capture_output=True, text=True, timeout=700, env=node.environment())
            assert installed.returncode == 0, installed.stdout + installed.stderr
            node.kubectl("rollout", "status", "deployment/suite-mcpgateway", "--timeout=300s", timeout=310)
            took = time.monotonic() - started
            job = node.kubectl("get", "job", "suite-migration", "-o", "jsonpath={.status.succeeded}")
            ready = node.kubectl("get", "deployment", "suite-mcpgateway", "-o", "jsonpath={.status.readyReplicas}")
            skip = node.kubectl(
                "get", "deployment", "suite-mcpgateway", "-o",
                "jsonpath={.spec.template.spec.containers[0].env[?(@.name=='MCPGATEWAY_SKIP_MIGRATIONS')].value}",
            )  # fmt: skip
            health = httpx.get(f"http://{node.node_ip}:{NODE_PORT}/health", timeout=10)
            migrated = node.kubectl("logs", "job/suite-migration")
        left = host.leftovers(state, binaries, BRIDGE)
    print(f"\nhelm install, then rollout status: {took:.1f} s (the migration Job, then two pods Ready)")
    assert waited.returncode != 0 and "not ready" in waited.stderr, waited.stdout + waited.stderr
    assert jobs_while_waiting.strip() == ""  # the post-install hook never ran
    assert job == "1" and ready == "2" and skip == "true"
    assert health.status_code == 200 and health.json().get("status") == "healthy", health.text
    assert "Database ready" in migrated or "migrat" in migrated.lower(), migrated[-600:]
    assert left == []
