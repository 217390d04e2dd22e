"""The node's configuration files as pure functions of its paths and address, each host quirk beside its reason.

Measured on the machine the node was first brought up on (a Firecracker VM, Debian 12): each ``Quirk`` is a
setting without which the node did not run there, and its reason is written as a comment into the file it
goes in (the CNI conflist is JSON and has no comments: its quirk's reason lives here).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from upgrade_suite.cluster.images import PAUSE_IMAGE
from upgrade_suite.cluster.pki import Pki

POD_CIDR = "10.244.0.0/24"
POD_GATEWAY = "10.244.0.1"
CLUSTER_CIDR = "10.244.0.0/16"
BRIDGE = "cni0"
CNI_NETWORK = "upgrade-suite"


@dataclass(frozen=True)
class Quirk:
    """A setting this kind of host needs, and why."""

    setting: str
    reason: str


CGROUP_V1 = Quirk(
    "failCgroupV1: false",
    "the host mounts cgroup v1 (cgroup2 only at /sys/fs/cgroup/unified); kubelet 1.37 refuses v1 unless told",
)
CGROUPFS = Quirk("cgroupDriver: cgroupfs", "PID 1 is not systemd, so there is no systemd cgroup driver to use")
OOM_SCORE = Quirk(
    "restrict_oom_score_adj = true",
    "no CAP_SYS_RESOURCE here: runc cannot set the sandbox's oom_score_adj -998 ('can't get final child's PID "
    "from pipe'); containerd clamps it to its own (0)",
)
FIREWALL = Quirk(
    '"type": "firewall"',
    "the host's FORWARD policy is DROP (a Docker install left it), and bridged pod-to-pod traffic crosses FORWARD; "
    "the firewall plugin accepts each pod's traffic in CNI-FORWARD",
)
BIND_ADDRESS = Quirk(
    "bindAddress: {node_ip}",
    "kube-proxy finds the node's IP from bindAddress: on loopback, nodePortAddresses 'primary' expands to nothing",
)
QUIRKS = (CGROUP_V1, CGROUPFS, OOM_SCORE, FIREWALL, BIND_ADDRESS)


def _line(quirk: Quirk, **values: str) -> str:
    """The quirk's setting, preceded by its reason as a comment (YAML and TOML both use #)."""
    return f"# {quirk.reason}\n{quirk.setting.format(**values)}"


@dataclass(frozen=True)
class Layout:
    """Where the node keeps everything: all under one state directory (the run's sandbox)."""

    state: Path
    bin: Path

    @property
    def conf(self) -> Path:
        return self.state / "conf"

    @property
    def containerd(self) -> Path:
        return self.state / "containerd"

    @property
    def socket(self) -> Path:
        return self.containerd / "containerd.sock"

    @property
    def cni_conf(self) -> Path:
        return self.state / "cni-conf"

    @property
    def cni_bin(self) -> Path:
        return self.bin / "cni"

    @property
    def kubelet_root(self) -> Path:
        return self.state / "kubelet"


def containerd_toml(layout: Layout, runc: str) -> str:
    """The private containerd: its own root, state, sockets and runc root, so it shares nothing with a system one
    (runc's Root: without it the shim's state goes to /run/containerd/runc)."""
    c = layout.containerd
    snapshotters = ", ".join(f'"io.containerd.snapshotter.v1.{s}"' for s in ("aufs", "btrfs", "zfs", "devmapper"))
    return f"""version = 2
root = "{c}/root"
state = "{c}/state"
plugin_dir = ""
disabled_plugins = [{snapshotters}]
[grpc]
  address = "{layout.socket}"
[ttrpc]
  address = "{layout.socket}.ttrpc"
[debug]
  address = ""
  level = "info"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "{c}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  {_line(OOM_SCORE).replace(chr(10), chr(10) + "  ")}
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "{runc}"
        SystemdCgroup = false
        Root = "{layout.state}/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{layout.cni_bin}"
    conf_dir = "{layout.cni_conf}"
    max_conf_num = 1
"""


def cni_conflist(layout: Layout) -> str:
    """Bridge + host-local + portmap + firewall (FIREWALL.reason: without it pods cannot reach each other here)."""
    bridge = {
        "type": "bridge",
        "bridge": BRIDGE,
        "isGateway": True,
        "ipMasq": True,
        "hairpinMode": True,
        "ipam": {
            "type": "host-local",
            "dataDir": str(layout.state / "cni-ipam"),
            "ranges": [[{"subnet": POD_CIDR, "gateway": POD_GATEWAY}]],
            "routes": [{"dst": "0.0.0.0/0"}],
        },
    }
    plugins = [
        bridge,
        {"type": "portmap", "capabilities": {"portMappings": True}},
        {"type": "firewall", "backend": "iptables"},
    ]
    return json.dumps({"cniVersion": "1.0.0", "name": CNI_NETWORK, "plugins": plugins}, indent=2)


def kubelet_yaml(layout: Layout, pki: Pki) -> str:
    """The kubelet: every path it has a setting for under the state directory; image GC off (the images cannot be
    pulled again) and low eviction thresholds (a shared disk must not taint the node)."""
    socket = f"unix://{layout.socket}"
    return f"""apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
{_line(CGROUP_V1)}
{_line(CGROUPFS)}
containerRuntimeEndpoint: {socket}
imageServiceEndpoint: {socket}
failSwapOn: false
address: {pki.node_ip}
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: {pki.cert("kubelet-server")}
tlsPrivateKeyFile: {pki.key("kubelet-server")}
authentication:
  anonymous: {{enabled: false}}
  webhook: {{enabled: true}}
  x509: {{clientCAFile: {pki.cert("ca")}}}
authorization:
  mode: Webhook
clusterDomain: cluster.local
podCIDR: {POD_CIDR}
podLogsDir: {layout.state}/pod-logs
volumePluginDir: {layout.state}/kubelet-plugins
resolvConf: /etc/resolv.conf
staticPodPath: ""
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "1%"
  imagefs.available: "1%"
  nodefs.inodesFree: "1%"
serializeImagePulls: false
"""


def kube_proxy_yaml(pki: Pki) -> str:
    """kube-proxy in iptables mode; zero conntrack values and no localhost NodePorts leave those sysctls alone."""
    return f"""apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
hostnameOverride: {pki.node_name}
clusterCIDR: {CLUSTER_CIDR}
{_line(BIND_ADDRESS, node_ip=pki.node_ip)}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
clientConnection:
  kubeconfig: {pki.kubeconfig("kube-proxy")}
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
iptables:
  localhostNodePorts: false
nodePortAddresses: ["primary"]
"""


def scheduler_yaml(pki: Pki) -> str:
    """One scheduler, so no leader election (it would only add a Lease and a wait)."""
    return f"""apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: {pki.kubeconfig("scheduler")}
leaderElection:
  leaderElect: false
"""
