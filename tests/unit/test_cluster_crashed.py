"""A crashed node's registration: read back as the host it found, cleaned only when its owner is gone."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from upgrade_suite.cluster import crashed, host


def baseline() -> host.Baseline:
    return host.Baseline(
        sysctls={"vm.overcommit_memory": "0"},
        present=frozenset({Path("/var/log/containers")}),
        nft=frozenset({"ip filter"}),
        netns=frozenset({"other"}),
        shim_sockets=frozenset(),
        kubepods=frozenset({Path("/sys/fs/cgroup/cpu/kubepods")}),
    )


def test_a_registration_reads_back_as_the_host_the_node_found(tmp_path: Path):
    entry = crashed.register(tmp_path / "state", baseline(), tmp_path / "running")
    recorded = json.loads(entry.read_text())
    assert entry.name == f"{os.getpid()}.json" and recorded["state"] == str(tmp_path / "state")
    assert crashed._baseline(recorded) == baseline()


def test_only_a_node_whose_owner_is_gone_is_cleaned_and_its_state_kept(tmp_path: Path, monkeypatch):
    registry, done = tmp_path / "running", []
    crashed.register(tmp_path / "alive", baseline(), registry)  # this process: alive
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = registry / f"{gone.pid}.json"
    dead.write_text(json.dumps({**json.loads((registry / f"{os.getpid()}.json").read_text()), "pid": gone.pid,
                                "state": str(tmp_path / "dead")}))  # fmt: skip
    (tmp_path / "dead").mkdir()
    monkeypatch.setattr(crashed, "_kill_processes", lambda state: done.append(("kill", state)) or 3)
    monkeypatch.setattr(crashed, "_remove_containers", lambda root: done.append(("runc", root)))
    monkeypatch.setattr(crashed, "_restore", lambda state, found: done.append(("restore", state, found)))
    cleaned = crashed.clean_crashed(registry)
    assert cleaned == [f"a crashed node (owner pid {gone.pid}) cleaned: 3 process(es) killed; kept {tmp_path / 'dead'}"]
    assert done == [
        ("kill", tmp_path / "dead"),
        ("runc", tmp_path / "dead" / "runc"),
        ("restore", tmp_path / "dead", baseline()),
    ]
    assert not dead.exists() and (registry / f"{os.getpid()}.json").exists() and (tmp_path / "dead").is_dir()


@pytest.mark.parametrize("missing", [True, False])
def test_no_registry_or_an_empty_one_cleans_nothing(tmp_path: Path, missing: bool):
    registry = tmp_path / "running"
    if not missing:
        registry.mkdir()
    assert crashed.clean_crashed(registry) == []
