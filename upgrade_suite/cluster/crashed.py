"""A node whose owner was killed (SIGKILL, a lost machine session) found and cleaned when the next node starts.

A node tears itself down on leaving, also on Ctrl-C; only a process killed outright skips that, and then its etcd,
apiserver, containerd, kubelet, kube-proxy, shims and pods run on, and the next node would refuse ("ports in use").
So every node registers itself while it runs: a file in the suite's cache naming its owner's pid, its state
directory and the host as it was before it (``host.Baseline``). A registration whose pid is gone is a crashed node:
every process naming its state directory is killed, its containers through runc (they outlive their shims), and
the host is restored from its baseline, as the node's own teardown would have; its state directory is kept (its
logs are the evidence), like a crashed run's sandbox (``services/leftovers.py``). A registration whose pid lives is
another node, left alone.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

from upgrade_suite.base.config import default_cache_dir
from upgrade_suite.cluster import host
from upgrade_suite.cluster.configs import BRIDGE
from upgrade_suite.services.leftovers import pid_alive

#: Where running nodes register (a file per node, named by its owner's pid).
REGISTRY = default_cache_dir() / "cluster" / "running"


def register(state: Path, baseline: host.Baseline, registry: Path = REGISTRY) -> Path:
    """This process's node in ``state`` is running; the returned file is removed when it has left."""
    registry.mkdir(parents=True, exist_ok=True)
    entry = registry / f"{os.getpid()}.json"
    recorded = {
        "pid": os.getpid(),
        "state": str(state),
        "sysctls": baseline.sysctls,
        **{name: sorted(map(str, getattr(baseline, name))) for name in _SETS},
    }
    entry.write_text(json.dumps(recorded, indent=1))
    return entry


def clean_crashed(registry: Path = REGISTRY) -> list[str]:
    """Every registered node whose owner is gone, cleaned; one line per node cleaned."""
    cleaned = []
    for entry in sorted(registry.glob("*.json")) if registry.is_dir() else []:
        recorded = json.loads(entry.read_text())
        if pid_alive(int(recorded["pid"])):
            continue
        state = Path(recorded["state"])
        killed = _kill_processes(state)
        _remove_containers(state / "runc")
        _restore(state, _baseline(recorded))
        entry.unlink()
        cleaned.append(
            f"a crashed node (owner pid {recorded['pid']}) cleaned: {killed} process(es) killed; kept {state}"
        )
    return cleaned


_SETS = ("present", "nft", "netns", "shim_sockets", "kubepods")


def _baseline(recorded: dict[str, Any]) -> host.Baseline:
    """The host as the crashed node found it, read back from its registration."""
    return host.Baseline(
        sysctls=dict(recorded["sysctls"]),
        present=frozenset(map(Path, recorded["present"])),
        nft=frozenset(recorded["nft"]),
        netns=frozenset(recorded["netns"]),
        shim_sockets=frozenset(recorded["shim_sockets"]),
        kubepods=frozenset(map(Path, recorded["kubepods"])),
    )


def _kill_processes(state: Path) -> int:
    """SIGKILL to every process whose command line names the state directory: the node's programs and shims."""
    found = host.processes_mentioning(str(state))
    for pid, _ in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    return len(found)


def _remove_containers(root: Path) -> None:
    """The node's containers, which outlive their killed shims: killed and deleted through runc's own state."""
    runc = shutil.which("runc")
    if runc is None or not root.is_dir():
        return
    listed = subprocess.run([runc, "--root", str(root), "list", "-q"], capture_output=True, text=True, timeout=30)
    for container in listed.stdout.split():
        subprocess.run([runc, "--root", str(root), "kill", container, "KILL"], capture_output=True, timeout=30)
        subprocess.run([runc, "--root", str(root), "delete", "-f", container], capture_output=True, timeout=30)


def _restore(state: Path, baseline: host.Baseline) -> None:
    """The node's own teardown, from its recorded baseline (in the order it undoes its start)."""
    host.remove_shim_sockets(baseline)
    host.unmount_under(state)
    host.remove_netns(baseline)
    host.remove_links(BRIDGE)
    host.remove_cgroups(baseline)
    host.remove_chains()
    host.remove_new_nft_tables(baseline)
    host.remove_outside_files(baseline, state)
    host.restore_sysctls(baseline)
