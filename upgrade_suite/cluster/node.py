"""A real single-node Kubernetes as one context manager: ``with Node(state, binaries) as node: node.kubectl(...)``.

etcd, kube-apiserver, the controller-manager and the scheduler on loopback, a private containerd (its own
config, sockets and state, beside any system one), the kubelet and kube-proxy on the node's address; all of
their state in the directory it is given (the run's sandbox). Entering waits, bounded, until the node is Ready
and the default ServiceAccount exists (a pod cannot be admitted before): measured 6-7 s from nothing. Every part
registers its own teardown as it starts, so leaving (pass, failure or Ctrl-C, also half-way through entering)
undoes exactly what was done, in reverse, and a step that fails does not stop the ones after it: processes
stopped, pod sandboxes removed through the CRI (which runs CNI DEL: veths, leases, masquerade rules), mounts under
the state directory, ``cni0``, the KUBE-*/CNI-* chains, new nft tables, kubepods cgroups, the files the programs
put outside the state directory, and the sysctls the kubelet changed (``host``).
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from upgrade_suite.base.errors import SuiteError
from upgrade_suite.base.progress import console
from upgrade_suite.base.waiting import stop_process, wait_until
from upgrade_suite.cluster import configs, crashed, host
from upgrade_suite.cluster.build import missing
from upgrade_suite.cluster.configs import BRIDGE, Layout
from upgrade_suite.cluster.images import Image, import_image, pause_image
from upgrade_suite.cluster.pki import API_PORT, SERVICE_CIDR, Pki

#: Every port the node listens on (all fixed: one node per host). 10250 is the kubelet on the node's address.
PORTS = (2379, 2380, 2381, API_PORT, 10248, 10249, 10250, 10256, 10257, 10259)
#: A unix socket path has at most 107 bytes; containerd's ttrpc socket is the longest the node makes.
_SOCKET_MAX = 100


class Teardown:
    """Steps undone in reverse order of registration; every one runs even when an earlier one failed or was
    interrupted, and the failures are reported together at the end."""

    def __init__(self, say: Callable[[str], None] = console.print) -> None:
        self._stack = ExitStack()
        self.failures: list[str] = []
        self._say = say

    def add(self, what: str, step: Callable[..., Any], *args: Any) -> None:
        def guarded() -> None:
            try:
                step(*args)
            except Exception as error:  # noqa: BLE001 - reported at the end; the next step must still run
                self.failures.append(f"{what}: {error}")
                self._say(f"[red]teardown: {what} failed: {error}[/red]")

        self._stack.callback(guarded)

    def close(self) -> None:
        self._stack.close()
        failures, self.failures = self.failures, []
        if failures:
            raise SuiteError("the node's teardown left work undone: " + "; ".join(failures))


def check_host(upstream_chart: bool = False) -> None:
    """What the node needs of the host before anything is built or started: root and the node's host tools (and
    socat, the upstream chart's way to PostgreSQL)."""
    if os.geteuid() != 0:
        raise SuiteError("the node needs root (it runs containerd, the kubelet and kube-proxy): run as root")
    for tool in ("containerd", "runc", "ctr", "iptables", "nft", "ip", *(("socat",) if upstream_chart else ())):
        if shutil.which(tool) is None:
            raise SuiteError(f"{tool} is not installed and the node needs it: run make cluster-setup")


def node_address() -> str:
    """The host's primary address (the source of its default route): the kubelet's and NodePorts' address."""
    route = subprocess.run(["ip", "-o", "route", "get", "1.1.1.1"], capture_output=True, text=True, timeout=10).stdout
    words = route.split()
    if "src" not in words:
        raise SuiteError("the host has no default route, so the node has no address: pass node_ip=")
    return words[words.index("src") + 1]


