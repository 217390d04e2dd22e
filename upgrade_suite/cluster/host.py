"""What a node changes on the host outside its state directory: recorded before it starts, undone after it stops.

Measured with ``find / -xdev -newer`` and iptables/nft/sysctl snapshots around a first run: the kubelet raises
three sysctls and writes ``/var/lib/kubelet/device-plugins`` and ``/var/log/containers`` whatever its flags say;
containerd 1.6's CNI code keeps a cache in ``/var/lib/cni`` and its pods' network namespaces in ``/run/netns``;
kube-proxy, the kubelet and the CNI plugins add KUBE-* and CNI-* chains (iptables-nft, so new nft tables appear
too); the bridge plugin makes ``cni0`` and a veth per pod; the kubelet makes ``kubepods`` cgroups and bind-mounts
its root directory onto itself. Each function here undoes one of these, and ``leftovers`` lists what is still
there (the integration test's and the start's check).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

#: Recorded and restored (the kubelet measurably sets the first three: 0->1, 1->10, 0->1).
SYSCTLS = (
    "vm.overcommit_memory",
    "kernel.panic",
    "kernel.panic_on_oops",
    "vm.panic_on_oom",
    "kernel.keys.root_maxkeys",
    "kernel.keys.root_maxbytes",
    "net.ipv4.conf.all.route_localnet",
    "net.ipv4.ip_forward",
    "net.bridge.bridge-nf-call-iptables",
)
#: Paths the node's programs create outside its state directory whatever their flags say (removed only when they
#: were absent before; /root/.kube only if kubectl's cache escaped KUBECACHEDIR; /run/containerd/s holds the shims'
#: sockets, hard-coded in containerd 1.6).
OUTSIDE = tuple(
    Path(p)
    for p in (
        "/var/lib/kubelet",
        "/var/lib/cni",
        "/var/log/containers",
        "/var/log/pods",
        "/run/netns",
        "/usr/libexec/kubernetes",
        "/run/containerd/runc",
        "/run/containerd/s",
        "/run/containerd",
        str(Path.home() / ".kube"),
    )
)
NETNS = Path("/run/netns")
SHIM_SOCKETS = Path("/run/containerd/s")
CGROUPS = Path("/sys/fs/cgroup")
CHAIN = re.compile(r"^:((?:KUBE|CNI)-\S+)", re.MULTILINE)
JUMP = re.compile(r"^-A (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) (.*-j (?:KUBE|CNI)-\S+.*)$", re.MULTILINE)


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def _sysctl_path(key: str) -> Path:
    return Path("/proc/sys") / key.replace(".", "/")


def _listing(directory: Path) -> frozenset[str]:
    return frozenset(os.listdir(directory)) if directory.is_dir() else frozenset()


def nft_tables() -> frozenset[str]:
    return frozenset(line for line in _run("nft", "list", "tables").stdout.splitlines() if line.startswith("table "))


def kubepods() -> list[Path]:
    return sorted(CGROUPS.glob("*/kubepods*"))


@dataclass(frozen=True)
class Baseline:
    """The host as it was before the node started: what to restore and what not to remove."""

    sysctls: dict[str, str] = field(default_factory=dict)
    present: frozenset[Path] = frozenset()
    nft: frozenset[str] = frozenset()
    netns: frozenset[str] = frozenset()
    shim_sockets: frozenset[str] = frozenset()
    kubepods: frozenset[Path] = frozenset()

    @classmethod
    def record(cls) -> Baseline:
        sysctls = {key: _sysctl_path(key).read_text().strip() for key in SYSCTLS if _sysctl_path(key).exists()}
        return cls(
            sysctls=sysctls,
            present=frozenset(path for path in OUTSIDE if path.exists()),
            nft=nft_tables(),
            netns=_listing(NETNS),
            shim_sockets=_listing(SHIM_SOCKETS),
            kubepods=frozenset(kubepods()),
        )


def restore_sysctls(baseline: Baseline) -> None:
    for key, value in baseline.sysctls.items():
        if _sysctl_path(key).read_text().strip() != value:
            _sysctl_path(key).write_text(value)


def unmount_under(state: Path) -> None:
    """Every mount inside the state directory (the kubelet's root bind mount, pods' shm and rootfs), deepest first."""
    for point in sorted(mounts_under(state), reverse=True):
        _run("umount", "-l", point)


def mounts_under(state: Path, table: str | None = None) -> list[str]:
    """Mount points at or below ``state`` in ``table`` (/proc/mounts; a space is written as \\040 there)."""
    root = str(state.resolve())
    lines = (Path("/proc/mounts").read_text() if table is None else table).splitlines()
    points = [line.split()[1].replace("\\040", " ") for line in lines]
    return [point for point in points if point == root or point.startswith(root + "/")]


def remove_netns(baseline: Baseline) -> None:
    """The pods' network namespaces (nsfs mounts under /run/netns) that were not there before."""
    for name in sorted(_listing(NETNS) - baseline.netns):
        _run("umount", str(NETNS / name))
        (NETNS / name).unlink(missing_ok=True)


