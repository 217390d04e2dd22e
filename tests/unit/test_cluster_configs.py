"""The node's configuration files carry each host quirk, each beside its reason, and keep every path in the
node's state directory."""

import json
import tomllib
from pathlib import Path

import pytest
import yaml

from upgrade_suite.cluster import configs
from upgrade_suite.cluster.configs import BIND_ADDRESS, CGROUP_V1, CGROUPFS, FIREWALL, OOM_SCORE, Layout
from upgrade_suite.cluster.pki import Pki

LAYOUT = Layout(Path("/tmp/upgk8s-x"), Path("/cache/bin"))
PKI = Pki(LAYOUT.state, "suite-node", "192.0.2.2")


def rendered():
    return {
        "containerd": configs.containerd_toml(LAYOUT, "/usr/sbin/runc"),
        "kubelet": configs.kubelet_yaml(LAYOUT, PKI),
        "kube-proxy": configs.kube_proxy_yaml(PKI),
    }


@pytest.mark.parametrize(
    "quirk, file, setting",
    [
        (CGROUP_V1, "kubelet", "failCgroupV1: false"),
        (CGROUPFS, "kubelet", "cgroupDriver: cgroupfs"),
        (OOM_SCORE, "containerd", "restrict_oom_score_adj = true"),
        (BIND_ADDRESS, "kube-proxy", "bindAddress: 192.0.2.2"),
    ],
)
def test_each_quirk_is_written_right_below_its_reason(quirk, file, setting):
    lines = [line.strip() for line in rendered()[file].splitlines()]
    at = lines.index(setting)
    assert lines[at - 1] == f"# {quirk.reason}"


def test_the_quirks_are_the_settings_the_programs_read():
    kubelet = yaml.safe_load(rendered()["kubelet"])
    assert kubelet["failCgroupV1"] is False and kubelet["cgroupDriver"] == "cgroupfs"
    assert kubelet["containerRuntimeEndpoint"] == "unix:///tmp/upgk8s-x/containerd/containerd.sock"
    proxy = yaml.safe_load(rendered()["kube-proxy"])
    assert proxy["bindAddress"] == "192.0.2.2" and proxy["nodePortAddresses"] == ["primary"]
    cri = tomllib.loads(rendered()["containerd"])["plugins"]["io.containerd.grpc.v1.cri"]
    assert cri["restrict_oom_score_adj"] is True
    assert cri["containerd"]["runtimes"]["runc"]["options"]["Root"] == "/tmp/upgk8s-x/runc"
    assert cri["cni"] == {"bin_dir": "/cache/bin/cni", "conf_dir": "/tmp/upgk8s-x/cni-conf", "max_conf_num": 1}


def test_the_cni_chain_ends_with_the_firewall_plugin_because_forward_drops():
    conflist = configs.cni_conflist(LAYOUT)
    plugins = json.loads(conflist)["plugins"]
    assert [p["type"] for p in plugins] == ["bridge", "portmap", "firewall"]
    assert plugins[-1]["backend"] == "iptables" and FIREWALL.setting in conflist
    assert "FORWARD policy is DROP" in FIREWALL.reason
    assert plugins[0]["bridge"] == "cni0" and plugins[0]["ipam"]["dataDir"] == "/tmp/upgk8s-x/cni-ipam"


def test_every_path_the_files_name_is_in_the_state_directory_the_cache_or_a_system_binary():
    texts = [*rendered().values(), configs.cni_conflist(LAYOUT), configs.scheduler_yaml(PKI)]
    settings = [line for text in texts for line in text.splitlines() if not line.strip().startswith("#")]
    paths = {word.strip('",{}') for line in settings for word in line.split() if word.strip('"{').startswith("/")}
    outside = {p for p in paths if not p.startswith(("/tmp/upgk8s-x/", "/cache/bin/", "unix:///tmp/upgk8s-x/"))}
    assert outside == {"/usr/sbin/runc", "/etc/resolv.conf"}
