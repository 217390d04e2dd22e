"""The suite's own Kubernetes node comes up, serves a pod behind a Service, and leaves the host as it found it.

Builds the binaries first when the cache lacks them (cold: about 20 minutes on one core; ``make cluster-setup``
does the same ahead of time), writes a busybox httpd image with the suite's own OCI writer, and runs it as a
Deployment with a readiness probe behind a NodePort Service reached from the host. After the node is left,
nothing of it may remain: processes, mounts, the bridge, KUBE-/CNI- chains, the files outside its state
directory, the sysctls the kubelet changed.
"""

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from on_node import node_binaries

from upgrade_suite.cluster import host
from upgrade_suite.cluster.configs import BRIDGE
from upgrade_suite.cluster.images import ImageFile, oci_tarball
from upgrade_suite.cluster.node import Node

pytestmark = [pytest.mark.extended]

WEB = "local.test/web:v1"
MANIFEST = f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, labels: {{app: web}}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 2
      containers:
      - name: web
        image: {WEB}
        imagePullPolicy: Never
        ports: [{{containerPort: 8080}}]
        readinessProbe:
          httpGet: {{path: /index.html, port: 8080}}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec:
  type: NodePort
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 8080, nodePort: 30080}}]
"""


def web_image(workdir: Path):
    """Debian's static busybox serving one page: the generic files + entrypoint writer, as gateway images will use."""
    busybox = Path("/bin/busybox")
    if not busybox.is_file():
        pytest.fail("the web pod's image is Debian's static busybox: apt-get install busybox-static")
    files = {
        "bin/busybox": ImageFile(busybox.read_bytes(), 0o755),
        "bin/sh": ImageFile(link="busybox"),
        "www/index.html": ImageFile(b"hello from the suite's node\n"),
        "etc/passwd": ImageFile(b"root:x:0:0:root:/:/bin/sh\n"),
        "tmp/.keep": ImageFile(),
    }
    command = ["httpd", "-f", "-v", "-p", "8080", "-h", "/www"]
    return oci_tarball(WEB, files, ["/bin/busybox"], workdir / "web.tar", command)


def answer(url: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=2).text
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_the_node_serves_a_ready_pod_behind_a_service_and_leaves_nothing_behind():
    binaries = node_binaries()
    state = Path(tempfile.mkdtemp(prefix="upgk8s-"))  # short: containerd's socket paths must fit 107 bytes
    before = host.Baseline.record()
    try:
        image = web_image(state / "images")
        started = time.monotonic()
        with Node(state, binaries, images=[image]) as node:
            up = time.monotonic() - started
            node.kubectl("apply", "-f", "-", stdin=MANIFEST)
            node.kubectl("rollout", "status", "deployment/web", "--timeout=120s", timeout=130)
            ready = time.monotonic() - started
            cluster_ip = node.kubectl("get", "service", "web", "-o", "jsonpath={.spec.clusterIP}")
            assert answer(f"http://{cluster_ip}/") == "hello from the suite's node\n"
            assert answer(f"http://{node.node_ip}:30080/") == "hello from the suite's node\n"
            assert "kubepods" in str(host.kubepods()) and Path("/sys/class/net", BRIDGE).exists()
            served = time.monotonic() - started
            leaving = time.monotonic()
        gone = time.monotonic() - leaving
        print(f"\nnode: {node.timeline}; up {up:.1f} s, pod Ready {ready:.1f} s, served {served:.1f} s")
        print(f"left in {gone:.1f} s")

        assert host.leftovers(state, binaries, BRIDGE) == []
        after = host.Baseline.record()
        assert after.sysctls == before.sysctls
        assert after.present == before.present and after.nft == before.nft and after.netns == before.netns
        assert after.kubepods == before.kubepods and after.shim_sockets == before.shim_sockets
    finally:
        if not host.mounts_under(state):
            shutil.rmtree(state, ignore_errors=True)


OWNER = """
import sys, time
from pathlib import Path
from upgrade_suite.cluster.node import Node
with Node(Path(sys.argv[1]), Path(sys.argv[2])) as node:
    print("ready", flush=True)
    time.sleep(600)
"""


def test_a_node_whose_owner_was_killed_is_cleaned_by_the_next_one():
    """SIGKILL skips every teardown: the next node finds the crashed one's registration, kills what it left and
    restores the host from the crashed node's own baseline before it starts, instead of refusing."""
    binaries = node_binaries()
    crashed_state = Path(tempfile.mkdtemp(prefix="upgk8s-"))
    state = Path(tempfile.mkdtemp(prefix="upgk8s-"))
    before = host.Baseline.record()
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(crashed_state), str(binaries)],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    try:
        assert owner.stdout is not None and owner.stdout.readline().strip() == "ready"
        owner.kill()
        owner.wait()
        assert host.processes_mentioning(str(crashed_state))  # the crashed node runs on without its owner
        with Node(state, binaries) as node:
            assert "Ready" in node.kubectl("get", "nodes")
        assert host.leftovers(crashed_state, binaries, BRIDGE) == []
        assert host.leftovers(state, binaries, BRIDGE) == []
        after = host.Baseline.record()
        assert after.sysctls == before.sysctls and after.nft == before.nft and after.netns == before.netns
    finally:
        if owner.poll() is None:
            owner.kill()
        for directory in (crashed_state, state):
            if not host.mounts_under(directory):
                shutil.rmtree(directory, ignore_errors=True)