def remove_links(bridge: str) -> None:
    """The pods' veths (each enslaved to the bridge) and the bridge itself."""
    listing = _run("ip", "-o", "link", "show", "master", bridge).stdout
    for veth in re.findall(r"^\d+: ([^@:\s]+)", listing, re.MULTILINE):
        _run("ip", "link", "del", veth)
    if Path("/sys/class/net", bridge).exists():
        _run("ip", "link", "del", bridge)


def chain_removal(tool: str, table: str, dump: str) -> list[list[str]]:
    """The commands that take the node's chains out of one table's ``-save`` dump: the built-in chains' jumps
    first (a chain still referenced cannot be deleted), then every chain flushed before any is deleted (they
    jump to each other). A rule's comment is quoted in the dump (``--comment "CNI firewall plugin rules"``)."""
    chains = CHAIN.findall(dump)
    return [
        *([tool, "-t", table, "-D", chain, *shlex.split(rule)] for chain, rule in JUMP.findall(dump)),
        *([tool, "-t", table, "-F", chain] for chain in chains),
        *([tool, "-t", table, "-X", chain] for chain in chains),
    ]


def remove_chains() -> None:
    """Every KUBE-* and CNI-* chain in iptables and ip6tables, and the built-in chains' jumps to them."""
    for tool in ("iptables", "ip6tables"):
        for table in ("nat", "filter", "mangle"):
            for command in chain_removal(tool, table, _run(f"{tool}-save", "-t", table).stdout):
                _run(*command)


def remove_new_nft_tables(baseline: Baseline) -> None:
    """nft tables iptables-nft created for the node (ip mangle, ip6 filter/nat/mangle), once they hold no rule."""
    for line in sorted(nft_tables() - baseline.nft):
        _, family, name = line.split()
        body = _run("nft", "list", "table", family, name).stdout
        rules = [row for row in body.splitlines() if row.strip() and not re.match(r"\s*(table|chain|type|\})", row)]
        if not rules:
            _run("nft", "delete", "table", family, name)


def remove_cgroups(baseline: Baseline) -> None:
    """The kubelet's kubepods trees in every v1 hierarchy (rmdir, deepest first: cgroup files cannot be unlinked)."""
    for top in kubepods():
        if top in baseline.kubepods:
            continue
        for directory in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
            directory.rmdir()
        top.rmdir()


def remove_outside_files(baseline: Baseline, state: Path) -> None:
    """The paths of OUTSIDE that the node created; where one existed, only the kubelet's links into ``state``."""
    for path in OUTSIDE:
        if path not in baseline.present:
            shutil.rmtree(path, ignore_errors=True)
    containers = Path("/var/log/containers")
    for link in containers.glob("*.log") if containers in baseline.present else []:
        if link.is_symlink() and os.readlink(link).startswith(str(state)):
            link.unlink()


def remove_shim_sockets(baseline: Baseline) -> None:
    """containerd 1.6 puts every shim's socket in /run/containerd/s whatever its config says."""
    for name in _listing(SHIM_SOCKETS) - baseline.shim_sockets:
        (SHIM_SOCKETS / name).unlink(missing_ok=True)


def processes_mentioning(*needles: str) -> list[tuple[int, str]]:
    """Processes whose command line names one of ``needles`` (a binary directory, a socket path)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if any(needle in command for needle in needles):
                found.append((int(proc.name), command.strip()))
    return found


def kill_shims(socket: Path) -> None:
    """Shims outlive their containerd (re-parented to init); ours name our socket in their -address."""
    for pid, _ in processes_mentioning(f"-address {socket}"):
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            continue


def leftovers(state: Path, binaries: Path, bridge: str) -> list[str]:
    """What of a node is still on the host: its processes, mounts, bridge and chains; empty when all is gone."""
    found = [f"process {pid}: {cmd[:120]}" for pid, cmd in processes_mentioning(str(binaries), str(state))]
    found += [f"mount {point}" for point in mounts_under(state)]
    if Path("/sys/class/net", bridge).exists():
        found.append(f"link {bridge}")
    for tool in ("iptables-save", "ip6tables-save"):
        found += [f"{tool}: chain {chain}" for chain in CHAIN.findall(_run(tool).stdout)]
    return found