class Node:
    """etcd, the control plane, containerd, kubelet and kube-proxy in ``state``; a context manager."""

    def __init__(
        self,
        state: Path,
        binaries: Path,
        images: Sequence[Image] = (),
        name: str = "suite-node",
        node_ip: str | None = None,
        timeout: float = 120.0,
    ) -> None:
        self.layout = Layout(state.resolve(), binaries.resolve())
        self.name = name
        self.node_ip = node_ip
        self.images = list(images)
        self.timeout = timeout
        self.pki = Pki(self.layout.state, name, node_ip or "")
        self.timeline: dict[str, float] = {}  # seconds from entering to each milestone
        self._teardown = Teardown()
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._started = 0.0

    # -- what a user of the node calls

    def environment(self) -> dict[str, str]:
        """kubectl and helm against this node, with their caches in the state directory (not in ~/.kube)."""
        state = self.layout.state
        return {
            **os.environ,
            "PATH": f"{self.layout.bin}:{os.environ.get('PATH', '')}",
            "KUBECONFIG": str(self.pki.kubeconfig("admin")),
            "KUBECACHEDIR": str(state / "kube-cache"),
            **{f"HELM_{kind}_HOME": str(state / "helm" / kind.lower()) for kind in ("CACHE", "CONFIG", "DATA")},
        }

    def kubectl(self, *args: str, stdin: str | None = None, timeout: float = 60.0) -> str:
        """kubectl as the cluster's admin; its stdout, or a SuiteError with its stderr."""
        return run_kubectl([str(self.layout.bin / "kubectl")], args, stdin, timeout, self.environment())

    def load(self, image: Image) -> None:
        """Make an image the suite wrote available to pods (``imagePullPolicy: Never``)."""
        import_image(self._ctr, self.layout.socket, image)

    # -- entering and leaving

    def __enter__(self) -> Node:
        self._check()
        self._started = time.monotonic()
        try:
            self._up()
        except BaseException:
            self._teardown.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._teardown.close()

    def _check(self) -> None:
        """Refusals before anything is touched, each one line saying what to do."""
        check_host()
        if missing(self.layout.bin):
            raise SuiteError(f"the node's binaries are not all built in {self.layout.bin}: run make cluster-setup")
        if len(str(self.layout.socket)) + len(".ttrpc") > _SOCKET_MAX:
            raise SuiteError(
                f"the state directory {self.layout.state} is too deep for containerd's sockets: use a shorter one"
            )
        for cleaned in crashed.clean_crashed():
            console.print(f"[yellow]{cleaned}[/yellow]")
        busy = [port for port in PORTS if _listening(port)]
        if busy:
            raise SuiteError(f"ports {busy} are in use: another Kubernetes runs here; stop it first")
        left = [
            line
            for line in host.leftovers(self.layout.state, self.layout.bin, BRIDGE)
            if "chain" in line or BRIDGE in line
        ]
        if left:
            raise SuiteError(f"the host still has another node's network ({left[0]}, …): remove it first")

    def _up(self) -> None:
        state, teardown = self.layout.state, self._teardown
        self.node_ip = self.node_ip or node_address()
        self.pki = Pki(state, self.name, self.node_ip).create()
        self._write_configs()
        baseline = host.Baseline.record()
        # registered first, so undone last: a node killed before its teardown is cleaned by the next one
        teardown.add("unregister the node", crashed.register(state, baseline).unlink)
        teardown.add("restore the sysctls", host.restore_sysctls, baseline)
        teardown.add("remove files outside the state directory", host.remove_outside_files, baseline, state)
        teardown.add("remove new nft tables", host.remove_new_nft_tables, baseline)
        teardown.add("remove KUBE-/CNI- chains", host.remove_chains)
        teardown.add("remove kubepods cgroups", host.remove_cgroups, baseline)
        teardown.add(f"remove {BRIDGE} and its veths", host.remove_links, BRIDGE)
        teardown.add("remove pod network namespaces", host.remove_netns, baseline)
        teardown.add("unmount under the state directory", host.unmount_under, state)
        teardown.add("remove shim sockets", host.remove_shim_sockets, baseline)
        self._control_plane()
        teardown.add("kill containerd's shims", host.kill_shims, self.layout.socket)
        self._start(
            "containerd",
            [shutil.which("containerd") or "containerd", "--config", str(self.layout.conf / "containerd.toml")],
        )
        wait_until(self._containerd_answers, self.timeout, "containerd to answer")
        for image in [pause_image(state / "images"), *self.images]:
            self.load(image)
        self._mark("containerd up, images imported")
        teardown.add("remove pod sandboxes through the CRI", self._remove_sandboxes)
        kube_proxy = [str(self.layout.bin / "kube-proxy"), f"--config={self.layout.conf / 'kube-proxy.yaml'}"]
        teardown.add("kube-proxy --cleanup", _run_quietly, [*kube_proxy, "--cleanup"])
        self._start("kubelet", self._kubelet_command())
        self._start("kube-proxy", kube_proxy)
        wait_until(self._ready, self.timeout, f"node {self.name} to be Ready (logs: {state / 'logs'})", interval=0.5)
        self._mark("node Ready")
        wait_until(lambda: self._has("serviceaccount", "default"), self.timeout, "the default ServiceAccount", 0.5)
        self._mark("default ServiceAccount")

    def _write_configs(self) -> None:
        conf = self.layout.conf
        conf.mkdir(parents=True, exist_ok=True)
        self.layout.cni_conf.mkdir(parents=True, exist_ok=True)
        (conf / "containerd.toml").write_text(configs.containerd_toml(self.layout, shutil.which("runc") or "runc"))
        (self.layout.cni_conf / "10-upgrade-suite.conflist").write_text(configs.cni_conflist(self.layout))
        (conf / "kubelet.yaml").write_text(configs.kubelet_yaml(self.layout, self.pki))
        (conf / "kube-proxy.yaml").write_text(configs.kube_proxy_yaml(self.pki))
        (conf / "scheduler.yaml").write_text(configs.scheduler_yaml(self.pki))
        for directory in ("etcd", "logs", "pod-logs", "kubelet-plugins", "cni-ipam", "kcm-flexvolume"):
            (self.layout.state / directory).mkdir(parents=True, exist_ok=True)

    def _control_plane(self) -> None:
        b, p, k, state = self.layout.bin, self.pki, self.pki.kubeconfig, self.layout.state
        etcd = "http://127.0.0.1:2379"
        self._start("etcd", [
            str(b / "etcd"), "--name=default", f"--data-dir={state / 'etcd'}", f"--listen-client-urls={etcd}",
            f"--advertise-client-urls={etcd}", "--listen-peer-urls=http://127.0.0.1:2380",
            "--initial-advertise-peer-urls=http://127.0.0.1:2380", "--initial-cluster=default=http://127.0.0.1:2380",
            "--listen-metrics-urls=http://127.0.0.1:2381",
        ])  # fmt: skip
        wait_until(lambda: self._healthy("http://127.0.0.1:2381/health"), self.timeout, "etcd's /health")
        self._mark("etcd healthy")
        self._start("kube-apiserver", [
            str(b / "kube-apiserver"), f"--etcd-servers={etcd}", "--bind-address=127.0.0.1",
            f"--advertise-address={self.node_ip}", f"--secure-port={API_PORT}",
            f"--tls-cert-file={p.cert('apiserver')}", f"--tls-private-key-file={p.key('apiserver')}",
            f"--client-ca-file={p.cert('ca')}", f"--kubelet-client-certificate={p.cert('apiserver-kubelet-client')}",
            f"--kubelet-client-key={p.key('apiserver-kubelet-client')}",
            f"--kubelet-certificate-authority={p.cert('ca')}",
            "--kubelet-preferred-address-types=InternalIP,Hostname", f"--service-account-key-file={p.pki / 'sa.pub'}",
            f"--service-account-signing-key-file={p.pki / 'sa.key'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-cluster-ip-range={SERVICE_CIDR}", "--authorization-mode=Node,RBAC",
            "--enable-admission-plugins=NodeRestriction", "--allow-privileged=true", "--profiling=false",
        ])  # fmt: skip
        wait_until(
            lambda: self._healthy(f"https://127.0.0.1:{API_PORT}/readyz"), self.timeout, "the apiserver's /readyz"
        )
        self._mark("apiserver ready")
        controller = k("controller-manager")
        self._start("kube-controller-manager", [
            str(b / "kube-controller-manager"), f"--kubeconfig={controller}",
            f"--authentication-kubeconfig={controller}",
            f"--authorization-kubeconfig={controller}", "--bind-address=127.0.0.1", "--secure-port=10257",
            "--leader-elect=false", f"--cluster-signing-cert-file={p.cert('ca')}",
            f"--cluster-signing-key-file={p.key('ca')}",
            f"--root-ca-file={p.cert('ca')}", f"--service-account-private-key-file={p.pki / 'sa.key'}",
            "--use-service-account-credentials=true", f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--allocate-node-cidrs=false", "--profiling=false",
            f"--flex-volume-plugin-dir={state / 'kcm-flexvolume'}",  # else /usr/libexec/kubernetes/...
        ])  # fmt: skip
        self._start("kube-scheduler", [
            str(b / "kube-scheduler"), f"--config={self.layout.conf / 'scheduler.yaml'}",
            f"--authentication-kubeconfig={k('scheduler')}", f"--authorization-kubeconfig={k('scheduler')}",
            "--bind-address=127.0.0.1", "--secure-port=10259", "--profiling=false",
        ])  # fmt: skip
        for what, port in (("controller-manager", 10257), ("scheduler", 10259)):
            wait_until(
                lambda: self._healthy(f"https://127.0.0.1:{port}/healthz", verify=False),
                self.timeout,
                f"the {what}'s /healthz",
            )
        self._mark("controller-manager and scheduler healthy")

    def _kubelet_command(self) -> list[str]:
        state = self.layout.state
        return [
            str(self.layout.bin / "kubelet"), f"--config={self.layout.conf / 'kubelet.yaml'}",
            f"--kubeconfig={self.pki.kubeconfig('kubelet')}", f"--root-dir={self.layout.kubelet_root}",
            f"--cert-dir={state / 'kubelet-pki'}", f"--hostname-override={self.name}", f"--node-ip={self.node_ip}",
            "-v=2",
        ]  # fmt: skip

    # -- parts

    @property
    def _ctr(self) -> str:
        return shutil.which("ctr") or "ctr"

    def _start(self, name: str, command: list[str]) -> None:
        """Start one program in its own session (a Ctrl-C at the terminal reaches the suite, which stops it in
        order), its output in ``logs/<name>.log``, and register its stop."""
        with (self.layout.state / "logs" / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                env=self.environment(), cwd=self.layout.state,
            )  # fmt: skip
        self._teardown.add(f"stop {name}", stop_process, process, 20)
        self._processes[name] = process

    def _alive(self) -> None:
        """A wait ends at once when a part exited: its log says why."""
        for name, process in self._processes.items():
            if process.poll() is not None:
                log = (self.layout.state / "logs" / f"{name}.log").read_text(errors="replace").strip().splitlines()
                raise SuiteError(f"{name} exited with status {process.returncode}: {(log or ['no output'])[-1][-300:]}")

    def _healthy(self, url: str, verify: bool = True) -> bool:
        self._alive()
        context: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=str(self.pki.cert("ca"))) if verify else False
        )
        try:
            return httpx.get(url, verify=context if url.startswith("https") else True, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def _containerd_answers(self) -> bool:
        self._alive()
        return _run_quietly([self._ctr, "-a", str(self.layout.socket), "version"])

    def _ready(self) -> bool:
        self._alive()
        path = '{.status.conditions[?(@.type=="Ready")].status}'
        try:
            return self.kubectl("get", "node", self.name, "-o", f"jsonpath={path}", timeout=10) == "True"
        except SuiteError:
            return False

    def _has(self, kind: str, name: str) -> bool:
        try:
            self.kubectl("get", kind, name, "-o", "name", timeout=10)
        except SuiteError:
            return False
        return True

    def _remove_sandboxes(self) -> None:
        crictl = [str(self.layout.bin / "crictl"), "-r", f"unix://{self.layout.socket}"]
        listed = subprocess.run([*crictl, "pods", "-q"], capture_output=True, text=True, timeout=60)
        for pod in listed.stdout.split():
            _run_quietly([*crictl, "stopp", pod])
            _run_quietly([*crictl, "rmp", "-f", pod])

    def _mark(self, milestone: str) -> None:
        self.timeline[milestone] = round(time.monotonic() - self._started, 1)


def run_kubectl(
    kubectl: Sequence[str], args: Sequence[str], stdin: str | None, timeout: float, env: Mapping[str, str] | None = None
) -> str:
    """``kubectl`` (the binary and the options that bind it to a cluster) with ``args``: its stdout, or a SuiteError
    naming the command with its stderr, or its timeout."""
    try:
        result = subprocess.run(
            [*kubectl, *args], input=stdin, capture_output=True, text=True, timeout=timeout, env=env
        )
    except subprocess.TimeoutExpired:
        raise SuiteError(f"kubectl {' '.join(args)} did not finish within {timeout:.0f} s") from None
    if result.returncode != 0:
        raise SuiteError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()[-400:]}")
    return result.stdout


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _run_quietly(command: list[str]) -> bool:
    """A helper command whose output only matters through its exit status."""
    return subprocess.run(command, capture_output=True, timeout=60, stdin=subprocess.DEVNULL).returncode == 0
