"""What the node's teardown does to the host, on recorded dumps: the chains it removes and the mounts it finds."""

from upgrade_suite.cluster import host

#: iptables-save -t filter while a pod ran (trimmed from the probe's logs/iptables-run3.txt).
FILTER = """*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:CNI-ADMIN - [0:0]
:CNI-FORWARD - [0:0]
:DOCKER-USER - [0:0]
:KUBE-FIREWALL - [0:0]
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD
-A FORWARD -j DOCKER-USER
-A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -j DROP
COMMIT
"""


def test_jumps_go_first_with_their_quoted_comments_then_every_chain_is_flushed_before_any_is_deleted():
    commands = host.chain_removal("iptables", "filter", FILTER)
    assert commands == [
        ["iptables", "-t", "filter", "-D", "INPUT", "-j", "KUBE-FIREWALL"],
        ["iptables", "-t", "filter", "-D", "FORWARD", "-m", "comment", "--comment", "CNI firewall plugin rules", "-j",
         "CNI-FORWARD"],
        ["iptables", "-t", "filter", "-F", "CNI-ADMIN"],
        ["iptables", "-t", "filter", "-F", "CNI-FORWARD"],
        ["iptables", "-t", "filter", "-F", "KUBE-FIREWALL"],
        ["iptables", "-t", "filter", "-X", "CNI-ADMIN"],
        ["iptables", "-t", "filter", "-X", "CNI-FORWARD"],
        ["iptables", "-t", "filter", "-X", "KUBE-FIREWALL"],
    ]  # fmt: skip


def test_a_table_without_the_nodes_chains_is_left_alone():
    assert (
        host.chain_removal("ip6tables", "nat", "*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j DOCKER\nCOMMIT\n")
        == []
    )


def test_mounts_under_the_state_directory_are_found_and_no_others(tmp_path):
    state = tmp_path / "upgk8s-x"
    table = (
        f"/dev/vda {state}/kubelet ext4 rw 0 0\n"
        f"shm {state}/containerd/state/io.containerd.grpc.v1.cri/sandboxes/ab/shm tmpfs rw 0 0\n"
        f"/dev/vda {state}-other ext4 rw 0 0\n"
        "nsfs /run/netns/cni-1 nsfs rw 0 0\n"
    )
    assert host.mounts_under(state, table) == [
        f"{state}/kubelet",
        f"{state}/containerd/state/io.containerd.grpc.v1.cri/sandboxes/ab/shm",
    ]
